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
/// The changes a run intends to make, computed before any write: one <see cref="ChangeList"/> of typed changes, each
/// with its reason, plus the verdicts and the findings that change nothing. The per-kind views below (tags to create,
/// tag additions and removals, album members, creations, deletions, sharing, dates) are projections of that list,
/// grouped the way the appliers send them. Only tags the tool owns (or the config names) appear here.
/// </summary>
/// <param name="Changes">Every planned change, in the order the steps emitted them.</param>
/// <param name="Statuses">Status of every evaluated asset.</param>
public sealed record TagPlan(ChangeList Changes, IReadOnlyDictionary<Guid, ClassificationStatus> Statuses)
{
    public static TagPlan Empty { get; } = new(ChangeList.Empty, new Dictionary<Guid, ClassificationStatus>());

    /// <summary>
    /// Whether additions of tags that do not exist create them. False for the verifier's re-apply: a tag that vanished
    /// since the run wrote it is not created again (its additions are reported as failed).
    /// </summary>
    public bool CreatesMissingTags { get; init; } = true;

    /// <summary>Tag paths that do not exist yet and are needed for additions (from <see cref="AddTag"/> without a tag id).</summary>
    public IReadOnlyList<string> TagsToCreate => CreatesMissingTags ? Changes.Groups.TagsToCreate : [];

    /// <summary>Tag path → assets that should get it (from <see cref="AddTag"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Guid>> Additions => Changes.Groups.Additions;

    /// <summary>Tag id → assets that should lose it (from <see cref="RemoveTag"/>).</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> Removals => Changes.Groups.Removals;

    /// <summary>Tag id → path, for every tag in <see cref="Removals"/> and every existing tag in <see cref="Additions"/>.</summary>
    public IReadOnlyDictionary<Guid, string> TagPaths => Changes.Groups.TagPaths;

    public int AdditionCount => Additions.Values.Sum(a => a.Count);

    public int RemovalCount => Removals.Values.Sum(a => a.Count);

    /// <summary>Assets to add to existing albums, one entry per album (from <see cref="AddAlbumMember"/>).</summary>
    public IReadOnlyList<AlbumAddition> AlbumAdditions => Changes.Groups.AlbumAdditions;

    /// <summary>Date repairs, one per asset (from <see cref="SetDate"/>).</summary>
    public IReadOnlyList<DateUpdate> DateUpdates => Changes.Groups.DateUpdates;

    /// <summary>Findings that change nothing by themselves (ambiguous dates, album date mismatches...), for the reports.</summary>
    public IReadOnlyList<PlanNote> Notes { get; init; } = [];

    public int AlbumAdditionCount => AlbumAdditions.Sum(a => a.AssetIds.Count);

    /// <summary>
    /// Albums to create, one per name, each with the assets it starts with (conversions, folder detection,
    /// temporary albums, tag → album sync), from <see cref="CreateAlbum"/>.
    /// </summary>
    public IReadOnlyList<AlbumCreation> AlbumsToCreate => Changes.Groups.AlbumsToCreate;

    /// <summary>Assets to take out of albums: the tool's own temporary albums, and synced albums (tag → album sync with <c>remove: true</c>).</summary>
    public IReadOnlyList<AlbumRemoval> AlbumRemovals => Changes.Groups.AlbumRemovals;

    /// <summary>The tool's own temporary albums to delete (they would be left empty).</summary>
    public IReadOnlyList<AlbumDeletion> AlbumDeletions => Changes.Groups.AlbumDeletions;

    /// <summary>Album sharing changes (album_permissions): users to add, re-role or remove.</summary>
    public IReadOnlyList<AlbumShareChange> SharingChanges => Changes.Groups.SharingChanges;

    public int AlbumRemovalCount => AlbumRemovals.Sum(a => a.AssetIds.Count);

    /// <summary>Album structure and membership changes: none of them touches an asset's sidecar.</summary>
    public bool HasAlbumChanges => AlbumAdditionCount > 0 || AlbumsToCreate.Count > 0 || AlbumRemovalCount > 0 || AlbumDeletions.Count > 0;

    public bool HasChanges => Changes.Count > 0;

    public IReadOnlyDictionary<ClassificationStatus, int> StatusCounts =>
        Enum.GetValues<ClassificationStatus>().ToDictionary(s => s, s => Statuses.Values.Count(v => v == s));
}

public sealed record AlbumAddition(Guid AlbumId, string AlbumName, IReadOnlyList<Guid> AssetIds);

/// <param name="Reason">Which feature asked for it (conversion, folder detection, temporary album, tag_album_sync).</param>
public sealed record AlbumCreation(string AlbumName, IReadOnlyList<Guid> AssetIds, string Reason);

public sealed record AlbumRemoval(Guid AlbumId, string AlbumName, IReadOnlyList<Guid> AssetIds);

public sealed record AlbumDeletion(Guid AlbumId, string AlbumName, string Reason)
{
    /// <summary>The assets the album held, which leave it with it: recorded as taken out, so an undo can put them back.</summary>
    public IReadOnlyList<Guid> AssetIds { get; init; } = [];
}

public enum ShareAction
{
    Share,
    ChangeRole,
    Unshare,
}

/// <summary>One user's access to one album of the key's user; <see cref="OldRole"/> is null when sharing, <see cref="NewRole"/> when unsharing.</summary>
public sealed record AlbumShareChange(Guid AlbumId, string AlbumName, Guid UserId, string Email, ShareAction Action, AlbumRole? OldRole, AlbumRole? NewRole, string Rule);

/// <param name="NewValue">The dateTimeOriginal to send (wall clock with offset); assets sharing it share one call.</param>
public sealed record DateUpdate(Guid AssetId, DateTimeOffset OldDate, DateTimeOffset NewDate, string NewValue, string Source);

public enum PlanNoteKind
{
    AmbiguousDate,
    AmbiguousAlbum,
    AlbumDateMismatch,
    DuplicateClassificationConflict,
    DuplicateAlbumConflict,
    AlbumDetectionConflict,

    /// <summary>album_permissions names an e-mail no Immich user has.</summary>
    UnknownShareUser,

    /// <summary>album_permissions.log_unmatched: an album of the key's user no selection rule matches.</summary>
    UnmatchedAlbum,

    /// <summary>A rule's tag entry (leaf name, or full path with '/') matches no tag on the server.</summary>
    UnknownRuleTag,

    /// <summary>A workflow condition's album name pattern matches no album on the server nor one the run creates.</summary>
    UnknownRuleAlbum,

    /// <summary>A workflow rule adds to an album no album is named like, and workflows.create_missing_albums is false.</summary>
    AlbumNotFound,

    /// <summary>Workflow rules whose actions keep switching each other's conditions on an asset (<see cref="Workflows.WorkflowPlanner.MaxPasses"/>).</summary>
    WorkflowUnsettled,

    /// <summary>Temporary albums exist, creation is off and the key may not take assets out of albums or delete them.</summary>
    TemporaryAlbumCleanupSkipped,

    /// <summary>tag_album_sync: several albums of the user carry the name a tag maps to; none is used.</summary>
    AmbiguousSyncAlbum,

    /// <summary>tag_album_sync: the album a tag maps to does not exist and create_missing_albums is off.</summary>
    MissingSyncAlbum,

    /// <summary>tag_album_sync (album → tag): an album's name gives no valid tag level (empty, blank, padded); not synced.</summary>
    UnusableSyncAlbumName,

    /// <summary>An earlier run's date write to this asset is still waiting for Immich's jobs; not written again.</summary>
    PendingDateWrite,

    /// <summary>Tags named like status tags that the tool did not create and the config does not name: left alone (<see cref="RetiredStatusTagsStep.Unmarked"/>).</summary>
    UnmarkedStatusTags,

    /// <summary>A workflow's favourite or archive action left out (or made alone) because the rule's tag does not stick on the asset.</summary>
    WorkflowFlagWithoutTag,
}

public sealed record PlanNote(PlanNoteKind Kind, Guid AssetId, string Message, string? AlbumName = null);

/// <summary>One asset's tags as they are and the owned tags it should carry.</summary>
/// <param name="Actual">Tags attached to the asset now (only relevant ones need be listed).</param>
/// <param name="Desired">Owned output tag paths the asset should carry; any other owned tag it carries is removed.</param>
/// <param name="Copies">Paths of existing non-output tags to add (classification copied from a duplicate).</param>
public sealed record TagTarget(Guid AssetId, IReadOnlyList<Tag> Actual, IReadOnlySet<string> Desired, IReadOnlyList<string> Copies)
{
    /// <summary>Non-output tags to remove, which the config asked for explicitly (a conversion in move mode).</summary>
    public IReadOnlyList<Tag> Drops { get; init; } = [];

    /// <summary>
    /// Why the asset should carry (or lose) a given tag path, for the paths a step has a reason of its own for
    /// (a duplicate conflict, a conversion, a label with its score); null or missing paths get <see cref="Reason"/>.
    /// </summary>
    public IReadOnlyDictionary<string, ChangeReason>? Reasons { get; init; }

    /// <summary>The reason of every other change to this asset's tags; null: the planner's default (its classification status).</summary>
    public ChangeReason? Reason { get; init; }

    /// <summary>The reason for a change to <paramref name="path"/>, or null when the target gives none.</summary>
    public ChangeReason? ReasonFor(string path) => Reasons is { } reasons && reasons.TryGetValue(path, out var r) ? r : Reason;
}

/// <summary>
/// Desired output tags minus actual ones gives additions; actual minus desired gives removals. Emits one
/// <see cref="AddTag"/> or <see cref="RemoveTag"/> per (asset, tag), each with the target's reason for that path.
/// </summary>
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

        // Partner assets show up in searches, but the key's user may not (and should not) tag them.
        var own = evaluations.Where(e => e.Asset.OwnerId == ownerId).ToList();
        return Plan(
            own.Select(e => new TagTarget(e.Asset.Id, e.Tags, outputs.DesiredFor(e.Status), [])).ToList(),
            outputs,
            existingTags,
            own.ToDictionary(e => e.Asset.Id, e => e.Status));
    }

    /// <param name="targets">Assets the run may change; callers leave out partner and filtered assets.</param>
    public static TagPlan Plan(
        IReadOnlyList<TagTarget> targets,
        OutputTags outputs,
        IReadOnlyList<Tag> existingTags,
        IReadOnlyDictionary<Guid, ClassificationStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(existingTags);
        ArgumentNullException.ThrowIfNull(statuses);

        var existing = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in existingTags)
        {
            existing.TryAdd(tag.Value, tag);
        }

        // Reasons are shared: a converged rerun plans nothing, and a first run's 100k additions need only a handful.
        var defaults = new Dictionary<(ClassificationStatus?, bool), ChangeReason>();
        ChangeReason Default(Guid assetId, bool add)
        {
            ClassificationStatus? status = statuses.TryGetValue(assetId, out var s) ? s : null;
            if (!defaults.TryGetValue((status, add), out var reason))
            {
                var verdict = status is { } st ? $"status {st.ToString().ToLowerInvariant()}" : "no status (a Live/Motion Photo's hidden video half)";
                reason = new ChangeReason("classification", add ? $"output tag for {verdict}" : $"owned output tag not wanted at {verdict}");
                defaults[(status, add)] = reason;
            }

            return reason;
        }

        AddTag Addition(TagTarget target, string path) =>
            new(target.AssetId, path, existing.TryGetValue(path, out var tag) ? tag.Id : null, target.ReasonFor(path) ?? Default(target.AssetId, add: true));

        RemoveTag Removal(TagTarget target, Tag tag) =>
            new(target.AssetId, tag.Id, tag.Value, target.ReasonFor(tag.Value) ?? Default(target.AssetId, add: false));

        // Plain loops: this runs once per asset of the library (100k and more), where LINQ's iterators and
        // closures cost more than the plan itself. The sets and lists per asset hold a handful of tags.
        var changes = new List<PlannedChange>();
        List<string>? missing = null;
        foreach (var target in targets)
        {
            // Desired output tags the asset lacks, added in path order.
            missing?.Clear();
            if (target.Desired.Count > 0)
            {
                foreach (var path in target.Desired)
                {
                    if (!CarriesOutputTag(target.Actual, path, outputs))
                    {
                        (missing ??= []).Add(path);
                    }
                }
            }

            if (missing is { Count: > 0 })
            {
                missing.Sort(StringComparer.Ordinal);
                foreach (var path in missing)
                {
                    changes.Add(Addition(target, path));
                }
            }

            for (var i = 0; i < target.Copies.Count; i++)
            {
                if (!Carries(target.Actual, target.Copies[i]))
                {
                    changes.Add(Addition(target, target.Copies[i]));
                }
            }

            // Owned tags it should not carry, then the tags a conversion drops (never an output tag).
            for (var i = 0; i < target.Actual.Count; i++)
            {
                var tag = target.Actual[i];
                if (outputs.IsOutputTag(tag.Value) && !target.Desired.Contains(tag.Value))
                {
                    changes.Add(Removal(target, tag));
                }
            }

            for (var i = 0; i < target.Drops.Count; i++)
            {
                var tag = target.Drops[i];
                if (!outputs.IsOutputTag(tag.Value))
                {
                    changes.Add(Removal(target, tag));
                }
            }
        }

        return new TagPlan(new ChangeList(changes), statuses);
    }

    private static bool Carries(IReadOnlyList<Tag> tags, string path)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i].Value, path, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool CarriesOutputTag(IReadOnlyList<Tag> tags, string path, OutputTags outputs)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i].Value, path, StringComparison.Ordinal) && outputs.IsOutputTag(path))
            {
                return true;
            }
        }

        return false;
    }
}
