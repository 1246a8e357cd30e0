using System.Globalization;
using System.Text;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>The last runs as a terminal table plus one trend line, for <c>immich-autotag status</c>.</summary>
public static class HistoryTrend
{
    /// <summary>Runs <c>status</c> lists.</summary>
    public const int Runs = 10;

    /// <summary>Renders <paramref name="history"/> as a fixed-width table, one row per run in the order given, each count with its change from the row before; an empty list gives a one-line hint.</summary>
    public static string Render(IReadOnlyList<RunHistoryEntry> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (history.Count == 0)
        {
            return "history: no run recorded yet\n";
        }

        sb.Append(inv, $"history (last {history.Count} run(s), oldest first; change from the run before in brackets):\n");
        sb.Append(inv, $"  {"run",-24} {"started (UTC)",-16} {"unclassified",16} {"conflict",14} {"changes",8} {"seconds",8} {"requests",9}  outcome\n");
        RunHistoryEntry? previous = null;
        foreach (var h in history)
        {
            sb.Append(inv, $"  {h.RunId,-24} {h.StartedAt.ToUniversalTime(),-16:yyyy-MM-dd HH:mm} {WithDelta(h, previous, RunHistoryEntry.Unclassified),16} {WithDelta(h, previous, RunHistoryEntry.Conflict),14} {h.Count(RunHistoryEntry.Changes),8} {h.Duration.TotalSeconds,8:0.#} {h.Count(RunHistoryEntry.Requests),9}  {h.Outcome}{(h.DryRun ? " (dry run)" : string.Empty)}\n");
            previous = h;
        }

        if (history.Count > 1)
        {
            var first = history[0];
            var last = history[^1];
            sb.Append(inv, $"trend over {history.Count} runs: unclassified {Direction(first, last, RunHistoryEntry.Unclassified)}, conflict {Direction(first, last, RunHistoryEntry.Conflict)}\n");
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
