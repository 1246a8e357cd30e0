using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Tag changes Immich never keeps. On an external library mounted read-only Immich cannot write the XMP sidecar,
/// and the metadata re-read that follows every tag change brings back the file's tags: the change is reverted in
/// every verification round, run after run. A change reverted in every round of two runs in a row is recorded as
/// "does not stick" and left out of later plans, until a full pass retries it, the record is older than the retry
/// interval, or the asset's file changed (its checksum). A change that sticks again loses its record.
/// Works on the verifier's final still-wrong list only, so it does not depend on how verification is done.
/// </summary>
public static class NonStickingChanges
{
    /// <summary>The records of changes left out of <paramref name="plan"/>, and the plan without them.</summary>
    /// <param name="plan">This run's plan.</param>
    /// <param name="records">What earlier runs recorded.</param>
    /// <param name="assets">Every asset the walk read.</param>
    /// <param name="retryAll">A full pass: every recorded change is tried again.</param>
    /// <param name="now">The run's clock.</param>
    /// <param name="retryAfter">A record last tried this long ago is tried again, whatever the pass.</param>
    public static (TagPlan Plan, IReadOnlyList<NonStickingChange> Held) Hold(
        TagPlan plan, IReadOnlyList<NonStickingChange> records, IReadOnlyList<Asset> assets, bool retryAll, DateTimeOffset now, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(assets);
        if (retryAll || records.Count == 0)
        {
            return (plan, []);
        }

        var byId = assets.ToDictionary(a => a.Id);
        var holdable = records
            .Where(r => r.DoesNotStick
                && now - r.LastSeen < retryAfter
                && byId.TryGetValue(r.AssetId, out var asset)
                && string.Equals(asset.Checksum, r.Checksum, StringComparison.Ordinal))
            .ToDictionary(r => (r.AssetId, r.Kind, r.TagName));
        if (holdable.Count == 0)
        {
            return (plan, []);
        }

        var held = new List<NonStickingChange>();

        // A tag wanted only by held additions is not created: the list then has no addition naming it.
        var kept = plan.Changes.Without(c => c switch
        {
            AddTag a => Holds((a.AssetId, ChangeKind.Added, a.TagPath)),
            RemoveTag r => Holds((r.AssetId, ChangeKind.Removed, r.TagPath)),
            _ => false,
        });
        return (plan with { Changes = kept }, held);

        bool Holds((Guid, ChangeKind, string) key)
        {
            if (!holdable.TryGetValue(key, out var record))
            {
                return false;
            }

            held.Add(record);
            return true;
        }
    }

    /// <summary>
    /// What to record after the run: the held records unchanged, and every tag change still wrong after the last
    /// re-apply round, counted one run further than its earlier record. Everything else is forgotten: it stuck,
    /// or is no longer wanted.
    /// </summary>
    /// <param name="unverified">True when the apply stopped early and was not verified: the earlier records are kept as they were.</param>
    public static IReadOnlyList<NonStickingChange> Remember(
        IReadOnlyList<NonStickingChange> earlier,
        IReadOnlyList<NonStickingChange> held,
        IReadOnlyList<AppliedChange> stillWrong,
        IReadOnlyDictionary<Guid, Asset> assets,
        bool unverified,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(stillWrong);
        ArgumentNullException.ThrowIfNull(assets);
        if (unverified)
        {
            return earlier;
        }

        var before = earlier.ToDictionary(r => (r.AssetId, r.Kind, r.TagName));
        var result = held.ToDictionary(r => (r.AssetId, r.Kind, r.TagName));
        foreach (var change in stillWrong.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed))
        {
            var key = (change.AssetId, change.Kind, change.TagName);
            var asset = assets.GetValueOrDefault(change.AssetId);
            result[key] = before.TryGetValue(key, out var record)
                ? record with { LastSeen = now, Runs = record.Runs + 1, Checksum = asset?.Checksum, LibraryId = asset?.LibraryId ?? record.LibraryId }
                : new NonStickingChange(change.AssetId, asset?.LibraryId, change.Kind, change.TagName, change.FileName, asset?.Checksum, now, now, 1);
        }

        return [.. result.Values.OrderBy(r => r.AssetId).ThenBy(r => r.Kind).ThenBy(r => r.TagName, StringComparer.Ordinal)];
    }
}
