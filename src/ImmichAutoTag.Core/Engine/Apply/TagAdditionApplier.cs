using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Add tag: creates the output tags that do not exist yet (one upsert), then groups assets by the set of tags
/// they need so each asset is touched by one bulk tagging call: Immich's sidecar write-back can revert a second
/// change to the same asset that lands shortly after the first.
/// </summary>
internal sealed class TagAdditionApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        if (plan.TagsToCreate.Count > 0 && !run.StopIfCancelled(ct))
        {
            try
            {
                foreach (var tag in await gateway.UpsertTagsAsync(plan.TagsToCreate, CancellationToken.None))
                {
                    run.TagIds[tag.Value] = tag.Id;
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

            run.TagCallDone();
        }
    }

    /// <summary>Groups assets by the exact set of tags they need, then cuts each group into chunks.</summary>
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
        foreach (var group in order.GroupBy(id => string.Join('\n', needs[id])))
        {
            var paths = needs[group.First()].ToList();

            // A tag that could not be created fails its whole group: a partial set would need a second call later.
            var missing = paths.Where(p => !run.TagIds.ContainsKey(p)).ToList();
            if (missing.Count > 0)
            {
                if (!run.CreateFailed)
                {
                    run.Fail(EngineErrorKind.AddTags, $"Immich returned no tag for {string.Join(", ", missing)}", group.ToList(), paths);
                }

                continue;
            }

            var ids = paths.Select(p => run.TagIds[p]).ToList();
            chunks.AddRange(group.Chunk(run.ChunkSize).Select(chunk => ((IReadOnlyList<string>)paths, (IReadOnlyList<Guid>)ids, chunk)));
        }

        return chunks;
    }
}
