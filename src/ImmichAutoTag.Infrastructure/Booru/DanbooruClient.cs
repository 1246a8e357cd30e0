using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// Danbooru's read API: <c>GET /posts.json?md5=</c> (one post object, 404 when none) and <c>GET /posts/{id}.json</c>.
/// Authenticated with HTTP Basic <c>login:api_key</c> when both are given (never as query parameters, so no URL carries
/// the key), always with the tool's named User-Agent, paced to <see cref="DanbooruOptions.RequestsPerSecond"/>.
/// </summary>
public sealed class DanbooruClient : IDanbooruClient, IDisposable
{
    private readonly IHttpClientFactory _factory;
    private readonly BooruClientOptions _options;
    private readonly RequestPacer _pacer;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates the client over the factory's <c>booru-danbooru</c> HttpClient.</summary>
    public DanbooruClient(IHttpClientFactory factory, BooruClientOptions options, TimeProvider clock, ILogger<DanbooruClient> logger)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _factory = factory;
        _options = options;
        _clock = clock;
        _logger = logger;
        var danbooru = options.Danbooru;
        var gap = TimeSpan.FromSeconds(1.0 / Math.Max(0.001, danbooru.RequestsPerSecond));
        _pacer = new RequestPacer(clock, gap, danbooru.Burst);
        if (!string.IsNullOrEmpty(danbooru.Login) && !string.IsNullOrEmpty(danbooru.ApiKey))
        {
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(danbooru.Login + ":" + danbooru.ApiKey)));
        }
    }

    /// <summary>The pacer of this client's requests (the booru step may read its gap).</summary>
    public RequestPacer Pacer => _pacer;

    /// <inheritdoc/>
    public Task<BooruPost?> GetPostByMd5Async(string md5, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(md5);
        if (md5.Length != 32 || !md5.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("An MD5 is 32 hexadecimal digits.", nameof(md5));
        }

        return GetAsync("posts.json?md5=" + md5.ToLowerInvariant(), ct);
    }

    /// <inheritdoc/>
    public Task<BooruPost?> GetPostAsync(long id, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        return GetAsync(string.Create(CultureInfo.InvariantCulture, $"posts/{id}.json"), ct);
    }

    private async Task<BooruPost?> GetAsync(string relative, CancellationToken ct)
    {
        var url = new Uri(_options.Danbooru.BaseUrl, relative);
        var shown = Core.Configuration.UrlRedaction.Redact(url).AbsoluteUri + (url.Query.Length > 0 ? url.Query : "");
        await _pacer.WaitAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Authorization = _authorization;
        var client = _factory.CreateClient(BooruHttp.ClientName(BooruService.Danbooru));
        var (response, body) = await BooruHttp.SendAsync(client, request, BooruSource.DanbooruMd5, "GET " + shown, ct);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound && !BooruHttp.IsHtml(response, body))
            {
                return null;
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // Danbooru's limiter says "Wait a minute and try again."
                var wait = BooruHttp.RetryAfter(response, _clock) ?? TimeSpan.FromMinutes(1);
                _pacer.HoldFor(wait);
                throw Fail(BooruFailure.ShortWindowExhausted, $"Danbooru rate-limited GET {shown} (HTTP 429): {ErrorMessage(body)}", wait);
            }

            if ((response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && !BooruHttp.IsHtml(response, body))
            {
                throw Fail(BooruFailure.KeyRefused, $"Danbooru refused GET {shown} ({BooruHttp.Status(response)}): {ErrorMessage(body)}. Check DANBOORU_LOGIN and DANBOORU_API_KEY.");
            }

            if ((int)response.StatusCode >= 500)
            {
                throw Fail(BooruFailure.Unavailable, $"Danbooru failed GET {shown} ({BooruHttp.Status(response)}).", BooruHttp.RetryAfter(response, _clock));
            }

            if (BooruHttp.IsHtml(response, body))
            {
                // Cloudflare's "Just a moment…" challenge (or any HTML) where JSON was asked for: the client is blocked.
                throw Fail(BooruFailure.Blocked, $"Danbooru answered GET {shown} with an HTML page ({BooruHttp.Status(response)}), not JSON: blocked by Cloudflare? Check the User-Agent ({_options.UserAgentFor(BooruService.Danbooru)}).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw Fail(BooruFailure.Unavailable, $"Danbooru failed GET {shown} ({BooruHttp.Status(response)}): {ErrorMessage(body)}", BooruHttp.RetryAfter(response, _clock));
            }

            try
            {
                return DanbooruPostJson.Parse(body);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                _logger.LogWarning("Danbooru's answer to GET {Url} could not be read: {Reason}", shown, ex.Message);
                throw Fail(BooruFailure.Unavailable, $"Danbooru's answer to GET {shown} could not be read: {BooruHttp.Scrub(ex.Message, _options.Secrets)}");
            }
        }
    }

    private string ErrorMessage(byte[] body)
    {
        // {"success": false, "error": "<ExceptionClass>", "message": "…", "backtrace": […]}
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                var error = json.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                var message = json.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                return BooruHttp.Scrub(string.Join(": ", new[] { error, message }.Where(s => !string.IsNullOrEmpty(s))), _options.Secrets);
            }
        }
        catch (JsonException)
        {
        }

        return BooruHttp.Scrub(Encoding.UTF8.GetString(body), _options.Secrets, 160);
    }

    /// <summary>Releases the pacer.</summary>
    public void Dispose() => _pacer.Dispose();

    private BooruException Fail(BooruFailure failure, string message, TimeSpan? retryAfter = null) =>
        new(BooruSource.DanbooruMd5, failure, BooruHttp.Scrub(message, _options.Secrets, 600), retryAfter);
}

/// <summary>Reads a Danbooru post object (section "Post fields" of Danbooru's API): unknown keys are ignored.</summary>
public static class DanbooruPostJson
{
    /// <summary>
    /// The post in <paramref name="utf8"/>: one object, or an array of zero or one (as <c>/posts.json?tags=md5:…</c> answers);
    /// null for an empty array.
    /// </summary>
    /// <exception cref="JsonException">Not JSON, or no post id.</exception>
    public static BooruPost? Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        using var json = JsonDocument.ParseValue(ref reader);
        var root = json.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() == 0)
            {
                return null;
            }

            root = root[0];
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"A Danbooru post is a JSON object, not {root.ValueKind}.");
        }

        var id = LenientJson.Long(root, "id") ?? throw new JsonException("The Danbooru post has no id.");
        var md5 = LenientJson.String(root, "md5");
        return new BooruPost(
            id,
            string.IsNullOrEmpty(md5) ? null : md5.ToLowerInvariant(),
            Rating(LenientJson.String(root, "rating")),
            Tags(root, "tag_string_character"),
            Tags(root, "tag_string_copyright"),
            Tags(root, "tag_string_artist"),
            Tags(root, "tag_string_general"),
            Tags(root, "tag_string_meta"));
    }

    /// <summary>
    /// Danbooru's <c>g/s/q/e</c>, and the full words Gelbooru and older data use (<c>safe</c> meant what is now
    /// <c>general</c>). An unknown or missing rating reads as explicit, so a content filter never lets it through by mistake.
    /// </summary>
    public static BooruRating Rating(string? rating) => rating?.Trim().ToLowerInvariant() switch
    {
        "g" or "general" or "safe" => BooruRating.General,
        "s" or "sensitive" => BooruRating.Sensitive,
        "q" or "questionable" => BooruRating.Questionable,
        _ => BooruRating.Explicit,
    };

    private static string[] Tags(JsonElement post, string name) =>
        LenientJson.String(post, name) is { Length: > 0 } text ? text.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
}

/// <summary>Reads JSON fields whose type varies between answers (SauceNAO sends some numbers as strings).</summary>
internal static class LenientJson
{
    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    public static long? Long(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.Number when value.TryGetDouble(out var d) && Math.Abs(d) < long.MaxValue => (long)d,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    public static int? Int(JsonElement obj, string name) => Long(obj, name) is { } n && n is >= int.MinValue and <= int.MaxValue ? (int)n : null;

    public static double? Double(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDouble(out var d) => d,
            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
            _ => null,
        };
    }
}
