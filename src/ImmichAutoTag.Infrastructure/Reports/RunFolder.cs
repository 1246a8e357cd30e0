using System.Globalization;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>The per-run output folder <c>&lt;output&gt;/&lt;run id&gt;/</c>; run ids sort by start time.</summary>
public sealed partial record RunFolder(string RunId, string Path) : IRunOutput
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

    /// <summary>Whether <paramref name="name"/> has the shape of a run id: <c>yyyyMMdd_HHmmss_PID&lt;n&gt;</c>, maybe with a <c>_&lt;n&gt;</c> suffix.</summary>
    public static bool IsRunId(string? name) => name is not null && RunIdPattern().IsMatch(name);

    /// <summary>Run ids by start time: the time stamp, then the process id and the suffix as numbers.</summary>
    public static IComparer<string> IdOrder { get; } = Comparer<string>.Create((a, b) =>
    {
        static (string Stamp, long Pid, int Suffix) Parts(string id)
        {
            var m = RunIdPattern().Match(id);
            return m.Success
                ? (m.Groups[1].Value, long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 1)
                : (id, 0, 0);
        }

        var (x, y) = (Parts(a), Parts(b));
        var byStamp = string.CompareOrdinal(x.Stamp, y.Stamp);
        return byStamp != 0 ? byStamp : x.Pid != y.Pid ? x.Pid.CompareTo(y.Pid) : x.Suffix.CompareTo(y.Suffix);
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d{8}_\d{6})_PID(\d{1,10})(?:_(\d{1,6}))?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex RunIdPattern();

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
