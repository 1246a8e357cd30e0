namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// Thumbnail bytes kept between runs, so the report's grids cost no request for assets an earlier run already
/// showed. Keyed by asset id; entries expire, since an edit in Immich (rotation, crop) changes the picture.
/// </summary>
public interface IThumbnailCache
{
    /// <summary>The cached bytes of those of <paramref name="assetIds"/> stored at or after <paramref name="notBefore"/>.</summary>
    Task<IReadOnlyDictionary<Guid, byte[]>> GetAsync(IReadOnlyCollection<Guid> assetIds, DateTimeOffset notBefore, CancellationToken ct);

    /// <summary>Stores <paramref name="thumbnails"/> at <paramref name="now"/> and drops every entry not in <paramref name="keep"/>.</summary>
    Task StoreAsync(IReadOnlyDictionary<Guid, byte[]> thumbnails, IReadOnlyCollection<Guid> keep, DateTimeOffset now, CancellationToken ct);
}
