using System.Globalization;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>The per-run output folder <c>&lt;output&gt;/&lt;run id&gt;/</c>; run ids sort by start time.</summary>
public sealed record RunFolder(string RunId, string Path) : IRunOutput
{
    public const string LinksFile = RunFiles.Links;
    public const string ModificationReportFile = RunFiles.ModificationReport;
    public const string ChangesFile = RunFiles.Changes;
    public const string PlanFile = RunFiles.Plan;
    public const string StatisticsFile = RunFiles.Statistics;
    public const string ConfigDumpFile = RunFiles.ConfigDump;
    public const string LogFile = RunFiles.Log;

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

    /// <inheritdoc/>
    public string Location => Path;

    /// <inheritdoc/>
    string IRunOutput.LogFile => File(LogFile);

    /// <inheritdoc/>
    public string PathOf(string fileName) => File(fileName);

    /// <inheritdoc/>
    public Task WriteConfigDumpAsync(string redactedYaml, CancellationToken ct) => System.IO.File.WriteAllTextAsync(File(ConfigDumpFile), redactedYaml, ct);
}
