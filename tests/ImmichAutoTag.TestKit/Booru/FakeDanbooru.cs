using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>How the fake Danbooru behaves.</summary>
public sealed record FakeDanbooruOptions
{
    /// <summary>The clock of the read limit (<see cref="ReadsPerSecond"/>).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Answer requests without a User-Agent, or with a browser's (<c>Mozilla/…</c>), with Cloudflare's 403 "Just a
    /// moment…" challenge page, as the real site does to unnamed clients.
    /// </summary>
    public bool BlockUnnamedClients { get; init; } = true;

    /// <summary>Answer every request with the challenge page (Cloudflare has flagged the caller's address). Settable mid-test.</summary>
    public bool BlockEveryone { get; set; }

    /// <summary>The account the fake knows (login, API key): a Basic or query login with another key gets 401. Null accepts any.</summary>
    public (string Login, string ApiKey)? Account { get; init; }

    /// <summary>Reads allowed per second (a sliding 1 s window on <see cref="Clock"/>) before 429; null: unlimited, as Danbooru's reads are.</summary>
    public int? ReadsPerSecond { get; init; }
}

/// <summary>
/// A Danbooru look-alike over an <see cref="IllustrationLibrary"/>: <c>GET /posts.json?md5=</c> (one post object, 404
/// with Danbooru's error JSON when none) and <c>GET /posts/{id}.json</c>. Operation ids: <c>danbooru.md5</c>,
/// <c>danbooru.post</c>.
/// </summary>
public sealed class FakeDanbooru : BooruFakeServer
{
    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _recent = new();
    private int _credentialsInUrl;
    private int _blocked;
    private int _throttled;

    /// <summary>Creates the fake (in-process until <see cref="BooruFakeServer.ListenAsync"/>).</summary>
    public FakeDanbooru(IllustrationLibrary library, FakeDanbooruOptions? options = null)
        : base("danbooru")
    {
        Library = library;
        Options = options ?? new FakeDanbooruOptions();
    }

    /// <summary>The pictures served.</summary>
    public IllustrationLibrary Library { get; }

    /// <summary>The behaviour.</summary>
    public FakeDanbooruOptions Options { get; }

    /// <summary>Requests that carried <c>login</c> or <c>api_key</c> in the URL (the client should send Basic auth instead).</summary>
    public int CredentialsInUrl => Volatile.Read(ref _credentialsInUrl);

    /// <summary>Requests answered with the Cloudflare challenge.</summary>
    public int Blocked => Volatile.Read(ref _blocked);

    /// <summary>Requests answered 429.</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    /// <inheritdoc/>
    protected override string? OperationOf(BooruFakeRequest request)
    {
        if (request.Method != "GET")
        {
            return null;
        }

        if (request.Path == "/posts.json")
        {
            return "danbooru.md5";
        }

        return request.Path.StartsWith("/posts/", StringComparison.Ordinal) && request.Path.EndsWith(".json", StringComparison.Ordinal) ? "danbooru.post" : null;
    }

    /// <inheritdoc/>
    protected override BooruFakeReply FailureBody(int status, string message) =>
        status >= 500
            ? BooruFakeReply.Html(status, $"<html><head><title>{status}</title></head><body><h1>{status}</h1><p>{Escape(message)}</p></body></html>")
            : Error(status, status == 429 ? "RateLimiter::RateLimitError" : "ActionController::BadRequest", message);

    /// <inheritdoc/>
    protected override BooruFakeReply Answer(string operationId, BooruFakeRequest request)
    {
        if (request.Query.ContainsKey("api_key") || request.Query.ContainsKey("login"))
        {
            Interlocked.Increment(ref _credentialsInUrl);
        }

        var agent = request.Header("User-Agent") ?? "";
        if (Options.BlockEveryone || (Options.BlockUnnamedClients && (agent.Length == 0 || agent.StartsWith("Mozilla/", StringComparison.OrdinalIgnoreCase))))
        {
            Interlocked.Increment(ref _blocked);
            return BooruFakeReply.Html(403, CloudflareChallenge);
        }

        if (Options.Account is { } account && !Authorised(request, account))
        {
            return Error(401, "SessionLoader::AuthenticationFailure", "Invalid API key");
        }

        if (Options.ReadsPerSecond is { } limit && !TakeRead(limit))
        {
            Interlocked.Increment(ref _throttled);
            return Error(429, "RateLimiter::RateLimitError", "You're doing that too fast. Wait a minute and try again.");
        }

        FakeBooruPost? post = null;
        if (operationId == "danbooru.md5")
        {
            var md5 = request.Query.TryGetValue("md5", out var values) ? values.ToString().ToLowerInvariant() : "";
            post = md5.Length == 0 ? null : Library.PostByMd5(md5);
        }
        else if (long.TryParse(request.Path.AsSpan("/posts/".Length, request.Path.Length - "/posts/".Length - ".json".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            post = Library.PostById(id);
        }

        return post is null
            ? Error(404, "ActiveRecord::RecordNotFound", "That record was not found.")
            : new BooruFakeReply(200, "application/json; charset=utf-8", PostJson(post));
    }

    /// <inheritdoc/>
    protected override string? Summary(BooruFakeRequest request) => null;

    private static bool Authorised(BooruFakeRequest request, (string Login, string ApiKey) account)
    {
        string? login = null;
        string? key = null;
        var authorization = request.Header("Authorization");
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                (login, key) = colon < 0 ? (pair, "") : (pair[..colon], pair[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return false;
            }
        }
        else if (request.Query.TryGetValue("login", out var l) && request.Query.TryGetValue("api_key", out var k))
        {
            (login, key) = (l.ToString(), k.ToString());
        }

        // Anonymous reads are allowed; a login with the wrong key is not.
        return login is null || (login == account.Login && key == account.ApiKey);
    }

    private bool TakeRead(int limit)
    {
        var now = Options.Clock.GetUtcNow();
        lock (_gate)
        {
            while (_recent.Count > 0 && now - _recent.Peek() >= TimeSpan.FromSeconds(1))
            {
                _recent.Dequeue();
            }

            if (_recent.Count >= limit)
            {
                return false;
            }

            _recent.Enqueue(now);
            return true;
        }
    }

    private static BooruFakeReply Error(int status, string error, string message) =>
        new(status, "application/json; charset=utf-8", Write(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("success", false);
            w.WriteString("error", error);
            w.WriteString("message", message);
            w.WriteStartArray("backtrace");
            w.WriteStringValue("app/controllers/application_controller.rb:85:in `rescue_exception'");
            w.WriteEndArray();
            w.WriteEndObject();
        }));

    /// <summary>A post object with Danbooru's field names and JSON types (section "Post fields").</summary>
    public static ReadOnlyMemory<byte> PostJson(FakeBooruPost post)
    {
        ArgumentNullException.ThrowIfNull(post);
        return Write(w =>
        {
            var all = post.General.Concat(post.Artists).Concat(post.Copyrights).Concat(post.Characters).Concat(post.Meta).Order(StringComparer.Ordinal).ToList();
            w.WriteStartObject();
            w.WriteNumber("id", post.Id);
            w.WriteString("created_at", "2024-01-02T03:04:05.678-05:00");
            w.WriteString("updated_at", "2024-03-01T10:00:00.000-05:00");
            w.WriteNumber("uploader_id", 500001);
            w.WriteNull("approver_id");
            w.WriteNumber("score", 120);
            w.WriteNumber("up_score", 121);
            w.WriteNumber("down_score", -1);
            w.WriteNumber("fav_count", 150);
            w.WriteString("source", "");
            if (post.FileVisible)
            {
                w.WriteString("md5", post.Md5);
            }

            w.WriteString("rating", post.Rating);
            w.WriteNumber("image_width", 2480);
            w.WriteNumber("image_height", 3508);
            w.WriteNumber("file_size", 4567890);
            w.WriteString("file_ext", "png");
            w.WriteString("tag_string", string.Join(' ', all));
            w.WriteString("tag_string_general", string.Join(' ', post.General));
            w.WriteString("tag_string_character", string.Join(' ', post.Characters));
            w.WriteString("tag_string_copyright", string.Join(' ', post.Copyrights));
            w.WriteString("tag_string_artist", string.Join(' ', post.Artists));
            w.WriteString("tag_string_meta", string.Join(' ', post.Meta));
            w.WriteNumber("tag_count", all.Count);
            w.WriteNumber("tag_count_general", post.General.Count);
            w.WriteNumber("tag_count_character", post.Characters.Count);
            w.WriteNumber("tag_count_copyright", post.Copyrights.Count);
            w.WriteNumber("tag_count_artist", post.Artists.Count);
            w.WriteNumber("tag_count_meta", post.Meta.Count);
            w.WriteNull("parent_id");
            w.WriteBoolean("has_children", false);
            w.WriteBoolean("has_large", true);
            w.WriteBoolean("is_pending", false);
            w.WriteBoolean("is_flagged", false);
            w.WriteBoolean("is_deleted", false);
            w.WriteBoolean("is_banned", !post.FileVisible);
            w.WriteNull("pixiv_id");
            w.WriteNumber("bit_flags", 0);
            w.WriteNull("last_commented_at");
            if (post.FileVisible)
            {
                var prefix = post.Md5[..2] + "/" + post.Md5[2..4] + "/";
                w.WriteString("file_url", "https://cdn.donmai.us/original/" + prefix + post.Md5 + ".png");
                w.WriteString("preview_file_url", "https://cdn.donmai.us/180x180/" + prefix + post.Md5 + ".jpg");
                w.WriteStartObject("media_asset");
                w.WriteNumber("id", 9_000_000 + post.Id % 1_000_000);
                w.WriteString("md5", post.Md5);
                w.WriteString("file_ext", "png");
                w.WriteNull("duration");
                w.WriteString("status", "active");
                w.WriteBoolean("is_public", true);
                w.WriteStartArray("variants");
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        });
    }

    internal static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return buffer.WrittenMemory;
    }

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);

    private const string CloudflareChallenge =
        "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title><meta http-equiv=\"refresh\" content=\"390\"></head>"
        + "<body><div class=\"main-wrapper\"><h1>danbooru.donmai.us</h1><h2>Checking if the site connection is secure</h2>"
        + "<noscript>Enable JavaScript and cookies to continue</noscript></div></body></html>";
}
