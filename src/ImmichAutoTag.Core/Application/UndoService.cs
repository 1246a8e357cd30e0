using System.Globalization;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Corrections;
using ImmichAutoTag.Core.Engine.Sidecars;
using ImmichAutoTag.Core.Engine.Undo;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Application;

/// <summary>What to undo.</summary>
/// <param name="Config">The validated config (its server section says where).</param>
/// <param name="RunId">The run being undone, for messages and the undo's plan.</param>
/// <param name="Changes">The run's recorded changes (its changes.jsonl), in their order.</param>
/// <param name="DryRun">Print what would be reverted; send no write. The composition root must register the read-only gateway.</param>
public sealed record UndoRequest(AutoTagConfig Config, string RunId, IReadOnlyList<AppliedChange> Changes, bool DryRun)
{
    /// <summary>
    /// The command that reverts for real, as the user would type it: the run as given and the options that say where
    /// (config, output and state folders), then <c>--yes</c>. The hints print it, so copying it reaches the same run,
    /// server, lock and correction memory. Null: <c>immich-autotag undo RUN_ID --yes</c>.
    /// </summary>
    public string? Command { get; init; }

    /// <summary>The command the hints print (see <see cref="Command"/>).</summary>
    public string RevertCommand => Command ?? $"immich-autotag undo {RunId} --yes";
}

/// <summary>Writes an undo's own run folder: its plan (what it reverts, what it leaves alone and why) and its changes.jsonl.</summary>
public interface IUndoReportSink
{
    /// <summary>Writes the undo's reports; a report that cannot be written is logged, it does not fail the undo.</summary>
    Task WriteAsync(IRunOutput output, UndoRequest request, UndoResult result, ILogger logger, CancellationToken ct);
}

/// <summary>
/// `immich-autotag undo RUN_ID`: under the state folder's run lock, check the server and the key (only the permissions
/// the recorded changes need), plan the inverse changes, print them, and — unless it is a dry run — apply and verify
/// them like a run does. The undo gets its own run folder with its own changes.jsonl, so an undo can be undone.
/// </summary>
public sealed class UndoService(
    IImmichConnectionFactory connections,
    IRunLock runLock,
    IRunOutputs outputs,
    IUndoReportSink reports,
    IRunPresenter presenter,
    IQueuePauseMarkerFactory markers,
    IConfigRedactor redactor,
    TimeProvider time,
    ICorrectionStore? corrections = null,
    IRunStatusSink? status = null,
    ISidecarWriter? sidecarWriter = null,
    ISidecarEntryStore? sidecarEntries = null)
{
    /// <summary>Undoes once; never throws for an undo that failed: the exit code says how it ended.</summary>
    public async Task<RunExitCode> ExecuteAsync(UndoRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var entry = await Opening.EnterAsync("nothing was undone").ConfigureAwait(false);
        if (entry.Refusal is { } refused)
        {
            return refused.Code;
        }

        var output = entry.Output!; // non-null: not refused
        var started = new RunStatus { RunId = output.RunId, Pid = Environment.ProcessId, Trigger = "undo", StartedAt = time.GetUtcNow(), Outcome = RunOutcome.Running, DryRun = request.DryRun, OutputFolder = output.Location, Message = $"undo of run {request.RunId}" };
        var code = await UndoOpenedAsync(request, output, ct).ConfigureAwait(false);
        status?.UndoFinished(started with
        {
            FinishedAt = time.GetUtcNow(),
            ExitCode = (int)code,
            Outcome = code switch
            {
                RunExitCode.Success => RunOutcome.Success,
                RunExitCode.PartialFailure => RunOutcome.PartialFailure,
                RunExitCode.Cancelled => RunOutcome.Cancelled,
                _ => RunOutcome.Failed,
            },
        });
        return code;
    }

    private async Task<RunExitCode> UndoOpenedAsync(UndoRequest request, IRunOutput output, CancellationToken ct)
    {
        using var connection = await Opening.ConnectAsync(output, request.Config, request.DryRun, "undo").ConfigureAwait(false);
        var (session, gateway) = (connection.Session, connection.Gateway);
        var logger = session.LoggerFactory.CreateLogger("immich-autotag");
        try
        {
            logger.LogInformation("Undo {UndoId} of run {RunId}: {Count} recorded change(s) (dry run: {DryRun}); output in {Folder}", output.RunId, request.RunId, request.Changes.Count, request.DryRun, output.Location);
            var needs = NeededPermissions(request.Changes, request.DryRun);
            if (!request.DryRun && request.Config.Sidecars.Enabled && sidecarWriter is not null && request.Changes.Any(c => c.Kind is ChangeKind.Added or ChangeKind.Removed))
            {
                needs = [.. needs, new PermissionNeed(ImmichPermissions.JobCreate, "ask Immich to re-read the XMP sidecars an undo writes (POST /assets/jobs refresh-metadata), as sidecars.enabled asks")];
            }

            var preflight = await ServerPreflight.CheckAsync(gateway, needs, ct).ConfigureAwait(false);
            var options = new RunOptions
            {
                DryRun = request.DryRun,
                Progress = session.Progress,
                User = preflight.User,
                QueuePauseMarker = request.DryRun ? null : markers.For(StateScope.Of(preflight.User.Id), request.Config.Server.Url),
            };
            var undoLogger = session.LoggerFactory.CreateLogger<RunUndoer>();
            var sidecars = new SidecarRoute(gateway, request.Config.Sidecars.Enabled ? sidecarWriter : null, request.Config.Sidecars, time, undoLogger);
            var result = await new RunUndoer(gateway, time, undoLogger, sidecars)
                .UndoAsync(request.Changes, $"undo of run {request.RunId}", options, ct).ConfigureAwait(false);
            session.ProgressDone();
            if (!request.DryRun && corrections is not null && request.Config.Corrections.Enabled)
            {
                // The undo's removals are the tool's own, not the user's corrections: the next run may add them again.
                await CorrectionRun.ForgetUndoneAsync(corrections, request.Config, StateScope.Of(result.User.Id), result.Applied, result.Verified.StillWrong, CancellationToken.None).ConfigureAwait(false);
            }

            if (!request.DryRun && sidecarEntries is not null && result.Sidecars.Writes.Any(w => w.Written))
            {
                // What the undo put into or took out of sidecars is the tool's, as a run's writes are.
                var scope = StateScope.Of(result.User.Id);
                var entries = await sidecarEntries.LoadAsync(scope, CancellationToken.None).ConfigureAwait(false);
                await sidecarEntries.SaveAsync(scope, SidecarCleanup.Track(entries, result.Sidecars.Writes, time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
            }

            await reports.WriteAsync(output, request, result, logger, CancellationToken.None).ConfigureAwait(false);
            await PrintAsync(session, request, result, output, logger).ConfigureAwait(false);

            if (result.ServerLost is { } lost)
            {
                var (code, reason) = ErrorTranslator.Translate(lost);
                await session.FailedAsync($"{reason} The undo stopped: {result.NotDone().Count} revert(s) not done; run '{request.RevertCommand}' again once the server answers to revert the rest.", lost).ConfigureAwait(false);
                return code;
            }

            if (result.Cancelled)
            {
                return RunExitCode.Cancelled;
            }

            return result.Errors.Count > 0 || result.Verified.StillWrong.Count > 0 ? RunExitCode.PartialFailure : RunExitCode.Success;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            session.ProgressDone();
            await session.CancelledAsync().ConfigureAwait(false);
            return RunExitCode.Cancelled;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            session.ProgressDone();
            var (code, message) = ErrorTranslator.Translate(e);
            await session.FailedAsync(message, e).ConfigureAwait(false);
            return code;
        }
    }

    /// <summary>The lock, output folder, log and connection, shared with <see cref="AutoTagRunService"/>.</summary>
    private RunOpening Opening => new(runLock, outputs, presenter, connections, redactor, time);

    /// <summary>Reads always; writes only for the kinds of change the run recorded (a dry run needs reads only).</summary>
    public static IReadOnlyList<PermissionNeed> NeededPermissions(IReadOnlyList<AppliedChange> changes, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var needs = new List<PermissionNeed>
        {
            new(ImmichPermissions.UserRead, "identify the key's owner (GET /users/me)"),
            new(ImmichPermissions.AssetRead, "read the assets the run changed (POST /search/metadata)"),
            new(ImmichPermissions.TagRead, "read the tags the run changed (GET /tags)"),
            new(ImmichPermissions.AlbumRead, "read the albums the run changed (GET /albums)"),
        };
        var kinds = changes.Select(c => c.Kind).ToHashSet();
        if (kinds.Overlaps([ChangeKind.AlbumShared, ChangeKind.AlbumRoleChanged, ChangeKind.AlbumUnshared]))
        {
            needs.Add(new(ImmichPermissions.UserRead, "find the users albums were shared with (GET /users)"));
        }

        if (dryRun)
        {
            return needs;
        }

        void Need(ChangeKind kind, string permission, string purpose)
        {
            if (kinds.Contains(kind) && !needs.Exists(n => n.Permission == permission))
            {
                needs.Add(new(permission, purpose));
            }
        }

        Need(ChangeKind.Added, ImmichPermissions.TagAsset, "untag the assets the run tagged (DELETE /tags/{id}/assets)");
        Need(ChangeKind.Removed, ImmichPermissions.TagAsset, "tag again the assets the run untagged (PUT /tags/assets)");
        Need(ChangeKind.AddedToAlbum, ImmichPermissions.AlbumAssetDelete, "take out of albums the assets the run put in (DELETE /albums/{id}/assets)");
        Need(ChangeKind.RemovedFromAlbum, ImmichPermissions.AlbumAssetCreate, "put back into albums the assets the run took out (PUT /albums/{id}/assets)");
        Need(ChangeKind.AlbumCreated, ImmichPermissions.AlbumDelete, "delete the albums the run created (DELETE /albums/{id})");
        Need(ChangeKind.AlbumDeleted, ImmichPermissions.AlbumCreate, "create again the albums the run deleted (POST /albums)");
        Need(ChangeKind.DateUpdated, ImmichPermissions.AssetUpdate, "set back the dates the run changed (PUT /assets)");
        Need(ChangeKind.AlbumShared, ImmichPermissions.AlbumUserDelete, "stop the album shares the run added (DELETE /albums/{id}/user/{userId})");
        Need(ChangeKind.AlbumRoleChanged, ImmichPermissions.AlbumUserUpdate, "set back the album roles the run changed (PUT /albums/{id}/user/{userId})");
        Need(ChangeKind.AlbumUnshared, ImmichPermissions.AlbumUserCreate, "share again the albums the run stopped sharing (PUT /albums/{id}/users)");
        return needs;
    }

    private static async Task PrintAsync(IRunSession session, UndoRequest request, UndoResult result, IRunOutput output, ILogger logger)
    {
        var inv = CultureInfo.InvariantCulture;
        var undo = result.Undo;
        var plan = output.PathOf(RunFiles.Plan);

        // The console gets counts per kind and the first few lines; plan.txt has every one (-v logs every one too).
        if (undo.Reverts.Count > 0)
        {
            await session.NoticeAsync((request.DryRun ? "would revert: " : "reverting: ") + CountsByKind(undo.Reverts.Select(r => r.Change))).ConfigureAwait(false);
        }

        foreach (var revert in undo.Reverts)
        {
            logger.LogDebug("{Verb}: {Action}", request.DryRun ? "Would revert" : "Revert", ReportText.Sentence(revert.Action));
        }

        foreach (var revert in undo.Reverts.Take(ConsoleLines))
        {
            await session.NoticeAsync((request.DryRun ? "would revert: " : "revert: ") + ReportText.Sentence(revert.Action)).ConfigureAwait(false);
        }

        if (undo.Reverts.Count > ConsoleLines)
        {
            await session.NoticeAsync(string.Create(inv, $"… and {undo.Reverts.Count - ConsoleLines:N0} more to revert (every one is in {plan})")).ConfigureAwait(false);
        }

        foreach (var skip in undo.Skipped.Take(ConsoleLines))
        {
            await session.NoticeAsync(ReportText.Sentence($"left alone: {Describe(skip.Change)}: {skip.Reason}")).ConfigureAwait(false);
        }

        if (undo.Skipped.Count > ConsoleLines)
        {
            await session.NoticeAsync(string.Create(inv, $"… and {undo.Skipped.Count - ConsoleLines:N0} more left alone (every one is in {plan})")).ConfigureAwait(false);
        }

        var summary = request.DryRun
            ? string.Create(inv, $"Dry run: would revert {undo.Reverts.Count} of the {request.Changes.Count} change(s) of run {request.RunId}; {undo.Skipped.Count} moved on since and would be left alone. Nothing was changed. Run '{request.RevertCommand}' to revert.")
            : result.Interrupted
                ? string.Create(inv, $"{Interrupted(request, result)} {undo.Skipped.Count} left alone (moved on since); {result.Errors.Count} error(s). This undo is run {output.RunId} (undo it to restore what it reverted).")
                : string.Create(inv, $"Undo of run {request.RunId}: {result.Applied.Count} change(s) sent, reverting {undo.Reverts.Count} of {request.Changes.Count}; {undo.Skipped.Count} left alone (moved on since); {result.Errors.Count} error(s), {result.Verified.StillWrong.Count} reverted by Immich. This undo is run {output.RunId} (undo it to restore the run).");
        if (result.Sidecars.Writes.Count > 0)
        {
            var writes = result.Sidecars.Writes;
            await session.NoticeAsync(string.Create(inv, $"XMP sidecars: {writes.Count(w => w.Written)} of {writes.Count} asset(s) written, {writes.Count(w => w.Arrived)} show the reverted tags after Immich re-read them (Immich did not keep the change through its API: it went through the XMP sidecar)")).ConfigureAwait(false);
            if (writes.Count(w => w.Deleted) is var deleted and > 0)
            {
                await session.NoticeAsync(string.Create(inv, $"XMP sidecars: {deleted} sidecar(s) the undone run had created deleted (they held nothing else any more), so Immich reads those originals alone again")).ConfigureAwait(false);
            }

            foreach (var failed in writes.Where(w => !w.Arrived))
            {
                await session.NoticeAsync(ReportText.Sentence($"not reverted through the sidecar: {failed.FileName}: {failed.Error}")).ConfigureAwait(false);
            }
        }

        await session.NoticeAsync(summary).ConfigureAwait(false);
        await session.NoticeAsync($"Undo plan: {plan}").ConfigureAwait(false);
    }

    /// <summary>
    /// What an interrupted undo did and did not do, and how to finish it: "Undo of run X interrupted (a stop request):
    /// 1 of 89 revert(s) done, 88 not done (listed in plan.txt); run '… undo X --yes' again to revert the rest".
    /// </summary>
    public static string Interrupted(UndoRequest request, UndoResult result)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(result);
        var reverts = result.Undo.Reverts.Count;
        var notDone = result.NotDone().Count;
        var why = result.ServerLost is not null ? "the server stopped answering or refused the key" : "a stop request";
        return string.Create(CultureInfo.InvariantCulture, $"Undo of run {request.RunId} interrupted ({why}): {reverts - notDone} of {reverts} revert(s) done, {notDone} not done (listed in {RunFiles.Plan} as 'not done'). Run '{request.RevertCommand}' again to revert the rest: what this undo reverted is then left alone.");
    }

    /// <summary>How many "revert" and "left alone" lines the console gets; the rest are counted and are in plan.txt.</summary>
    public const int ConsoleLines = 20;

    /// <summary>"3 tag additions, 1 album creation": the recorded changes per kind, most frequent first.</summary>
    public static string CountsByKind(IEnumerable<AppliedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return string.Join(", ", changes
            .GroupBy(c => c.Kind)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count():N0} {KindName(g.Key)}{(g.Count() == 1 ? string.Empty : "s")}")));
    }

    private static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => "tag addition",
        ChangeKind.Removed => "tag removal",
        ChangeKind.AddedToAlbum => "album addition",
        ChangeKind.RemovedFromAlbum => "album removal",
        ChangeKind.AlbumCreated => "album creation",
        ChangeKind.AlbumDeleted => "album deletion",
        ChangeKind.DateUpdated => "date change",
        ChangeKind.AlbumShared => "album share",
        ChangeKind.AlbumRoleChanged => "album role change",
        ChangeKind.AlbumUnshared => "album unshare",
        ChangeKind.FavoriteChanged => "favourite change",
        ChangeKind.ArchiveChanged => "archive change",
        _ => kind.ToString(),
    };

    /// <summary>One recorded change in a few words, names as they are (see <see cref="UndoPlanner.Describe"/> for how each output escapes them).</summary>
    public static string Describe(AppliedChange change) => UndoPlanner.Describe(change);
}
