using System.Globalization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Date writes that land later: Immich answers a date write with the old dates and applies the new ones in a
/// job. A write the server had not applied when its run ended is remembered; the next run leaves the asset's
/// date alone while the asset still shows the date the write replaced, until the write lands or expires.
/// </summary>
internal static class PendingDates
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    /// <summary>Drops planned date writes an earlier run already sent; returns the plan and the writes still pending.</summary>
    public static (TagPlan Plan, IReadOnlyList<PendingDateWrite> StillPending) Hold(
        TagPlan plan, IReadOnlyList<PendingDateWrite> pending, IReadOnlyList<Asset> assets, DateTimeOffset now, TimeSpan expiry)
    {
        if (pending.Count == 0)
        {
            return (plan, pending);
        }

        var byId = assets.ToDictionary(a => a.Id);
        var still = new List<PendingDateWrite>();
        foreach (var write in pending)
        {
            // Landed, gone, changed by someone else, or waited for too long: forget it and let planning decide.
            if (byId.GetValueOrDefault(write.AssetId) is { } asset
                && (asset.FileCreatedAt - write.OldDate).Duration() < Tolerance
                && (asset.FileCreatedAt - write.NewDate).Duration() >= Tolerance
                && now - write.WrittenAt < expiry)
            {
                still.Add(write);
            }
        }

        var held = still.ToDictionary(w => w.AssetId);
        var notes = new List<PlanNote>();
        bool Held(PlannedChange change)
        {
            if (change is SetDate update && held.TryGetValue(update.AssetId, out var write) && (write.NewDate - update.NewDate).Duration() < Tolerance)
            {
                notes.Add(new PlanNote(PlanNoteKind.PendingDateWrite, update.AssetId, string.Create(CultureInfo.InvariantCulture, $"date {write.NewValue} written at {write.WrittenAt:yyyy-MM-dd'T'HH:mm:ss'Z'} is not applied by Immich yet; not written again")));
                return true;
            }

            return false;
        }

        var kept = plan.Changes.Without(Held);
        return (plan with { Changes = kept, Notes = [.. plan.Notes, .. notes] }, still);
    }

    /// <summary>What to remember after the apply: earlier writes still pending plus this run's writes that did not land.</summary>
    /// <param name="unverified">True when the apply stopped early and its writes were not checked: all of them are remembered.</param>
    public static IReadOnlyList<PendingDateWrite> Remember(
        IReadOnlyList<PendingDateWrite> earlier, IReadOnlyList<DateUpdate> planned, IReadOnlyList<AppliedChange> changes, IReadOnlyList<AppliedChange> notLanded, bool unverified)
    {
        var plannedById = planned.ToDictionary(u => u.AssetId);
        var open = unverified ? changes.Where(c => c.Kind == ChangeKind.DateUpdated) : notLanded;
        var result = earlier.ToDictionary(w => w.AssetId);
        foreach (var change in open)
        {
            if (plannedById.TryGetValue(change.AssetId, out var update))
            {
                result[change.AssetId] = new PendingDateWrite(change.AssetId, update.OldDate, update.NewDate, update.NewValue, change.At);
            }
        }

        return [.. result.Values.OrderBy(w => w.AssetId)];
    }
}
