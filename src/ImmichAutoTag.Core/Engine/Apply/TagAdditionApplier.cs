using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Add tag: creates the output tags that do not exist yet (one upsert), then groups assets by the set of tags
/// they need so each asset is touched by one bulk tagging call: Immich's sidecar write-back can revert a second
/// change to the same asset that lands shortly after the first. One bad tag never takes the others down: a refused
/// upsert is retried tag by tag, an asset whose set holds a tag that could not be created gets the rest of its set,
/// and a refused bulk call of several tags is retried tag by tag; each bad tag is reported once, with its assets.
/// </summary>
internal sealed class TagAdditionApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        if (plan.TagsToCreate.Count > 0 && !run.StopIfCancelled(ct))
        {
            await CreateAsync(plan, run, ct);
        }

        var chunks = run.Aborted || run.Cancelled ? [] : AdditionChunks(plan, run);
        run.TagCalls += chunks.Count;
        foreach (var (paths, ids, chunk) in chunks)
        {
            if (!run.MayWrite(ct))
            {
                break;
            }

            try
            {
                await gateway.BulkTagAssetsAsync(ids, chunk, CancellationToken.None);
                Record(run, chunk, paths);
            }
            catch (ImmichException ex) when (paths.Count > 1 && IsRefusal(ex))
            {
                // The call holds several tags: find the one Immich refuses and add the others.
                logger.LogWarning("Adding {Tags} to {Count} assets in one call was refused ({Message}); adding them one tag at a time", paths, chunk.Length, ex.Message);
                for (var i = 0; i < paths.Count && run.MayWrite(ct); i++)
                {
                    try
                    {
                        await gateway.BulkTagAssetsAsync([ids[i]], chunk, CancellationToken.None);
                        Record(run, chunk, [paths[i]]);
                    }
                    catch (ImmichException one)
                    {
                        run.Fail(EngineErrorKind.AddTags, $"adding tag '{paths[i]}' failed: {one.Message}", chunk, [paths[i]]);
                        logger.LogError(one, "Adding {Tag} to {Count} assets failed", paths[i], chunk.Length);
                    }
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.AddTags, ex.Message, chunk, paths);
                logger.LogError(ex, "Adding {Tags} to {Count} assets failed", paths, chunk.Length);
            }

            run.TagCallDone();
        }
    }

    /// <summary>
    /// A refusal of this request (Immich answered 4xx/5xx): not a lost server or a refused key or permission, which
    /// every other call would meet as well.
    /// </summary>
    private static bool IsRefusal(ImmichException e) => e is not (ImmichUnreachableException or ImmichAuthenticationException or ImmichPermissionException);

    private static void Record(ApplyRun run, IEnumerable<Guid> chunk, IReadOnlyList<string> paths)
    {
        foreach (var assetId in chunk)
        {
            foreach (var path in paths)
            {
                run.Record(assetId, path, ChangeKind.Added);
            }
        }
    }

    /// <summary>
    /// Creates <see cref="TagPlan.TagsToCreate"/> in one upsert; when Immich refuses it, one upsert per tag, so only
    /// the tags Immich refuses stay missing (each reported once, with the assets that needed it).
    /// </summary>
    private async Task CreateAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        IReadOnlyList<Guid> Needing(string path) => plan.Additions.TryGetValue(path, out var ids) ? [.. ids] : [];
        try
        {
            Created(run, await gateway.UpsertTagsAsync(plan.TagsToCreate, CancellationToken.None));
            return;
        }
        catch (ImmichException ex) when (plan.TagsToCreate.Count > 1 && IsRefusal(ex))
        {
            logger.LogWarning("Creating the output tags {Tags} in one call was refused ({Message}); creating them one at a time", plan.TagsToCreate, ex.Message);
        }
        catch (ImmichException ex)
        {
            // A lost server, a refused key or permission, or the only tag to create refused: one error for them all.
            var affected = plan.TagsToCreate.SelectMany(Needing).Distinct().ToList();
            run.Uncreated.UnionWith(plan.TagsToCreate);
            var others = IsRefusal(ex) ? "; its assets' other tags are added" : string.Empty;
            run.Fail(EngineErrorKind.CreateTags, plan.TagsToCreate.Count == 1 ? $"tag '{plan.TagsToCreate[0]}' could not be created: {ex.Message}{others}" : ex.Message, affected, plan.TagsToCreate);
            logger.LogError(ex, "Could not create the output tags {Tags}", plan.TagsToCreate);
            return;
        }

        foreach (var path in plan.TagsToCreate)
        {
            if (!run.MayWrite(ct))
            {
                return;
            }

            try
            {
                Created(run, await gateway.UpsertTagsAsync([path], CancellationToken.None));
            }
            catch (ImmichException ex)
            {
                run.Uncreated.Add(path);
                run.Fail(EngineErrorKind.CreateTags, $"tag '{path}' could not be created: {ex.Message}; its assets' other tags are added", Needing(path), [path]);
                logger.LogError(ex, "Could not create the output tag {Tag}", path);
            }
        }
    }

    private static void Created(ApplyRun run, IEnumerable<Domain.Tag> tags)
    {
        foreach (var tag in tags)
        {
            run.TagIds[tag.Value] = tag.Id;
        }
    }

    /// <summary>
    /// Groups assets by the exact set of tags they need, then cuts each group into chunks. A tag with no id (not
    /// created) is left out of its group's call and reported once, with every asset that needed it.
    /// </summary>
    private static List<(IReadOnlyList<string> Paths, IReadOnlyList<Guid> TagIds, Guid[] Assets)> AdditionChunks(TagPlan plan, ApplyRun run)
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
        var unanswered = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        foreach (var group in order.GroupBy(id => string.Join('\n', needs[id])))
        {
            var all = needs[group.First()];
            var paths = all.Where(run.TagIds.ContainsKey).ToList();
            foreach (var missing in all.Where(p => !run.TagIds.ContainsKey(p) && !run.Uncreated.Contains(p)))
            {
                if (!unanswered.TryGetValue(missing, out var assets))
                {
                    unanswered[missing] = assets = [];
                }

                assets.AddRange(group);
            }

            if (paths.Count == 0)
            {
                continue;
            }

            var ids = paths.Select(p => run.TagIds[p]).ToList();
            chunks.AddRange(group.Chunk(run.ChunkSize).Select(chunk => ((IReadOnlyList<string>)paths, (IReadOnlyList<Guid>)ids, chunk)));
        }

        foreach (var (path, assets) in unanswered)
        {
            run.Fail(EngineErrorKind.AddTags, $"Immich returned no tag for '{path}'; its assets' other tags are added", assets, [path]);
        }

        return chunks;
    }
}
