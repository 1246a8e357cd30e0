using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Reports.Html;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>One folder per run under the output root.</summary>
public sealed class RunFolders(RunLocations locations) : IRunOutputs
{
    /// <inheritdoc/>
    public IRunOutput Create(DateTimeOffset localStart, int processId)
    {
        try
        {
            return RunFolder.Create(locations.OutputRoot, localStart, processId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateUnavailableException($"cannot use the output folder {locations.OutputRoot}: {e.Message} (choose another with --output or IMMICH_AUTOTAG_OUTPUT)", e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A folder is the tool's when its name is a run id (<c>yyyyMMdd_HHmmss_PID&lt;n&gt;</c>, maybe <c>_&lt;n&gt;</c>) and it
    /// holds the run log or the config dump the tool writes first; run ids sort by start time.
    /// </remarks>
    public RunPruning Prune(IRunOutput current, int keep)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (keep <= 0 || !Directory.Exists(locations.OutputRoot))
        {
            return RunPruning.None;
        }

        var currentPath = Path.GetFullPath(current.Location);
        var runs = Directory.GetDirectories(locations.OutputRoot)
            .Where(d => RunFolder.IsRunId(Path.GetFileName(d)) && !string.Equals(Path.GetFullPath(d), currentPath, StringComparison.Ordinal))
            .Where(d => File.Exists(Path.Combine(d, RunFolder.LogFile)) || File.Exists(Path.Combine(d, RunFolder.ConfigDumpFile)))
            .OrderBy(d => Path.GetFileName(d), RunFolder.IdOrder)
            .ToList();
        var excess = runs.Count - (keep - 1);
        if (excess <= 0)
        {
            return RunPruning.None;
        }

        var deleted = new List<string>();
        var failed = new List<string>();
        foreach (var folder in runs.Take(excess))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                deleted.Add(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed.Add($"{folder}: {e.Message}");
            }
        }

        return new RunPruning(deleted, failed);
    }
}

/// <summary>Writes the text reports into the run folder, then records the run in the history and writes report.html.</summary>
public sealed class FileRunReportSink(RunLocations locations) : IRunReportSink
{
    /// <inheritdoc/>
    public async Task WriteAsync(RunReportInput input, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var folder = input.Output as RunFolder ?? new RunFolder(input.Output.RunId, input.Output.Location);
        await ReportWriter.WriteAllAsync(folder, input.Config, input.Result, input.Requests, input.WriteRequests, ct).ConfigureAwait(false);
        await HtmlReportStep.WriteAsync(
            new HtmlReportRun(folder, locations.StateFolder, input.Config, input.Result, input.Gateway, input.Requests, input.WriteRequests, input.CanViewAssets),
            logger,
            ct).ConfigureAwait(false);
    }
}
