using System.Globalization;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Cli.Output;

/// <summary>What a run shows on the console: Serilog logging (text or JSON lines), the progress bar and the closing summary.</summary>
internal sealed class CliRunPresenter(CliContext context, LogSettings logs, TimeProvider time) : IRunPresenter
{
    public async Task RefusedAsync(string message)
    {
        var (lines, writer) = Logging.PlainLines(context, logs);
        using (writer)
        {
            await lines.Err.WriteLineAsync("error: " + message).ConfigureAwait(false);
        }
    }

    public IRunSession Open(IRunOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return new CliRunSession(context, logs, time, output);
    }
}

/// <summary>One run's log (console and the run's log file), progress and closing lines.</summary>
internal sealed class CliRunSession : IRunSession
{
    private readonly CliContext _context;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly LogLineWriter _progressLines;
    private readonly ProgressReporter _progress;
    private readonly bool _json;

    /// <summary>Standard output: the summary and notices; JSON objects in JSON console mode, like the log.</summary>
    private readonly TextWriter _out;

    public CliRunSession(CliContext context, LogSettings logs, TimeProvider time, IRunOutput output)
    {
        _context = context;
        _loggerFactory = Logging.Create(context, logs, output.LogFile);
        _logger = _loggerFactory.CreateLogger("immich-autotag");
        _json = Logging.IsJson(context, logs);
        _progressLines = new LogLineWriter(_logger);
        _out = _json ? new JsonLineWriter(context.Out) : context.Out;
        _progress = _json ? new ProgressReporter(_progressLines, interactive: false, time) : new ProgressReporter(context.Err, context.Interactive, time);
    }

    public ILoggerFactory LoggerFactory => _loggerFactory;

    public IProgress<EngineProgress> Progress => _progress;

    public void ProgressDone() => _progress.Complete();

    public Task NoticeAsync(string line) => _out.WriteLineAsync(line);

    public Task SummaryAsync(RunResult result, IRequestMetrics metrics, IRunOutput output) => RunSummary.WriteAsync(_out, output, result, metrics);

    public async Task CancelledAsync()
    {
        if (!_json)
        {
            await _context.Err.WriteLineAsync("Cancelled.").ConfigureAwait(false);
        }
    }

    public async Task FailedAsync(string message, Exception exception)
    {
        if (_json)
        {
            _logger.LogError(exception, "{Message}", message);
        }
        else
        {
            // One readable line on the console; the details go to the run's log file.
            await _context.Err.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            _logger.LogDebug(exception, "Run failed: {Message}", message);
        }
    }

    public void Dispose()
    {
        _progressLines.Dispose();
        if (_json)
        {
            _out.Dispose();
        }

        _loggerFactory.Dispose();
    }
}

/// <summary>The closing lines of a run on standard output.</summary>
internal static class RunSummary
{
    public static async Task WriteAsync(TextWriter output, IRunOutput folder, RunResult result, IRequestMetrics metrics)
    {
        var inv = CultureInfo.InvariantCulture;
        var a = result.Assets;
        var types = string.Join(", ", a.ByType.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToString().ToLowerInvariant()}"));
        await output.WriteLineAsync(string.Create(inv, $"Assets seen: {a.Total} ({a.Owned} owned, {a.PartnerSkipped} from partners){(types.Length > 0 ? ": " + types : string.Empty)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Classified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Classified)}, unclassified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Unclassified)}, conflict: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Conflict)}")).ConfigureAwait(false);
        var plan = result.Plan;
        if (result.DryRun)
        {
            await output.WriteLineAsync(string.Create(inv, $"Dry run: would create {plan.TagsToCreate.Count} tag(s), add {plan.AdditionCount} and remove {plan.RemovalCount} tag link(s); nothing was sent. Plan: {folder.PathOf(RunFiles.Plan)}")).ConfigureAwait(false);
            // Members of albums the run creates join too, so they count as additions to albums.
            var albumAdditions = plan.AlbumAdditionCount + plan.AlbumsToCreate.Sum(c => c.AssetIds.Count);
            if (albumAdditions > 0 || plan.DateUpdates.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would also add {albumAdditions} asset(s) to albums and repair {plan.DateUpdates.Count} date(s).")).ConfigureAwait(false);
            }

            var flags = plan.Changes.Groups.FlagUpdates;
            if (flags.Count > 0)
            {
                // Archiving hides a photo from the timeline: a user checking a dry run must see it on the console.
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would favourite {flags.Count(f => f.Kind == ChangeKind.FavoriteChanged && f.Value)} and unfavourite {flags.Count(f => f.Kind == ChangeKind.FavoriteChanged && !f.Value)} asset(s), archive {flags.Count(f => f.Kind == ChangeKind.ArchiveChanged && f.Value)} and bring {flags.Count(f => f.Kind == ChangeKind.ArchiveChanged && !f.Value)} back to the timeline.")).ConfigureAwait(false);
            }

            if (plan.AlbumsToCreate.Count > 0 || plan.AlbumRemovalCount > 0 || plan.AlbumDeletions.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would create {plan.AlbumsToCreate.Count} album(s), take {plan.AlbumRemovalCount} asset(s) out of albums and delete {plan.AlbumDeletions.Count} temporary album(s).")).ConfigureAwait(false);
            }

            if (plan.SharingChanges.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would make {plan.SharingChanges.Count} album sharing change(s).")).ConfigureAwait(false);
            }

            if (result.Facts.Get<Core.Enrichment.Booru.BooruTags>()?.Stats is { } booru)
            {
                // The look-ups are reads, but they go to outside services: say which kind of dry run this was.
                await output.WriteLineAsync(booru.DryRunWithoutLookups
                    ? string.Create(inv, $"Dry run: booru sent nothing to its services (booru.dry_run_lookups is off); {booru.CacheHits.Values.Sum()} cached answer(s) used, {booru.Pending} asset(s) left for a real run to look up.")
                    : string.Create(inv, $"Dry run: booru sent {booru.LookedUp.Values.Sum()} look-up(s) to its services (booru.dry_run_lookups is on); their answers are cached and reused by the real run.")).ConfigureAwait(false);
            }

            if (result.StaleQueuePauses.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Warning: an earlier run paused the Immich queues {string.Join(", ", result.StaleQueuePauses)} and did not resume them. A dry run leaves them paused; the next real run resumes them.")).ConfigureAwait(false);
            }
        }
        else
        {
            // Only what Immich kept: a reverted change is counted on the "Immich reverted changes" line instead.
            var added = result.KeptTagLinks(ChangeKind.Added);
            var removed = result.KeptTagLinks(ChangeKind.Removed);
            await output.WriteLineAsync(string.Create(inv, $"Changes: {added} tag link(s) added, {removed} removed, {result.Errors.Count} error(s){(result.Cancelled ? "; interrupted, the rest of the plan was not started" : string.Empty)}.")).ConfigureAwait(false);
            var albums = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AddedToAlbum);
            var dates = result.AppliedChanges.Count(c => c.Kind == ChangeKind.DateUpdated);
            if (albums > 0 || dates > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Also: {albums} asset(s) added to albums, {dates} date(s) repaired.")).ConfigureAwait(false);
            }

            var favourites = result.AppliedChanges.Where(c => c.Kind == ChangeKind.FavoriteChanged).ToList();
            var archive = result.AppliedChanges.Where(c => c.Kind == ChangeKind.ArchiveChanged).ToList();
            if (favourites.Count > 0 || archive.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Assets: {favourites.Count(c => c.NewValue == "true")} favourited, {favourites.Count(c => c.NewValue != "true")} unfavourited, {archive.Count(c => c.NewValue == "archive")} archived, {archive.Count(c => c.NewValue != "archive")} back to the timeline.")).ConfigureAwait(false);
            }

            var created = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumCreated);
            var takenOut = result.AppliedChanges.Count(c => c.Kind == ChangeKind.RemovedFromAlbum);
            var deleted = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumDeleted);
            if (created > 0 || takenOut > 0 || deleted > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Albums: {created} created, {takenOut} asset(s) taken out of albums, {deleted} temporary album(s) deleted.")).ConfigureAwait(false);
            }

            var shared = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumShared);
            var reRoled = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumRoleChanged);
            var unshared = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumUnshared);
            if (shared > 0 || reRoled > 0 || unshared > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Sharing: {shared} user(s) added to albums, {reRoled} role(s) changed, {unshared} user(s) removed.")).ConfigureAwait(false);
            }

            if (result.RevertedAndReapplied > 0 || result.StillWrong.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Immich reverted changes: {result.RevertedAndReapplied} re-applied, {result.StillWrong.Count} still wrong (listed in {folder.PathOf(RunFiles.ModificationReport)}).")).ConfigureAwait(false);
            }

            if (result.WriteFallbackReason is { } reason)
            {
                await output.WriteLineAsync(string.Create(inv, $"Warning: tags were written in {result.WriteWaves} wave(s) because {reason}.")).ConfigureAwait(false);
            }
        }

        foreach (var (source, why) in result.Facts.Get<Core.Enrichment.Booru.BooruTags>()?.Stats.KeyRefused ?? new Dictionary<Core.Enrichment.Booru.BooruSource, string>())
        {
            await output.WriteLineAsync(string.Create(inv, $"Warning: booru: {Core.Enrichment.Booru.BooruAssetResult.SourceName(source)} refused the key from the environment; it was not used this run. {why}")).ConfigureAwait(false);
        }

        if (result.DoesNotStick.Count > 0)
        {
            var libraries = result.DoesNotStick.Where(r => r.LibraryId is not null).Select(r => r.LibraryId).Distinct().Count();
            await output.WriteLineAsync(string.Create(inv, $"Does not stick: {result.DoesNotStick.Count} tag change(s) on {result.DoesNotStick.Select(r => r.AssetId).Distinct().Count()} asset(s) ({libraries} external librar{(libraries == 1 ? "y" : "ies")}) are reverted by Immich every time; not retried until a full pass or the file changes (listed in {folder.PathOf(RunFiles.Links)}).")).ConfigureAwait(false);
        }

        if (result.Sidecars.Writes.Count > 0)
        {
            var sidecars = result.Sidecars.Writes;
            await output.WriteLineAsync(result.DryRun
                ? string.Create(inv, $"XMP sidecars: {sidecars.Count} asset(s) of mapped libraries would get their tag changes through their sidecar (dry run: nothing written).")
                : string.Create(inv, $"XMP sidecars: {sidecars.Count(w => w.Written)} of {sidecars.Count} asset(s) written, {sidecars.Count(w => w.Arrived)} show the tags after Immich re-read them ({result.Sidecars.Arrived.Count} change(s) no longer \"does not stick\").")).ConfigureAwait(false);
            if (result.DryRun)
            {
                foreach (var w in sidecars.Where(w => w.SidecarFile is not null).Take(SidecarLines))
                {
                    await output.WriteLineAsync($"  would write {w.SidecarFile}: {string.Join(", ", w.Added.Select(t => "+" + t).Concat(w.Removed.Select(t => "-" + t)))}").ConfigureAwait(false);
                }

                if (sidecars.Count > SidecarLines)
                {
                    await output.WriteLineAsync(string.Create(inv, $"  … and {sidecars.Count - SidecarLines} more (every one is in {folder.PathOf(RunFiles.Links)})")).ConfigureAwait(false);
                }
            }
        }

        if (result.Corrections.NewCorrections.Count > 0 || result.Corrections.Skipped.Count > 0)
        {
            await output.WriteLineAsync(string.Create(inv, $"Your corrections: {result.Corrections.NewCorrections.Count} tag(s), album membership(s), favourite flag(s) or archive move(s) the tool had made and you undid since the last run; {result.Corrections.Skipped.Count} planned change(s) left out (acceptance figures in {folder.PathOf(RunFiles.Links)}).")).ConfigureAwait(false);
        }

        // The run's own requests, as run_statistics.yaml and status.json count them; report.html's thumbnails on top.
        var all = metrics.Snapshot();
        var requests = result.RunRequests ?? all;
        var report = all.Values.Sum() - requests.Values.Sum();
        await output.WriteLineAsync(string.Create(inv, $"Requests: {requests.Values.Sum()} ({metrics.WriteRequests} writes): {string.Join(", ", requests.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}{(report > 0 ? $"; then {report} for report.html's thumbnails" : string.Empty)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Review links: {folder.PathOf(RunFiles.Links)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Report with thumbnails and progress: {folder.PathOf(RunFiles.HtmlReport)}")).ConfigureAwait(false);
    }

    /// <summary>How many sidecar paths a dry run prints; the links report lists every one.</summary>
    private const int SidecarLines = 10;
}
