namespace ImmichAutoTag.Core.Ports;

/// <summary>The Immich API-key permissions (x-immich-permission in the spec) behind each gateway operation.</summary>
public static class ImmichPermissions
{
    public const string All = "all";
    public const string AssetRead = "asset.read";
    public const string AssetStatistics = "asset.statistics";
    public const string AssetUpdate = "asset.update";
    public const string AssetView = "asset.view";
    public const string AlbumRead = "album.read";
    public const string AlbumCreate = "album.create";
    public const string AlbumDelete = "album.delete";
    public const string AlbumAssetCreate = "albumAsset.create";
    public const string AlbumAssetDelete = "albumAsset.delete";
    public const string TagRead = "tag.read";
    public const string TagCreate = "tag.create";
    public const string TagAsset = "tag.asset";
    public const string TagDelete = "tag.delete";
    public const string DuplicateRead = "duplicate.read";
    public const string UserRead = "user.read";
    public const string QueueRead = "queue.read";
    public const string QueueUpdate = "queue.update";

    /// <summary>What a run needs to read the library and keep its output tags right.</summary>
    public static IReadOnlyList<PermissionNeed> ForRun { get; } =
    [
        new(UserRead, "identify the key's owner (GET /users/me)"),
        new(AssetRead, "walk the library (POST /search/metadata)"),
        new(AlbumRead, "list albums (GET /albums)"),
        new(TagRead, "list tags (GET /tags)"),
        new(TagCreate, "create the output tags (PUT /tags)"),
        new(TagAsset, "tag and untag assets (PUT /tags/assets, DELETE /tags/{id}/assets)"),
    ];

    /// <summary>
    /// Not required, but without them tag writes fall back to slower waves: with both, the run pauses the
    /// sidecar and metadata queues while it writes so Immich's write-back cannot revert a change.
    /// </summary>
    public static IReadOnlyList<PermissionNeed> RecommendedForRun { get; } =
    [
        new(QueueRead, "see when Immich's sidecar write-back jobs are done (GET /queues)"),
        new(QueueUpdate, "pause the sidecar and metadata queues while tags are written (PUT /queues/{name})"),
    ];

    /// <summary>Names of the needed permissions the key does not have.</summary>
    public static IReadOnlyList<PermissionNeed> Missing(IEnumerable<string> granted, IEnumerable<PermissionNeed> needed)
    {
        var set = granted.ToHashSet(StringComparer.Ordinal);
        if (set.Contains(All))
        {
            return [];
        }

        return needed.Where(n => !set.Contains(n.Permission)).ToList();
    }
}

public sealed record PermissionNeed(string Permission, string Purpose);
