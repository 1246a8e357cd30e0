using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>The verdict on one asset of the key's user, with the facts behind it, for reports.</summary>
public sealed record AssetEvaluation(
    Asset Asset,
    IReadOnlyList<string> AlbumNames,
    IReadOnlyList<Tag> Tags,
    AssetClassification Classification)
{
    public ClassificationStatus Status => Classification.Status;
}

/// <summary>
/// The changes a run intends to make, computed before any write. Only configured output tags appear here.
/// </summary>
/// <param name="TagsToCreate">Output tag paths that do not exist yet and are needed for additions.</param>
/// <param name="Additions">Tag path → assets that should get it.</param>
/// <param name="Removals">Tag id → assets that should lose it.</param>
/// <param name="TagPaths">Tag id → path, for every tag in <paramref name="Removals"/> and every existing tag in <paramref name="Additions"/>.</param>
/// <param name="Statuses">Status of every evaluated asset.</param>
public sealed record TagPlan(
    IReadOnlyList<string> TagsToCreate,
    IReadOnlyDictionary<string, IReadOnlyList<Guid>> Additions,
    IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> Removals,
    IReadOnlyDictionary<Guid, string> TagPaths,
    IReadOnlyDictionary<Guid, ClassificationStatus> Statuses)
{
    public static TagPlan Empty { get; } = new([], new Dictionary<string, IReadOnlyList<Guid>>(), new Dictionary<Guid, IReadOnlyList<Guid>>(), new Dictionary<Guid, string>(), new Dictionary<Guid, ClassificationStatus>());

    public int AdditionCount => Additions.Values.Sum(a => a.Count);

    public int RemovalCount => Removals.Values.Sum(a => a.Count);

    public bool HasChanges => TagsToCreate.Count > 0 || AdditionCount > 0 || RemovalCount > 0;

    public IReadOnlyDictionary<ClassificationStatus, int> StatusCounts =>
        Enum.GetValues<ClassificationStatus>().ToDictionary(s => s, s => Statuses.Values.Count(v => v == s));
}

/// <summary>Desired output tags minus actual ones gives additions; actual minus desired gives removals.</summary>
public static class TagPlanner
{
    /// <param name="evaluations">Assets to consider; any not owned by <paramref name="ownerId"/> are ignored.</param>
    /// <param name="existingTags">Every tag on the server, to find which output tags must be created.</param>
    public static TagPlan Plan(
        IReadOnlyList<AssetEvaluation> evaluations,
        OutputTags outputs,
        IReadOnlyList<Tag> existingTags,
        Guid ownerId)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(existingTags);

        var additions = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var removals = new Dictionary<Guid, List<Guid>>();
        var tagPaths = new Dictionary<Guid, string>();
        var statuses = new Dictionary<Guid, ClassificationStatus>();

        // One set per status instead of one per asset: at 100k assets the per-asset sets and LINQ were most of
        // the planner's allocations.
        var desiredFor = Enum.GetValues<ClassificationStatus>().ToDictionary(s => s, outputs.DesiredFor);
        var actual = new List<Tag>();
        foreach (var evaluation in evaluations)
        {
            // Partner assets show up in searches, but the key's user may not (and should not) tag them.
            if (evaluation.Asset.OwnerId != ownerId)
            {
                continue;
            }

            var assetId = evaluation.Asset.Id;
            statuses[assetId] = evaluation.Status;
            var desired = desiredFor[evaluation.Status];
            actual.Clear();
            foreach (var tag in evaluation.Tags)
            {
                if (outputs.IsOutputTag(tag.Value))
                {
                    actual.Add(tag);
                }
            }

            foreach (var path in desired)
            {
                if (!actual.Exists(t => string.Equals(t.Value, path, StringComparison.Ordinal)))
                {
                    Add(additions, path, assetId);
                }
            }

            foreach (var tag in actual)
            {
                if (!desired.Contains(tag.Value))
                {
                    Add(removals, tag.Id, assetId);
                    tagPaths[tag.Id] = tag.Value;
                }
            }
        }

        var existing = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in existingTags)
        {
            existing.TryAdd(tag.Value, tag);
        }

        foreach (var path in additions.Keys)
        {
            if (existing.TryGetValue(path, out var tag))
            {
                tagPaths[tag.Id] = path;
            }
        }

        return new TagPlan(
            additions.Keys.Where(p => !existing.ContainsKey(p)).Order(StringComparer.Ordinal).ToList(),
            additions.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value, StringComparer.Ordinal),
            removals.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value),
            tagPaths,
            statuses);
    }

    private static void Add<TKey>(Dictionary<TKey, List<Guid>> map, TKey key, Guid assetId)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(assetId);
    }
}
