namespace ImmichAutoTag.Immich;

internal static class ImmichUrls
{
    /// <summary>The API root under a server base that may carry a path prefix (reverse proxies).</summary>
    public static Uri ApiBase(Uri serverUrl)
    {
        var baseUrl = serverUrl.AbsoluteUri.EndsWith('/') ? serverUrl : new Uri(serverUrl.AbsoluteUri + "/");
        return new Uri(baseUrl, "api/");
    }

    /// <summary>Drops user:password, query and fragment from a URL so it can appear in messages and logs.</summary>
    public static Uri Redact(Uri url) => Core.Configuration.UrlRedaction.Redact(url);
}
