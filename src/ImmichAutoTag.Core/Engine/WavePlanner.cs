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

        var dates = plan.Changes.OfKind<SetDate>().ToList();
        var dated = dates.Select(d => d.AssetId).ToHashSet();
        var additionWave = dated.Count > 0 ? 1 : 0;
        var waves = new List<List<PlannedChange>>();
        while (waves.Count <= additionWave)
        {
            waves.Add([]);
        }

        waves[0].AddRange(dates);

        // Album structure, membership and sharing are not written to sidecars: they ride with the tag additions.
        var additions = plan.Changes.OfKind<AddTag>().ToList();
        waves[additionWave].AddRange(additions);
        waves[additionWave].AddRange(plan.Changes.Where(c => c is not (SetDate or AddTag or RemoveTag)));

        // Per asset: how many waves already change it. Its first removal goes to the wave after its last change.
        var used = new Dictionary<Guid, int>();
        foreach (var id in dated)
        {
            used[id] = 1;
        }

        foreach (var a in additions)
        {
            used[a.AssetId] = additionWave + 1;
        }

        // Removals by tag path, then in the order the list names their assets: the order the appliers always sent them.
        var removals = plan.Changes.OfKind<RemoveTag>().GroupBy(r => r.TagId).OrderBy(g => g.First().TagPath, StringComparer.Ordinal);
        foreach (var removal in removals.SelectMany(g => g.DistinctBy(r => r.AssetId)))
        {
            var index = used.GetValueOrDefault(removal.AssetId);
            used[removal.AssetId] = index + 1;
            while (waves.Count <= index)
            {
                waves.Add([]);
            }

            waves[index].Add(removal);
        }

        return waves
            .Where(w => w.Count > 0)
            .Select(w => plan with { Changes = new ChangeList(w) })
            .ToList();
    }
}
