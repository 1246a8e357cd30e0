namespace ImmichAutoTag.Immich.Http;

/// <summary>Adds the x-api-key header; the key is kept here only, never in messages or logs.</summary>
internal sealed class ApiKeyHandler(string apiKey) : DelegatingHandler
{
    public const string HeaderName = "x-api-key";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(HeaderName);
        request.Headers.TryAddWithoutValidation(HeaderName, apiKey);
        return base.SendAsync(request, cancellationToken);
    }
}
