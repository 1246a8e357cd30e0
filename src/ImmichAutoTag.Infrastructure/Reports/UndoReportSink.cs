using System.Globalization;
using System.Text;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Undo;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>
/// An undo's run folder: <c>plan.txt</c> (every recorded change it reverts, and every one it leaves alone with the
/// reason) and <c>changes.jsonl</c> (the inverse changes the server accepted, in the run's format, so the undo itself can
/// be undone).
/// </summary>
public sealed class UndoReportSink : IUndoReportSink
{
    /// <inheritdoc/>
    public async Task WriteAsync(IRunOutput output, UndoRequest request, UndoResult result, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            await File.WriteAllTextAsync(output.PathOf(RunFiles.Plan), Plan(request, result), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(output.PathOf(RunFiles.Changes), ReportWriter.Changes(result.Applied), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Could not write the undo's reports to {Folder}", output.Location);
        }
    }

    /// <summary>The undo's plan: a header, one "revert" line per reverted change, one "left alone" line per skipped one.</summary>
    public static string Plan(UndoRequest request, UndoResult result)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"# Undo of run {request.RunId}{(request.DryRun ? " (dry run: nothing was changed)" : string.Empty)}\n");
        sb.Append(inv, $"# {request.Changes.Count} recorded change(s): {result.Undo.Reverts.Count} to revert, {result.Undo.Skipped.Count} left alone (moved on since)\n");
        foreach (var revert in result.Undo.Reverts)
        {
            sb.Append(inv, $"revert | {ReportText.Field(UndoService.Describe(revert.Change))} | {ReportText.Field(revert.Action)}\n");
        }

        foreach (var skip in result.Undo.Skipped)
        {
            sb.Append(inv, $"left alone | {ReportText.Field(UndoService.Describe(skip.Change))} | {ReportText.Field(skip.Reason)}\n");
        }

        foreach (var error in result.Errors)
        {
            sb.Append(inv, $"error | {error.Kind} | {ReportText.Field(error.Message)}\n");
        }

        if (!request.DryRun && result.Interrupted)
        {
            // The reverts above are the plan; after a stop, these are the ones the server did not get.
            sb.Append(inv, $"# {UndoService.Interrupted(request, result)}\n");
            foreach (var revert in result.NotDone())
            {
                sb.Append(inv, $"not done | {ReportText.Field(UndoService.Describe(revert.Change))} | {ReportText.Field(revert.Action)}\n");
            }
        }

        return sb.ToString();
    }
}
