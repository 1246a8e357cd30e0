namespace ImmichAutoTag.Immich.Generated;

// openapi/nswag.json turns off NSwag's own exception and file-response classes: its templates always make
// them public, and no generated type may leave this assembly. These two have the constructors the generated
// client calls.

/// <summary>A non-success (or unreadable) answer to a generated client call.</summary>
internal sealed class ImmichClientException : Exception
{
    private const int MaxBodyInMessage = 512;

    /// <param name="message">What the client expected.</param>
    /// <param name="statusCode">The HTTP status code of the answer.</param>
    /// <param name="response">The answer's body as text; may hold anything the server or a proxy sent.</param>
    /// <param name="headers">The answer's headers.</param>
    /// <param name="innerException">A JSON error when the body could not be read.</param>
    public ImmichClientException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>> headers, Exception? innerException)
        : base(Describe(message, statusCode, response), innerException)
    {
        StatusCode = statusCode;
        Response = response;
        Headers = headers;
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public int StatusCode { get; }

    /// <summary>The answer's body as text, or null when it had none.</summary>
    public string? Response { get; }

    /// <summary>The answer's headers.</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> Headers { get; }

    private static string Describe(string message, int statusCode, string? response)
    {
        var body = response is null ? "(null)" : response[..Math.Min(response.Length, MaxBodyInMessage)];
        return $"{message}\n\nStatus: {statusCode}\nResponse:\n{body}";
    }
}

/// <summary>A binary answer (a thumbnail): the body stream, disposed together with the HTTP response.</summary>
internal sealed class FileResponse(int statusCode, IReadOnlyDictionary<string, IEnumerable<string>> headers, Stream stream, IDisposable? client, IDisposable? response) : IDisposable
{
    /// <summary>The HTTP status code of the answer.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The answer's headers.</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> Headers { get; } = headers;

    /// <summary>The answer's body.</summary>
    public Stream Stream { get; } = stream;

    public void Dispose()
    {
        Stream.Dispose();
        response?.Dispose();
        client?.Dispose();
    }
}
