namespace ImmichAutoTag.Core.Ports;

/// <summary>What the tool added to an asset or set on it: a tag (by path), an album membership (by album id), a flag (by the value set).</summary>
public enum AdditionKind
{
    /// <summary>A tag; <see cref="ToolAddition.Target"/> is its full path.</summary>
    Tag,

    /// <summary>An album membership; <see cref="ToolAddition.Target"/> is the album id (<c>D</c> format).</summary>
    Album,

    /// <summary>The favourite flag a workflow set; <see cref="ToolAddition.Target"/> is the value set, <c>true</c> or <c>false</c>.</summary>
    Favorite,

    /// <summary>The archive move a workflow made; <see cref="ToolAddition.Target"/> is where it moved the asset, <c>archive</c> or <c>timeline</c>.</summary>
    Archive,
}

/// <summary>
/// A tag or album membership a run of the tool added to an asset, or a favourite flag or archive state it set, and
/// Immich kept (verified at the end of that run).
/// </summary>
/// <param name="AssetId">The asset (Immich <c>id</c>).</param>
/// <param name="Kind">Tag, album or flag.</param>
/// <param name="Target">The tag path, the album id, or the flag's value (see <see cref="AdditionKind"/>).</param>
/// <param name="Label">What reports show: the tag path, the album's name when it was added, or the flag change in words (<c>favourite set</c>, <c>archived</c>...).</param>
/// <param name="Step">The feature step that planned it (<c>ChangeReason.Step</c>: classification, clip_labels, a booru step...).</param>
/// <param name="AddedAt">When the run added it (UTC).</param>
public sealed record ToolAddition(Guid AssetId, AdditionKind Kind, string Target, string Label, string Step, DateTimeOffset AddedAt);

/// <summary>A <see cref="ToolAddition"/> the user took away (or, for a flag, put back) again: the tool never makes it on that asset again.</summary>
/// <param name="Addition">What the tool had added or set.</param>
/// <param name="RemovedAt">When a run first found it gone (UTC); the removal itself happened between two runs.</param>
public sealed record UserCorrection(ToolAddition Addition, DateTimeOffset RemovedAt);

/// <summary>The additions the tool made and the user's corrections of them, per server and user (the scope).</summary>
/// <param name="Additions">Additions still in place when last seen.</param>
/// <param name="Corrections">Additions the user removed.</param>
public sealed record CorrectionState(IReadOnlyList<ToolAddition> Additions, IReadOnlyList<UserCorrection> Corrections)
{
    public static CorrectionState Empty { get; } = new([], []);
}

/// <summary>Keeps <see cref="CorrectionState"/> between runs (and restarts), per scope.</summary>
public interface ICorrectionStore
{
    /// <summary>The scope's state; empty when nothing was recorded.</summary>
    Task<CorrectionState> LoadAsync(string scope, CancellationToken ct);

    /// <summary>Replaces the scope's state.</summary>
    Task SaveAsync(string scope, CorrectionState state, CancellationToken ct);
}
