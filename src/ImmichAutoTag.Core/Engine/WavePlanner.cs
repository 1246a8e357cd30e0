namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Cuts a plan into waves that touch each asset at most once. Without paused queues, Immich's sidecar
/// write-back reverts a second change to an asset that lands before the first one's write-back; waves
/// separated by a wait for the queues keep every change in its own window.
/// </summary>
public static class WavePlanner
{
    /// <summary>
    /// Date repairs go first, in a wave of their own when there are any: a date write makes Immich re-read the
    /// asset's metadata, which would revert a tag change landing in the same window. The next wave holds every
    /// tag addition (an asset's whole set of missing tags is one bulk call, so one change), the tags to create
    /// and every album change and sharing change (neither is written to sidecars); each asset's removals follow,
    /// one per wave.
    /// </summary>
    public static IReadOnlyList<TagPlan> Split(TagPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);

        var dated = plan.DateUpdates.Select(d => d.AssetId).ToHashSet();
        var waves = new List<(Dictionary<string, IReadOnlyList<Guid>> Additions, Dictionary<Guid, List<Guid>> Removals)>();
        var additionWave = dated.Count > 0 ? 1 : 0;
        while (waves.Count <= additionWave)
        {
            waves.Add((new Dictionary<string, IReadOnlyList<Guid>>(StringComparer.Ordinal), []));
        }

        foreach (var (path, ids) in plan.Additions)
        {
            waves[additionWave].Additions[path] = ids;
        }

        // Per asset: how many waves already change it. Its first removal goes to the wave after its last change.
        var used = new Dictionary<Guid, int>();
        foreach (var id in dated)
        {
            used[id] = 1;
        }

        foreach (var id in plan.Additions.Values.SelectMany(ids => ids))
        {
            used[id] = additionWave + 1;
        }
        foreach (var (tagId, ids) in plan.Removals.OrderBy(kv => plan.TagPaths.GetValueOrDefault(kv.Key), StringComparer.Ordinal))
        {
            foreach (var assetId in ids)
            {
                var index = used.GetValueOrDefault(assetId);
                used[assetId] = index + 1;
                while (waves.Count <= index)
                {
                    waves.Add((new Dictionary<string, IReadOnlyList<Guid>>(StringComparer.Ordinal), []));
                }

                var removals = waves[index].Removals;
                if (!removals.TryGetValue(tagId, out var list))
                {
                    list = [];
                    removals[tagId] = list;
                }

                list.Add(assetId);
            }
        }

        return waves
            .Select((w, i) => new TagPlan(
                i == additionWave ? plan.TagsToCreate : [],
                w.Additions,
                w.Removals.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value),
                plan.TagPaths,
                plan.Statuses)
            {
                DateUpdates = i == 0 ? plan.DateUpdates : [],
                AlbumAdditions = i == additionWave ? plan.AlbumAdditions : [],

                // Album structure, membership and sharing are not written to sidecars: they ride with the tag additions.
                AlbumsToCreate = i == additionWave ? plan.AlbumsToCreate : [],
                AlbumRemovals = i == additionWave ? plan.AlbumRemovals : [],
                AlbumDeletions = i == additionWave ? plan.AlbumDeletions : [],
                SharingChanges = i == additionWave ? plan.SharingChanges : [],
            })
            .Where(p => p.HasChanges)
            .ToList();
    }
}
