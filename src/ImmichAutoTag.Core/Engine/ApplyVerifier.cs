using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>What verification found after the apply.</summary>
/// <param name="RevertedAndReapplied">Changes Immich had reverted that a re-apply made stick.</param>
/// <param name="StillWrong">Changes still not in effect after the last round: reported, never dropped.</param>
/// <param name="Rounds">Re-apply rounds sent (0 when everything stuck the first time).</param>
public sealed record VerifyOutcome(int RevertedAndReapplied, IReadOnlyList<AppliedChange> StillWrong, int Rounds, IReadOnlyList<EngineError> Errors)
{
    public static VerifyOutcome Nothing { get; } = new(0, [], 0, []);

    /// <summary>Date writes the server accepted whose new date it did not show yet when the run checked last.</summary>
    public IReadOnlyList<AppliedChange> DatesNotLanded { get; init; } = [];
}

/// <summary>
/// The run's one verifier: once Immich's jobs are idle it re-reads everything the run wrote — dates, albums created,
/// deleted and shared, album memberships and tags — and re-applies whatever the server reverted, a bounded number of times. Dates come
/// first: a date write makes Immich re-read the asset's sidecar, which can bring back tags removed earlier
/// (immich#23792), so tags are checked only once every date write has landed. Reads are bulk: one tag search
/// per changed tag, one album search per changed album, one album listing for creations, deletions and shares, dated
/// assets by id or by one search of updated assets.
/// </summary>
public sealed class ApplyVerifier(IImmichGateway gateway, WriteSession session, ILogger logger)
{
    public async Task<VerifyOutcome> VerifyAsync(
        IReadOnlyList<AppliedChange> changes,
        IReadOnlyDictionary<Guid, Asset> assets,
        int maxRounds,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRounds);
        if (changes.Count == 0)
        {
            return VerifyOutcome.Nothing;
        }

        var run = new VerifyRun(assets, maxRounds, progress);
        var datesNotLanded = await VerifyDatesAsync(changes.Where(c => c.Kind == ChangeKind.DateUpdated).ToList(), run, ct);

        // A deleted album has no members to check (its removals were the way to empty it), nor has one the server
        // does not list after creating it (that creation is reported; the next run plans it again).
        var deleted = changes.Where(c => c.Kind == ChangeKind.AlbumDeleted && c.AlbumId is not null).Select(c => c.AlbumId!.Value).ToHashSet(); // non-null: filtered
        deleted.UnionWith(await VerifyAlbumStateAsync(changes.Where(c => c.Kind is ChangeKind.AlbumCreated or ChangeKind.AlbumDeleted or ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged or ChangeKind.AlbumUnshared && c.AlbumId is not null).ToList(), run, ct));
        await VerifyAlbumsAsync(changes.Where(c => c.Kind is ChangeKind.AddedToAlbum or ChangeKind.RemovedFromAlbum && c.AlbumId is { } id && !deleted.Contains(id)).ToList(), run, ct);
        await VerifyTagsAsync(changes.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed).ToList(), run, ct);

        if (run.Wrong.Count > 0)
        {
            logger.LogError("{Count} changes did not stick after {Rounds} re-apply rounds; see the modification report", run.Wrong.Count, maxRounds);
        }

        var stillWrong = run.Wrong.ToHashSet();
        return new VerifyOutcome(run.Reverted.Count(c => !stillWrong.Contains(c)), run.Wrong, run.Rounds, run.Errors)
        {
            DatesNotLanded = datesNotLanded,
        };
    }

    /// <summary>
    /// Immich answers a date write with the old dates and applies the new ones in a job. A date the server does not
    /// show while its queues were seen idle was reverted (the job re-read a file that still had the old date) and
    /// is written again; one it does not show while the queues are busy or unreadable is late: the run waits for it
    /// (up to the round limit) and never sends it twice, since a server that is merely slow would get the same job
    /// again. Returns the late writes: the next run leaves them alone while they are pending.
    /// </summary>
    private async Task<IReadOnlyList<AppliedChange>> VerifyDatesAsync(List<AppliedChange> dated, VerifyRun run, CancellationToken ct)
    {
        var pending = dated;
        var idle = session.QueuesSeenIdle;
        var rounds = 0;
        while (pending.Count > 0)
        {
            var current = await ReadDatesAsync(pending, ct);
            var notShown = pending.Where(c => !current.TryGetValue(c.AssetId, out var asset) || !Landed(c, asset)).ToList();
            var reverted = idle ? notShown : [];
            var late = idle ? [] : notShown;
            if (notShown.Count == 0)
            {
                return [];
            }

            if (rounds >= run.MaxRounds)
            {
                run.Wrong.AddRange(reverted);
                if (late.Count > 0)
                {
                    logger.LogWarning("{Count} date writes were accepted but not applied by the server yet; the next run leaves them alone while they are pending", late.Count);
                }

                return late;
            }

            rounds++;
            if (reverted.Count > 0)
            {
                run.Reverted.UnionWith(reverted);
                logger.LogWarning("Immich reverted {Count} date writes; re-applying them (round {Round} of {Max})", reverted.Count, rounds, run.MaxRounds);
                await ReapplyAsync(reverted, [], run, ct);
                idle = session.QueuesSeenIdle;
            }
            else
            {
                logger.LogInformation("{Count} date writes have not landed on the server yet; waiting for its jobs", late.Count);
                idle = await session.SettleAsync(ct) && session.QueuesSeenIdle;
            }

            run.Rounds = Math.Max(run.Rounds, rounds);
            pending = notShown;
        }

        return [];
    }

    /// <summary>Up to this many dated assets are read one by one; more are found with one search of updated assets.</summary>
    private const int MaxSingleReads = 50;

    /// <summary>
    /// The dated assets as the server shows them now. A date landing bumps updatedAt, so a search of assets
    /// updated since the first write finds every landed one in pages; an asset it misses has not landed.
    /// </summary>
    private async Task<Dictionary<Guid, Asset>> ReadDatesAsync(List<AppliedChange> pending, CancellationToken ct)
    {
        var result = new Dictionary<Guid, Asset>();
        if (pending.Count <= MaxSingleReads)
        {
            foreach (var change in pending)
            {
                result[change.AssetId] = (await gateway.GetAssetAsync(change.AssetId, ct)).Asset;
            }

            return result;
        }

        var wanted = pending.Select(c => c.AssetId).ToHashSet();
        var since = pending.Min(c => c.At) - IncrementalCheck.ClockSkewMargin;
        await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { UpdatedAfter = since }, ct))
        {
            foreach (var asset in page.Where(a => wanted.Contains(a.Id)))
            {
                result[asset.Id] = asset;
            }
        }

        return result;
    }

    /// <summary>Whether the asset shows the date the change wrote (to the second: the server drops sub-second digits).</summary>
    public static bool Landed(AppliedChange change, Asset asset)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(asset);
        return DateTimeOffset.TryParse(change.NewValue, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var expected)
            && (asset.FileCreatedAt - expected).Duration() < TimeSpan.FromSeconds(1);
    }

    /// <summary>Album memberships the run added or removed, re-read with one search per album.</summary>
    private async Task VerifyAlbumsAsync(List<AppliedChange> members, VerifyRun run, CancellationToken ct)
    {
        if (members.Count == 0)
        {
            return;
        }

        var wrong = await FindWrongMembersAsync(members, ct);
        var rounds = 0;
        while (wrong.Count > 0 && rounds < run.MaxRounds)
        {
            rounds++;
            run.Reverted.UnionWith(wrong);
            logger.LogWarning("Immich reverted {Count} album membership changes; re-applying them (round {Round} of {Max})", wrong.Count, rounds, run.MaxRounds);
            await ReapplyAsync(wrong, [], run, ct);
            wrong = await FindWrongMembersAsync(wrong, ct);
        }

        run.Rounds = Math.Max(run.Rounds, rounds);
        run.Wrong.AddRange(wrong);
    }

    /// <summary>
    /// Album creations, deletions and shares, re-read with one GET /albums per round (it lists every album of the
    /// key's user with the users it is shared with). A deletion the server undid is sent again, and so is a share it
    /// dropped, a role it kept or a user it still lists; a creation it does not list is reported, never sent again
    /// (createAlbum is not idempotent: a listing that lags would make a second album). Returns the ids of the created
    /// albums the server does not list.
    /// </summary>
    private async Task<IReadOnlySet<Guid>> VerifyAlbumStateAsync(List<AppliedChange> changes, VerifyRun run, CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return new HashSet<Guid>();
        }

        var albums = await ReadAlbumsAsync(ct);
        var wrong = changes.Where(c => !InEffect(c, albums)).ToList();

        // Nothing to send again for an album the server does not list (not created, or deleted by someone meanwhile).
        var lost = wrong.Where(c => c.Kind == ChangeKind.AlbumCreated).Select(c => c.AlbumId!.Value).ToHashSet(); // non-null: filtered by the caller
        var final = wrong.Where(c => c.Kind == ChangeKind.AlbumCreated || (c.Kind is ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged && !albums.ContainsKey(c.AlbumId!.Value))).ToList(); // non-null: filtered by the caller
        wrong = wrong.Except(final).Where(c => !lost.Contains(c.AlbumId!.Value)).ToList(); // non-null: filtered by the caller
        var rounds = 0;
        while (wrong.Count > 0 && rounds < run.MaxRounds)
        {
            rounds++;
            run.Reverted.UnionWith(wrong);
            logger.LogWarning("Immich did not keep {Count} album creations, deletions or shares; sending them again (round {Round} of {Max})", wrong.Count, rounds, run.MaxRounds);
            var outcome = await session.ApplyAsync(AlbumPlanOf(wrong, albums), run.Assets, [], failFast: false, run.Progress, ct);
            run.Errors.AddRange(outcome.Errors);
            albums = await ReadAlbumsAsync(ct);
            wrong = wrong.Where(c => !InEffect(c, albums)).ToList();
        }

        run.Rounds = Math.Max(run.Rounds, rounds);
        run.Wrong.AddRange(final);
        run.Wrong.AddRange(wrong);
        return lost;
    }

    private async Task<Dictionary<Guid, Album>> ReadAlbumsAsync(CancellationToken ct)
    {
        var albums = new Dictionary<Guid, Album>();
        foreach (var album in await gateway.GetAlbumsAsync(ct))
        {
            albums.TryAdd(album.Id, album);
        }

        return albums;
    }

    /// <summary>Whether the server's album listing shows the change: the album there (or gone), the user with the role written (or gone).</summary>
    private static bool InEffect(AppliedChange change, Dictionary<Guid, Album> albums)
    {
        var album = albums.GetValueOrDefault(change.AlbumId!.Value); // non-null: only album changes with an id get here
        var member = album?.Members.FirstOrDefault(m => m.UserId == change.UserId);
        return change.Kind switch
        {
            ChangeKind.AlbumCreated => album is not null,
            ChangeKind.AlbumDeleted => album is null,
            ChangeKind.AlbumUnshared => member is null,
            _ => member is not null && SharingApplier.MemberOf(change.NewValue) is { } written && member.Role == written.Role,
        };
    }

    /// <summary>The plan that makes album deletions and shares again, as the server's listing now stands.</summary>
    private static TagPlan AlbumPlanOf(IReadOnlyList<AppliedChange> changes, Dictionary<Guid, Album> albums)
    {
        var planned = new List<PlannedChange>();
        foreach (var c in changes)
        {
            var reason = c.Reason ?? Reapplied;
            var albumId = c.AlbumId!.Value; // non-null: only album changes with an id get here
            var name = c.AlbumName ?? string.Empty;
            if (c.Kind == ChangeKind.AlbumDeleted)
            {
                planned.Add(new DeleteAlbum(albumId, name, reason));
                continue;
            }

            if (c.UserId is not { } userId)
            {
                continue;
            }

            var member = albums.GetValueOrDefault(albumId)?.Members.FirstOrDefault(m => m.UserId == userId);
            if (c.Kind == ChangeKind.AlbumUnshared)
            {
                planned.Add(new ShareAlbum(albumId, name, userId, member?.Email ?? string.Empty, ShareAction.Unshare, member?.Role, null, reason));
            }
            else if (SharingApplier.MemberOf(c.NewValue) is { } written)
            {
                // Listed with another role: its role changes; not listed: it is shared again.
                planned.Add(member is null
                    ? new ShareAlbum(albumId, name, userId, written.Email, ShareAction.Share, null, written.Role, reason)
                    : new ShareAlbum(albumId, name, userId, written.Email, ShareAction.ChangeRole, member.Role, written.Role, reason));
            }
        }

        return new TagPlan(new ChangeList(planned), new Dictionary<Guid, Classification.ClassificationStatus>()) { CreatesMissingTags = false };
    }

    private async Task<List<AppliedChange>> FindWrongMembersAsync(IReadOnlyList<AppliedChange> changes, CancellationToken ct)
    {
        var wrong = new List<AppliedChange>();
        foreach (var group in changes.GroupBy(c => c.AlbumId!.Value)) // non-null: only membership changes with an album id get here
        {
            var members = new HashSet<Guid>();
            await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { AlbumIds = [group.Key] }, ct))
            {
                members.UnionWith(page.Select(a => a.Id));
            }

            wrong.AddRange(group.Where(c => members.Contains(c.AssetId) != (c.Kind == ChangeKind.AddedToAlbum)));
        }

        return wrong;
    }

    private async Task VerifyTagsAsync(List<AppliedChange> changes, VerifyRun run, CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return;
        }

        // Tags are re-listed: the run may have created some, and a search needs their ids.
        var tags = await gateway.GetTagsAsync(ct);
        var wrong = await FindWrongAsync(changes, tags, ct);
        var rounds = 0;
        while (wrong.Count > 0 && rounds < run.MaxRounds)
        {
            rounds++;
            run.Reverted.UnionWith(wrong);
            logger.LogWarning("Immich reverted {Count} tag changes (sidecar write-back); re-applying them (round {Round} of {Max})", wrong.Count, rounds, run.MaxRounds);
            await ReapplyAsync(wrong, tags, run, ct);
            wrong = await FindWrongAsync(wrong, tags, ct);
        }

        run.Rounds = Math.Max(run.Rounds, rounds);
        run.Wrong.AddRange(wrong);
    }

    private async Task ReapplyAsync(IReadOnlyList<AppliedChange> wrong, IReadOnlyList<Tag> tags, VerifyRun run, CancellationToken ct)
    {
        var outcome = await session.ApplyAsync(PlanOf(wrong, tags), run.Assets, tags, failFast: false, run.Progress, ct);
        run.Errors.AddRange(outcome.Errors);
    }

    /// <summary>The changes whose effect the server does not show.</summary>
    private async Task<List<AppliedChange>> FindWrongAsync(IReadOnlyList<AppliedChange> changes, IReadOnlyList<Tag> tags, CancellationToken ct)
    {
        var byPath = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byPath.TryAdd(tag.Value, tag);
        }

        var parents = tags.Where(t => t.ParentId is not null).Select(t => t.ParentId!.Value).ToHashSet(); // non-null: filtered
        var wrong = new List<AppliedChange>();
        foreach (var group in changes.GroupBy(c => c.TagName, StringComparer.Ordinal))
        {
            if (!byPath.TryGetValue(group.Key, out var tag))
            {
                // The tag is gone (deleted by someone meanwhile): no addition of it can be in effect.
                wrong.AddRange(group.Where(c => c.Kind == ChangeKind.Added));
                continue;
            }

            var tagged = new HashSet<Guid>();
            await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { TagIds = [tag.Id] }, ct))
            {
                tagged.UnionWith(page.Select(a => a.Id));
            }

            foreach (var change in group)
            {
                var carries = tagged.Contains(change.AssetId);

                // A search of a parent tag also returns its descendants' assets: only the asset itself can say.
                if (carries && parents.Contains(tag.Id))
                {
                    carries = (await gateway.GetAssetAsync(change.AssetId, ct)).Tags.Any(t => t.Id == tag.Id);
                }

                if (carries != (change.Kind == ChangeKind.Added))
                {
                    wrong.Add(change);
                }
            }
        }

        return wrong;
    }

    /// <summary>The plan that makes <paramref name="changes"/> again; tags missing now are not re-created (the applier reports their additions as failed).</summary>
    private static TagPlan PlanOf(IReadOnlyList<AppliedChange> changes, IReadOnlyList<Tag> tags)
    {
        var byPath = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byPath.TryAdd(tag.Value, tag);
        }

        var planned = new List<PlannedChange>();
        foreach (var c in changes)
        {
            var reason = c.Reason ?? Reapplied;
            switch (c.Kind)
            {
                case ChangeKind.Added:
                    planned.Add(new AddTag(c.AssetId, c.TagName, byPath.TryGetValue(c.TagName, out var added) ? added.Id : null, reason));
                    break;
                case ChangeKind.Removed when byPath.TryGetValue(c.TagName, out var removed):
                    planned.Add(new RemoveTag(c.AssetId, removed.Id, removed.Value, reason));
                    break;
                case ChangeKind.DateUpdated when DateUpdateOf(c, reason) is { } date:
                    planned.Add(date);
                    break;
                case ChangeKind.AddedToAlbum when c.AlbumId is { } albumId:
                    planned.Add(new AddAlbumMember(c.AssetId, albumId, c.AlbumName ?? string.Empty, reason));
                    break;
                case ChangeKind.RemovedFromAlbum when c.AlbumId is { } albumId:
                    planned.Add(new RemoveAlbumMember(c.AssetId, albumId, c.AlbumName ?? string.Empty, reason));
                    break;
                default:
                    break;
            }
        }

        return new TagPlan(new ChangeList(planned), new Dictionary<Guid, Classification.ClassificationStatus>()) { CreatesMissingTags = false };
    }

    private static readonly ChangeReason Reapplied = new("verify", "re-applied after the server reverted it");

    private static SetDate? DateUpdateOf(AppliedChange change, ChangeReason reason)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return DateTimeOffset.TryParse(change.OldValue, culture, System.Globalization.DateTimeStyles.None, out var old)
            && DateTimeOffset.TryParse(change.NewValue, culture, System.Globalization.DateTimeStyles.None, out var @new)
            ? new SetDate(change.AssetId, old, @new, change.NewValue!, "re-applied after the server reverted it", reason) // non-null: parsed above
            : null;
    }

    /// <summary>What the verification found so far, over every kind of change.</summary>
    private sealed class VerifyRun(IReadOnlyDictionary<Guid, Asset> assets, int maxRounds, IProgress<EngineProgress>? progress)
    {
        public IReadOnlyDictionary<Guid, Asset> Assets { get; } = assets;

        public int MaxRounds { get; } = maxRounds;

        public IProgress<EngineProgress>? Progress { get; } = progress;

        public HashSet<AppliedChange> Reverted { get; } = [];

        public List<AppliedChange> Wrong { get; } = [];

        public List<EngineError> Errors { get; } = [];

        public int Rounds { get; set; }
    }
}
