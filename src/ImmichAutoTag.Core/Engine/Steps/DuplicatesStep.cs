using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// duplicate_processing: per duplicate group (of classified members, listed by the classification step), copies a
/// lone classification tag to the members without one (upstream's autofix) or marks a classification conflict, adds
/// unclassified members to the one rule album their duplicates are in, and marks groups spread over several rule
/// albums. Members it changes are classified again, so the steps after it see the new verdict.
/// </summary>
internal sealed class DuplicatesStep(AutoTagConfig config, RunOptions options) : IFeatureStep
{
    private static readonly ChangeReason PropagationReason = new("duplicates", "album of its duplicates");
    private readonly HashSet<string> _filteredOutTags = config.Filters.FilterOut.SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal);
    private readonly DuplicateProcessingConfig _config = config.DuplicateProcessing;

    /// <summary>The reason of a tag copied to an asset from a duplicate.</summary>
    public static ChangeReason CopiedFromDuplicateReason { get; } = new("duplicates", "classification copied from a duplicate");

    public string Name => "duplicates";

    public string ConfigSection => "duplicate_processing";

    public bool Enabled => true;

    public ReadNeeds Reads { get; } = new()
    {
        // Copies, album propagation and conflict tags all judge groups by their classification.
        Duplicates = options.DuplicateDetection
            && (config.Classification.Rules.Count > 0
                || !string.IsNullOrWhiteSpace(config.DuplicateProcessing.AutotagClassificationConflict)
                || !string.IsNullOrWhiteSpace(config.DuplicateProcessing.AutotagClassificationConflictPrefix)
                || !string.IsNullOrWhiteSpace(config.DuplicateProcessing.AutotagAlbumConflict)),
    };

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var conflictGroups = new HashSet<Guid>();
        var albumConflictGroups = new HashSet<Guid>();
        foreach (var (id, members) in state.Groups)
        {
            PlanClassificationFromDuplicates(state, id, members, conflictGroups);
            if (options.AlbumPropagation && _config.AddToAlbumOfDuplicates)
            {
                PlanAlbumPropagation(state, members);
            }

            var ruleAlbums = members.SelectMany(m => m.Albums).Select(a => a.Name).Where(state.IsRuleAlbum).Distinct(StringComparer.Ordinal).ToList();
            if (ruleAlbums.Count >= 2)
            {
                albumConflictGroups.Add(id);
                state.Note(PlanNoteKind.DuplicateAlbumConflict, members[0].Asset.Id, $"duplicate group {id} spans the rule albums {string.Join(", ", ruleAlbums.Order(StringComparer.Ordinal))}");
            }
        }

        if (conflictGroups.Count + albumConflictGroups.Count > 0)
        {
            WantConflictTags(state, conflictGroups, albumConflictGroups);
        }

        return StepPlan.None;
    }

    /// <summary>Every in-scope member of a group in conflict carries the conflict tags (generic and per group).</summary>
    private static void WantConflictTags(AssetPlanning state, HashSet<Guid> conflictGroups, HashSet<Guid> albumConflictGroups)
    {
        var outputs = state.Outputs;
        foreach (var f in state.Assets.Values)
        {
            if (!f.InScope || f.Classification is null || f.Group is not { } group)
            {
                continue;
            }

            if (conflictGroups.Contains(group))
            {
                var why = new ChangeReason("duplicates", $"duplicate group {group} has differing classification tags");
                state.Want(f.Asset.Id, outputs.DuplicateClassificationConflict, why);
                state.Want(f.Asset.Id, outputs.ClassificationConflictTagFor(group), why);
            }

            if (albumConflictGroups.Contains(group))
            {
                var why = new ChangeReason("duplicates", $"duplicate group {group} spans several rule albums");
                state.Want(f.Asset.Id, outputs.DuplicateAlbumConflict, why);
                state.Want(f.Asset.Id, outputs.AlbumConflictTagFor(group), why);
            }
        }
    }

    private void PlanClassificationFromDuplicates(AssetPlanning state, Guid groupId, List<PlannedAsset> members, HashSet<Guid> conflictGroups)
    {
        static string Key(PlannedAsset f) => string.Join('\n', ClassificationTags(f).Order(StringComparer.Ordinal));
        var distinct = members.Select(Key).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 1)
        {
            return;
        }

        var nonEmpty = distinct.Where(k => k.Length > 0).ToList();
        if (distinct.Count == 2 && nonEmpty.Count == 1 && !nonEmpty[0].Contains('\n', StringComparison.Ordinal))
        {
            // One side has exactly one classification tag and the other none: copy it (upstream's autofix) when
            // the config allows changing user tags; either way this is no conflict.
            var name = nonEmpty[0];
            if (!_config.CopyClassificationFromDuplicates || _filteredOutTags.Contains(name))
            {
                return;
            }

            var tag = members.SelectMany(m => m.Tags).First(t => string.Equals(t.Value, name, StringComparison.Ordinal) || (string.Equals(t.Name, name, StringComparison.Ordinal) && !state.ToolTags.Covers(t.Value)));
            if (state.ToolTags.Covers(tag.Value))
            {
                // A CLIP label or booru tag a rule names by its full path: the enrichment step gives each member its
                // own, from its own picture; a copy would be taken off again by that step on the next run.
                return;
            }

            // A member the user took the copied tag off again stays without it (a correction).
            foreach (var m in members.Where(m => m.InScope && Key(m).Length == 0 && !state.Refused(new AddTag(m.Asset.Id, tag.Value, tag.Id, CopiedFromDuplicateReason))))
            {
                m.EditableTags.Add(tag);
                (state.Copies.TryGetValue(m.Asset.Id, out var list) ? list : state.Copies[m.Asset.Id] = []).Add(tag.Value);
                state.DuplicateCopies[m.Asset.Id] = [tag.Value];
                m.Classification = state.Classify(m);
            }

            return;
        }

        conflictGroups.Add(groupId);
        state.Note(PlanNoteKind.DuplicateClassificationConflict, members[0].Asset.Id, $"duplicate group {groupId} has differing classification tags: {string.Join(" / ", distinct.Select(k => k.Length == 0 ? "(none)" : k.Replace('\n', ',')))}");
    }

    private static IEnumerable<string> ClassificationTags(PlannedAsset f) =>
        f.Classification!.Matches.SelectMany(m => m.MatchedTagNames).Distinct(StringComparer.Ordinal); // non-null: groups hold classified members only

    private static void PlanAlbumPropagation(AssetPlanning state, List<PlannedAsset> members)
    {
        foreach (var m in members.Where(m => m.InScope && m.Classification!.Status == ClassificationStatus.Unclassified)) // non-null: see ClassificationTags
        {
            var candidates = members
                .Where(o => o.Asset.Id != m.Asset.Id)
                .SelectMany(o => o.OriginalAlbums)
                .Where(a => state.IsRuleAlbum(a.Name) && !state.IsFilteredAlbum(a.Name))
                .DistinctBy(a => a.Id)
                .ToList();
            var names = candidates.Select(a => a.Name).Distinct(StringComparer.Ordinal).ToList();
            if (names.Count != 1)
            {
                continue;
            }

            if (candidates.Count > 1)
            {
                state.Note(PlanNoteKind.AmbiguousAlbum, m.Asset.Id, $"its duplicates are in {candidates.Count} albums named '{names[0]}'; not added to any", names[0]);
                continue;
            }

            var album = candidates[0];
            if (state.Refused(new AddAlbumMember(m.Asset.Id, album.Id, album.Name, PropagationReason)))
            {
                // The user took it out of that album after the tool had put it in: it stays out, and unclassified.
                continue;
            }

            m.EditableAlbums.Add(album);
            m.Classification = state.Classify(m);
            state.Albums.AddTo(album, m.Asset.Id, PropagationReason);
            state.Propagated.Add(m.Asset.Id);
        }
    }
}
