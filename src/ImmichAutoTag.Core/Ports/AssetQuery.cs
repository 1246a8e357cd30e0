using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Ports;

/// <summary>Filters of a metadata search. Empty means every asset visible to the key (own and partner assets).</summary>
public sealed record AssetQuery
{
    public IReadOnlyList<Guid> AlbumIds { get; init; } = [];
    public IReadOnlyList<Guid> TagIds { get; init; } = [];
    public DateTimeOffset? UpdatedAfter { get; init; }
    public DateTimeOffset? UpdatedBefore { get; init; }
    public AssetType? Type { get; init; }
    public AssetVisibility? Visibility { get; init; }
    public bool WithDeleted { get; init; }

    /// <summary>
    /// Ask for each item's <c>exifInfo</c> (<c>withExif</c>), so <see cref="Domain.Asset.CameraMake"/> and
    /// <see cref="Domain.Asset.CameraModel"/> are filled; it makes every item several hundred bytes larger.
    /// </summary>
    public bool WithExif { get; init; }

    /// <summary>1..1000; Immich's own default is 250, a full walk should use the maximum.</summary>
    public int PageSize { get; init; } = 1000;

    public static AssetQuery All { get; } = new();
}

/// <summary>Fields of a bulk asset update; null leaves a field unchanged.</summary>
public sealed record AssetBulkUpdate(IReadOnlyList<Guid> Ids)
{
    public string? DateTimeOriginal { get; init; }
    public Guid? DuplicateId { get; init; }
    public string? Description { get; init; }

    /// <summary>The favourite flag to set (<c>isFavorite</c>); null leaves it.</summary>
    public bool? IsFavorite { get; init; }

    /// <summary>The visibility to set (<c>visibility</c>); null leaves it.</summary>
    public Domain.AssetVisibility? Visibility { get; init; }
}
