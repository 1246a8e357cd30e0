using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

public enum ChangeKind
{
    Added,
    Removed,

    /// <summary>The asset was added to an album (<see cref="AppliedChange.AlbumName"/>); TagName is empty.</summary>
    AddedToAlbum,

    /// <summary>The asset's date was rewritten (<see cref="AppliedChange.OldValue"/> → <see cref="AppliedChange.NewValue"/>); TagName is empty.</summary>
    DateUpdated,

    /// <summary>An album was created (<see cref="AppliedChange.AlbumName"/>); AssetId is empty, its assets are AddedToAlbum changes.</summary>
    AlbumCreated,

    /// <summary>The asset was taken out of an album (a temporary album, or a synced album by tag → album sync); TagName is empty.</summary>
    RemovedFromAlbum,

    /// <summary>One of the tool's temporary albums was deleted; AssetId is empty.</summary>
    AlbumDeleted,

    /// <summary>An album was shared with a user (<see cref="AppliedChange.NewValue"/> = "email role"); AssetId is empty.</summary>
    AlbumShared,

    /// <summary>A user's role in an album changed (<see cref="AppliedChange.OldValue"/> → <see cref="AppliedChange.NewValue"/>).</summary>
    AlbumRoleChanged,

    /// <summary>An album stopped being shared with a user (<see cref="AppliedChange.OldValue"/> = "email role").</summary>
    AlbumUnshared,
}

/// <summary>One change the server accepted.</summary>
public sealed record AppliedChange(Guid AssetId, string FileName, string TagName, ChangeKind Kind, DateTimeOffset At)
{
    public Guid? AlbumId { get; init; }

    public string? AlbumName { get; init; }

    public string? OldValue { get; init; }

    public string? NewValue { get; init; }
}

public enum EngineErrorKind
{
    CreateTags,
    AddTags,
    RemoveTags,
    Classify,
    UpdateDates,
    AddToAlbums,
    CreateAlbums,
    RemoveFromAlbums,
    DeleteAlbums,
    ShareAlbums,

    /// <summary>An asset's search item could not be read; the asset was skipped (see <see cref="RunResult.Unreadable"/>).</summary>
    ReadAsset,
}

/// <summary>A failed step; <see cref="AssetIds"/> are the assets it left unchanged.</summary>
public sealed record EngineError(EngineErrorKind Kind, string Message, IReadOnlyList<Guid> AssetIds, IReadOnlyList<string> TagNames, DateTimeOffset At);

/// <param name="Cancelled">Cancellation stopped the apply between two write calls; the rest was not started.</param>
public sealed record ApplyOutcome(IReadOnlyList<AppliedChange> Changes, IReadOnlyList<EngineError> Errors, bool Aborted, bool Cancelled = false);

/// <summary>
/// Carries out a <see cref="TagPlan"/> with bulk calls. Additions are grouped by the set of tags an asset
/// needs, so each asset is touched by one tagging call: Immich's sidecar write-back can revert a second
/// change to the same asset that lands shortly after the first.
/// Cancellation is honoured only between write calls: a write that has started is finished (it gets
/// <see cref="CancellationToken.None"/>), so a stop request never leaves a chunk half applied or applied
/// but unreported. Each write is bounded by the gateway's own time-out.
/// </summary>
public sealed partial class PlanApplier(IImmichGateway gateway, TimeProvider time, ILogger logger)
{
    public async Task<ApplyOutcome> ApplyAsync(
        TagPlan plan,
        IReadOnlyDictionary<Guid, Asset> assets,
        IReadOnlyList<Tag> existingTags,
        int chunkSize,
        bool failFast,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(existingTags);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);

        var run = new ApplyRun(assets, time, failFast);

        // Dates first, then albums, then tags: a date write makes the server re-read the file's metadata,
        // so the tag writes (the most numerous) land last.
        await ApplyDatesAsync(plan, chunkSize, run, ct);
        await ApplyAlbumCreationsAsync(plan, chunkSize, run, ct);
        await ApplyAlbumAdditionsAsync(plan, chunkSize, run, ct);
        await ApplyAlbumRemovalsAsync(plan, chunkSize, run, ct);
        await ApplyAlbumDeletionsAsync(plan, run, ct);

        // Sharing after the membership writes: a user an album is shared with never sees it half filled.
        await ApplySharingAsync(plan, run, ct);
        var tagIds = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var tag in existingTags)
        {
            tagIds.TryAdd(tag.Value, tag.Id);
        }

        if (plan.TagsToCreate.Count > 0 && !run.StopIfCancelled(ct))
        {
            try
            {
                foreach (var tag in await gateway.UpsertTagsAsync(plan.TagsToCreate, CancellationToken.None))
                {
                    tagIds[tag.Value] = tag.Id;
                }
            }
            catch (ImmichException ex)
            {
                var affected = plan.TagsToCreate.SelectMany(p => plan.Additions.TryGetValue(p, out var ids) ? ids : []).Distinct().ToList();
                run.CreateFailed = true;
                run.Fail(EngineErrorKind.CreateTags, ex.Message, affected, plan.TagsToCreate);
                logger.LogError(ex, "Could not create the output tags {Tags}", plan.TagsToCreate);
            }
        }

        var additionChunks = run.Aborted || run.Cancelled ? [] : AdditionChunks(plan, tagIds, chunkSize, run);
        var removalChunks = plan.Removals
            .SelectMany(kv => kv.Value.Chunk(chunkSize).Select(chunk => (TagId: kv.Key, Assets: chunk)))
            .ToList();
        var total = additionChunks.Count + removalChunks.Count;
        var done = 0;

        foreach (var (paths, ids, chunk) in additionChunks)
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                break;
            }

            try
            {
                await gateway.BulkTagAssetsAsync(ids, chunk, CancellationToken.None);
                foreach (var assetId in chunk)
                {
                    foreach (var path in paths)
                    {
                        run.Record(assetId, path, ChangeKind.Added);
                    }
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.AddTags, ex.Message, chunk, paths);
                logger.LogError(ex, "Adding {Tags} to {Count} assets failed", paths, chunk.Length);
            }

            progress?.Report(new EngineProgress(EnginePhase.Apply, ++done, total));
        }

        foreach (var (tagId, chunk) in removalChunks)
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                break;
            }

            var path = plan.TagPaths.TryGetValue(tagId, out var p) ? p : tagId.ToString();
            try
            {
                var results = await gateway.UntagAssetsAsync(tagId, chunk, CancellationToken.None);
                var failed = results.Where(r => !r.Success).ToDictionary(r => r.Id);
                foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id)))
                {
                    run.Record(assetId, path, ChangeKind.Removed);
                }

                if (failed.Count > 0)
                {
                    var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                    run.Fail(EngineErrorKind.RemoveTags, $"Immich did not remove '{path}' from {failed.Count} assets: {reasons}", failed.Keys.ToList(), [path]);
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.RemoveTags, ex.Message, chunk, [path]);
                logger.LogError(ex, "Removing {Tag} from {Count} assets failed", path, chunk.Length);
            }

            progress?.Report(new EngineProgress(EnginePhase.Apply, ++done, total));
        }

        return new ApplyOutcome(run.Changes, run.Errors, run.Aborted, run.Cancelled);
    }

    /// <summary>One PUT /assets per distinct new date (and chunk): the API takes one dateTimeOriginal per call.</summary>
    private async Task ApplyDatesAsync(TagPlan plan, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        foreach (var group in plan.DateUpdates.GroupBy(u => u.NewValue, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(chunkSize))
            {
                if (run.Aborted || run.StopIfCancelled(ct))
                {
                    return;
                }

                var ids = chunk.Select(u => u.AssetId).ToList();
                try
                {
                    // Started writes are finished: a stop only takes effect between two calls.
                    await gateway.UpdateAssetsAsync(new AssetBulkUpdate(ids) { DateTimeOriginal = group.Key }, CancellationToken.None);
                    foreach (var update in chunk)
                    {
                        run.Record(new AppliedChange(update.AssetId, run.FileName(update.AssetId), string.Empty, ChangeKind.DateUpdated, time.GetUtcNow())
                        {
                            OldValue = update.OldDate.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                            NewValue = update.NewValue,
                        });
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.UpdateDates, ex.Message, ids, []);
                    logger.LogError(ex, "Setting the date {Date} on {Count} assets failed", group.Key, ids.Count);
                }
            }
        }
    }

    /// <summary>Groups assets by the exact set of tags they need, then cuts each group into chunks.</summary>
    private static List<(IReadOnlyList<string> Paths, IReadOnlyList<Guid> TagIds, Guid[] Assets)> AdditionChunks(
        TagPlan plan,
        Dictionary<string, Guid> tagIds,
        int chunkSize,
        ApplyRun run)
    {
        var needs = new Dictionary<Guid, SortedSet<string>>();
        var order = new List<Guid>();
        foreach (var (path, ids) in plan.Additions)
        {
            foreach (var id in ids)
            {
                if (!needs.TryGetValue(id, out var set))
                {
                    set = new SortedSet<string>(StringComparer.Ordinal);
                    needs[id] = set;
                    order.Add(id);
                }

                set.Add(path);
            }
        }

        var chunks = new List<(IReadOnlyList<string>, IReadOnlyList<Guid>, Guid[])>();
        foreach (var group in order.GroupBy(id => string.Join('\n', needs[id])))
        {
            var paths = needs[group.First()].ToList();

            // A tag that could not be created fails its whole group: a partial set would need a second call later.
            var missing = paths.Where(p => !tagIds.ContainsKey(p)).ToList();
            if (missing.Count > 0)
            {
                if (!run.CreateFailed)
                {
                    run.Fail(EngineErrorKind.AddTags, $"Immich returned no tag for {string.Join(", ", missing)}", group.ToList(), paths);
                }

                continue;
            }

            var ids = paths.Select(p => tagIds[p]).ToList();
            chunks.AddRange(group.Chunk(chunkSize).Select(chunk => ((IReadOnlyList<string>)paths, (IReadOnlyList<Guid>)ids, chunk)));
        }

        return chunks;
    }

    private sealed class ApplyRun(IReadOnlyDictionary<Guid, Asset> assets, TimeProvider time, bool failFast)
    {
        public List<AppliedChange> Changes { get; } = [];

        public List<EngineError> Errors { get; } = [];

        public bool Aborted { get; private set; }

        public bool CreateFailed { get; set; }

        /// <summary>Albums this run created, name → id: sharing planned for a new album knows only its name.</summary>
        public Dictionary<string, Guid> CreatedAlbums { get; } = new(StringComparer.Ordinal);

        public bool Cancelled { get; private set; }

        public bool StopIfCancelled(CancellationToken ct) => Cancelled |= ct.IsCancellationRequested;

        public void Record(Guid assetId, string tag, ChangeKind kind) =>
            Changes.Add(new AppliedChange(assetId, FileName(assetId), tag, kind, time.GetUtcNow()));

        public void Record(AppliedChange change) => Changes.Add(change);

        public string FileName(Guid assetId) => assets.TryGetValue(assetId, out var a) ? a.OriginalFileName : string.Empty;

        public void Fail(EngineErrorKind kind, string message, IReadOnlyList<Guid> assetIds, IReadOnlyList<string> tags)
        {
            Errors.Add(new EngineError(kind, message, assetIds, tags, time.GetUtcNow()));
            Aborted |= failFast;
        }
    }
}
