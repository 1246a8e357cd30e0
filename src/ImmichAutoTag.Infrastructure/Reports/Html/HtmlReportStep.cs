using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>What the run hands the report step.</summary>
/// <param name="Folder">The run folder report.html goes into.</param>
/// <param name="StateFolder">Holds state.db, where the run history is kept.</param>
/// <param name="Requests">Requests per operationId the run sent (before thumbnails).</param>
/// <param name="WriteRequests">Of those, the writes.</param>
/// <param name="CanViewAssets">Whether the API key has asset.view (thumbnails); without it the grids show names and links.</param>
public sealed record HtmlReportRun(
    RunFolder Folder,
    string StateFolder,
    AutoTagConfig Config,
    RunResult Result,
    IImmichGateway Gateway,
    IReadOnlyDictionary<string, long> Requests,
    long WriteRequests,
    bool CanViewAssets);

/// <summary>
/// After the text reports: records the run in the history (state.db), then writes report.html. Neither may fail
/// the run: a state file that cannot be written costs the chart a point, a failed report a warning.
/// </summary>
public static class HtmlReportStep
{
    public const string FileName = RunFiles.HtmlReport;

    /// <summary>Runs the chart shows.</summary>
    public const int ChartRuns = 30;

    public static async Task WriteAsync(HtmlReportRun run, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(logger);
        var clock = Stopwatch.StartNew();
        var server = WithoutUserInfo(run.Config.Server.Url);
        var entry = Entry(run.Folder.RunId, server, run.Result, run.Requests, run.WriteRequests) with { Scope = StateScope.Of(run.Result.User.Id) };
        IReadOnlyList<RunHistoryEntry> history = [entry];
        var store = SqliteRunHistoryStore.InFolder(run.StateFolder);
        try
        {
            await store.AppendAsync(entry, ct).ConfigureAwait(false);
            history = await store.RecentAsync(ChartRuns, entry.Scope, ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            logger.LogWarning("Cannot keep the run history in {Folder} ({Error}); the report's chart shows this run only", run.StateFolder, e.Message);
        }

        try
        {
            var queues = ReviewQueues.From(run.Config, run.Result);
            var shown = queues.SelectMany(q => q.Items.Take(HtmlReport.GridSize)).Select(i => i.AssetId).Distinct().ToList();
            IReadOnlyDictionary<Guid, string> thumbnails = new Dictionary<Guid, string>();
            string? note = null;
            var fetched = 0;
            if (!run.CanViewAssets)
            {
                note = "No thumbnails: the API key lacks the asset.view permission. Each asset is listed by name with a link.";
            }
            else if (shown.Count > 0)
            {
                var outcome = await Thumbnails.FetchAsync(run.Gateway, shown, SqliteThumbnailCache.InFolder(run.StateFolder), DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
                thumbnails = outcome.Uris;
                fetched = outcome.Fetched;
                if (outcome.Failed > 0)
                {
                    note = string.Create(CultureInfo.InvariantCulture, $"{outcome.Failed} of {shown.Count} thumbnails could not be fetched; those assets are listed by name.");
                }
            }

            var html = HtmlReport.Render(new HtmlReportModel(run.Folder.RunId, server, run.Result, history, queues, thumbnails, note));
            var path = run.Folder.File(FileName);
            await File.WriteAllTextAsync(path, html, ct).ConfigureAwait(false);
            logger.LogInformation(
                "report.html: {Bytes} bytes, {Thumbnails} thumbnails ({Fetched} fetched, the rest cached), {Runs} runs in the chart, {Milliseconds} ms",
                new FileInfo(path).Length,
                thumbnails.Count,
                fetched,
                history.Count,
                clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot write {File}: {Error}", FileName, e.Message);
        }
    }

    /// <summary>The run's figures for the history; a dry run's changes are the planned ones.</summary>
    public static RunHistoryEntry Entry(string runId, Uri server, RunResult result, IReadOnlyDictionary<string, long> requests, long writeRequests)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(requests);
        var plan = result.Plan;
        long changes = result.DryRun
            ? plan.TagsToCreate.Count + plan.AdditionCount + plan.RemovalCount + plan.AlbumAdditionCount + plan.AlbumsToCreate.Count
              + plan.AlbumRemovalCount + plan.AlbumDeletions.Count + plan.SharingChanges.Count + plan.DateUpdates.Count
            : result.AppliedChanges.Count;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["assets_seen"] = result.Assets.Total,
            ["evaluated"] = result.Assets.Evaluated,
            [RunHistoryEntry.Unclassified] = result.StatusCounts.GetValueOrDefault(ClassificationStatus.Unclassified),
            [RunHistoryEntry.Conflict] = result.StatusCounts.GetValueOrDefault(ClassificationStatus.Conflict),
            [RunHistoryEntry.Changes] = changes,
            ["errors"] = result.Errors.Count,
            ["still_wrong"] = result.StillWrong.Count,
            ["does_not_stick"] = result.DoesNotStick.Count,
            [RunHistoryEntry.Requests] = requests.Values.Sum(),
            ["write_requests"] = writeRequests,
        };
        foreach (var (tag, count) in result.OutputTagCounts)
        {
            counts[RunHistoryEntry.OutputTagPrefix + tag] = count;
        }

        // A run the server stopped (unreachable, key revoked) exits with its own code and is "failed" in status.json;
        // the history row says the same.
        var outcome = result.ServerLost is not null ? "failed" : result.Cancelled ? "cancelled" : result.Errors.Count > 0 || result.StillWrongUnexplained.Count > 0 ? "partial_failure" : "success";
        return new RunHistoryEntry(runId, server, result.StartedAt, result.FinishedAt, result.DryRun, outcome, counts);
    }

    /// <summary>A URL written with user:password@ must not carry them into a file.</summary>
    public static Uri WithoutUserInfo(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Core.Configuration.UrlRedaction.Redact(server);
    }
}
