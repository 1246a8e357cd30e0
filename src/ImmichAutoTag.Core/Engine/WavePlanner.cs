namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Cuts a plan into waves that touch each asset at most once. Without paused queues, Immich's sidecar
/// write-back reverts a second change to an asset that lands before the first one's write-back; waves
/// separated by a wait for the queues keep every change in its own window.
/// </summary>
public static class WavePlanner
{
    /// <summary>
    /// Wave 1 holds every addition (an asset's whole set of missing tags is one bulk call, so one change)
    /// and the tags to create; each asset's removals follow, one per wave.
    /// </summary>
    public static IReadOnlyList<TagPlan> Split(TagPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);

        var touched = new HashSet<Guid>(plan.Additions.Values.SelectMany(ids => ids));
        var waves = new List<(Dictionary<string, IReadOnlyList<Guid>> Additions, Dictionary<Guid, List<Guid>> Removals)>
        {
            (plan.Additions.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), []),
        };

        // Per asset: how many waves already change it. Its first removal goes to the wave after its addition.
        var used = touched.ToDictionary(id => id, _ => 1);
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
                i == 0 ? plan.TagsToCreate : [],
                w.Additions,
                w.Removals.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value),
                plan.TagPaths,
                plan.Statuses))
            .Where(p => p.HasChanges)
            .ToList();
    }
}
