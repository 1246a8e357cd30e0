using System.Globalization;
using System.Net;
using System.Text;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>Everything report.html shows about one run.</summary>
/// <param name="RunId">The run folder's name.</param>
/// <param name="Server">The Immich server every link points at.</param>
/// <param name="Result">The run's results (plan, applied changes, counts).</param>
/// <param name="History">Runs on this server so far, oldest first, this one last.</param>
/// <param name="Queues">The grids, in order.</param>
/// <param name="Thumbnails">Asset id → <c>data:</c> URI of its thumbnail; assets without one show their name only.</param>
/// <param name="ThumbnailNote">Why some or all thumbnails are missing, or null.</param>
internal sealed record HtmlReportModel(
    string RunId,
    Uri Server,
    RunResult Result,
    IReadOnlyList<RunHistoryEntry> History,
    IReadOnlyList<ReviewQueue> Queues,
    IReadOnlyDictionary<Guid, string> Thumbnails,
    string? ThumbnailNote);

/// <summary>
/// Renders report.html: one self-contained page (inline CSS and SVG, thumbnails as data: URIs, no script) that
/// opens from a file share. Its Content-Security-Policy forbids every fetch, so a browser makes no request
/// until the user follows a link; every link points at the Immich server. Series and states are told apart by
/// shape, dash and text as well as by colour, and the layout reflows down to a phone's width.
/// </summary>
internal static class HtmlReport
{
    /// <summary>Assets shown per grid; the rest are one click away in Immich (the tag) or in the text reports.</summary>
    public const int GridSize = 24;

    /// <summary>The page's Content-Security-Policy: nothing may be fetched; images only from data: URIs, styles only inline.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Style = """
        :root { color-scheme: light dark; --fg: CanvasText; --bg: Canvas; --muted: GrayText; }
        * { box-sizing: border-box; }
        body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 72rem; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
        h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid; } h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
        a { color: LinkText; } a:focus-visible { outline: 3px solid; outline-offset: 2px; }
        .meta, .note { color: var(--muted); margin: .25rem 0; }
        .scroll { overflow-x: auto; max-width: 100%; }
        table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid var(--muted); padding: .2rem .5rem; text-align: left; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: .5rem 0; } figcaption { font-size: .9rem; }
        svg.chart { width: 100%; max-width: 48rem; height: auto; display: block; }
        svg.chart text { font: 12px system-ui, sans-serif; fill: currentColor; }
        .legend { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; margin: .25rem 0; }
        .legend svg { vertical-align: middle; }
        ul.grid { list-style: none; padding: 0; margin: .5rem 0; display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); }
        ul.grid li { border: 1px solid var(--muted); border-radius: 4px; padding: .4rem; overflow-wrap: anywhere; font-size: .85rem; }
        ul.grid img, ul.grid .nothumb { display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: cover; margin-bottom: .3rem; }
        ul.grid .nothumb { border: 1px dashed var(--muted); display: grid; place-items: center; color: var(--muted); }
        ul.grid .name { font-weight: 600; display: block; }
        """;

    public static string Render(HtmlReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var r = model.Result;
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">\n");
        sb.Append("<meta name=\"referrer\" content=\"no-referrer\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append(Inv, $"<title>immich-autotag run {E(model.RunId)}</title>\n<style>{Style}</style>\n</head>\n<body>\n");
        sb.Append(Inv, $"<header><h1>immich-autotag run {E(model.RunId)}</h1>\n");
        sb.Append(Inv, $"<p class=\"meta\">Server <a href=\"{A(Url(model.Server, string.Empty))}\">{E(model.Server.AbsoluteUri)}</a> · user {E(r.User.Name)} · {r.StartedAt.ToUniversalTime():yyyy-MM-dd HH:mm} UTC · {r.Duration.TotalSeconds:0.#} s{(r.DryRun ? " · <strong>dry run: nothing was sent; the lists show the library as it is</strong>" : string.Empty)}</p>\n");
        sb.Append(Inv, $"<p>{r.Assets.Evaluated} assets judged: {r.StatusCounts.GetValueOrDefault(Core.Classification.ClassificationStatus.Classified)} classified, <strong>{r.StatusCounts.GetValueOrDefault(Core.Classification.ClassificationStatus.Unclassified)} unclassified</strong>, <strong>{r.StatusCounts.GetValueOrDefault(Core.Classification.ClassificationStatus.Conflict)} in conflict</strong>; {r.Errors.Count} error(s).</p>\n");
        sb.Append("<nav aria-label=\"Sections\"><ul>\n<li><a href=\"#progress\">Progress over runs</a></li>\n");
        for (var i = 0; i < model.Queues.Count; i++)
        {
            sb.Append(Inv, $"<li><a href=\"#q{i}\">{E(model.Queues[i].Title)}</a> ({model.Queues[i].Items.Count})</li>\n");
        }

        sb.Append("<li><a href=\"#changes\">Changes by kind</a></li>\n</ul></nav></header>\n<main>\n");
        Progress(sb, model.History);
        sb.Append("<h2 id=\"review\">What waits for review</h2>\n");
        if (model.ThumbnailNote is { } note)
        {
            sb.Append(Inv, $"<p class=\"note\">{E(note)}</p>\n");
        }

        for (var i = 0; i < model.Queues.Count; i++)
        {
            Grid(sb, i, model.Queues[i], model);
        }

        Changes(sb, r);
        sb.Append(CultureInfo.InvariantCulture, $"</main>\n<footer><p class=\"meta\">The same run's text reports sit beside this file: {Core.Application.RunFiles.Links}, {Core.Application.RunFiles.Plan}, {Core.Application.RunFiles.ModificationReport}, {Core.Application.RunFiles.Statistics}.</p></footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Progress(StringBuilder sb, IReadOnlyList<RunHistoryEntry> history)
    {
        sb.Append("<h2 id=\"progress\">Progress over runs</h2>\n");
        if (history.Count == 0)
        {
            sb.Append("<p>No run history yet.</p>\n");
            return;
        }

        sb.Append(Inv, $"<figure>\n<figcaption id=\"chart-title\">Unclassified and conflicting assets over the last {history.Count} run(s), oldest on the left.</figcaption>\n");
        Chart(sb, history);
        sb.Append("<ul class=\"legend\">");
        sb.Append("<li><svg width=\"36\" height=\"12\" aria-hidden=\"true\"><line x1=\"0\" y1=\"6\" x2=\"36\" y2=\"6\" stroke=\"#1f5fbf\" stroke-width=\"3\"/><circle cx=\"18\" cy=\"6\" r=\"4\" fill=\"#1f5fbf\"/></svg> Unclassified (solid line, round dots)</li>");
        sb.Append("<li><svg width=\"36\" height=\"12\" aria-hidden=\"true\"><line x1=\"0\" y1=\"6\" x2=\"36\" y2=\"6\" stroke=\"#b3261e\" stroke-width=\"3\" stroke-dasharray=\"6 4\"/><rect x=\"14\" y=\"2\" width=\"8\" height=\"8\" fill=\"#b3261e\"/></svg> Conflict (dashed line, square dots)</li>");
        sb.Append("</ul>\n</figure>\n");
        sb.Append("<details><summary>The numbers</summary><div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Started (UTC)</th><th scope=\"col\" class=\"n\">Unclassified</th><th scope=\"col\" class=\"n\">Conflict</th><th scope=\"col\" class=\"n\">Changes</th><th scope=\"col\" class=\"n\">Seconds</th><th scope=\"col\" class=\"n\">Requests</th></tr></thead>\n<tbody>\n");
        foreach (var h in history)
        {
            sb.Append(Inv, $"<tr><td>{E(h.RunId)}{(h.DryRun ? " (dry run)" : string.Empty)}</td><td>{h.StartedAt.ToUniversalTime():yyyy-MM-dd HH:mm}</td><td class=\"n\">{h.Count(RunHistoryEntry.Unclassified)}</td><td class=\"n\">{h.Count(RunHistoryEntry.Conflict)}</td><td class=\"n\">{h.Count(RunHistoryEntry.Changes)}</td><td class=\"n\">{h.Duration.TotalSeconds:0.#}</td><td class=\"n\">{h.Count(RunHistoryEntry.Requests)}</td></tr>\n");
        }

        sb.Append("</tbody></table></div></details>\n");
    }

    /// <summary>A line chart in user units: 640 × 200, plot area inset for the axis labels.</summary>
    private static void Chart(StringBuilder sb, IReadOnlyList<RunHistoryEntry> history)
    {
        const double Width = 640, Height = 200, Left = 56, Right = 16, Top = 12, Bottom = 40;
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var max = Math.Max(1, history.Max(h => Math.Max(h.Count(RunHistoryEntry.Unclassified), h.Count(RunHistoryEntry.Conflict))));
        var step = NiceStep(max / 4.0);
        var top = Math.Ceiling(max / step) * step;
        double X(int i) => history.Count == 1 ? Left + (plotW / 2) : Left + (plotW * i / (history.Count - 1));
        double Y(long v) => Top + plotH - (plotH * v / top);

        sb.Append(Inv, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        for (var v = 0.0; v <= top + (step / 2); v += step)
        {
            var y = Y((long)v);
            sb.Append(Inv, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"currentColor\" stroke-opacity=\"0.25\"/><text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{v:0}</text>\n");
        }

        // Label at most about eight runs so the labels never overlap.
        var every = Math.Max(1, (int)Math.Ceiling(history.Count / 8.0));
        for (var i = 0; i < history.Count; i++)
        {
            if (i % every == 0 || i == history.Count - 1)
            {
                sb.Append(Inv, $"<text x=\"{X(i):0.#}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{history[i].StartedAt.ToUniversalTime():MM-dd HH:mm}</text>\n");
            }
        }

        sb.Append(Inv, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 4}\" text-anchor=\"middle\">run start (UTC)</text>\n");
        Series(sb, history, RunHistoryEntry.Unclassified, "#1f5fbf", dash: null, square: false, X, Y);
        Series(sb, history, RunHistoryEntry.Conflict, "#b3261e", dash: "6 4", square: true, X, Y);
        sb.Append("</svg>\n");
    }

    private static void Series(StringBuilder sb, IReadOnlyList<RunHistoryEntry> history, string name, string colour, string? dash, bool square, Func<int, double> x, Func<long, double> y)
    {
        var points = string.Join(' ', history.Select((h, i) => string.Create(Inv, $"{x(i):0.#},{y(h.Count(name)):0.#}")));
        sb.Append(Inv, $"<g class=\"series\" data-series=\"{name}\"><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\"{(dash is null ? string.Empty : $" stroke-dasharray=\"{dash}\"")} points=\"{points}\"/>\n");
        for (var i = 0; i < history.Count; i++)
        {
            var (px, py) = (x(i), y(history[i].Count(name)));
            var label = string.Create(Inv, $"{name}: {history[i].Count(name)} ({history[i].StartedAt.ToUniversalTime():yyyy-MM-dd HH:mm})");
            sb.Append(square
                ? string.Create(Inv, $"<rect x=\"{px - 5:0.#}\" y=\"{py - 5:0.#}\" width=\"10\" height=\"10\" fill=\"{colour}\"><title>{E(label)}</title></rect>\n")
                : string.Create(Inv, $"<circle cx=\"{px:0.#}\" cy=\"{py:0.#}\" r=\"5\" fill=\"{colour}\"><title>{E(label)}</title></circle>\n"));
        }

        sb.Append("</g>\n");
    }

    private static double NiceStep(double raw)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(raw, 1))));
        var f = raw / magnitude;
        return magnitude * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
    }

    private static void Grid(StringBuilder sb, int index, ReviewQueue queue, HtmlReportModel model)
    {
        sb.Append(Inv, $"<section aria-labelledby=\"q{index}\"><h3 id=\"q{index}\">{E(queue.Title)}: {queue.Items.Count} asset(s)</h3>\n<p>{E(queue.Description)}");
        if (queue.TagPath is { } tag)
        {
            sb.Append(Inv, $" All of them in Immich: <a href=\"{A(ReportWriter.TagUrl(model.Server, tag))}\">tag {E(tag)}</a>.");
        }

        sb.Append("</p>\n");
        if (queue.Items.Count == 0)
        {
            sb.Append("<p>None.</p>\n</section>\n");
            return;
        }

        sb.Append("<ul class=\"grid\">\n");
        foreach (var item in queue.Items.Take(GridSize))
        {
            var link = A(Url(model.Server, $"photos/{item.AssetId:D}"));
            sb.Append(Inv, $"<li><a href=\"{link}\">");
            sb.Append(model.Thumbnails.TryGetValue(item.AssetId, out var uri)
                ? $"<img src=\"{A(uri)}\" alt=\"\" width=\"160\" height=\"120\">"
                : "<span class=\"nothumb\" aria-hidden=\"true\">no thumbnail</span>");
            sb.Append(Inv, $"<span class=\"name\">{E(item.FileName)}</span></a>{E(item.Reason)}</li>\n");
        }

        sb.Append("</ul>\n");
        if (queue.Items.Count > GridSize)
        {
            sb.Append(Inv, $"<p>… and {queue.Items.Count - GridSize} more{(queue.TagPath is null ? " (listed in the text reports)" : " (open the tag above)")}.</p>\n");
        }

        sb.Append("</section>\n");
    }

    private static void Changes(StringBuilder sb, RunResult r)
    {
        var plan = r.Plan;
        sb.Append("<h2 id=\"changes\">Changes by kind</h2>\n");
        if (r.DryRun)
        {
            sb.Append("<p>Dry run: these were planned, none was sent.</p>\n");
        }

        int Applied(params ChangeKind[] kinds) => r.AppliedChanges.Count(c => kinds.Contains(c.Kind));
        var rows = new (string Kind, int Planned, int? Applied)[]
        {
            ("Tags created", plan.TagsToCreate.Count, null),
            ("Tag added to an asset", plan.AdditionCount, Applied(ChangeKind.Added)),
            ("Tag removed from an asset", plan.RemovalCount, Applied(ChangeKind.Removed)),
            ("Asset added to an album", plan.AlbumAdditionCount + plan.AlbumsToCreate.Sum(c => c.AssetIds.Count), Applied(ChangeKind.AddedToAlbum)),
            ("Album created", plan.AlbumsToCreate.Count, Applied(ChangeKind.AlbumCreated)),
            ("Asset taken out of an album", plan.AlbumRemovalCount, Applied(ChangeKind.RemovedFromAlbum)),
            ("Temporary album deleted", plan.AlbumDeletions.Count, Applied(ChangeKind.AlbumDeleted)),
            ("Album sharing change", plan.SharingChanges.Count, Applied(ChangeKind.AlbumShared, ChangeKind.AlbumRoleChanged, ChangeKind.AlbumUnshared)),
            ("Asset date repaired", plan.DateUpdates.Count, Applied(ChangeKind.DateUpdated)),
            ("Favourite set or cleared", plan.Changes.Groups.FlagUpdates.Count(f => f.Kind == ChangeKind.FavoriteChanged), Applied(ChangeKind.FavoriteChanged)),
            ("Archived or back to the timeline", plan.Changes.Groups.FlagUpdates.Count(f => f.Kind == ChangeKind.ArchiveChanged), Applied(ChangeKind.ArchiveChanged)),
        };
        sb.Append("<div class=\"scroll\"><table id=\"changes-table\">\n<thead><tr><th scope=\"col\">Kind</th><th scope=\"col\" class=\"n\">Planned</th><th scope=\"col\" class=\"n\">Applied</th></tr></thead>\n<tbody>\n");
        foreach (var (kind, planned, applied) in rows)
        {
            sb.Append(Inv, $"<tr><th scope=\"row\">{kind}</th><td class=\"n\">{planned}</td><td class=\"n\">{(r.DryRun ? "–" : applied?.ToString(Inv) ?? "–")}</td></tr>\n");
        }

        sb.Append("</tbody></table></div>\n");
        if (!r.DryRun && r.StillWrong.Count > 0)
        {
            // Immich may take an accepted change back afterwards (a read-only library's sidecar, its own jobs); the
            // console's "still wrong" figure counts those, so say why Applied can be higher than what stayed.
            sb.Append(Inv, $"<p class=\"note\">Applied counts what Immich accepted; {r.StillWrong.Count} of those changes were found taken back when the run checked what Immich kept.</p>\n");
        }

        if (r.Errors.Count > 0 || r.StillWrongUnexplained.Count > 0)
        {
            sb.Append(Inv, $"<p><strong>{r.Errors.Count} error(s), {r.StillWrongUnexplained.Count} change(s) reverted by Immich</strong>: see modification_report.txt beside this file.</p>\n");
        }

        if (r.DoesNotStick.Count > 0)
        {
            sb.Append(Inv, $"<p><strong>{r.DoesNotStick.Count} tag change(s) do not stick</strong> (Immich reverts them every time, e.g. a read-only external library): see the “Does not stick” grid and links.md.</p>\n");
        }
    }

    private static string Url(Uri server, string relative) => ReportWriter.WebUrl(server, relative);

    /// <summary>Text content.</summary>
    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Attribute value (always double-quoted by the caller).</summary>
    private static string A(string text) => WebUtility.HtmlEncode(text);
}
