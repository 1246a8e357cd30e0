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

    /// <summary>
    /// The external library the asset was imported from (Immich's <c>libraryId</c>, deprecated in the spec but still
    /// sent by 3.x); null for uploaded assets.
    /// </summary>
    public Guid? LibraryId { get; init; }

    /// <summary>
    /// Immich's <c>checksum</c> of the original file (base64 SHA-1): it changes when the file does, unlike
    /// <see cref="UpdatedAt"/>, which every tag change and metadata re-read moves. Null when not known.
    /// </summary>
    public string? Checksum { get; init; }

    /// <summary>
    /// When the asset was uploaded to Immich (its <c>createdAt</c>: "the UTC timestamp when the asset was originally
    /// uploaded to Immich", unlike <see cref="FileCreatedAt"/>, the file's own date); null when not known.
    /// </summary>
    public DateTimeOffset? UploadedAt { get; init; }

    /// <summary>
    /// The camera make (Immich's <c>exifInfo.make</c>, from the file's EXIF Make); null when the file has none or the
    /// search did not ask for EXIF data (<c>withExif</c>, see <see cref="Ports.AssetQuery.WithExif"/>).
    /// </summary>
    public string? CameraMake { get; init; }

    /// <summary>The camera model (Immich's <c>exifInfo.model</c>, EXIF Model); null as for <see cref="CameraMake"/>.</summary>
    public string? CameraModel { get; init; }
}

/// <summary>An asset with the tags attached to it directly (ancestors of those tags are not listed).</summary>
public sealed record AssetDetail(Asset Asset, IReadOnlyList<Tag> Tags);

/// <summary>
/// A search item the tool could not read (a field missing or null that the API requires, a value of the wrong
/// type or out of range, an enum value this version does not know, an ISO date with an extended year…). The run
/// skips the asset and reports it; the other items of the page are read as usual.
/// </summary>
/// <param name="Id">The item's <c>id</c> when that much could be read; null otherwise.</param>
/// <param name="FileName">The item's <c>originalFileName</c> when readable, to help find the asset without an id.</param>
/// <param name="Reason">What could not be read, naming the JSON field (e.g. <c>$.fileCreatedAt</c>).</param>
public sealed record UnreadableAsset(Guid? Id, string? FileName, string Reason);

/// <summary>One page of a metadata search: the assets read, and the items that could not be read.</summary>
public sealed class AssetPage(IReadOnlyList<Asset> assets, IReadOnlyList<UnreadableAsset> unreadable) : IReadOnlyList<Asset>
{
    public AssetPage(IReadOnlyList<Asset> assets)
        : this(assets, [])
    {
    }

    /// <summary>Items of the page skipped because their fields could not be read.</summary>
    public IReadOnlyList<UnreadableAsset> Unreadable { get; } = unreadable;

    public int Count => assets.Count;

    public Asset this[int index] => assets[index];

    public IEnumerator<Asset> GetEnumerator() => assets.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
