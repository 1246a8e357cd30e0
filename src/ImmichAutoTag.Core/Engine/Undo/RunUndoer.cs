using ImmichAutoTag.Core.Domain;
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
    bool Cancelled);

/// <summary>
/// The undo use case, on the run's own path: read what the recorded changes touch, plan the inverse changes
/// (<see cref="UndoPlanner"/>), apply them with the run's <see cref="WriteSession"/> (paused write-back queues or waves)
/// and verify them with the run's <see cref="ApplyVerifier"/>. A dry run gets a read-only gateway and stops after the
/// plan. Reads: the owner's assets (one search walk), tags, albums, one search per recorded tag and album.
/// </summary>
public sealed class RunUndoer(IImmichGateway gateway, TimeProvider time, ILogger logger)
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
            logger.LogWarning("Left alone: {Kind} {Asset} {Target}: {Reason}", skip.Change.Kind, skip.Change.FileName, skip.Change.TagName.Length > 0 ? skip.Change.TagName : skip.Change.AlbumName, skip.Reason);
        }

        if (options.DryRun || !undo.Plan.HasChanges)
        {
            return new UndoResult(user, undo, [], [], VerifyOutcome.Nothing, false);
        }

        var session = new WriteSession(gateway, guard, time, logger, options);
        var outcome = await session.ApplyAsync(undo.Plan, state.Assets, state.Tags, failFast: false, options.Progress, ct);
        var verified = outcome.Cancelled
            ? VerifyOutcome.Nothing
            : await new ApplyVerifier(gateway, session, logger).VerifyAsync(outcome.Changes, state.Assets, options.MaxReapplyRounds, options.Progress, ct);
        return new UndoResult(user, undo, outcome.Changes, [.. outcome.Errors, .. verified.Errors], verified, outcome.Cancelled);
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
