using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// Everything the product asks of an Immich server. One implementation speaks HTTP; the rest of the
/// code sees only domain types. Errors surface as <see cref="ImmichException"/> subclasses.
/// </summary>
public interface IImmichGateway
{
    Uri ServerUrl { get; }

    Task PingAsync(CancellationToken ct);

    Task<ServerVersion> GetVersionAsync(CancellationToken ct);

    Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct);

    Task<UserInfo> GetMyUserAsync(CancellationToken ct);

    Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct);

    /// <summary>Walks a metadata search page by page, in Immich's order (fileCreatedAt, then id).</summary>
    /// <remarks>An item that cannot be read does not fail the page: it is left out and listed in <see cref="AssetPage.Unreadable"/>.</remarks>
    IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, CancellationToken ct);

    /// <summary>
    /// The same search as <see cref="SearchAssetsAsync"/> (same requests, same order), but only each item's id:
    /// for membership reads, which need no more. An item listed as unreadable by <see cref="SearchAssetsAsync"/>
    /// is included where its id can be read; callers keep only ids their asset walk read.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<Guid>> SearchAssetIdsAsync(AssetQuery query, CancellationToken ct);

    Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct);

    Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct);

    Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct);

    Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct);

    Task<Album> GetAlbumAsync(Guid id, CancellationToken ct);

    Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    /// <summary>Deletes an album (not its assets). The engine deletes only its own temporary albums.</summary>
    Task DeleteAlbumAsync(Guid albumId, CancellationToken ct);

    Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    /// <summary>Every user on the server (permission user.read), to resolve the e-mails album sharing names.</summary>
    Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct);

    /// <summary>Shares an album with users, each with a role (permission albumUser.create).</summary>
    Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct);

    /// <summary>Changes the role of a user the album is shared with (permission albumUser.update).</summary>
    Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct);

    /// <summary>Stops sharing an album with a user (permission albumUser.delete).</summary>
    Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct);

    Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct);

    /// <summary>Creates each path (and its missing ancestors) unless it exists; returns the tags for the paths.</summary>
    Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct);

    /// <summary>Links every tag to every asset; returns the number of links that did not exist before.</summary>
    Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct);

    Task DeleteTagAsync(Guid tagId, CancellationToken ct);

    Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct);

    /// <summary>Every background job queue with its paused flag and job counts (permission queue.read, admin only).</summary>
    Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct);

    /// <summary>Pauses or resumes one queue by name, e.g. <see cref="QueueNames.Sidecar"/> (permission queue.update, admin only).</summary>
    Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct);

    /// <summary>size: thumbnail, preview, fullsize or original.</summary>
    Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct);

    /// <summary>
    /// Streams the asset's original file (<c>GET /assets/{id}/original</c>, permission <c>asset.download</c>) into
    /// <paramref name="read"/> as it arrives, without buffering it whole or writing a file; the stream is closed when
    /// <paramref name="read"/> returns. A missing permission surfaces as <see cref="ImmichPermissionException"/>.
    /// </summary>
    Task<TResult> ReadOriginalAsync<TResult>(Guid assetId, Func<Stream, CancellationToken, Task<TResult>> read, CancellationToken ct);

    /// <summary>
    /// Queues an asset job (<c>POST /assets/jobs</c> <c>runAssetJobs</c>, permission <c>job.create</c>, and
    /// <c>asset.update</c> access to each asset) for the assets, e.g. <see cref="AssetJobNames.RefreshMetadata"/>, which
    /// re-reads each asset's file and the XMP sidecar Immich has on record for it (not a new one it does not know of;
    /// see <see cref="StartSidecarDiscoveryAsync"/>). Immich answers 204 at once and runs the jobs later.
    /// </summary>
    /// <exception cref="NotSupportedException">The connection cannot queue jobs (the default for connections that predate it).</exception>
    Task RunAssetJobAsync(IReadOnlyList<Guid> assetIds, string jobName, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot queue Immich asset jobs");

    /// <summary>
    /// Starts Immich's sidecar discovery (<c>PUT /jobs/sidecar</c> <c>{command: start, force: false}</c>,
    /// <c>runQueueCommandLegacy</c>, permission <c>job.create</c>, admin only; deprecated since Immich 2.4 but the only
    /// call that starts it): Immich runs its sidecar check (<c>MetadataService.handleSidecarCheck</c>) on every asset it
    /// has no sidecar on record for, and a metadata extraction after each. This is the only way Immich learns of a
    /// sidecar that appeared next to an asset it had none for: <c>refresh-metadata</c> reads only the recorded sidecar,
    /// and a library scan re-checks only originals whose modification time changed. Answers 400 ("Job is already
    /// running") while the sidecar queue is busy.
    /// </summary>
    /// <exception cref="NotSupportedException">The connection cannot start queues.</exception>
    Task StartSidecarDiscoveryAsync(CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot start Immich's sidecar discovery");
}

/// <summary>Immich's <c>AssetJobName</c> values the tool queues.</summary>
public static class AssetJobNames
{
    /// <summary>Re-read the asset's metadata from its file and XMP sidecar.</summary>
    public const string RefreshMetadata = "refresh-metadata";
}
