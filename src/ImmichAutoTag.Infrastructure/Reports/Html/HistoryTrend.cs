using System.Globalization;
using System.Text;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>The last runs as a terminal table plus one trend line, for <c>immich-autotag status</c>.</summary>
public static class HistoryTrend
{
    /// <summary>Runs <c>status</c> lists.</summary>
    public const int Runs = 10;

    /// <summary>
    /// Renders <paramref name="history"/> as a fixed-width table, one row per run in the order given, each count with its
    /// change from the run before; an empty list gives a one-line hint. <paramref name="died"/> (runs whose process died,
    /// from status.json: they left no figures) are put in by their start time as <c>failed</c> rows without figures; the
    /// table keeps the last <see cref="Runs"/> rows, and the changes and the trend are taken over the recorded runs only.
    /// </summary>
    public static string Render(IReadOnlyList<RunHistoryEntry> history, IReadOnlyList<RunStatus>? died = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var oldest = history.Count > 0 ? history[0].StartedAt : DateTimeOffset.MinValue;
        var rows = history.Select(h => (h.StartedAt, Entry: (RunHistoryEntry?)h, Died: (RunStatus?)null))
            .Concat((died ?? []).Where(d => history.Count < Runs || d.StartedAt >= oldest).Select(d => (d.StartedAt, Entry: (RunHistoryEntry?)null, Died: (RunStatus?)d)))
            .OrderBy(r => r.StartedAt)
            .TakeLast(Math.Max(Runs, history.Count))
            .ToList();
        if (rows.Count == 0)
        {
            return "history: no run recorded yet\n";
        }

        sb.Append(inv, $"history (last {rows.Count} run(s), oldest first; change from the run before in brackets):\n");
        sb.Append(inv, $"  {"run",-24} {"started (UTC)",-16} {"unclassified",16} {"conflict",14} {"changes",8} {"seconds",8} {"requests",9}  outcome\n");
        RunHistoryEntry? previous = null;
        foreach (var (_, h, d) in rows)
        {
            if (h is null)
            {
                // No figures: the process died before its reports were written.
                var run = d!; // non-null: a row is an entry or a dead run
                sb.Append(inv, $"  {run.RunId ?? "-",-24} {run.StartedAt.ToUniversalTime(),-16:yyyy-MM-dd HH:mm} {"-",16} {"-",14} {"-",8} {"-",8} {"-",9}  failed (ended without a result: process {run.Pid} killed or crashed){(run.DryRun ? " (dry run)" : string.Empty)}\n");
                continue;
            }

            sb.Append(inv, $"  {h.RunId,-24} {h.StartedAt.ToUniversalTime(),-16:yyyy-MM-dd HH:mm} {WithDelta(h, previous, RunHistoryEntry.Unclassified),16} {WithDelta(h, previous, RunHistoryEntry.Conflict),14} {h.Count(RunHistoryEntry.Changes),8} {h.Duration.TotalSeconds,8:0.#} {h.Count(RunHistoryEntry.Requests),9}  {h.Outcome}{(h.DryRun ? " (dry run)" : string.Empty)}\n");
            previous = h;
        }

        var recorded = rows.Where(r => r.Entry is not null).Select(r => r.Entry!).ToList(); // non-null: filtered
        if (recorded.Count > 1)
        {
            var first = recorded[0];
            var last = recorded[^1];
            sb.Append(inv, $"trend over {recorded.Count} runs: unclassified {Direction(first, last, RunHistoryEntry.Unclassified)}, conflict {Direction(first, last, RunHistoryEntry.Conflict)}\n");
        }

        return sb.ToString();
    }

    private static string WithDelta(RunHistoryEntry h, RunHistoryEntry? previous, string name)
    {
        var value = h.Count(name);
        if (previous is null)
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        var delta = value - previous.Count(name);
        return string.Create(CultureInfo.InvariantCulture, $"{value} ({(delta > 0 ? "+" : delta == 0 ? "±" : string.Empty)}{delta})");
    }

    private static string Direction(RunHistoryEntry first, RunHistoryEntry last, string name)
    {
        var (a, b) = (first.Count(name), last.Count(name));
        var word = b < a ? "down" : b > a ? "up" : "unchanged";
        return string.Create(CultureInfo.InvariantCulture, $"{word}, {a} -> {b}");
    }
}
