using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// IQDB's search (<c>POST /</c>, multipart <c>file</c>): an HTML page parsed with AngleSharp. IQDB publishes no limits
/// and sends no rate headers, so searches are spaced by <see cref="IqdbOptions.MinInterval"/>.
/// </summary>
public sealed class IqdbClient : IReverseImageSearch, IDisposable
{
    private readonly IHttpClientFactory _factory;
    private readonly BooruClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly RequestPacer _pacer;

    /// <summary>Creates the client over the factory's <c>booru-iqdb</c> HttpClient.</summary>
    public IqdbClient(IHttpClientFactory factory, BooruClientOptions options, TimeProvider clock, ILogger<IqdbClient> logger)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _factory = factory;
        _options = options;
        _clock = clock;
        _logger = logger;
        _pacer = new RequestPacer(clock, options.Iqdb.MinInterval);
    }

    /// <inheritdoc/>
    public BooruSource Source => BooruSource.Iqdb;

    /// <summary>The pacer of this client's searches.</summary>
    public RequestPacer Pacer => _pacer;

    /// <inheritdoc/>
    public async Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var url = _options.Iqdb.BaseUrl;
        await _pacer.WaitAsync(ct);
        using var form = new MultipartFormDataContent();
        var file = new ReadOnlyMemoryContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
        request.Headers.Accept.ParseAdd("text/html");
        var client = _factory.CreateClient(BooruHttp.ClientName(BooruService.Iqdb));
        var where = "POST " + Core.Configuration.UrlRedaction.Redact(url).AbsoluteUri;
        var (response, body) = await BooruHttp.SendAsync(client, request, BooruSource.Iqdb, where, ct);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
            {
                throw Fail(BooruFailure.ImageRefused, $"IQDB refused the upload as too large ({where}, HTTP 413).");
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var wait = BooruHttp.RetryAfter(response, _clock) ?? _options.Iqdb.MinInterval * 10;
                _pacer.HoldFor(wait);
                throw Fail(BooruFailure.ShortWindowExhausted, $"IQDB rate-limited {where} (HTTP 429).", wait);
            }

            if (response.StatusCode is HttpStatusCode.Forbidden)
            {
                throw Fail(BooruFailure.Blocked, $"IQDB refused {where} (HTTP 403).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw Fail(BooruFailure.Unavailable, $"IQDB failed {where} ({BooruHttp.Status(response)}).", BooruHttp.RetryAfter(response, _clock));
            }

            var page = IqdbPage.Parse(Encoding.UTF8.GetString(body));
            if (page.Error is { } error)
            {
                throw Fail(page.ImageRefused ? BooruFailure.ImageRefused : BooruFailure.Unavailable, $"IQDB could not search the image ({where}): {error}");
            }

            _logger.LogDebug("IQDB answered {Count} matches", page.Matches.Count);
            return new ReverseSearchAnswer(page.Matches, null);
        }
    }

    /// <summary>Releases the pacer.</summary>
    public void Dispose() => _pacer.Dispose();

    private BooruException Fail(BooruFailure failure, string message, TimeSpan? retryAfter = null) =>
        new(BooruSource.Iqdb, failure, BooruHttp.Scrub(message, _options.Secrets, 600), retryAfter);
}

/// <summary>
/// An IQDB result page: the tables under <c>#pages</c> (and the lower-similarity ones under <c>#more1</c>), the first
/// being the uploaded image. Each match table has a <c>th</c> ("Best match", "Additional match", "Possible match"), a
/// linked thumbnail (protocol-relative links), a size/rating row and "NN% similarity". A table whose <c>th</c> is "No
/// relevant matches" marks a miss.
/// </summary>
/// <param name="Matches">Sorted by similarity, best first.</param>
/// <param name="Error">What IQDB said instead of results (e.g. "Not an image or image format not supported"); null on a result page.</param>
/// <param name="ImageRefused">True when <paramref name="Error"/> is about the upload (format, size) rather than the service.</param>
public sealed partial record IqdbPage(IReadOnlyList<ReverseSearchMatch> Matches, string? Error, bool ImageRefused)
{
    /// <summary>Reads a page's HTML.</summary>
    public static IqdbPage Parse(string html)
    {
        var parser = new HtmlParser();
        using var document = parser.ParseDocument(html);
        var pages = document.QuerySelector("#pages");
        if (pages is null)
        {
            var text = Normalise(document.Body?.TextContent ?? document.DocumentElement?.TextContent ?? "");
            var refused = text.Contains("not an image", StringComparison.OrdinalIgnoreCase)
                          || text.Contains("too large", StringComparison.OrdinalIgnoreCase)
                          || text.Contains("format not supported", StringComparison.OrdinalIgnoreCase);
            return new IqdbPage([], text.Length == 0 ? "an empty page" : text.Length > 200 ? text[..200] + "…" : text, refused);
        }

        var matches = new List<(ReverseSearchMatch Match, int Order)>();
        foreach (var table in document.QuerySelectorAll("#pages > div > table, #more1 .pages > div > table"))
        {
            var heading = Normalise(table.QuerySelector("th")?.TextContent ?? "");
            if (!heading.EndsWith("match", StringComparison.OrdinalIgnoreCase) || heading.StartsWith("Your", StringComparison.OrdinalIgnoreCase))
            {
                // "Your image" and "No relevant matches" carry no candidate.
                continue;
            }

            if (Read(table) is { } match)
            {
                matches.Add((match, matches.Count));
            }
        }

        return new IqdbPage([.. matches.OrderByDescending(m => m.Match.SimilarityPercent ?? -1).ThenBy(m => m.Order).Select(m => m.Match)], null, false);
    }

    private static ReverseSearchMatch? Read(IElement table)
    {
        var urls = new List<Uri>();
        foreach (var link in table.QuerySelectorAll("a[href]"))
        {
            if (BooruLinks.Absolute(link.GetAttribute("href")) is { } url && !urls.Contains(url))
            {
                urls.Add(url);
            }
        }

        double? similarity = null;
        foreach (var cell in table.QuerySelectorAll("td"))
        {
            var found = Similarity().Match(cell.TextContent);
            if (found.Success && double.TryParse(found.Groups[1].ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
            {
                similarity = percent;
                break;
            }
        }

        if (urls.Count == 0 && similarity is null)
        {
            return null;
        }

        var danbooru = urls.Select(BooruLinks.DanbooruPostId).FirstOrDefault(id => id is not null);
        var gelbooru = urls.Select(BooruLinks.GelbooruPostId).FirstOrDefault(id => id is not null);
        return new ReverseSearchMatch(BooruSource.Iqdb, similarity, danbooru, gelbooru, urls);
    }

    private static string Normalise(string text) => Spaces().Replace(text, " ").Trim();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)\s*%\s*similarity", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Similarity();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();
}
