using System.Data.Common;
using System.Globalization;
using ImmichAutoTag.Cli.Output;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.Infrastructure.Reports.Html;
using ImmichAutoTag.Infrastructure.Runtime;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>The result of one run: its exit code and what status.json records about it.</summary>
internal sealed record RunReport(ExitCode Code, RunStatus Status);

/// <summary>
/// One run, exactly as `run` does it; the daemon's scheduled job calls the same method. It holds the
/// state folder's run lock throughout, so two runs never work on one library at once.
/// </summary>
internal static class RunUseCase
{
    public static async Task<RunReport> ExecuteAsync(CliContext context, RunRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var time = TimeProvider.System;
        var pending = new RunStatus
        {
            Pid = Environment.ProcessId,
            Trigger = request.Trigger,
            StartedAt = time.GetUtcNow(),
            Outcome = RunOutcome.Running,
            DryRun = request.DryRun,
        };

        ProcessLock? runLock;
        try
        {
            runLock = ProcessLock.TryAcquire(request.StateFolder, ProcessLock.RunLockFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var message = $"cannot use the state folder {request.StateFolder}: {e.Message} (choose another with --state or {Locations.StateVariable})";
            await context.Err.WriteLineAsync("error: " + message).ConfigureAwait(false);
            return new RunReport(ExitCode.Failure, pending with { Outcome = RunOutcome.Failed, ExitCode = (int)ExitCode.Failure, Message = message, FinishedAt = time.GetUtcNow() });
        }

        if (runLock is null)
        {
            var message = $"another immich-autotag run is in progress (it holds {Path.Combine(request.StateFolder, ProcessLock.RunLockFile)}); nothing was done. Try again when it has finished.";
            await context.Err.WriteLineAsync("error: " + message).ConfigureAwait(false);
            return new RunReport(ExitCode.Busy, pending with { Outcome = RunOutcome.Skipped, ExitCode = (int)ExitCode.Busy, Message = message, FinishedAt = time.GetUtcNow() });
        }

        using (runLock)
        {
            var status = new StatusFile(request.StateFolder);
            var folder = RunFolder.Create(request.OutputRoot, time.GetLocalNow(), Environment.ProcessId);
            pending = pending with { RunId = folder.RunId, OutputFolder = folder.Path };
            status.RunStarted(pending);
            var report = await RunLockedAsync(context, request, folder, pending, time, ct).ConfigureAwait(false);
            status.RunFinished(report.Status);
            return report;
        }
    }

    private static async Task<RunReport> RunLockedAsync(CliContext context, RunRequest request, RunFolder folder, RunStatus pending, TimeProvider time, CancellationToken ct)
    {
        var config = request.Config;
        await File.WriteAllTextAsync(folder.File(RunFolder.ConfigDumpFile), ConfigWriter.ToRedactedYaml(config), CancellationToken.None).ConfigureAwait(false);

        // Disposing the factory at the end flushes and closes the run's log file, whatever happened.
        using var loggerFactory = Logging.Create(context, request.Logs, folder.File(RunFolder.LogFile));
        var logger = loggerFactory.CreateLogger("immich-autotag");
        using var gateway = request.Connect?.Invoke(loggerFactory)
            ?? ImmichGateway.Create(new ImmichConnectionOptions(config.Server.Url, config.Server.ApiKey), loggerFactory);
        var json = Logging.IsJson(context, request.Logs);
        using var progressLines = new LogLineWriter(logger);
        var progress = json ? new ProgressReporter(progressLines, interactive: false, time) : new ProgressReporter(context.Err, context.Interactive, time);

        RunReport Done(ExitCode code, RunOutcome outcome, string? message = null, RunCounters? counters = null) =>
            new(code, pending with { FinishedAt = time.GetUtcNow(), Outcome = outcome, ExitCode = (int)code, Message = message, Counters = counters });

        try
        {
            logger.LogInformation("Run {RunId} (dry run: {DryRun}); output in {Folder}", folder.RunId, request.DryRun, folder.Path);

            // A dry run writes nothing, so it should work with a read-only key too.
            var needed = request.DryRun
                ? ImmichPermissions.ForRun.Where(p => p.Permission is not (ImmichPermissions.TagCreate or ImmichPermissions.TagAsset)).ToList()
                : ImmichPermissions.ForRun;
            if (!request.DryRun && config.DuplicateProcessing.DateCorrection.Enabled)
            {
                // The user asked for date repair explicitly, so a key that cannot do it is an error, not a skip.
                needed = [.. needed, new PermissionNeed(ImmichPermissions.AssetUpdate, "repair asset dates (PUT /assets), as duplicate_processing.date_correction.enabled asks")];
            }

            needed = [.. needed, .. ImmichPermissions.ForAlbumFeatures(config, request.DryRun).Where(n => !needed.Any(m => m.Permission == n.Permission))];
            var preflight = await ServerPreflight.CheckAsync(gateway, needed, ct).ConfigureAwait(false);
            foreach (var warning in preflight.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            logger.LogInformation("Connected to Immich {Version} at {Url:l} as {User}", preflight.Version, gateway.ServerUrl, preflight.User.Email);
            var capabilities = Capabilities(preflight, request, logger);

            var incremental = await CheckForChangesAsync(config, request, gateway, preflight.User.Id, logger, time, ct).ConfigureAwait(false);
            if (incremental is { Verdict.FullPass: false })
            {
                var requests = gateway.Snapshot().Values.Sum();
                var skipped = string.Create(CultureInfo.InvariantCulture, $"Nothing changed since the last successful run: no asset updated, same albums, tags and config. The library walk was skipped ({requests} requests). A full pass runs at least every {config.FullPassIntervalHours} h.");
                logger.LogInformation("{Message}", skipped);
                await context.Out.WriteLineAsync(skipped).ConfigureAwait(false);
                return Done(ExitCode.Success, RunOutcome.Success, "skipped: nothing changed", new RunCounters(0, 0, 0, 0, 0, 0, 0, requests, gateway.WriteRequests));
            }

            var engine = new AutoTagEngine(gateway, time, loggerFactory.CreateLogger<AutoTagEngine>());
            var options = new RunOptions
            {
                DryRun = request.DryRun,
                Progress = progress,
                User = preflight.User,
                IncludeArchived = config.Classification.IncludeArchived,
                IncludeHidden = config.Classification.IncludeHidden,
                DuplicateDetection = capabilities.Duplicates,
                AlbumPropagation = capabilities.AddToAlbums,
                QueuePauseMarker = new FileQueuePauseMarker(request.StateFolder, config.Server.Url, time),
                PendingDateWrites = SqlitePendingDateWriteStore.InFolder(request.StateFolder),
                NonStickingChanges = SqliteNonStickingChangeStore.InFolder(request.StateFolder),
                RetryNonStickingChanges = incremental?.Verdict.Scheduled == true,
                NonStickingRetryAfter = config.FullPassIntervalHours > 0 ? TimeSpan.FromHours(config.FullPassIntervalHours) : new RunOptions().NonStickingRetryAfter,
                SettleDelay = SettleDelay(context) ?? new RunOptions().SettleDelay,
            };
            var result = await engine.RunAsync(config, options, ct).ConfigureAwait(false);
            progress.Complete();

            // Reports are written even when a stop request cut the apply short: they say what was applied.
            await ReportWriter.WriteAllAsync(folder, config, result, gateway.Snapshot(), gateway.WriteRequests, CancellationToken.None).ConfigureAwait(false);
            var canViewAssets = ImmichPermissions.Missing(preflight.ApiKey.Permissions, [new PermissionNeed(ImmichPermissions.AssetView, string.Empty)]).Count == 0;
            await HtmlReportStep.WriteAsync(new HtmlReportRun(folder, request.StateFolder, config, result, gateway, gateway.Snapshot(), gateway.WriteRequests, canViewAssets), logger, CancellationToken.None).ConfigureAwait(false);
            await WriteSummaryAsync(context.Out, folder, result, gateway).ConfigureAwait(false);
            foreach (var error in result.Errors)
            {
                logger.LogWarning("{Kind}: {Message} ({Assets} assets)", error.Kind, error.Message, error.AssetIds.Count);
            }

            var counters = Counters(result, gateway);
            if (result.Cancelled)
            {
                const string Interrupted = "Interrupted: the changes listed in the run's reports were applied; the rest of the plan was not started.";
                logger.LogWarning("{Message}", Interrupted);
                return Done(ExitCode.Cancelled, RunOutcome.Cancelled, Interrupted, counters);
            }

            if (incremental is not null && result.Errors.Count == 0)
            {
                // Only a clean, complete pass may become the reference the next run compares against.
                await incremental.SaveAsync(new IncrementalState(incremental.Verdict.CheckedAt, incremental.Verdict.CheckedAt, incremental.Verdict.Fingerprint), logger).ConfigureAwait(false);
            }

            // Changes recorded as "does not stick" are a known, reported state of the library, not a failure of this
            // run: a scheduled run gets a stable exit code instead of 8 for ever.
            var unexplained = result.StillWrongUnexplained.Count;
            if (result.Errors.Count > 0 || unexplained > 0)
            {
                return Done(ExitCode.PartialFailure, RunOutcome.PartialFailure, $"{result.Errors.Count} error(s), {unexplained} change(s) reverted by Immich; see {RunFolder.ModificationReportFile}", counters);
            }

            return result.DoesNotStick.Count > 0
                ? Done(ExitCode.Success, RunOutcome.Success, $"{result.DoesNotStick.Count} tag change(s) do not stick in Immich (e.g. a read-only external library); listed in {RunFolder.ModificationReportFile} and {RunFolder.LinksFile}", counters)
                : Done(ExitCode.Success, RunOutcome.Success, counters: counters);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            progress.Complete();
            const string Cancelled = "Interrupted before any change was sent; nothing was modified.";
            logger.LogWarning("{Message}", Cancelled);
            if (!json)
            {
                await context.Err.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            }

            return Done(ExitCode.Cancelled, RunOutcome.Cancelled, Cancelled);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Complete();
            var (code, message) = ErrorTranslator.Translate(e);
            if (json)
            {
                logger.LogError(e, "{Message}", message);
            }
            else
            {
                // One readable line on the console; the details go to the run's log file.
                await context.Err.WriteLineAsync($"error: {message}").ConfigureAwait(false);
                logger.LogDebug(e, "Run failed: {Message}", message);
            }
            return Done(code, RunOutcome.Failed, message);
        }
    }

    private sealed record RunCapabilities(bool Duplicates, bool AddToAlbums);

    /// <summary>
    /// Duplicates, album propagation and paused queues are extras: without the permission the run still keeps
    /// the main output tags right, and says what it skipped or how it writes instead. The server's
    /// <c>duplicateDetection</c> feature only says whether new groups are being found; existing groups are used either way.
    /// </summary>
    private static RunCapabilities Capabilities(PreflightReport preflight, RunRequest request, ILogger logger)
    {
        var granted = preflight.ApiKey.Permissions;
        bool Has(string permission) => ImmichPermissions.Missing(granted, [new PermissionNeed(permission, string.Empty)]).Count == 0;
        var canReadDuplicates = Has(ImmichPermissions.DuplicateRead);
        var canAddToAlbums = request.DryRun || Has(ImmichPermissions.AlbumAssetCreate);
        if (!canReadDuplicates)
        {
            logger.LogWarning("The API key lacks 'duplicate.read': duplicate tags, album propagation and date repair from duplicates are skipped");
        }
        else if (!preflight.Features.DuplicateDetection)
        {
            // GET /duplicates still lists the groups found earlier (or made by hand) when machine learning is off.
            logger.LogInformation("The server's duplicate detection is off: the existing duplicate groups are used, no new ones are being found");
        }

        if (!canAddToAlbums && request.Config.DuplicateProcessing.AddToAlbumOfDuplicates)
        {
            logger.LogWarning("The API key lacks 'albumAsset.create': assets are not added to their duplicates' album");
        }

        var recommended = ImmichPermissions.Missing(granted, ImmichPermissions.RecommendedForRun);
        if (!request.DryRun && recommended.Count > 0)
        {
            logger.LogWarning(
                "The API key lacks {Permissions}: tag changes will be written in slower waves instead of with Immich's sidecar queues paused (see README, API key)",
                string.Join(", ", recommended.Select(p => p.Permission)));
        }

        return new RunCapabilities(canReadDuplicates, canAddToAlbums);
    }

    /// <summary>IMMICH_AUTOTAG_SETTLE_SECONDS: the wait between re-checks of pending date writes when the key cannot read the queues.</summary>
    private static TimeSpan? SettleDelay(CliContext context) =>
        double.TryParse(context.Environment("IMMICH_AUTOTAG_SETTLE_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>
    /// Decides whether this run may skip the walk (see <see cref="IncrementalCheck"/>). Dry runs and
    /// full_pass_interval_hours: 0 always walk. A state file that cannot be read only costs a full pass.
    /// </summary>
    private static async Task<IncrementalRun?> CheckForChangesAsync(
        AutoTagConfig config, RunRequest request, IImmichConnection gateway, Guid userId, ILogger logger, TimeProvider time, CancellationToken ct)
    {
        if (request.DryRun || config.FullPassIntervalHours <= 0)
        {
            return null;
        }

        var run = new IncrementalRun(SqliteRunStateStore.InFolder(request.StateFolder), $"{gateway.ServerUrl} {userId}", null!);
        IncrementalState? previous = null;
        try
        {
            previous = await run.Store.LoadAsync(run.Scope, ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            logger.LogWarning("Cannot read the run state ({Error}); doing a full pass", e.Message);
        }

        var verdict = await IncrementalCheck.CheckAsync(gateway, previous, ConfigWriter.ToRedactedYaml(config), TimeSpan.FromHours(config.FullPassIntervalHours), time, ct).ConfigureAwait(false);
        run = run with { Verdict = verdict };
        if (verdict.FullPass)
        {
            logger.LogInformation("Full pass: {Reason}", verdict.Reason);
        }
        else
        {
            // Nothing changed up to now, so the next run may look only at what changes from here on.
            await run.SaveAsync(previous! with { Watermark = verdict.CheckedAt }, logger).ConfigureAwait(false);
        }

        return run;
    }

    private sealed record IncrementalRun(IRunStateStore Store, string Scope, ChangeVerdict Verdict)
    {
        public async Task SaveAsync(IncrementalState state, ILogger logger)
        {
            try
            {
                await Store.SaveAsync(Scope, state, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DbException e)
            {
                logger.LogWarning("Cannot save the run state ({Error}); the next run will be a full pass", e.Message);
            }
        }
    }

    private static RunCounters Counters(RunResult result, IImmichConnection gateway) => new(
        result.Assets.Total,
        result.Assets.Evaluated,
        result.StatusCounts.GetValueOrDefault(ClassificationStatus.Unclassified),
        result.StatusCounts.GetValueOrDefault(ClassificationStatus.Conflict),
        result.AppliedChanges.Count(c => c.Kind == ChangeKind.Added),
        result.AppliedChanges.Count(c => c.Kind == ChangeKind.Removed),
        result.Errors.Count,
        gateway.Snapshot().Values.Sum(),
        gateway.WriteRequests);

    private static async Task WriteSummaryAsync(TextWriter output, RunFolder folder, RunResult result, IRequestMetrics metrics)
    {
        var inv = CultureInfo.InvariantCulture;
        var a = result.Assets;
        var types = string.Join(", ", a.ByType.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToString().ToLowerInvariant()}"));
        await output.WriteLineAsync(string.Create(inv, $"Assets seen: {a.Total} ({a.Owned} owned, {a.PartnerSkipped} from partners){(types.Length > 0 ? ": " + types : string.Empty)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Classified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Classified)}, unclassified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Unclassified)}, conflict: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Conflict)}")).ConfigureAwait(false);
        var plan = result.Plan;
        if (result.DryRun)
        {
            await output.WriteLineAsync(string.Create(inv, $"Dry run: would create {plan.TagsToCreate.Count} tag(s), add {plan.AdditionCount} and remove {plan.RemovalCount} tag link(s); nothing was sent. Plan: {folder.File(RunFolder.PlanFile)}")).ConfigureAwait(false);
            if (plan.AlbumAdditionCount > 0 || plan.DateUpdates.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would also add {plan.AlbumAdditionCount} asset(s) to albums and repair {plan.DateUpdates.Count} date(s).")).ConfigureAwait(false);
            }

            if (plan.AlbumsToCreate.Count > 0 || plan.AlbumRemovalCount > 0 || plan.AlbumDeletions.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would create {plan.AlbumsToCreate.Count} album(s), take {plan.AlbumRemovalCount} asset(s) out of albums and delete {plan.AlbumDeletions.Count} temporary album(s).")).ConfigureAwait(false);
            }

            if (plan.SharingChanges.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would make {plan.SharingChanges.Count} album sharing change(s).")).ConfigureAwait(false);
            }
        }
        else
        {
            var added = result.AppliedChanges.Count(c => c.Kind == ChangeKind.Added);
            var removed = result.AppliedChanges.Count(c => c.Kind == ChangeKind.Removed);
            await output.WriteLineAsync(string.Create(inv, $"Changes: {added} tag link(s) added, {removed} removed, {result.Errors.Count} error(s){(result.Cancelled ? "; interrupted, the rest of the plan was not started" : string.Empty)}.")).ConfigureAwait(false);
            var albums = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AddedToAlbum);
            var dates = result.AppliedChanges.Count(c => c.Kind == ChangeKind.DateUpdated);
            if (albums > 0 || dates > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Also: {albums} asset(s) added to albums, {dates} date(s) repaired.")).ConfigureAwait(false);
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
                await output.WriteLineAsync(string.Create(inv, $"Immich reverted changes: {result.RevertedAndReapplied} re-applied, {result.StillWrong.Count} still wrong (listed in {folder.File(RunFolder.ModificationReportFile)}).")).ConfigureAwait(false);
            }

            if (result.WriteFallbackReason is { } reason)
            {
                await output.WriteLineAsync(string.Create(inv, $"Warning: tags were written in {result.WriteWaves} wave(s) because {reason}.")).ConfigureAwait(false);
            }
        }

        if (result.DoesNotStick.Count > 0)
        {
            var libraries = result.DoesNotStick.Where(r => r.LibraryId is not null).Select(r => r.LibraryId).Distinct().Count();
            await output.WriteLineAsync(string.Create(inv, $"Does not stick: {result.DoesNotStick.Count} tag change(s) on {result.DoesNotStick.Select(r => r.AssetId).Distinct().Count()} asset(s) ({libraries} external librar{(libraries == 1 ? "y" : "ies")}) are reverted by Immich every time; not retried until a full pass or the file changes (listed in {folder.File(RunFolder.LinksFile)}).")).ConfigureAwait(false);
        }

        var requests = metrics.Snapshot();
        await output.WriteLineAsync(string.Create(inv, $"Requests: {requests.Values.Sum()} ({metrics.WriteRequests} writes): {string.Join(", ", requests.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Review links: {folder.File(RunFolder.LinksFile)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Report with thumbnails and progress: {folder.File(HtmlReportStep.FileName)}")).ConfigureAwait(false);
    }
}
