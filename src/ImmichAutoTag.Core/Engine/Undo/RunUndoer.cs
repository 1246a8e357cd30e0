using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine.Sidecars;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine.Undo;

/// <summary>What an undo found, planned and did.</summary>
/// <param name="User">The key's owner.</param>
/// <param name="Undo">The plan: what it reverts and what it leaves alone (moved on since).</param>
/// <param name="Applied">The inverse changes the server accepted (empty in a dry run); the undo's own changes.jsonl.</param>
/// <param name="Errors">Inverse changes that failed.</param>
/// <param name="Verified">What the re-read after the apply found.</param>
/// <param name="Cancelled">A stop request ended the apply between two write calls.</param>
public sealed record UndoResult(
    UserInfo User,
    UndoPlan Undo,
    IReadOnlyList<AppliedChange> Applied,
    IReadOnlyList<EngineError> Errors,
    VerifyOutcome Verified,
    bool Cancelled)
{
    /// <summary>The inverse tag changes Immich did not keep that went through the assets' XMP sidecars instead (none when sidecars are off).</summary>
    public SidecarOutcome Sidecars { get; init; } = SidecarOutcome.None;

    /// <summary>
    /// The failure that stopped the apply because the server went away or stopped accepting the key (see
    /// <see cref="ServerLossWatch"/>); null when it answered throughout. No further write was started after it.
    /// </summary>
    public ImmichException? ServerLost { get; init; }

    /// <summary>The apply stopped before its end: a stop request (<see cref="Cancelled"/>) or a lost server (<see cref="ServerLost"/>).</summary>
    public bool Interrupted => Cancelled || ServerLost is not null;

    /// <summary>
    /// The planned reverts whose inverse change the server did not accept in this undo: after an interrupted apply,
    /// what is still to do (an undo of the same run again does it; what this one reverted is then left alone).
    /// A revert counts as done when an applied change of its inverse kind names the same asset and tag, album or user.
    /// </summary>
    public IReadOnlyList<UndoRevert> NotDone()
    {
        var done = Applied.Select(a => Key(a.Kind, a)).ToHashSet();
        return [.. Undo.Reverts.Where(r => !done.Contains(Key(Inverse(r.Change.Kind), r.Change)))];
    }

    private static (ChangeKind, Guid, string, string?, Guid?) Key(ChangeKind kind, AppliedChange c) =>
        (kind, c.AssetId, c.TagName, c.AlbumName, kind is ChangeKind.AlbumShared or ChangeKind.AlbumUnshared or ChangeKind.AlbumRoleChanged ? c.UserId : null);

    private static ChangeKind Inverse(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => ChangeKind.Removed,
        ChangeKind.Removed => ChangeKind.Added,
        ChangeKind.AddedToAlbum => ChangeKind.RemovedFromAlbum,
        ChangeKind.RemovedFromAlbum => ChangeKind.AddedToAlbum,
        ChangeKind.AlbumCreated => ChangeKind.AlbumDeleted,
        ChangeKind.AlbumDeleted => ChangeKind.AlbumCreated,
        ChangeKind.AlbumShared => ChangeKind.AlbumUnshared,
        ChangeKind.AlbumUnshared => ChangeKind.AlbumShared,
        _ => kind,
    };
}

/// <summary>
/// The undo use case, on the run's own path: read what the recorded changes touch, plan the inverse changes
/// (<see cref="UndoPlanner"/>), apply them with the run's <see cref="WriteSession"/> (paused write-back queues or waves)
/// and verify them with the run's <see cref="ApplyVerifier"/>. A dry run gets a read-only gateway and stops after the
/// plan. Reads: the owner's assets (one search walk), tags, albums, one search per recorded tag and album.
/// An inverse tag change Immich does not keep (an asset of a read-only external library whose sidecar holds the run's
/// tag) goes through the asset's XMP sidecar as a run's does (<paramref name="sidecars"/>): only the tags the run
/// changed are taken out of (or put back into) the sidecar, every other entry stays; a sidecar the undone run created
/// that is left with nothing but what the tool seeded it with (the original's tags then) is deleted instead.
/// </summary>
public sealed class RunUndoer(IImmichGateway gateway, TimeProvider time, ILogger logger, SidecarRoute? sidecars = null)
{
    /// <summary>Reverts <paramref name="changes"/>, a run's recorded changes in their order.</summary>
    /// <param name="source">Names the undo in the plan (e.g. "undo of run 20261130_054500_PID42").</param>
    /// <exception cref="ImmichException">A read failed: nothing was written.</exception>
    public async Task<UndoResult> UndoAsync(IReadOnlyList<AppliedChange> changes, string source, RunOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(options);

        var guard = new QueueGuard(gateway, options.QueuePauseMarker ?? new InMemoryQueuePauseMarker(), time, logger);
        if (!options.DryRun)
        {
            await guard.RecoverAsync(ct);
        }

        var state = await ReadStateAsync(changes, options.User, ct);
        var undo = UndoPlanner.Plan(changes, state, source);
        var user = options.User ?? new UserInfo(state.UserId, string.Empty, string.Empty);
        logger.LogInformation("Undo plan: {Reverts} change(s) to revert, {Skipped} left alone (moved on since){DryRun}", undo.Reverts.Count, undo.Skipped.Count, options.DryRun ? " (dry run)" : string.Empty);
        foreach (var skip in undo.Skipped)
        {
            // The console gets the first few as notices (UndoService); the log gets every one at debug level, as the reverts.
            logger.LogDebug("Left alone: {Change}: {Reason}", ReportText.Sentence(UndoPlanner.Describe(skip.Change)), ReportText.Sentence(skip.Reason));
        }

        if (options.DryRun || !undo.Plan.HasChanges)
        {
            return new UndoResult(user, undo, [], [], VerifyOutcome.Nothing, false);
        }

        // Writes go through a watch that stops the apply once the server is gone or rejects the key, as a run's do:
        // the undo then reports what it reverted instead of failing one bulk call after another.
        using var serverLost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = new ServerLossWatch(gateway, serverLost);
        var session = new WriteSession(watch, guard, time, logger, options);
        var outcome = await session.ApplyAsync(undo.Plan, state.Assets, state.Tags, failFast: false, options.Progress, serverLost.Token);
        if (watch.LostBy is { } lost)
        {
            logger.LogError("The undo stopped: {Message}", lost.Message);
            return new UndoResult(user, undo, outcome.Changes, outcome.Errors, VerifyOutcome.Nothing, false) { ServerLost = lost };
        }

        var verified = outcome.Cancelled
            ? VerifyOutcome.Nothing
            : await new ApplyVerifier(gateway, session, logger).VerifyAsync(outcome.Changes, state.Assets, options.MaxReapplyRounds, options.Progress, ct);
        var routed = outcome.Cancelled || sidecars is not { Active: true }
            ? SidecarOutcome.None
            : await RouteAsync(sidecars, changes, verified, state, session, options, ct);
        if (routed.Arrived.Count == 0)
        {
            return new UndoResult(user, undo, outcome.Changes, [.. outcome.Errors, .. verified.Errors, .. routed.Errors], verified, outcome.Cancelled) { Sidecars = routed };
        }

        var arrived = routed.Arrived.Select(r => (r.AssetId, r.Kind, r.TagName)).ToHashSet();
        bool Arrived(AppliedChange c) => arrived.Contains((c.AssetId, c.Kind, c.TagName));
        verified = verified with { StillWrong = [.. verified.StillWrong.Where(c => !Arrived(c))] };

        // The API change Immich reverted is replaced by the one that arrived through the sidecar.
        return new UndoResult(user, undo, [.. outcome.Changes.Where(c => !Arrived(c)), .. routed.Applied], [.. outcome.Errors, .. verified.Errors, .. routed.Errors], verified, outcome.Cancelled) { Sidecars = routed };
    }

    /// <summary>
    /// The inverse tag changes still wrong after the re-apply rounds, as "does not stick" records for the sidecar route;
    /// the route writes only the tags the undone run changed.
    /// </summary>
    private async Task<SidecarOutcome> RouteAsync(SidecarRoute route, IReadOnlyList<AppliedChange> recorded, VerifyOutcome verified, UndoState state, WriteSession session, RunOptions options, CancellationToken ct)
    {
        var stillWrong = verified.StillWrong.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed && state.Assets.ContainsKey(c.AssetId)).ToList();
        if (stillWrong.Count == 0)
        {
            return SidecarOutcome.None;
        }

        var now = time.GetUtcNow();
        var records = stillWrong
            .Select(c => new NonStickingChange(c.AssetId, state.Assets[c.AssetId].LibraryId, c.Kind, c.TagName, c.FileName, state.Assets[c.AssetId].Checksum, now, now, NonStickingChange.RunsToConfirm))
            .ToList();
        var runTags = recorded.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed).Select(c => c.TagName).ToHashSet(StringComparer.Ordinal);
        var reasons = stillWrong.ToDictionary(c => (c.AssetId, c.Kind, c.TagName), c => c.Reason);

        // The sidecars the undone run created: one the undo leaves with only what the tool seeded it with is deleted.
        var created = recorded
            .Where(c => c.SidecarSeed is not null && c.NewValue is not null)
            .GroupBy(c => c.AssetId)
            .ToDictionary(g => g.Key, g => new SidecarCreation(g.First().NewValue!, g.First().SidecarSeed!)); // non-null: filtered above
        logger.LogInformation("{Count} reverted tag change(s) did not stick in Immich: writing them to the assets' XMP sidecars", records.Count);
        return await route.RouteAsync(
            records,
            state.Assets,
            runTags.Contains,
            r => reasons.GetValueOrDefault((r.AssetId, r.Kind, r.TagName)),
            options.DryRun,
            session.SettleAsync,
            options.MaxReapplyRounds,
            ct,
            createdBy: created.GetValueOrDefault);
    }

    private async Task<UndoState> ReadStateAsync(IReadOnlyList<AppliedChange> changes, UserInfo? known, CancellationToken ct)
    {
        var user = known ?? await gateway.GetMyUserAsync(ct);
        var tags = await gateway.GetTagsAsync(ct);
        var albums = await gateway.GetAlbumsAsync(ct);

        var assets = new Dictionary<Guid, Asset>();
        await foreach (var page in gateway.SearchAssetsAsync(AssetQuery.All, ct))
        {
            foreach (var asset in page.Where(a => a.OwnerId == user.Id && !a.IsTrashed))
            {
                assets[asset.Id] = asset;
            }
        }

        // Tag searches also return the assets of a tag's descendants: those are checked asset by asset.
        var holders = new Dictionary<Guid, IReadOnlySet<Guid>>();
        foreach (var path in changes.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed).Select(c => c.TagName).Distinct(StringComparer.Ordinal))
        {
            var tag = tags.FirstOrDefault(t => string.Equals(t.Value, path, StringComparison.Ordinal));
            if (tag is null)
            {
                continue;
            }

            var found = new HashSet<Guid>();
            await foreach (var ids in gateway.SearchAssetIdsAsync(new AssetQuery { TagIds = [tag.Id] }, ct))
            {
                found.UnionWith(ids);
            }

            if (tags.Any(t => t.ParentId == tag.Id))
            {
                var direct = new HashSet<Guid>();
                foreach (var id in found.Where(id => changes.Any(c => c.AssetId == id)))
                {
                    if ((await gateway.GetAssetAsync(id, ct)).Tags.Any(t => t.Id == tag.Id))
                    {
                        direct.Add(id);
                    }
                }

                found = direct;
            }

            holders[tag.Id] = found;
        }

        var members = new Dictionary<Guid, IReadOnlySet<Guid>>();
        foreach (var albumId in changes.Where(c => c.AlbumId is not null && c.AssetId != Guid.Empty || c.Kind == ChangeKind.AlbumCreated).Select(c => c.AlbumId).OfType<Guid>().Distinct())
        {
            if (!albums.Any(a => a.Id == albumId))
            {
                continue;
            }

            var found = new HashSet<Guid>();
            await foreach (var ids in gateway.SearchAssetIdsAsync(new AssetQuery { AlbumIds = [albumId] }, ct))
            {
                found.UnionWith(ids);
            }

            members[albumId] = found;
        }

        var sharing = changes.Any(c => c.Kind is ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged or ChangeKind.AlbumUnshared);
        var users = sharing ? await gateway.GetUsersAsync(ct) : [];
        return new UndoState(user.Id, assets, tags, holders, albums, members, users);
    }
}
