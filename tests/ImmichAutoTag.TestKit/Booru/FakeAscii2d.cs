using System.Globalization;
using System.Net;
using System.Text;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>
/// An ASCII2D look-alike over an <see cref="IllustrationLibrary"/>: <c>POST /search/file</c> (multipart <c>file</c>)
/// redirects to <c>/search/color/&lt;md5 of the upload&gt;</c>, whose page lists <c>div.item-box</c> rows (the upload
/// first, then candidates with <c>div.hash</c> and source links in <c>div.detail-box</c>), with no score. Operation ids:
/// <c>ascii2d.upload</c>, <c>ascii2d.color</c>.
/// </summary>
public sealed class FakeAscii2d : BooruFakeServer
{
    /// <summary>Creates the fake (in-process until <see cref="BooruFakeServer.ListenAsync"/>).</summary>
    public FakeAscii2d(IllustrationLibrary library)
        : base("ascii2d")
    {
        Library = library;
    }

    /// <summary>The pictures known.</summary>
    public IllustrationLibrary Library { get; }

    /// <inheritdoc/>
    protected override string? OperationOf(BooruFakeRequest request) => request switch
    {
        { Method: "POST", Path: "/search/file" } => "ascii2d.upload",
        { Method: "GET" } when request.Path.StartsWith("/search/color/", StringComparison.Ordinal) => "ascii2d.color",
        _ => null,
    };

    /// <inheritdoc/>
    protected override BooruFakeReply FailureBody(int status, string message) =>
        BooruFakeReply.Html(status, status == 503
            ? "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
            : $"<html><body><h1>{WebUtility.HtmlEncode(message)}</h1></body></html>");

    /// <inheritdoc/>
    protected override BooruFakeReply Answer(string operationId, BooruFakeRequest request)
    {
        if (operationId == "ascii2d.upload")
        {
            var form = FakeForm.Read(request);
            if (!form.Files.TryGetValue("file", out var file) || file.Length == 0)
            {
                return BooruFakeReply.Html(422, "<html><body>ファイルがありません</body></html>");
            }

            return BooruFakeReply.Html(302, "") with { Location = "/search/color/" + FakeForm.Md5(file) };
        }

        var md5 = request.Path["/search/color/".Length..];
        var picture = Library.ByUploadMd5(md5);
        var html = new StringBuilder(2048);
        html.Append("<!DOCTYPE html><html><head><title>二次元画像詳細検索</title></head><body><div class='container'>");
        Row(html, md5, "250x188 JPEG 12.0KB", null);
        if (picture is { OnAscii2d: true, Post: { } post })
        {
            var pixiv = (100_000_000 + picture.Number).ToString(CultureInfo.InvariantCulture);
            Row(html, post.Md5, "2480x3508 PNG 4460.8KB",
                $"<h6><small>pixiv</small></h6><a href=\"https://www.pixiv.net/artworks/{pixiv}\">example</a> <a href=\"https://www.pixiv.net/users/2000001\">{WebUtility.HtmlEncode(string.Join(", ", post.Artists))}</a>");
        }

        html.Append("</div></body></html>");
        return BooruFakeReply.Html(200, html.ToString());
    }

    private static void Row(StringBuilder html, string hash, string info, string? detail)
    {
        html.Append("<div class='row item-box'><div class='col-xs-12 col-sm-12 col-md-4 col-xl-4 text-xs-center image-box'><img loading='lazy' src='/thumbnail/x.jpg'></div>")
            .Append("<div class='col-xs-12 col-sm-12 col-md-8 col-xl-8 info-box'><div class='hash'>").Append(hash).Append("</div><small class='text-muted'>").Append(info).Append("</small>");
        if (detail is not null)
        {
            html.Append("<div class='detail-box gray-link'>").Append(detail).Append("</div>");
        }

        html.Append("</div></div>");
    }
}
