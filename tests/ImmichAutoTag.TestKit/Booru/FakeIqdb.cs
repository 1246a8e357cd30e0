using System.Globalization;
using System.Net;
using System.Text;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>How the fake IQDB behaves.</summary>
public sealed record FakeIqdbOptions
{
    /// <summary>The clock on which the gaps between searches are measured (<see cref="FakeIqdb.SmallestGap"/>).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Larger uploads get IQDB's "too large" page (about 8 MB on the real site).</summary>
    public int MaxUploadBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>From this similarity on, the post's table is a "Best match"; below it the page says "No relevant matches" and lists it as a "Possible match".</summary>
    public int RelevantFrom { get; init; } = 80;
}

/// <summary>
/// An IQDB look-alike over an <see cref="IllustrationLibrary"/>: <c>POST /</c> multipart <c>file</c>, answered with
/// IQDB's HTML structure (<c>#pages</c> tables: "Your image", "Best match", "Additional match"; "No relevant matches"
/// with "Possible match" tables under <c>#more1</c>; protocol-relative links; "NN% similarity"), by the upload's MD5.
/// Error pages for <see cref="IqdbFixture.NotAnImage"/> and oversized uploads. Operation id: <c>iqdb.search</c>.
/// </summary>
public sealed class FakeIqdb : BooruFakeServer
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _last;
    private TimeSpan? _smallestGap;

    /// <summary>Creates the fake (in-process until <see cref="BooruFakeServer.ListenAsync"/>).</summary>
    public FakeIqdb(IllustrationLibrary library, FakeIqdbOptions? options = null)
        : base("iqdb")
    {
        Library = library;
        Options = options ?? new FakeIqdbOptions();
    }

    /// <summary>The pictures known.</summary>
    public IllustrationLibrary Library { get; }

    /// <summary>The behaviour.</summary>
    public FakeIqdbOptions Options { get; }

    /// <summary>The smallest time between two searches seen so far, on <see cref="FakeIqdbOptions.Clock"/>; null before the second.</summary>
    public TimeSpan? SmallestGap
    {
        get
        {
            lock (_gate)
            {
                return _smallestGap;
            }
        }
    }

    /// <inheritdoc/>
    protected override string? OperationOf(BooruFakeRequest request) => request is { Method: "POST", Path: "/" } ? "iqdb.search" : null;

    /// <inheritdoc/>
    protected override string? Summary(BooruFakeRequest request) =>
        FakeForm.Read(request).Files.TryGetValue("file", out var file) ? "file md5=" + FakeForm.Md5(file) : null;

    /// <inheritdoc/>
    protected override BooruFakeReply FailureBody(int status, string message) =>
        BooruFakeReply.Html(status, $"<html><head><title>{status}</title></head><body><h1>{WebUtility.HtmlEncode(message)}</h1></body></html>");

    /// <inheritdoc/>
    protected override BooruFakeReply Answer(string operationId, BooruFakeRequest request)
    {
        var now = Options.Clock.GetUtcNow();
        lock (_gate)
        {
            if (_last is { } last && (_smallestGap is null || now - last < _smallestGap))
            {
                _smallestGap = now - last;
            }

            _last = now;
        }

        var form = FakeForm.Read(request);
        if (!form.Files.TryGetValue("file", out var file) || file.Length == 0)
        {
            return BooruFakeReply.Html(200, ErrorPage("No file or URL given."));
        }

        if (file.Length > Options.MaxUploadBytes)
        {
            return BooruFakeReply.Html(200, ErrorPage("File is too large: maximum file size is 8192 KB."));
        }

        var picture = Library.ByUploadMd5(FakeForm.Md5(file));
        if (picture?.IqdbFixture == IqdbFixture.NotAnImage)
        {
            return BooruFakeReply.Html(200, ErrorPage("Not an image or image format not supported (server says: wrong format)."));
        }

        return BooruFakeReply.Html(200, ResultPage(picture, Options.RelevantFrom));
    }

    private static string ErrorPage(string error) =>
        "<!DOCTYPE html><html><head><title>Multi-service image search - Error</title></head><body>"
        + "<form action='/' method='post' enctype='multipart/form-data'><input type='file' name='file'></form>"
        + $"<div class='err'>{WebUtility.HtmlEncode(error)}</div></body></html>";

    /// <summary>A result page for <paramref name="picture"/> (null: a picture IQDB does not know).</summary>
    public static string ResultPage(Illustration? picture, int relevantFrom = 80)
    {
        var number = picture?.Number ?? 0;
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html><html><head><title>Multi-service image search - Search results</title></head><body>");
        html.Append("<div id='pages' class='pages'>");
        html.Append("<div><table><tr><th>Your image</th></tr><tr><td class='image'><img src='/thu/thu_fake")
            .Append(number.ToString(CultureInfo.InvariantCulture)).Append(".jpg' alt=''></td></tr><tr><td>250×188 JPEG, 12 KB</td></tr></table></div>");
        var possible = new List<string>();
        if (picture is { IqdbSimilarity: { } similarity, Post: { } post } && similarity >= relevantFrom)
        {
            html.Append(DanbooruTable("Best match", post, similarity));
            html.Append(OtherTable("Additional match", "konachan.com/post/show/" + (400_000 + number).ToString(CultureInfo.InvariantCulture), "Konachan", Math.Max(1, similarity - 18)));
        }
        else
        {
            html.Append("<div><table><tr><th>No relevant matches</th></tr></table></div>");
            if (picture is { IqdbSimilarity: { } low, Post: { } lowPost })
            {
                possible.Add(DanbooruTable("Possible match", lowPost, low));
            }
        }

        html.Append("</div>");
        possible.Add(OtherTable("Possible match", "yande.re/post/show/" + (800_000 + number).ToString(CultureInfo.InvariantCulture), "yande.re", 52 + (number % 9)));
        html.Append("<div id='more1'><div class='pages'>");
        foreach (var table in possible)
        {
            html.Append(table);
        }

        html.Append("</div></div><p>Searched 18,000,000 images in 0.5 seconds.</p></body></html>");
        return html.ToString();
    }

    private static string DanbooruTable(string heading, FakeBooruPost post, int similarity)
    {
        var id = post.Id.ToString(CultureInfo.InvariantCulture);
        var tags = string.Join(' ', post.General.Concat(post.Characters).Concat(post.Copyrights).Concat(post.Artists));
        return "<div><table>"
            + $"<tr><th>{heading}</th></tr>"
            + $"<tr><td class='image'><a href=\"//danbooru.donmai.us/posts/{id}\"><img src='/danbooru/{post.Md5[..1]}/{post.Md5[1..2]}/{post.Md5}.jpg' alt=\"Rating: {post.Rating} Score: 120 Tags: {WebUtility.HtmlEncode(tags)}\" title=\"Rating: {post.Rating} Score: 120 Tags: {WebUtility.HtmlEncode(tags)}\" width='150' height='150'></a></td></tr>"
            + $"<tr><td><img class=\"service-icon\" src=\"/icon/danbooru.ico\">Danbooru <span class=\"el\"><a href=\"//gelbooru.com/index.php?page=post&amp;s=list&amp;md5={post.Md5}\">Gelbooru</a></span></td></tr>"
            + "<tr><td>2480×3508 [Safe]</td></tr>"
            + $"<tr><td>{similarity.ToString(CultureInfo.InvariantCulture)}% similarity</td></tr>"
            + "</table></div>";
    }

    private static string OtherTable(string heading, string link, string service, int similarity) =>
        "<div><table>"
        + $"<tr><th>{heading}</th></tr>"
        + $"<tr><td class='image'><a href=\"//{link}\"><img src='/{service.ToLowerInvariant()}/x.jpg' alt=\"Rating: s Score: 10 Tags: scenery\"></a></td></tr>"
        + $"<tr><td><img class=\"service-icon\" src=\"/icon/{service.ToLowerInvariant()}.ico\">{service}</td></tr>"
        + "<tr><td>1920×1080 [Safe]</td></tr>"
        + $"<tr><td>{similarity.ToString(CultureInfo.InvariantCulture)}% similarity</td></tr>"
        + "</table></div>";
}
