using System.Globalization;
using System.Text;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Corrections;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>
/// The report sections of the sidecar route and the correction memory: the links report's "Written to XMP sidecars"
/// and "Acceptance" sections, and run_statistics.yaml's <c>sidecars:</c> and <c>acceptance:</c> blocks.
/// </summary>
internal static class LearningReports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Links report: each sidecar written (or, in a dry run, to write) with its asset link, then the acceptance table.</summary>
    public static void AppendLinks(StringBuilder sb, Uri server, RunResult result, Func<Uri, string, string> webUrl)
    {
        var writes = result.Sidecars.Writes;
        if (writes.Count > 0)
        {
            var arrived = writes.Count(w => w.Arrived);
            sb.Append(Inv, $"## Written to XMP sidecars ({writes.Count} assets{(result.DryRun ? ", dry run: nothing written" : $", {arrived} arrived in Immich")})\n\n");
            sb.Append("Immich does not keep tag changes on these assets (a read-only library); the tool wrote them into the assets' sidecars through the configured path mapping, and Immich re-read them.\n\n");
            foreach (var w in writes)
            {
                var what = string.Join(", ", w.Added.Select(t => "+" + t).Concat(w.Removed.Select(t => "-" + t)));
                var state = result.DryRun ? "would be written" : w.Arrived ? "arrived" : $"not arrived: {w.Error}";
                sb.Append(Inv, $"- [{w.FileName}]({webUrl(server, $"photos/{w.AssetId}")}): {what} ({state}{(w.SidecarFile is { } file ? $"; {file}" : string.Empty)})\n");
            }

            sb.Append('\n');
        }

        var figures = result.Corrections.Figures;
        if (figures.Count == 0)
        {
            return;
        }

        sb.Append("## Acceptance of the tool's additions\n\n");
        sb.Append("What the tool added (or set: a workflow's favourite flag or archive move) and you kept (still there at a later run), versus what you removed or put back again (never made on that asset again); this run's own changes count from the next run on. Per feature step, then per label.\n\n");
        sb.Append("| step | label | kept | removed | acceptance |\n| --- | --- | ---: | ---: | ---: |\n");
        foreach (var f in figures)
        {
            var raised = f.Label is { } l && result.Corrections.RaisedClipLabels.TryGetValue(l, out var p) ? string.Create(Inv, $" (threshold raised to {p}%)") : string.Empty;
            sb.Append(Inv, $"| {f.Step} | {(f.Label is null ? "**all**" : f.Label)}{raised} | {f.Kept} | {f.Removed} | {Percent(f)} |\n");
        }

        sb.Append('\n');
        if (result.Corrections.NewCorrections.Count > 0)
        {
            sb.Append(Inv, $"Removed (or put back) since the last run: {result.Corrections.NewCorrections.Count}.");
        }

        if (result.Corrections.Skipped.Count > 0)
        {
            sb.Append(Inv, $" Left out of this run's plan: {result.Corrections.Skipped.Count}.");
        }

        sb.Append("\n\n");
    }

    /// <summary>run_statistics.yaml: the sidecar route's counts and the acceptance figures per step and per label.</summary>
    public static void AppendStatistics(StringBuilder sb, RunResult result, Func<string, string> quote)
    {
        var s = result.Sidecars;
        sb.Append("sidecars:\n");
        sb.Append(Inv, $"  assets_written: {s.Writes.Count(w => w.Written)}\n");
        sb.Append(Inv, $"  assets_planned: {s.Writes.Count}\n");
        sb.Append(Inv, $"  changes_arrived: {s.Arrived.Count}\n");
        sb.Append(Inv, $"  changes_unmapped: {s.Unmapped.Count}\n");
        sb.Append(Inv, $"  errors: {s.Errors.Count}\n");
        var c = result.Corrections;
        sb.Append("corrections:\n");
        sb.Append(Inv, $"  found_this_run: {c.NewCorrections.Count}\n");
        sb.Append(Inv, $"  additions_left_out: {c.Skipped.Count}\n");
        sb.Append("  raised_clip_thresholds:");
        sb.Append(c.RaisedClipLabels.Count == 0 ? " {}\n" : "\n");
        foreach (var (label, percent) in c.RaisedClipLabels.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(Inv, $"    {quote(label)}: {percent}\n");
        }

        sb.Append("acceptance:");
        sb.Append(c.Figures.Count == 0 ? " {}\n" : "\n");
        foreach (var step in c.Figures.GroupBy(f => f.Step))
        {
            var total = step.First(f => f.Label is null);
            sb.Append(Inv, $"  {quote(step.Key)}:\n");
            sb.Append(Inv, $"    kept: {total.Kept}\n");
            sb.Append(Inv, $"    removed: {total.Removed}\n");
            sb.Append(Inv, $"    acceptance_percent: {Number(total)}\n");
            sb.Append("    labels:\n");
            foreach (var f in step.Where(f => f.Label is not null))
            {
                sb.Append(Inv, $"      {quote(f.Label!)}: {{kept: {f.Kept}, removed: {f.Removed}, acceptance_percent: {Number(f)}}}\n"); // non-null: filtered
            }
        }
    }

    private static string Percent(AcceptanceFigure f) => f.AcceptancePercent is { } p ? p.ToString("0.#", Inv) + " %" : "–";

    private static string Number(AcceptanceFigure f) => f.AcceptancePercent is { } p ? p.ToString("0.#", Inv) : "null";
}
