namespace ImmichAutoTag.Core.Domain;

public enum AssetType
{
    Image,
    Video,
    Audio,
    Other,
}

public enum AssetVisibility
{
    Timeline,
    Archive,
    Hidden,
    Locked,
}

/// <summary>An asset as a search page returns it: no tags, no albums.</summary>
/// <remarks>
/// A Live/Motion Photo is two assets: the still, whose <see cref="LivePhotoVideoId"/> names the video, and the
/// video itself, which Immich keeps with <see cref="AssetVisibility.Hidden"/> (its "motion part").
/// </remarks>
public sealed record Asset(
    Guid Id,
    Guid OwnerId,
    AssetType Type,
    string OriginalFileName,
    string OriginalPath,
    DateTimeOffset FileCreatedAt,
    DateTimeOffset LocalDateTime,
    DateTimeOffset UpdatedAt,
    Guid? DuplicateId,
    bool IsTrashed,
    bool IsArchived,
    bool IsFavorite,
    AssetVisibility Visibility)
{
    /// <summary>The hidden video half of this Live/Motion Photo (Immich's <c>livePhotoVideoId</c>); null for other assets.</summary>
    public Guid? LivePhotoVideoId { get; init; }
}

/// <summary>An asset with the tags attached to it directly (ancestors of those tags are not listed).</summary>
public sealed record AssetDetail(Asset Asset, IReadOnlyList<Tag> Tags);
