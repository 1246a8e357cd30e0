using System.Globalization;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Application;

/// <summary>What to run: the config, whether it is a dry run, and who asked.</summary>
/// <param name="Config">The validated config.</param>
/// <param name="DryRun">Plan only. The composition root must then have registered the read-only gateway.</param>
/// <param name="Trigger">Who started the run ("run", "daemon" or "demo"), for status.json.</param>
/// <param name="SettleDelay">The wait between re-checks of pending date writes when the key cannot read the queues; null: the engine's default.</param>
public sealed record RunRequest(AutoTagConfig Config, bool DryRun, string Trigger = "run", TimeSpan? SettleDelay = null);

/// <summary>The result of one run: its exit code and what status.json records about it.</summary>
public sealed record RunReport(RunExitCode Code, RunStatus Status);

/// <summary>
/// One run, the same for `run`, each firing of the daemon and `demo`: take the state folder's run lock, check the
/// server and the key, skip the walk when nothing changed, run the engine, write the reports and the status. It holds
/// the run lock throughout, so two runs never work on one library at once. Everything outside (files, SQLite, HTTP,
/// console) comes in through ports.
/// </summary>
public sealed class AutoTagRunService(
    IImmichConnectionFactory connections,
    IRunLock runLock,
    IRunStatusSink status,
    IRunOutputs outputs,
    IRunReportSink reports,
    IRunPresenter presenter,
    IQueuePauseMarkerFactory markers,
    IRunStateStore runState,
    IPendingDateWriteStore pendingDateWrites,
    INonStickingChangeStore nonStickingChanges,
    IConfigRedactor redactor,
    TimeProvider time,
    Enrichment.Clip.ClipServices? clip = null,
    ISidecarWriter? sidecarWriter = null,
    ICorrectionStore? corrections = null,
    Enrichment.Booru.BooruServices? booru = null,
    IRootTagLinkStore? rootTagLinks = null,
    ISidecarEntryStore? sidecarEntries = null)
{
    /// <summary>Runs once. Never throws for a run that failed: the report says how it ended.</summary>
    public async Task<RunReport> ExecuteAsync(RunRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = new RunStatus
        {
            Pid = Environment.ProcessId,
            Trigger = request.Trigger,
            StartedAt = time.GetUtcNow(),
            Outcome = RunOutcome.Running,
            DryRun = request.DryRun,
        };

        using var entry = await Opening.EnterAsync("nothing was done").ConfigureAwait(false);
        if (entry.Refusal is { } refused)
        {
            var outcome = refused.Code == RunExitCode.Busy ? RunOutcome.Skipped : RunOutcome.Failed;
            var finished = pending with { Outcome = outcome, ExitCode = (int)refused.Code, Message = refused.Message, FinishedAt = time.GetUtcNow() };
            if (refused.LockHeld)
            {
                status.RunFinished(finished);
            }

            return new RunReport(refused.Code, finished);
        }

        var output = entry.Output!; // non-null: not refused
        pending = pending with { RunId = output.RunId, OutputFolder = output.Location };
        status.RunStarted(pending);
        var report = await RunLockedAsync(request, output, pending, ct).ConfigureAwait(false);
        status.RunFinished(report.Status);
        return report;
    }

    /// <summary>The lock, output folder, log and connection, shared with <see cref="UndoService"/>.</summary>
    private RunOpening Opening => new(runLock, outputs, presenter, connections, redactor, time);

    private async Task<RunReport> RunLockedAsync(RunRequest request, IRunOutput output, RunStatus pending, CancellationToken ct)
    {
        var config = request.Config;

        // Disposing the connection at the end flushes and closes the run's log file, whatever happened.
        using var connection = await Opening.ConnectAsync(output, config, request.DryRun, "run").ConfigureAwait(false);
        var (session, gateway) = (connection.Session, connection.Gateway);
        var loggerFactory = session.LoggerFactory;
        var logger = loggerFactory.CreateLogger("immich-autotag");

        RunReport Done(RunExitCode code, RunOutcome outcome, string? message = null, RunCounters? counters = null) =>
            new(code, pending with { FinishedAt = time.GetUtcNow(), Outcome = outcome, ExitCode = (int)code, Message = message, Counters = counters });

        try
        {
            logger.LogInformation(
                "Run {RunId} (dry run: {DryRun}); config {Config}; output in {Folder}",
                output.RunId,
                request.DryRun,
                config.SourcePath ?? "none",
                output.Location);

            Prune(output, config.KeepRuns, logger);

            // Before any request: a damaged state.db would otherwise fail the run half-way, after its first reads.
            await runState.CheckReadableAsync(ct).ConfigureAwait(false);
            var preflight = await ServerPreflight.CheckAsync(gateway, NeededPermissions(config, request.DryRun), ct, request.DryRun ? NeededPermissions(config, dryRun: false) : null).ConfigureAwait(false);
            foreach (var warning in preflight.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            logger.LogInformation("Connected to Immich {Version} at {Url:l} as {User}", preflight.Version, gateway.ServerUrl, preflight.User.Email);

            // Known only once the user's recorded sidecar entries are read; still before any change.
            var cleanupNeeds = await SidecarCleanupNeedsAsync(config, preflight.User.Id, ct).ConfigureAwait(false);
            if (!request.DryRun && ImmichPermissions.Missing(preflight.ApiKey.Permissions, cleanupNeeds) is { Count: > 0 } cleanupLacks)
            {
                throw new MissingPermissionsException(cleanupLacks, []);
            }

            if (request.DryRun && ImmichPermissions.Missing(preflight.ApiKey.Permissions, [.. NeededPermissions(config, dryRun: false), .. cleanupNeeds]) is { Count: > 0 } realRunLacks)
            {
                // A dry run is how a new setup is checked: name now what the real run would stop on (exit 6).
                logger.LogWarning(
                    "A dry run only reads, but the real run needs more: the API key lacks {Missing}. Edit the key in Immich (Account Settings > API Keys) before the real run.",
                    string.Join("; ", realRunLacks.Select(m => $"'{m.Permission}' to {m.Purpose}")));
            }

            var capabilities = Capabilities(preflight, request, logger);

            var incremental = await CheckForChangesAsync(config, request, gateway, preflight.User.Id, logger, ct).ConfigureAwait(false);
            if (incremental is { Verdict.FullPass: false } && await BooruQueuedAsync(config, StateScope.Of(preflight.User.Id), ct).ConfigureAwait(false) is { } queued)
            {
                // The library did not change, but the booru queue still holds look-ups a new day's budget can pay for.
                logger.LogInformation("Full pass: {Count} assets wait in the booru queue", queued);
                incremental = incremental with { Verdict = incremental.Verdict with { FullPass = true, Reason = $"{queued} assets wait in the booru queue" } };
            }

            if (incremental is { Verdict.FullPass: false })
            {
                var requests = gateway.Snapshot().Values.Sum();
                var skipped = string.Create(CultureInfo.InvariantCulture, $"Nothing changed since the last successful run: no asset updated, same albums, tags and config. The library walk was skipped ({requests} requests). A full pass runs at least every {config.FullPassIntervalHours} h.");
                logger.LogInformation("{Message}", skipped);
                await session.NoticeAsync(skipped).ConfigureAwait(false);
                return Done(RunExitCode.Success, RunOutcome.Success, "skipped: nothing changed", new RunCounters(0, 0, 0, 0, 0, 0, 0, requests, gateway.WriteRequests));
            }

            // A dry run sends no write, so it does not resume queues an interrupted run left paused: it reports them
            // and hands the engine no marker; the next real run resumes them.
            var marker = markers.For(StateScope.Of(preflight.User.Id), config.Server.Url);
            IReadOnlyList<string> stale = request.DryRun ? await StaleQueuePausesAsync(marker, logger, ct).ConfigureAwait(false) : [];

            var engine = new AutoTagEngine(gateway, time, loggerFactory.CreateLogger<AutoTagEngine>());
            var options = new RunOptions
            {
                DryRun = request.DryRun,
                Progress = session.Progress,
                User = preflight.User,
                IncludeArchived = config.Classification.IncludeArchived,
                IncludeHidden = config.Classification.IncludeHidden,
                DuplicateDetection = capabilities.Duplicates,
                AlbumPropagation = capabilities.AddToAlbums,
                TemporaryAlbumCleanup = capabilities.TemporaryAlbumCleanup,
                QueuePauseMarker = request.DryRun ? null : marker,
                PendingDateWrites = pendingDateWrites,
                NonStickingChanges = nonStickingChanges,
                RootTagLinks = rootTagLinks,
                RetryNonStickingChanges = incremental?.Verdict.Scheduled == true,
                NonStickingRetryAfter = config.FullPassIntervalHours > 0 ? TimeSpan.FromHours(config.FullPassIntervalHours) : new RunOptions().NonStickingRetryAfter,
                SettleDelay = request.SettleDelay ?? new RunOptions().SettleDelay,
                Clip = config.Clip.Enabled ? clip : null,
                // With sidecars off, the writer still takes the tool's own entries out through the mappings left.
                SidecarWriter = config.Sidecars.PathMappings.Count > 0 ? sidecarWriter : null,
                SidecarEntries = sidecarEntries,
                Corrections = corrections,
                Booru = config.Booru.Enabled ? booru : null,
            };
            var result = await engine.RunAsync(config, options, ct).ConfigureAwait(false);
            result = result with { StaleQueuePauses = stale };
            session.ProgressDone();

            // Reports are written even when a stop request cut the apply short: they say what was applied.
            var canViewAssets = ImmichPermissions.Missing(preflight.ApiKey.Permissions, [new PermissionNeed(ImmichPermissions.AssetView, string.Empty)]).Count == 0;
            var runRequests = gateway.Snapshot();
            result = result with { RunRequests = runRequests };
            await reports.WriteAsync(new RunReportInput(output, config, result, gateway, runRequests, gateway.WriteRequests, canViewAssets), logger, CancellationToken.None).ConfigureAwait(false);
            await session.SummaryAsync(result, gateway, output).ConfigureAwait(false);
            foreach (var error in result.Errors)
            {
                logger.LogWarning("{What}: {Message} ({Assets} assets)", error.Kind.Describe(), error.Message, error.AssetIds.Count);
            }

            var counters = Counters(result, gateway);
            if (result.ServerLost is { } lost)
            {
                var (code, reason) = ErrorTranslator.Translate(lost);
                var stopped = $"{reason} The run stopped: the changes listed in the run's reports were applied, the rest of the plan was not started; the next run picks it up.";
                await session.FailedAsync(stopped, lost).ConfigureAwait(false);
                return Done(code, RunOutcome.Failed, stopped, counters);
            }

            if (result.Cancelled)
            {
                const string Interrupted = "Interrupted: the changes listed in the run's reports were applied; the rest of the plan was not started.";
                logger.LogWarning("{Message}", Interrupted);
                return Done(RunExitCode.Cancelled, RunOutcome.Cancelled, Interrupted, counters);
            }

            if (incremental is not null && result.Errors.Count == 0)
            {
                // Only a clean, complete pass may become the reference the next run compares against.
                await incremental.SaveAsync(new IncrementalState(incremental.Verdict.CheckedAt, incremental.Verdict.CheckedAt, incremental.Verdict.Fingerprint), logger).ConfigureAwait(false);
            }

            // Changes recorded as "does not stick" are a known, reported state of the library, not a failure of this
            // run: a scheduled run gets a stable exit code instead of 8 for ever.
            var unexplained = result.StillWrongUnexplained.Count;
            var refused = result.Errors.Where(e => e.Kind == EngineErrorKind.ServiceKeyRefused).Select(e => e.Message).ToList();
            if (refused.Count > 0)
            {
                // Retrying does not help: the key in the environment must change. Health checks must see it.
                var attention = string.Join(" ", refused);
                var report = Done(RunExitCode.PartialFailure, RunOutcome.PartialFailure, $"{attention} {result.Errors.Count} error(s), {unexplained} change(s) reverted by Immich; see {RunFiles.ModificationReport}", counters);
                return report with { Status = report.Status with { NeedsAttention = attention } };
            }

            if (result.Errors.Count > 0 || unexplained > 0)
            {
                return Done(RunExitCode.PartialFailure, RunOutcome.PartialFailure, $"{result.Errors.Count} error(s), {unexplained} change(s) reverted by Immich; see {RunFiles.ModificationReport}", counters);
            }

            return result.DoesNotStick.Count > 0
                ? Done(RunExitCode.Success, RunOutcome.Success, $"{result.DoesNotStick.Count} tag change(s) do not stick in Immich (e.g. a read-only external library); listed in {RunFiles.ModificationReport} and {RunFiles.Links}", counters)
                : Done(RunExitCode.Success, RunOutcome.Success, counters: counters);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            session.ProgressDone();
            const string Cancelled = "Interrupted before any change was sent; nothing was modified.";
            logger.LogWarning("{Message}", Cancelled);
            await session.CancelledAsync().ConfigureAwait(false);
            return Done(RunExitCode.Cancelled, RunOutcome.Cancelled, Cancelled);
        }
        catch (Exception e)
        {
            // Also a cancellation that did not come from the caller (a timeout inside a call): it ends the run with
            // its error line and a recorded outcome instead of escaping as a crash.
            session.ProgressDone();
            var (code, message) = ErrorTranslator.Translate(e);
            await session.FailedAsync(message, e).ConfigureAwait(false);
            return Done(code, RunOutcome.Failed, message);
        }
    }

    /// <summary>Deletes the oldest run folders beyond <c>keep_runs</c> (a daemon on a short schedule would fill the disk).</summary>
    private void Prune(IRunOutput output, int keep, ILogger logger)
    {
        var pruned = outputs.Prune(output, keep);
        if (pruned.Deleted.Count > 0)
        {
            logger.LogInformation("Deleted {Count} old run folder(s) beyond keep_runs {Keep}, the oldest {Oldest}", pruned.Deleted.Count, keep, pruned.Deleted[0]);
        }

        foreach (var failed in pruned.Failed)
        {
            logger.LogWarning("Could not delete the old run folder {Failure}", failed);
        }
    }

    /// <summary>The permissions the run needs; a dry run writes nothing, so it works with a read-only key too.</summary>
    /// <summary>
    /// What the sidecar clean-up needs beyond <see cref="NeededPermissions"/>: with <c>sidecars.enabled</c> false it
    /// still takes the tool's recorded entries out of the sidecars the path mappings reach, and asks Immich to re-read
    /// those assets (<c>refresh-metadata</c>, <c>job.create</c>). Empty when it has nothing to take out (no mapping, no
    /// recorded entry) or when <c>sidecars.enabled</c> asks for that permission already.
    /// </summary>
    private async Task<IReadOnlyList<PermissionNeed>> SidecarCleanupNeedsAsync(AutoTagConfig config, Guid userId, CancellationToken ct)
    {
        if (config.Sidecars.Enabled || config.Sidecars.PathMappings.Count == 0 || sidecarEntries is null
            || (await sidecarEntries.LoadAsync(StateScope.Of(userId), ct).ConfigureAwait(false)).Count == 0)
        {
            return [];
        }

        return [new PermissionNeed(ImmichPermissions.JobCreate, "ask Immich to re-read the XMP sidecars the tool takes its entries out of now that sidecars.enabled is false (POST /assets/jobs refresh-metadata); or undo the runs that wrote them with sidecars on")];
    }

    private static IReadOnlyList<PermissionNeed> NeededPermissions(AutoTagConfig config, bool dryRun)
    {
        var needed = dryRun
            ? ImmichPermissions.ForRun.Where(p => p.Permission is not (ImmichPermissions.TagCreate or ImmichPermissions.TagAsset)).ToList()
            : ImmichPermissions.ForRun;
        if (!dryRun && config.DuplicateProcessing.DateCorrection.Enabled)
        {
            // The user asked for date repair explicitly, so a key that cannot do it is an error, not a skip.
            needed = [.. needed, new PermissionNeed(ImmichPermissions.AssetUpdate, "repair asset dates (PUT /assets), as duplicate_processing.date_correction.enabled asks")];
        }

        if (!dryRun)
        {
            needed = [.. needed, .. WorkflowPermissions(config.Workflows)];
        }

        if (config.Booru.Enabled && config.Booru.Sources.Any(s => s.Source != Enrichment.Booru.BooruSource.DanbooruMd5))
        {
            // Reverse image searches upload the asset's small thumbnail; asset.download (the MD5 look-up) is optional.
            needed = [.. needed.Where(n => n.Permission != ImmichPermissions.AssetView), new PermissionNeed(ImmichPermissions.AssetView, "read thumbnails for booru reverse image search (GET /assets/{id}/thumbnail), as booru.sources asks")];
        }

        if (config.Clip.Enabled)
        {
            // A dry run scores too (it shows the labels it would set), so it needs the thumbnails as well.
            needed = [.. needed.Where(n => n.Permission != ImmichPermissions.AssetView), new PermissionNeed(ImmichPermissions.AssetView, "read thumbnails for CLIP labels (GET /assets/{id}/thumbnail), as clip.enabled asks")];
        }

        if (config.Sidecars.Enabled && !dryRun)
        {
            // The sidecar discovery (PUT /jobs/sidecar) needs the same permission plus an admin key; it is asked for
            // only when a new sidecar was not read, and a refusal then is reported with what to do.
            needed = [.. needed, new PermissionNeed(ImmichPermissions.JobCreate, "ask Immich to re-read written XMP sidecars (POST /assets/jobs refresh-metadata), as sidecars.enabled asks")];
        }

        return OnePerPermission([.. needed, .. ImmichPermissions.ForAlbumFeatures(config, dryRun).Where(n => !needed.Any(m => m.Permission == n.Permission))]);
    }

    /// <summary>
    /// One need per permission, in first-seen order, its purposes joined: a permission several features need (e.g.
    /// <c>asset.update</c> for date repair and workflow favourites) is explained by each of them.
    /// </summary>
    private static IReadOnlyList<PermissionNeed> OnePerPermission(IReadOnlyList<PermissionNeed> needs) =>
        [.. needs.GroupBy(n => n.Permission, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.First() : g.First() with { Purpose = string.Join("; and to ", g.Select(n => n.Purpose).Distinct(StringComparer.Ordinal)) })];

    /// <summary>
    /// What the workflow actions the config writes need: favourite and archive changes go through PUT /assets
    /// (<c>asset.update</c>), album additions through PUT /albums/{id}/assets (<c>albumAsset.create</c>) and missing
    /// albums through POST /albums (<c>album.create</c>). Asked for explicitly, so a key without them stops the run
    /// before its first write rather than failing half-way (x-immich-permission of those operations in the spec).
    /// </summary>
    private static IEnumerable<PermissionNeed> WorkflowPermissions(Configuration.WorkflowsConfig workflows)
    {
        if (!workflows.Enabled || workflows.Rules.Count == 0)
        {
            yield break;
        }

        var flags = workflows.Rules.Where(r => (r.Then.Favorite is not null && workflows.AllowFavorite) || (r.Then.Archive is not null && workflows.AllowArchive)).Select(r => r.Name).ToList();
        if (flags.Count > 0)
        {
            yield return new PermissionNeed(ImmichPermissions.AssetUpdate, $"set favourites or archive assets (PUT /assets), as workflow rule(s) {Names(flags)} ask");
        }

        var albums = workflows.Rules.Where(r => r.Then.AddToAlbums.Count > 0).Select(r => r.Name).ToList();
        if (albums.Count > 0)
        {
            yield return new PermissionNeed(ImmichPermissions.AlbumAssetCreate, $"add assets to albums (PUT /albums/{{id}}/assets), as workflow rule(s) {Names(albums)} ask");
            if (workflows.CreateMissingAlbums)
            {
                yield return new PermissionNeed(ImmichPermissions.AlbumCreate, $"create missing albums (POST /albums), as workflow rule(s) {Names(albums)} ask with workflows.create_missing_albums");
            }
        }

        static string Names(IReadOnlyList<string> names) => string.Join(", ", names.Take(3).Select(n => $"'{n}'")) + (names.Count > 3 ? $" and {names.Count - 3} more" : string.Empty);
    }

    /// <summary>How many assets wait in the booru queue of <paramref name="scope"/>; null when none (or booru is off).</summary>
    private async Task<int?> BooruQueuedAsync(AutoTagConfig config, string scope, CancellationToken ct)
    {
        if (!config.Booru.Enabled || booru is null)
        {
            return null;
        }

        var queue = await booru.Store.GetQueueAsync(scope, ct).ConfigureAwait(false);
        return queue.Count > 0 ? queue.Count : null;
    }

    /// <summary>The queues an interrupted run left paused, as the marker says; a dry run only reports them.</summary>
    private static async Task<IReadOnlyList<string>> StaleQueuePausesAsync(IQueuePauseMarker marker, ILogger logger, CancellationToken ct)
    {
        var stale = await marker.ReadAsync(ct).ConfigureAwait(false);
        if (stale.Count > 0)
        {
            logger.LogWarning("An earlier run paused the Immich queues {Queues} and did not resume them; a dry run leaves them paused, the next real run resumes them", stale);
        }

        return stale;
    }

    private sealed record RunCapabilities(bool Duplicates, bool AddToAlbums, bool TemporaryAlbumCleanup);

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

        // Not asked for in the preflight when creation is off (most keys never meet a temporary album); the step reports a skip.
        var canCleanUpTemporaryAlbums = Has(ImmichPermissions.AlbumAssetDelete) && Has(ImmichPermissions.AlbumDelete);
        return new RunCapabilities(canReadDuplicates, canAddToAlbums, canCleanUpTemporaryAlbums);
    }

    private static readonly Uri UrlLeftOutOfDigest = new("http://immich/");

    /// <summary>
    /// Decides whether this run may skip the walk (see <see cref="IncrementalCheck"/>). Dry runs and
    /// full_pass_interval_hours: 0 always walk. A state file that cannot be read only costs a full pass.
    /// </summary>
    private async Task<IncrementalRun?> CheckForChangesAsync(
        AutoTagConfig config, RunRequest request, IImmichConnection gateway, Guid userId, ILogger logger, CancellationToken ct)
    {
        if (request.DryRun || config.FullPassIntervalHours <= 0)
        {
            return null;
        }

        var run = new IncrementalRun(runState, StateScope.Of(userId), null!);
        IncrementalState? previous = null;
        try
        {
            previous = await run.Store.LoadAsync(run.Scope, ct).ConfigureAwait(false);
        }
        catch (StateUnavailableException e)
        {
            logger.LogWarning("Cannot read the run state ({Error}); doing a full pass", e.Message);
        }

        // The URL's spelling is not the library: the same server reached through a proxy or by IP is no config change.
        var digested = config with { Server = config.Server with { Url = UrlLeftOutOfDigest } };
        var verdict = await IncrementalCheck.CheckAsync(gateway, previous, redactor.ToRedactedYaml(digested), TimeSpan.FromHours(config.FullPassIntervalHours), time, ct).ConfigureAwait(false);
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
            catch (StateUnavailableException e)
            {
                logger.LogWarning("Cannot save the run state ({Error}); the next run will be a full pass", e.Message);
            }
        }
    }

    private static RunCounters Counters(RunResult result, IImmichConnection gateway) => new(
        result.Assets.Total,
        result.Assets.Evaluated,
        result.StatusCounts.GetValueOrDefault(Classification.ClassificationStatus.Unclassified),
        result.StatusCounts.GetValueOrDefault(Classification.ClassificationStatus.Conflict),
        result.KeptTagLinks(ChangeKind.Added),
        result.KeptTagLinks(ChangeKind.Removed),
        result.Errors.Count,
        (result.RunRequests ?? gateway.Snapshot()).Values.Sum(),
        gateway.WriteRequests);
}
