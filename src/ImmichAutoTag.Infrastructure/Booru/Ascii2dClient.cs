using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AngleSharp.Html.Parser;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// ASCII2D's colour search (<c>POST /search/file</c>, multipart <c>file</c>; the service redirects to
/// <c>/search/color/&lt;md5&gt;</c>, which the HttpClient follows). The page gives sources and artists, no score: every
/// match has a null similarity and is only ever offered for review. Off unless configured; paced by
/// <see cref="Ascii2dOptions.MinInterval"/>.
/// </summary>
public sealed class Ascii2dClient : IReverseImageSearch, IDisposable
{
    private readonly IHttpClientFactory _factory;
    private readonly BooruClientOptions _options;
    private readonly ILogger _logger;
    private readonly RequestPacer _pacer;
    private readonly TimeProvider _clock;

    /// <summary>Creates the client over the factory's <c>booru-ascii2d</c> HttpClient.</summary>
    public Ascii2dClient(IHttpClientFactory factory, BooruClientOptions options, TimeProvider clock, ILogger<Ascii2dClient> logger)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _factory = factory;
        _options = options;
        _clock = clock;
        _logger = logger;
        _pacer = new RequestPacer(clock, options.Ascii2d.MinInterval);
    }

    /// <inheritdoc/>
    public BooruSource Source => BooruSource.Ascii2d;

    /// <inheritdoc/>
    public async Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var url = new Uri(_options.Ascii2d.BaseUrl, "search/file");
        await _pacer.WaitAsync(ct);
        using var form = new MultipartFormDataContent();
        var file = new ReadOnlyMemoryContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
        request.Headers.Accept.ParseAdd("text/html");
        var where = "POST " + Core.Configuration.UrlRedaction.Redact(url).AbsoluteUri;
        var client = _factory.CreateClient(BooruHttp.ClientName(BooruService.Ascii2d));
        var (response, body) = await BooruHttp.SendAsync(client, request, BooruSource.Ascii2d, where, ct);
        using (response)
        {
            var html = Encoding.UTF8.GetString(body);
            if (response.StatusCode is HttpStatusCode.Forbidden || (response.StatusCode == HttpStatusCode.ServiceUnavailable && html.Contains("Just a moment", StringComparison.OrdinalIgnoreCase)))
            {
                throw Fail(BooruFailure.Blocked, $"ASCII2D refused {where} ({BooruHttp.Status(response)}): a Cloudflare challenge?");
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var wait = BooruHttp.RetryAfter(response, _clock) ?? _options.Ascii2d.MinInterval * 10;
                _pacer.HoldFor(wait);
                throw Fail(BooruFailure.ShortWindowExhausted, $"ASCII2D rate-limited {where} (HTTP 429).", wait);
            }

            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
            {
                throw Fail(BooruFailure.ImageRefused, $"ASCII2D refused the upload as too large ({where}, HTTP 413).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw Fail(BooruFailure.Unavailable, $"ASCII2D failed {where} ({BooruHttp.Status(response)}).", BooruHttp.RetryAfter(response, _clock));
            }

            var matches = Ascii2dPage.Parse(html);
            _logger.LogDebug("ASCII2D answered {Count} candidates", matches.Count);
            return new ReverseSearchAnswer(matches, null);
        }
    }

    /// <summary>Releases the pacer.</summary>
    public void Dispose() => _pacer.Dispose();

    private BooruException Fail(BooruFailure failure, string message, TimeSpan? retryAfter = null) =>
        new(BooruSource.Ascii2d, failure, BooruHttp.Scrub(message, _options.Secrets, 600), retryAfter);
}

/// <summary>
/// An ASCII2D result page: each candidate is a <c>div.item-box</c> with the indexed image's MD5 (<c>div.hash</c>) and its
/// source and author links in <c>div.detail-box</c>. The first box is the uploaded image itself (no links) and is skipped.
/// </summary>
public static class Ascii2dPage
{
    /// <summary>The candidates in page order, each with its links; similarity is always null.</summary>
    public static IReadOnlyList<ReverseSearchMatch> Parse(string html)
    {
        var parser = new HtmlParser();
        using var document = parser.ParseDocument(html);
        var matches = new List<ReverseSearchMatch>();
        foreach (var box in document.QuerySelectorAll("div.item-box"))
        {
            var urls = new List<Uri>();
            foreach (var link in box.QuerySelectorAll(".detail-box a[href]"))
            {
                if (BooruLinks.Absolute(link.GetAttribute("href")) is { } url && !urls.Contains(url))
                {
                    urls.Add(url);
                }
            }

            if (urls.Count == 0)
            {
                continue;
            }

            matches.Add(new ReverseSearchMatch(
                BooruSource.Ascii2d,
                null,
                urls.Select(BooruLinks.DanbooruPostId).FirstOrDefault(id => id is not null),
                urls.Select(BooruLinks.GelbooruPostId).FirstOrDefault(id => id is not null),
                urls));
        }

        return matches;
    }
}
