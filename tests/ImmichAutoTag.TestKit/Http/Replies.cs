using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ImmichAutoTag.TestKit.Http;

internal abstract record Reply;

internal sealed record JsonReply(int Status, ReadOnlyMemory<byte> Body) : Reply
{
    /// <summary>Sent as the Retry-After header (seconds) when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>How the body goes out: whole (default), in slow pieces, or cut off half-way.</summary>
    public BodyShape Shape { get; init; }

    // Immich (Node) does not escape '+' and friends; keep checksums byte-identical to what it sends.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonReply Write(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        return new JsonReply(status, buffer.WrittenMemory);
    }
}

internal enum BodyShape
{
    Whole,
    Slow,
    Truncated,
}

internal sealed record BytesReply(string ContentType, byte[] Body) : Reply;

internal sealed record EmptyReply(int Status) : Reply;

/// <summary>Immich's error body; Message is a string, or a list of strings for DTO validation failures.</summary>
internal sealed record ErrorReply(int Status, object Message) : Reply
{
    public static ErrorReply BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static ErrorReply Validation(IReadOnlyList<string> messages) => new(StatusCodes.Status400BadRequest, messages.ToArray());

    public static ErrorReply NoAccess(string permission) => BadRequest($"Not found or no {permission} access");

    public JsonReply ToJson() => JsonReply.Write(Status, w =>
    {
        w.WriteStartObject();
        if (Message is string[] list)
        {
            w.WriteStartArray("message");
            foreach (var m in list)
            {
                w.WriteStringValue(m);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("message", Message.ToString());
        }

        w.WriteString("error", ReasonOf(Status));
        w.WriteNumber("statusCode", Status);
        w.WriteString("correlationId", Guid.NewGuid().ToString("N")[..8]);
        w.WriteEndObject();
    });

    internal static string ReasonOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };
}

internal sealed record Call(FakeUser User, FakeApiKey Key, Guid PathId, IQueryCollection Query, RequestBody Body)
{
    /// <summary>The {name} path segment of routes that take a name instead of a UUID.</summary>
    public string PathName { get; init; } = "";
}
