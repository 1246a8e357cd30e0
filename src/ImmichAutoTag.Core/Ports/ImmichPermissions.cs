namespace ImmichAutoTag.Core.Ports;

/// <summary>The Immich API-key permissions (x-immich-permission in the spec) behind each gateway operation.</summary>
public static class ImmichPermissions
{
    public const string All = "all";
    public const string AssetRead = "asset.read";
    public const string AssetStatistics = "asset.statistics";
    public const string AssetUpdate = "asset.update";
    public const string AssetView = "asset.view";
    public const string AssetDownload = "asset.download";
    public const string AlbumRead = "album.read";
    public const string AlbumCreate = "album.create";
    public const string AlbumDelete = "album.delete";
    public const string AlbumAssetCreate = "albumAsset.create";
    public const string AlbumAssetDelete = "albumAsset.delete";
    public const string AlbumUserCreate = "albumUser.create";
    public const string AlbumUserUpdate = "albumUser.update";
    public const string AlbumUserDelete = "albumUser.delete";
    public const string TagRead = "tag.read";
    public const string TagCreate = "tag.create";
    public const string TagAsset = "tag.asset";
    public const string TagDelete = "tag.delete";
    public const string DuplicateRead = "duplicate.read";
    public const string UserRead = "user.read";
    public const string QueueRead = "queue.read";
    public const string QueueUpdate = "queue.update";
    public const string JobCreate = "job.create";
    public const string LibraryUpdate = "library.update";

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

    /// <summary>
    /// What the opt-in album features need (conversions with albums, folder detection, temporary albums, tag ↔ album
    /// sync, album_permissions): they were asked for explicitly, so a key without these is an error named at start,
    /// not a silent skip. A dry run needs only the reads. One need per permission; several features share its purpose.
    /// </summary>
    public static IReadOnlyList<PermissionNeed> ForAlbumFeatures(Configuration.AutoTagConfig config, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(config);
        var needs = new List<PermissionNeed>();
        void Need(string permission, string purpose)
        {
            var i = needs.FindIndex(n => n.Permission == permission);
            if (i < 0)
            {
                needs.Add(new(permission, purpose));
            }
            else
            {
                needs[i] = needs[i] with { Purpose = $"{needs[i].Purpose}; {purpose}" };
            }
        }

        if (config.AlbumPermissions.Enabled)
        {
            Need(UserRead, "resolve album_permissions e-mails to users (GET /users)");
            if (!dryRun)
            {
                Need(AlbumUserCreate, "share albums (PUT /albums/{id}/users), as album_permissions.enabled asks");
                Need(AlbumUserUpdate, "change album users' roles (PUT /albums/{id}/user/{userId}), as album_permissions.enabled asks");
                Need(AlbumUserDelete, "unshare albums (DELETE /albums/{id}/user/{userId}), as album_permissions.enabled asks");
            }
        }

        if (dryRun)
        {
            return needs;
        }

        var conversionAlbums = config.Conversions.Enabled && config.Conversions.Conversions.Any(c => c.DestinationAlbumNames.Count > 0);
        var temporary = config.CreateAlbumFromDateIfMissing;
        if (conversionAlbums || config.AlbumDetectionFromFolders.Enabled || temporary)
        {
            Need(AlbumCreate, "create albums (POST /albums) for conversions, folder detection or temporary albums");
            Need(AlbumAssetCreate, "add assets to albums (PUT /albums/{id}/assets)");
        }

        if (temporary)
        {
            Need(AlbumAssetDelete, "take classified assets out of temporary albums (DELETE /albums/{id}/assets)");
            Need(AlbumDelete, "delete emptied temporary albums (DELETE /albums/{id})");
        }

        var sync = config.TagAlbumSync;
        if (sync.Enabled && sync.Direction != Configuration.SyncDirection.AlbumToTag)
        {
            Need(AlbumAssetCreate, "add tagged assets to albums (PUT /albums/{id}/assets), as tag_album_sync asks");
            if (sync.CreateMissingAlbums)
            {
                Need(AlbumCreate, "create missing albums (POST /albums), as tag_album_sync.create_missing_albums asks");
            }

            if (sync.Remove && sync.Direction == Configuration.SyncDirection.TagToAlbum)
            {
                Need(AlbumAssetDelete, "take untagged assets out of synced albums (DELETE /albums/{id}/assets), as tag_album_sync.remove asks");
            }
        }

        return needs;
    }

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
