using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// A workflow rule's favourite flag or archive move goes together with the tags the same rule adds to the asset: the
/// tag is the visible reason ("why is this archived?"), so a flag without it cannot be found again by that tag. On an
/// asset whose rule tag Immich never keeps (a read-only external library, see <see cref="NonStickingChanges"/>), the
/// flag is held back with the tag, and the plan says so. A flag applied in the run whose tag Immich then reverted (the
/// first runs, before the tag is known not to stick) is reported as made without its tag.
/// </summary>
public static class WorkflowFlagTags
{
    /// <summary>
    /// The plan without the workflow flag changes whose rule's tag addition on the same asset was held back as not
    /// sticking, and one note per held flag.
    /// </summary>
    /// <param name="plan">The plan after <see cref="NonStickingChanges.Hold"/>.</param>
    /// <param name="unheld">The plan before it (holding the tag additions that were held back).</param>
    /// <param name="held">The records held back.</param>
    public static (TagPlan Plan, IReadOnlyList<PlanNote> Notes) Hold(TagPlan plan, TagPlan unheld, IReadOnlyList<NonStickingChange> held)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(unheld);
        ArgumentNullException.ThrowIfNull(held);
        if (held.Count == 0 || plan.Changes.Groups.FlagUpdates.Count == 0)
        {
            return (plan, []);
        }

        var heldAdds = held.Where(h => h.Kind == ChangeKind.Added).Select(h => (h.AssetId, h.TagName)).ToHashSet();
        var tagOf = new Dictionary<(Guid, ChangeReason), string>();
        foreach (var add in unheld.Changes.OfKind<AddTag>())
        {
            if (add.Reason.Step == WorkflowPlanner.StepName && heldAdds.Contains((add.AssetId, add.TagPath)))
            {
                tagOf.TryAdd((add.AssetId, add.Reason), add.TagPath);
            }
        }

        if (tagOf.Count == 0)
        {
            return (plan, []);
        }

        var notes = new List<PlanNote>();
        var kept = plan.Changes.Without(c =>
        {
            var (asset, what) = c switch
            {
                SetFavorite f => (f.AssetId, f.IsFavorite ? "mark it as a favourite" : "take it out of the favourites"),
                SetArchived a => (a.AssetId, a.Archived ? "archive it" : "bring it back to the timeline"),
                _ => (Guid.Empty, string.Empty),
            };
            if (asset == Guid.Empty || !tagOf.TryGetValue((asset, c.Reason), out var tag))
            {
                return false;
            }

            notes.Add(new PlanNote(
                PlanNoteKind.WorkflowFlagWithoutTag,
                asset,
                $"workflows: {c.Reason.Text} would {what}, but its tag '{tag}' does not stick on this asset (Immich reverts it, e.g. a read-only external library): held back with the tag, so the asset is never changed without the tag that says why"));
            return true;
        });
        return notes.Count == 0 ? (plan, notes) : (plan with { Changes = kept }, notes);
    }

    /// <summary>
    /// Notes for the workflow flag changes the run applied whose rule's tag addition on the same asset Immich did not
    /// keep (still wrong after the last re-apply round): the flag stands without its tag.
    /// </summary>
    /// <param name="applied">The changes the server accepted.</param>
    /// <param name="stillWrong">Those Immich did not keep.</param>
    public static IReadOnlyList<PlanNote> WithoutTag(IReadOnlyList<AppliedChange> applied, IReadOnlyList<AppliedChange> stillWrong)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(stillWrong);
        var lost = new Dictionary<(Guid, ChangeReason), string>();
        foreach (var change in stillWrong)
        {
            if (change.Kind == ChangeKind.Added && change.Reason is { Step: WorkflowPlanner.StepName } reason)
            {
                lost.TryAdd((change.AssetId, reason), change.TagName);
            }
        }

        if (lost.Count == 0)
        {
            return [];
        }

        var notKept = stillWrong.Select(c => (c.AssetId, c.Kind)).ToHashSet();
        var notes = new List<PlanNote>();
        foreach (var change in applied)
        {
            if (change.Kind is not (ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged)
                || change.Reason is not { } reason
                || notKept.Contains((change.AssetId, change.Kind))
                || !lost.TryGetValue((change.AssetId, reason), out var tag))
            {
                continue;
            }

            var done = change.Kind == ChangeKind.FavoriteChanged
                ? change.NewValue == "true" ? "marked as a favourite" : "taken out of the favourites"
                : change.NewValue == "archive" ? "archived" : "brought back to the timeline";
            notes.Add(new PlanNote(
                PlanNoteKind.WorkflowFlagWithoutTag,
                change.AssetId,
                $"workflows: {reason.Text}: {done} without its tag '{tag}': Immich reverted the tag (e.g. a read-only external library); once it is known not to stick, the rule's flag changes on this asset are held back with it (undo this run to put the flag back)"));
        }

        return notes;
    }
}
