namespace ImmichAutoTag.Immich.Http;

/// <summary>One operation of openapi/immich-autotag.openapi.json, as the HTTP handlers need to know it.</summary>
/// <param name="AdminOnly">
/// x-immich-admin-only: Immich serves it to admin users only and answers 403 "Forbidden" (not "Missing required
/// permission") to any other user's key, whatever permissions the key has.
/// </param>
internal sealed record ImmichOperation(string OperationId, HttpMethod Method, string PathTemplate, string? Permission, bool Idempotent, bool AdminOnly = false)
{
    /// <summary>Searches are POSTs that change nothing; every other non-GET changes server state.</summary>
    public bool IsWrite => Method != HttpMethod.Get && !PathTemplate.StartsWith("/search/", StringComparison.Ordinal);
}

/// <summary>
/// The operations the gateway calls, with the x-immich-permission each one declares (a unit test keeps
/// this table equal to the openapi file) and whether a retry is safe.
/// </summary>
internal static class ImmichOperations
{
    // createAlbum is the one call whose retry would duplicate data (a second album with the same name).
    // deleteTag and deleteAlbum are not retried either: a retry after a lost answer would report 404 for a tag or album that is gone.
    public static IReadOnlyList<ImmichOperation> All { get; } =
    [
        new("pingServer", HttpMethod.Get, "/server/ping", null, true),
        new("getServerVersion", HttpMethod.Get, "/server/version", null, true),
        new("getServerFeatures", HttpMethod.Get, "/server/features", null, true),
        new("getMyUser", HttpMethod.Get, "/users/me", "user.read", true),
        new("getMyApiKey", HttpMethod.Get, "/api-keys/me", null, true),
        new("searchAssets", HttpMethod.Post, "/search/metadata", "asset.read", true),
        new("searchAssetStatistics", HttpMethod.Post, "/search/statistics", "asset.statistics", true),
        new("getAssetInfo", HttpMethod.Get, "/assets/{id}", "asset.read", true),
        new("updateAssets", HttpMethod.Put, "/assets", "asset.update", true),
        new("getAllAlbums", HttpMethod.Get, "/albums", "album.read", true),
        new("getAlbumInfo", HttpMethod.Get, "/albums/{id}", "album.read", true),
        new("createAlbum", HttpMethod.Post, "/albums", "album.create", false),
        new("deleteAlbum", HttpMethod.Delete, "/albums/{id}", "album.delete", false),
        new("addAssetsToAlbum", HttpMethod.Put, "/albums/{id}/assets", "albumAsset.create", true),
        new("removeAssetFromAlbum", HttpMethod.Delete, "/albums/{id}/assets", "albumAsset.delete", true),
        new("searchUsers", HttpMethod.Get, "/users", "user.read", true),
        new("addUsersToAlbum", HttpMethod.Put, "/albums/{id}/users", "albumUser.create", true),
        new("updateAlbumUser", HttpMethod.Put, "/albums/{id}/user/{userId}", "albumUser.update", true),
        new("removeUserFromAlbum", HttpMethod.Delete, "/albums/{id}/user/{userId}", "albumUser.delete", true),
        new("getAllTags", HttpMethod.Get, "/tags", "tag.read", true),
        new("upsertTags", HttpMethod.Put, "/tags", "tag.create", true),
        new("bulkTagAssets", HttpMethod.Put, "/tags/assets", "tag.asset", true),
        new("tagAssets", HttpMethod.Put, "/tags/{id}/assets", "tag.asset", true),
        new("untagAssets", HttpMethod.Delete, "/tags/{id}/assets", "tag.asset", true),
        new("deleteTag", HttpMethod.Delete, "/tags/{id}", "tag.delete", false),
        new("getAssetDuplicates", HttpMethod.Get, "/duplicates", "duplicate.read", true),
        new("viewAsset", HttpMethod.Get, "/assets/{id}/thumbnail", "asset.view", true),
        new("downloadAsset", HttpMethod.Get, "/assets/{id}/original", "asset.download", true),
        new("getQueues", HttpMethod.Get, "/queues", "queue.read", true, AdminOnly: true),

        // Setting isPaused to a fixed value is idempotent, so a retry is safe.
        new("updateQueue", HttpMethod.Put, "/queues/{name}", "queue.update", true, AdminOnly: true),

        // A second refresh after a lost answer only re-reads the same files again.
        new("runAssetJobs", HttpMethod.Post, "/assets/jobs", "job.create", true),

        // Starting a queue twice is refused while it runs ("Job is already running"): no blind retry.
        new("runQueueCommandLegacy", HttpMethod.Put, "/jobs/{name}", "job.create", false, AdminOnly: true),
    ];

    public static ImmichOperation Get(string operationId) =>
        All.First(o => string.Equals(o.OperationId, operationId, StringComparison.Ordinal));

    /// <summary>
    /// The operationId the generated client puts on each request it sends (see openapi/templates), so the
    /// handlers know the operation without parsing the URL.
    /// </summary>
    public static readonly HttpRequestOptionsKey<string> OperationIdOption = new("immich.operationId");

    /// <summary>The operation a request belongs to, or null when it carries no known operationId.</summary>
    public static ImmichOperation? Of(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(OperationIdOption, out var id)
            ? All.FirstOrDefault(o => string.Equals(o.OperationId, id, StringComparison.Ordinal))
            : null;
    }

    /// <summary>A name for a request's counters and log lines: its operationId, else method and path.</summary>
    public static string NameOf(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(OperationIdOption, out var id) ? id : $"{request.Method} {request.RequestUri?.AbsolutePath}";
    }
}
