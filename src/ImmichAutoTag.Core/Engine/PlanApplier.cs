using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

public enum ChangeKind
{
    Added,
    Removed,

    /// <summary>The asset was added to an album (<see cref="AppliedChange.AlbumName"/>); TagName is empty.</summary>
    AddedToAlbum,

    /// <summary>The asset's date was rewritten (<see cref="AppliedChange.OldValue"/> → <see cref="AppliedChange.NewValue"/>); TagName is empty.</summary>
    DateUpdated,

    /// <summary>An album was created (<see cref="AppliedChange.AlbumName"/>); AssetId is empty, its assets are AddedToAlbum changes.</summary>
    AlbumCreated,

    /// <summary>The asset was taken out of an album (a temporary album, or a synced album by tag → album sync); TagName is empty.</summary>
    RemovedFromAlbum,

    /// <summary>One of the tool's temporary albums was deleted; AssetId is empty.</summary>
    AlbumDeleted,

    /// <summary>An album was shared with a user (<see cref="AppliedChange.NewValue"/> = "email role"); AssetId is empty.</summary>
    AlbumShared,

    /// <summary>A user's role in an album changed (<see cref="AppliedChange.OldValue"/> → <see cref="AppliedChange.NewValue"/>).</summary>
    AlbumRoleChanged,

    /// <summary>An album stopped being shared with a user (<see cref="AppliedChange.OldValue"/> = "email role").</summary>
    AlbumUnshared,

    /// <summary>The asset's favourite flag was set or cleared (<see cref="AppliedChange.OldValue"/> → <see cref="AppliedChange.NewValue"/>, "true"/"false"); TagName is empty.</summary>
    FavoriteChanged,

    /// <summary>The asset was archived or brought back to the timeline (<see cref="AppliedChange.NewValue"/> "archive" or "timeline"); TagName is empty.</summary>
    ArchiveChanged,
}

/// <summary>One change the server accepted.</summary>
public sealed record AppliedChange(Guid AssetId, string FileName, string TagName, ChangeKind Kind, DateTimeOffset At)
{
    public Guid? AlbumId { get; init; }

    public string? AlbumName { get; init; }

    public string? OldValue { get; init; }

    public string? NewValue { get; init; }

    /// <summary>The user a sharing change concerns (Immich user id); null for other kinds.</summary>
    public Guid? UserId { get; init; }

    /// <summary>Why the run made it: the reason of the planned change it carries out; null when none is known.</summary>
    public ChangeReason? Reason { get; init; }

    /// <summary>
    /// For a tag change that went through an XMP sidecar (<see cref="NewValue"/> is the sidecar) which this write
    /// created: the tags the new sidecar was given besides the run's own (the asset's tags Immich showed then, the
    /// original's). An undo that leaves the sidecar with only these deletes it. Null when the sidecar existed before,
    /// or for any other change.
    /// </summary>
    public IReadOnlyList<string>? SidecarSeed { get; init; }
}

public enum EngineErrorKind
{
    CreateTags,
    AddTags,
    RemoveTags,
    Classify,
    UpdateDates,
    AddToAlbums,
    CreateAlbums,
    RemoveFromAlbums,
    DeleteAlbums,
    ShareAlbums,

    /// <summary>Setting favourite flags or archiving (PUT /assets) failed.</summary>
    UpdateAssets,

    /// <summary>An asset's search item could not be read; the asset was skipped (see <see cref="RunResult.Unreadable"/>).</summary>
    ReadAsset,

    /// <summary>An XMP sidecar could not be written, or Immich could not be asked to re-read it (see <see cref="Sidecars.SidecarRoute"/>).</summary>
    WriteSidecars,

    /// <summary>An outside service (a booru source) refused the key or login from the environment; its look-ups did not run.</summary>
    ServiceKeyRefused,
}

/// <summary>The words the console and reports use for an <see cref="EngineErrorKind"/>.</summary>
public static class EngineErrorKinds
{
    /// <summary>
    /// What failed, in the plan's words (<c>tag additions</c>, <c>favourite or archive changes</c>...), for a warning
    /// line such as "tag additions: adding tag 'x' failed: … (3 assets)"; never the enum's own name.
    /// </summary>
    public static string Describe(this EngineErrorKind kind) => kind switch
    {
        EngineErrorKind.CreateTags => "tag creation",
        EngineErrorKind.AddTags => "tag additions",
        EngineErrorKind.RemoveTags => "tag removals",
        EngineErrorKind.Classify => "classification",
        EngineErrorKind.UpdateDates => "date repairs",
        EngineErrorKind.AddToAlbums => "album additions",
        EngineErrorKind.CreateAlbums => "album creation",
        EngineErrorKind.RemoveFromAlbums => "album removals",
        EngineErrorKind.DeleteAlbums => "temporary album deletion",
        EngineErrorKind.ShareAlbums => "sharing changes",
        EngineErrorKind.UpdateAssets => "favourite or archive changes",
        EngineErrorKind.ReadAsset => "reading an asset",
        EngineErrorKind.WriteSidecars => "XMP sidecar writes",
        EngineErrorKind.ServiceKeyRefused => "an outside service's key",
        _ => kind.ToString(),
    };
}

/// <summary>A failed step; <see cref="AssetIds"/> are the assets it left unchanged.</summary>
public sealed record EngineError(EngineErrorKind Kind, string Message, IReadOnlyList<Guid> AssetIds, IReadOnlyList<string> TagNames, DateTimeOffset At);

/// <param name="Cancelled">Cancellation stopped the apply between two write calls; the rest was not started.</param>
public sealed record ApplyOutcome(IReadOnlyList<AppliedChange> Changes, IReadOnlyList<EngineError> Errors, bool Aborted, bool Cancelled = false);

/// <summary>
/// Carries out a <see cref="TagPlan"/>'s change list with bulk calls, one applier per kind of change, in an order that lets the
/// server converge: dates first (a date write makes Immich re-read the file's metadata, so the tag writes, the
/// most numerous, land last), then album creation, additions, removals and deletions, then sharing (a user an
/// album is shared with never sees it half filled), then tag additions and removals.
/// Cancellation is honoured only between write calls: a write that has started is finished (it gets
/// <see cref="CancellationToken.None"/>), so a stop request never leaves a chunk half applied or applied
/// but unreported. Each write is bounded by the gateway's own time-out.
/// </summary>
public sealed class PlanApplier
{
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IChangeApplier> _appliers;

    public PlanApplier(IImmichGateway gateway, TimeProvider time, ILogger logger)
    {
        _time = time;
        var additions = new AlbumAdditionApplier(gateway, logger);
        _appliers =
        [
            new DateApplier(gateway, logger),
            new AssetFlagApplier(gateway, logger),
            new AlbumCreationApplier(gateway, additions, logger),
            additions,
            new AlbumRemovalApplier(gateway, logger),
            new AlbumDeletionApplier(gateway, logger),
            new SharingApplier(gateway, logger),
            new TagAdditionApplier(gateway, logger),
            new TagRemovalApplier(gateway, logger),
        ];
    }

    public async Task<ApplyOutcome> ApplyAsync(
        TagPlan plan,
        IReadOnlyDictionary<Guid, Asset> assets,
        IReadOnlyList<Tag> existingTags,
        int chunkSize,
        bool failFast,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(existingTags);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);

        var run = new ApplyRun(assets, _time, failFast, chunkSize, progress)
        {
            TagCalls = TagRemovalApplier.Chunks(plan, chunkSize).Count,
        };
        foreach (var tag in existingTags)
        {
            run.TagIds.TryAdd(tag.Value, tag.Id);
        }

        foreach (var applier in _appliers)
        {
            await applier.ApplyAsync(plan, run, ct);
        }

        // Each accepted change carries the reason of the planned change it carries out (changes.jsonl shows it).
        var groups = plan.Changes.Groups;
        var accepted = run.Changes.Select(c => groups.ReasonOf(c) is { } reason ? c with { Reason = reason } : c).ToList();
        return new ApplyOutcome(accepted, run.Errors, run.Aborted, run.Cancelled);
    }
}
