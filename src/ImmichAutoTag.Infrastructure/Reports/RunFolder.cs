using System.Globalization;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>The per-run output folder <c>&lt;output&gt;/&lt;run id&gt;/</c>; run ids sort by start time.</summary>
public sealed record RunFolder(string RunId, string Path)
{
    public const string LinksFile = "immich_autotag_links.md";
    public const string ModificationReportFile = "modification_report.txt";
    public const string ChangesFile = "changes.jsonl";
    public const string PlanFile = "plan.txt";
    public const string StatisticsFile = "run_statistics.yaml";
    public const string ConfigDumpFile = "user_config_dump.yaml";
    public const string LogFile = "immich_autotag_full_output.log";

    public static RunFolder Create(string outputRoot, DateTimeOffset localStart, int processId)
    {
        var runId = localStart.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture) + "_PID" + processId.ToString(CultureInfo.InvariantCulture);
        var path = System.IO.Path.Combine(outputRoot, runId);

        // Two runs in the same second of the same process (the daemon's loop) get a suffix instead of sharing a folder.
        var candidate = path;
        for (var n = 2; Directory.Exists(candidate); n++)
        {
            candidate = path + "_" + n.ToString(CultureInfo.InvariantCulture);
        }

        Directory.CreateDirectory(candidate);
        return new RunFolder(System.IO.Path.GetFileName(candidate), candidate);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);
}
