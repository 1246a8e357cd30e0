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
