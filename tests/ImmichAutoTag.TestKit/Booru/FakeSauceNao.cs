using System.Globalization;
using System.Text.Json;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>A SauceNAO account of the fake: its key and its two windows.</summary>
/// <param name="ApiKey">The key (<c>api_key</c>).</param>
/// <param name="ShortLimit">Searches per 30 s.</param>
/// <param name="LongLimit">Searches per 24 h.</param>
/// <param name="UserId"><c>header.user_id</c>.</param>
/// <param name="AccountType"><c>header.account_type</c> ("1" basic).</param>
public sealed record FakeSauceNaoAccount(string ApiKey, int ShortLimit = 4, int LongLimit = 100, string UserId = "123456", string AccountType = "1");

/// <summary>How the fake SauceNAO behaves.</summary>
public sealed record FakeSauceNaoOptions
{
    /// <summary>The clock of both windows.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The keys the fake knows.</summary>
    public IReadOnlyList<FakeSauceNaoAccount> Accounts { get; init; } = [];

    /// <summary>Searches per 30 s for requests without a known key (one shared pool, as SauceNAO pools by IP).</summary>
    public int GuestShortLimit { get; init; } = 3;

    /// <summary>Searches per 24 h for guests.</summary>
    public int GuestLongLimit { get; init; } = 50;

    /// <summary>Answer an unknown key with 403 (as some reports say) instead of guest limits and <c>user_id</c> "0".</summary>
    public bool RejectUnknownKeys { get; init; }

    /// <summary>Keys whose account has no API access: answered with status -1.</summary>
    public IReadOnlyList<string> KeysWithoutApiAccess { get; init; } = [];

    /// <summary>Larger uploads are answered with status -5 ("20MB is the maximum file size for your account type").</summary>
    public int MaxUploadBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>The short window (30 s); both windows slide: a search counts until it is this old.</summary>
    public TimeSpan ShortWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The long window (24 h).</summary>
    public TimeSpan LongWindow { get; init; } = TimeSpan.FromHours(24);
}

/// <summary>
/// A SauceNAO look-alike over an <see cref="IllustrationLibrary"/>: <c>POST /search.php</c> (multipart <c>file</c> or a
/// <c>url</c> field; <c>output_type=2</c> required for JSON) answering by the upload's MD5, with the real answer's
/// mixed JSON types (<c>short_limit</c> as a string, <c>short_remaining</c> as a number, similarity as a string),
/// results deliberately not in similarity order, both windows per <c>api_key</c> on an injected clock, HTTP 429 with
/// <c>status: -2</c> and either message ("Search Rate Too High" / "Daily Search Limit Exceeded"), and statuses -1, -3,
/// -5 (and -4, -6) as fixtures. Operation id: <c>saucenao.search</c>.
/// </summary>
public sealed class FakeSauceNao : BooruFakeServer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (Queue<DateTimeOffset> Short, Queue<DateTimeOffset> Long)> _windows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _searchesByKey = new(StringComparer.Ordinal);
    private int _searches;
    private int _throttledShort;
    private int _throttledDaily;
    private int _keysInUrl;

    /// <summary>Creates the fake (in-process until <see cref="BooruFakeServer.ListenAsync"/>).</summary>
    public FakeSauceNao(IllustrationLibrary library, FakeSauceNaoOptions? options = null)
        : base("saucenao")
    {
        Library = library;
        Options = options ?? new FakeSauceNaoOptions();
    }

    /// <summary>The pictures known.</summary>
    public IllustrationLibrary Library { get; }

    /// <summary>The behaviour.</summary>
    public FakeSauceNaoOptions Options { get; }

    /// <summary>Searches that passed the limits (and were counted against a window).</summary>
    public int Searches => Volatile.Read(ref _searches);

    /// <summary>429 answers for the 30 s window.</summary>
    public int ThrottledShort => Volatile.Read(ref _throttledShort);

    /// <summary>429 answers for the daily window.</summary>
    public int ThrottledDaily => Volatile.Read(ref _throttledDaily);

    /// <summary>Requests that carried <c>api_key</c> in the URL's query (the client should send it as a form field).</summary>
    public int KeysInUrl => Volatile.Read(ref _keysInUrl);

    /// <summary>Searches counted per key ("" for guests).</summary>
    public int SearchesBy(string apiKey)
    {
        lock (_gate)
        {
            return _searchesByKey.GetValueOrDefault(apiKey);
        }
    }

    /// <inheritdoc/>
    protected override string? OperationOf(BooruFakeRequest request) =>
        request.Path == "/search.php" && request.Method is "POST" or "GET" ? "saucenao.search" : null;

    /// <inheritdoc/>
    protected override string? Summary(BooruFakeRequest request)
    {
        var form = FakeForm.Read(request);
        return form.Files.TryGetValue("file", out var file) ? "file md5=" + FakeForm.Md5(file) : form.Field("url") is { } url ? "url=" + url : null;
    }

    /// <inheritdoc/>
    protected override BooruFakeReply FailureBody(int status, string message) =>
        status >= 500
            ? BooruFakeReply.Html(status, $"<html><head><title>{status}</title></head><body>{System.Net.WebUtility.HtmlEncode(message)}</body></html>")
            : BooruFakeReply.Json(status, Header(status == 429 ? -2 : -9, message, null, null));

    /// <inheritdoc/>
    protected override BooruFakeReply Answer(string operationId, BooruFakeRequest request)
    {
        var form = FakeForm.Read(request);
        string? Value(string name) => form.Field(name) ?? (request.Query.TryGetValue(name, out var v) ? v.ToString() : null);
        if (request.Query.ContainsKey("api_key"))
        {
            Interlocked.Increment(ref _keysInUrl);
        }

        if (Value("output_type") != "2")
        {
            return BooruFakeReply.Html(200, "<!DOCTYPE html><html><head><title>Sauce Found?</title></head><body><div id=\"middle\">No results in HTML mode.</div></body></html>");
        }

        var key = Value("api_key") ?? "";
        if (Options.KeysWithoutApiAccess.Contains(key))
        {
            return BooruFakeReply.Json(200, Header(-1, "<strong>Access Denied.</strong><br /><br />This account does not have API access.", null, null));
        }

        var account = Options.Accounts.FirstOrDefault(a => a.ApiKey == key);
        if (account is null && key.Length > 0 && Options.RejectUnknownKeys)
        {
            return BooruFakeReply.Html(403, "<html><body>Invalid API key.</body></html>");
        }

        account ??= new FakeSauceNaoAccount("", Options.GuestShortLimit, Options.GuestLongLimit, "0", "0");
        var now = Options.Clock.GetUtcNow();
        int shortRemaining;
        int longRemaining;
        lock (_gate)
        {
            if (!_windows.TryGetValue(account.ApiKey, out var windows))
            {
                windows = (new Queue<DateTimeOffset>(), new Queue<DateTimeOffset>());
                _windows[account.ApiKey] = windows;
            }

            Expire(windows.Short, now - Options.ShortWindow);
            Expire(windows.Long, now - Options.LongWindow);
            if (windows.Long.Count >= account.LongLimit)
            {
                _throttledDaily++;
                return BooruFakeReply.Json(429, Header(-2,
                    string.Create(CultureInfo.InvariantCulture, $"<strong>Daily Search Limit Exceeded.</strong><br /><br />{Type(account)} accounts are limited to {account.LongLimit} searches every 24 hours. Come back later, or upgrade your account."),
                    account, null));
            }

            if (windows.Short.Count >= account.ShortLimit)
            {
                _throttledShort++;
                return BooruFakeReply.Json(429, Header(-2,
                    string.Create(CultureInfo.InvariantCulture, $"<strong>Search Rate Too High.</strong><br /><br />{Type(account)} accounts are limited to {account.ShortLimit} searches every 30 seconds. Please wait before searching again."),
                    account, null));
            }

            windows.Short.Enqueue(now);
            windows.Long.Enqueue(now);
            _searches++;
            _searchesByKey[account.ApiKey] = _searchesByKey.GetValueOrDefault(account.ApiKey) + 1;
            shortRemaining = account.ShortLimit - windows.Short.Count;
            longRemaining = account.LongLimit - windows.Long.Count;
        }

        var counters = (shortRemaining, longRemaining);
        if (!form.Files.TryGetValue("file", out var file))
        {
            // The fake fetches no URL: every url search is the "remote server" failure.
            return BooruFakeReply.Json(200, Header(-3, "Problem with remote server... (400 - url). Supplied URL is not usable.", account, counters));
        }

        if (file.Length > Options.MaxUploadBytes)
        {
            return BooruFakeReply.Json(200, Header(-5, "The file you supplied is too large. 20MB is the maximum file size for your account type.", account, counters));
        }

        var picture = Library.ByUploadMd5(FakeForm.Md5(file));
        if (picture?.SauceNaoStatus is { } status)
        {
            var message = status switch
            {
                -3 => "Supplied file is not usable. Problem with remote server... (400 - file).",
                -4 => "The image could not be processed.",
                -5 => "The file you supplied is too large. 20MB is the maximum file size for your account type.",
                -6 => "Image format not supported.",
                -1 => "This account does not have API access.",
                _ => "Search failed.",
            };
            return BooruFakeReply.Json(200, Header(status, message, account, counters));
        }

        var numres = int.TryParse(Value("numres"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, 40) : 6;
        return new BooruFakeReply(200, "application/json; charset=utf-8", Results(picture, account, counters, numres));
    }

    private static void Expire(Queue<DateTimeOffset> window, DateTimeOffset before)
    {
        // Sliding window: a search at t counts while now - t < window.
        while (window.Count > 0 && window.Peek() <= before)
        {
            window.Dequeue();
        }
    }

    private static string Type(FakeSauceNaoAccount account) => account.AccountType == "0" ? "Unregistered" : "Basic";

    private static string Header(int status, string message, FakeSauceNaoAccount? account, (int Short, int Long)? remaining)
    {
        var json = FakeDanbooru.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("header");
            if (account is not null)
            {
                WriteAccount(w, account, remaining);
            }

            w.WriteNumber("status", status);
            w.WriteNumber("results_requested", 0);
            w.WriteString("search_depth", "0");
            w.WriteNumber("minimum_similarity", 0);
            w.WriteNumber("results_returned", 0);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return System.Text.Encoding.UTF8.GetString(json.Span);
    }

    private static void WriteAccount(Utf8JsonWriter w, FakeSauceNaoAccount account, (int Short, int Long)? remaining)
    {
        // As the real answers: user_id, account_type and the limits are strings, the remaining counters numbers.
        w.WriteString("user_id", account.UserId);
        w.WriteString("account_type", account.AccountType);
        w.WriteString("short_limit", account.ShortLimit.ToString(CultureInfo.InvariantCulture));
        w.WriteString("long_limit", account.LongLimit.ToString(CultureInfo.InvariantCulture));
        if (remaining is { } r)
        {
            w.WriteNumber("long_remaining", r.Long);
            w.WriteNumber("short_remaining", r.Short);
        }
    }

    private static ReadOnlyMemory<byte> Results(Illustration? picture, FakeSauceNaoAccount account, (int Short, int Long) remaining, int numres)
    {
        var number = picture?.Number ?? 0;
        var results = new List<Action<Utf8JsonWriter>>();
        if (picture is { SauceNaoSimilarity: { } similarity, Post: { } post })
        {
            // A Pixiv result just below the booru one comes first: the server's order is not by similarity.
            if (similarity > 60)
            {
                results.Add(w => PixivResult(w, similarity - 1.59, number));
            }

            results.Add(w => BooruResult(w, similarity, post, picture.SauceNaoLink));
        }

        results.Add(w => PixivResult(w, 41.5 + (number % 7), number + 1_000_000));
        results.Add(w => PixivResult(w, 38.25, number + 2_000_000));
        var count = Math.Min(numres, results.Count);
        return FakeDanbooru.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("header");
            WriteAccount(w, account, remaining);
            w.WriteNumber("status", 0);
            w.WriteString("results_requested", numres.ToString(CultureInfo.InvariantCulture));
            w.WriteStartObject("index");
            foreach (var (id, parent) in new[] { (5, 5), (9, 9), (25, 9) })
            {
                w.WriteStartObject(id.ToString(CultureInfo.InvariantCulture));
                w.WriteNumber("status", 0);
                w.WriteNumber("parent_id", parent);
                w.WriteNumber("id", id);
                w.WriteNumber("results", numres);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteString("search_depth", "128");
            w.WriteNumber("minimum_similarity", 54.12);
            w.WriteString("query_image_display", "/userdata/fake" + number.ToString(CultureInfo.InvariantCulture) + ".jpg.png");
            w.WriteString("query_image", "fake" + number.ToString(CultureInfo.InvariantCulture) + ".jpg");
            w.WriteNumber("results_returned", count);
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (var result in results.Take(count))
            {
                result(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void ResultHeader(Utf8JsonWriter w, double similarity, int index, string name)
    {
        w.WriteStartObject("header");
        w.WriteString("similarity", similarity.ToString("0.00", CultureInfo.InvariantCulture));
        w.WriteString("thumbnail", "https://img3.saucenao.com/fake/" + name + "?auth=XXXX&exp=1700000000");
        w.WriteNumber("index_id", index);
        w.WriteString("index_name", string.Create(CultureInfo.InvariantCulture, $"Index #{index}: {(index == 5 ? "Pixiv Images" : index == 25 ? "Gelbooru" : "Danbooru")} - {name}"));
        w.WriteNumber("dupes", 0);
        w.WriteNumber("hidden", 0);
        w.WriteEndObject();
    }

    private static void BooruResult(Utf8JsonWriter w, double similarity, FakeBooruPost post, SauceNaoLink link)
    {
        var danbooruUrl = link == SauceNaoLink.PostsUrl
            ? "https://danbooru.donmai.us/posts/" + post.Id.ToString(CultureInfo.InvariantCulture)
            : "https://danbooru.donmai.us/post/show/" + post.Id.ToString(CultureInfo.InvariantCulture);
        var gelbooruId = post.GelbooruId ?? post.Id + 2_000_000;
        var gelbooruUrl = "https://gelbooru.com/index.php?page=post&s=view&id=" + gelbooruId.ToString(CultureInfo.InvariantCulture);
        w.WriteStartObject();
        ResultHeader(w, similarity, link == SauceNaoLink.GelbooruOnly ? 25 : 9, post.Md5 + "_0.jpg");
        w.WriteStartObject("data");
        w.WriteStartArray("ext_urls");
        if (link != SauceNaoLink.GelbooruOnly)
        {
            w.WriteStringValue(danbooruUrl);
        }

        if (link is SauceNaoLink.DataIds or SauceNaoLink.GelbooruOnly)
        {
            w.WriteStringValue(gelbooruUrl);
        }

        w.WriteEndArray();
        if (link == SauceNaoLink.DataIds)
        {
            w.WriteNumber("danbooru_id", post.Id);
        }

        if (link is SauceNaoLink.DataIds or SauceNaoLink.GelbooruOnly)
        {
            w.WriteNumber("gelbooru_id", gelbooruId);
        }

        w.WriteString("creator", string.Join(", ", post.Artists));
        w.WriteString("material", string.Join(", ", post.Copyrights.Select(t => t.Replace('_', ' '))));
        w.WriteString("characters", string.Join(", ", post.Characters.Select(t => t.Replace('_', ' '))));
        w.WriteString("source", "https://i.pximg.net/img-original/img/2024/01/01/00/00/00/100000001_p0.png");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void PixivResult(Utf8JsonWriter w, double similarity, int number)
    {
        var id = 100_000_000 + number;
        w.WriteStartObject();
        ResultHeader(w, similarity, 5, id.ToString(CultureInfo.InvariantCulture) + "_p0_master1200.jpg");
        w.WriteStartObject("data");
        w.WriteStartArray("ext_urls");
        w.WriteStringValue("https://www.pixiv.net/member_illust.php?mode=medium&illust_id=" + id.ToString(CultureInfo.InvariantCulture));
        w.WriteEndArray();
        w.WriteString("title", "example");
        w.WriteNumber("pixiv_id", id);
        w.WriteString("member_name", "example_artist");
        w.WriteNumber("member_id", 2_000_001);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
