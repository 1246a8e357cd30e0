using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// SauceNAO's search (<c>POST /search.php</c>, multipart: <c>file</c>, <c>output_type=2</c>, <c>numres</c>, <c>db</c> or
/// <c>dbmask</c>, and <c>api_key</c> as a form field so no URL ever carries it). Its quota is read from every answer
/// (<see cref="LastQuota"/>) and drives the pace: one search per <c>30 s / short_limit</c>, and none while a window is
/// spent. HTTP 429 is classified by its message ("Daily Search Limit Exceeded" or the 30-second window).
/// </summary>
public sealed partial class SauceNaoClient : IReverseImageSearch, IDisposable
{
    private readonly IHttpClientFactory _factory;
    private readonly BooruClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly RequestPacer _pacer;
    private readonly Lock _gate = new();
    private SearchQuota? _lastQuota;

    /// <summary>Creates the client over the factory's <c>booru-saucenao</c> HttpClient.</summary>
    public SauceNaoClient(IHttpClientFactory factory, BooruClientOptions options, TimeProvider clock, ILogger<SauceNaoClient> logger)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _factory = factory;
        _options = options;
        _clock = clock;
        _logger = logger;
        _pacer = new RequestPacer(clock, GapFor(Math.Max(1, options.SauceNao.InitialShortLimit)));
    }

    /// <inheritdoc/>
    public BooruSource Source => BooruSource.SauceNao;

    /// <summary>The quota of the last answer that carried one (200 answers do; 429 answers do not); null before the first.</summary>
    public SearchQuota? LastQuota
    {
        get
        {
            lock (_gate)
            {
                return _lastQuota;
            }
        }
    }

    /// <summary>The pacer of this client's searches.</summary>
    public RequestPacer Pacer => _pacer;

    /// <inheritdoc/>
    public async Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var sauce = _options.SauceNao;
        var url = new Uri(sauce.BaseUrl, "search.php");
        await _pacer.WaitAsync(ct);

        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("2"), "output_type");
        form.Add(new StringContent(sauce.ResultCount.ToString(CultureInfo.InvariantCulture)), "numres");
        if (sauce.IndexMask is { } mask)
        {
            form.Add(new StringContent(mask.ToString(CultureInfo.InvariantCulture)), "dbmask");
        }
        else
        {
            form.Add(new StringContent("999"), "db");
        }

        if (!string.IsNullOrEmpty(sauce.ApiKey))
        {
            form.Add(new StringContent(sauce.ApiKey), "api_key");
        }

        var file = new ReadOnlyMemoryContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(MediaTypeOf(fileName));
        form.Add(file, "file", fileName);

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
        request.Headers.Accept.ParseAdd("application/json");
        var client = _factory.CreateClient(BooruHttp.ClientName(BooruService.SauceNao));
        var (response, body) = await BooruHttp.SendAsync(client, request, BooruSource.SauceNao, "POST " + url.AbsoluteUri, ct);
        using (response)
        {
            return Read(response, body, url);
        }
    }

    private ReverseSearchAnswer Read(HttpResponseMessage response, byte[] body, Uri url)
    {
        var where = "POST " + url.AbsoluteUri;
        SauceNaoAnswer? answer = null;
        var html = BooruHttp.IsHtml(response, body);
        if (!html)
        {
            try
            {
                answer = SauceNaoAnswer.Parse(body);
            }
            catch (JsonException ex) when (response.IsSuccessStatusCode)
            {
                throw Fail(BooruFailure.Unavailable, $"SauceNAO's answer to {where} could not be read: {ex.Message}", quota: null);
            }
            catch (JsonException)
            {
                // An error status with a body that is not JSON: classified by the status below.
            }
        }

        if (answer?.Quota is { } quota)
        {
            Learn(quota);
        }

        var message = BooruHttp.Scrub(StripTags(answer?.Message), _options.Secrets);
        switch (response.StatusCode)
        {
            case HttpStatusCode.TooManyRequests:
                {
                    // The 429 body has no counters; its message tells the windows apart. Anything else: the short one.
                    var retryAfter = BooruHttp.RetryAfter(response, _clock);
                    if (message.Contains("Daily", StringComparison.OrdinalIgnoreCase))
                    {
                        throw Fail(BooruFailure.DailyLimitReached, $"SauceNAO's daily search limit is spent ({where}, HTTP 429): {message}", answer?.Quota, retryAfter);
                    }

                    var wait = retryAfter ?? _options.SauceNao.ShortWindow;
                    _pacer.HoldFor(wait);
                    throw Fail(BooruFailure.ShortWindowExhausted, $"SauceNAO's 30-second search window is spent ({where}, HTTP 429): {(message.Length > 0 ? message : "no message")}", answer?.Quota, wait);
                }

            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw Fail(BooruFailure.KeyRefused, $"SauceNAO refused the API key ({where}, {BooruHttp.Status(response)}): check SAUCENAO_API_KEY. {message}", answer?.Quota);
            case HttpStatusCode.RequestEntityTooLarge:
                throw Fail(BooruFailure.ImageRefused, $"SauceNAO refused the upload as too large ({where}, HTTP 413).", answer?.Quota);
        }

        if (html)
        {
            var failure = response.IsSuccessStatusCode ? BooruFailure.Blocked : BooruFailure.Unavailable;
            throw Fail(failure, $"SauceNAO answered {where} with an HTML page ({BooruHttp.Status(response)}), not JSON.", null, BooruHttp.RetryAfter(response, _clock));
        }

        if (!response.IsSuccessStatusCode || answer is null)
        {
            throw Fail(BooruFailure.Unavailable, $"SauceNAO failed {where} ({BooruHttp.Status(response)}). {message}", answer?.Quota, BooruHttp.RetryAfter(response, _clock));
        }

        if (answer.Status < 0)
        {
            var failure = answer.Status switch
            {
                -1 => BooruFailure.KeyRefused,
                -2 when message.Contains("Daily", StringComparison.OrdinalIgnoreCase) => BooruFailure.DailyLimitReached,
                -2 => BooruFailure.ShortWindowExhausted,
                _ => BooruFailure.ImageRefused,
            };
            var meaning = answer.Status switch
            {
                -1 => "the account has no API access",
                -2 => "search limit",
                -3 => "the image could not be fetched or used",
                -4 or -6 => "the image could not be processed",
                -5 => "the image is too large for the account",
                _ => "the search was refused",
            };
            throw Fail(failure, string.Create(CultureInfo.InvariantCulture, $"SauceNAO answered status {answer.Status} ({meaning}) to {where}: {message}"), answer.Quota,
                failure == BooruFailure.ShortWindowExhausted ? _options.SauceNao.ShortWindow : null);
        }

        if (answer.Quota is { } spent)
        {
            // The official example treats a negative counter as "limit reached": this answer's results are not to be trusted.
            if (spent.LongRemaining < 0)
            {
                throw Fail(BooruFailure.DailyLimitReached, $"SauceNAO reports the daily search limit as spent (long_remaining {spent.LongRemaining}) ({where}).", spent);
            }

            if (spent.ShortRemaining < 0)
            {
                _pacer.HoldFor(_options.SauceNao.ShortWindow);
                throw Fail(BooruFailure.ShortWindowExhausted, $"SauceNAO reports the 30-second window as spent (short_remaining {spent.ShortRemaining}) ({where}).", spent, _options.SauceNao.ShortWindow);
            }
        }

        if (!string.IsNullOrEmpty(_options.SauceNao.ApiKey) && answer.UserId == "0")
        {
            throw Fail(BooruFailure.KeyRefused, $"SauceNAO ignored the API key (user_id 0, guest limits) ({where}): check SAUCENAO_API_KEY.", answer.Quota);
        }

        if (answer.Status > 0)
        {
            _logger.LogWarning("SauceNAO answered status {Status} (some indexes failed); using the {Count} results it returned. {Message}", answer.Status, answer.Matches.Count, message);
        }

        return new ReverseSearchAnswer(answer.Matches, answer.Quota);
    }

    private void Learn(SearchQuota quota)
    {
        lock (_gate)
        {
            _lastQuota = quota;
        }

        if (quota.ShortLimit > 0)
        {
            _pacer.Repace(GapFor(quota.ShortLimit), 1);
        }

        if (quota.ShortRemaining == 0)
        {
            // Someone else spends the same key (or the pace was too fast): wait out a whole window.
            _pacer.HoldFor(_options.SauceNao.ShortWindow);
        }
    }

    private TimeSpan GapFor(int shortLimit) => _options.SauceNao.ShortWindow / shortLimit + _options.SauceNao.PaceMargin;

    /// <summary>Releases the pacer.</summary>
    public void Dispose() => _pacer.Dispose();

    private BooruException Fail(BooruFailure failure, string message, SearchQuota? quota, TimeSpan? retryAfter = null) =>
        new(BooruSource.SauceNao, failure, BooruHttp.Scrub(message, _options.Secrets, 600), retryAfter) { Quota = quota };

    private static string MediaTypeOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".webp" => "image/webp",
        ".png" => "image/png",
        ".gif" => "image/gif",
        _ => "image/jpeg",
    };

    private static string StripTags(string? html) => html is null ? "" : WebUtility.HtmlDecode(Tags().Replace(html, " ")).Trim();

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Tags();
}

/// <summary>One SauceNAO JSON answer, read leniently (numbers arrive as strings in some fields and some answers).</summary>
/// <param name="Status"><c>header.status</c>: 0 ok, &gt; 0 some indexes failed, &lt; 0 the search was refused.</param>
/// <param name="UserId"><c>header.user_id</c>: "0" when the key was not recognised.</param>
/// <param name="Message"><c>header.message</c> (HTML) when present.</param>
/// <param name="Quota">The four counters, when the answer has all of them.</param>
/// <param name="Matches">Results, hidden ones left out, sorted by similarity, best first.</param>
public sealed partial record SauceNaoAnswer(int Status, string? UserId, string? Message, SearchQuota? Quota, IReadOnlyList<ReverseSearchMatch> Matches)
{
    /// <summary>Reads the answer's JSON.</summary>
    /// <exception cref="JsonException">Not a JSON object with a <c>header</c>.</exception>
    public static SauceNaoAnswer Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        using var json = JsonDocument.ParseValue(ref reader);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("header", out var header) || header.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A SauceNAO answer is an object with a header.");
        }

        var status = LenientJson.Int(header, "status") ?? 0;
        var quota = LenientJson.Int(header, "short_limit") is { } shortLimit
                    && LenientJson.Int(header, "short_remaining") is { } shortRemaining
                    && LenientJson.Int(header, "long_limit") is { } longLimit
                    && LenientJson.Int(header, "long_remaining") is { } longRemaining
            ? new SearchQuota(shortLimit, shortRemaining, longLimit, longRemaining)
            : null;

        var matches = new List<ReverseSearchMatch>();
        if (root.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Array)
        {
            foreach (var result in results.EnumerateArray())
            {
                if (Match(result) is { } match)
                {
                    matches.Add(match);
                }
            }
        }

        // The server's order is not strictly by similarity; a stable sort keeps its order among equals.
        var sorted = matches.Select((m, i) => (m, i)).OrderByDescending(x => x.m.SimilarityPercent ?? -1).ThenBy(x => x.i).Select(x => x.m).ToList();
        return new SauceNaoAnswer(status, LenientJson.String(header, "user_id"), LenientJson.String(header, "message"), quota, sorted);
    }

    private static ReverseSearchMatch? Match(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("header", out var header))
        {
            return null;
        }

        if (LenientJson.Long(header, "hidden") is { } hidden && hidden != 0)
        {
            return null;
        }

        result.TryGetProperty("data", out var data);
        var urls = new List<Uri>();
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("ext_urls", out var extUrls) && extUrls.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in extUrls.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && BooruLinks.Absolute(item.GetString()) is { } url)
                {
                    urls.Add(url);
                }
            }
        }

        var danbooru = LenientJson.Long(data, "danbooru_id") ?? urls.Select(BooruLinks.DanbooruPostId).FirstOrDefault(id => id is not null);
        var gelbooru = LenientJson.Long(data, "gelbooru_id") ?? urls.Select(BooruLinks.GelbooruPostId).FirstOrDefault(id => id is not null);
        return new ReverseSearchMatch(BooruSource.SauceNao, LenientJson.Double(header, "similarity"), danbooru, gelbooru, urls);
    }
}

/// <summary>Post ids in booru links, old and new forms alike.</summary>
public static partial class BooruLinks
{
    /// <summary>The Danbooru post id in <c>…donmai.us/posts/N</c> or the old <c>…donmai.us/post/show/N</c>; null otherwise.</summary>
    public static long? DanbooruPostId(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var match = DanbooruPost().Match(url.AbsoluteUri);
        return match.Success && long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>The Gelbooru post id in <c>gelbooru.com/index.php?page=post&amp;s=view&amp;id=N</c>; null otherwise.</summary>
    public static long? GelbooruPostId(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.Host.EndsWith("gelbooru.com", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var match = GelbooruId().Match(url.Query);
        return match.Success && long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>An absolute <c>https:</c> URL from a link as pages write it (protocol-relative <c>//host/…</c> included); null when it is none.</summary>
    public static Uri? Absolute(string? href)
    {
        if (string.IsNullOrWhiteSpace(href))
        {
            return null;
        }

        href = href.Trim();
        if (href.StartsWith("//", StringComparison.Ordinal))
        {
            href = "https:" + href;
        }

        return Uri.TryCreate(href, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) ? url : null;
    }

    [GeneratedRegex(@"donmai\.us/(?:posts|post/show)/(\d+)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DanbooruPost();

    [GeneratedRegex(@"[?&]id=(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex GelbooruId();
}
