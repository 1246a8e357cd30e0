using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Application;

/// <summary>
/// The gateway a dry run gets: every read goes to the wrapped connection, every write throws
/// <see cref="ReadOnlyGatewayException"/> before a request is built. A dry run therefore cannot change the server,
/// whatever the code above it does.
/// </summary>
public sealed class ReadOnlyImmichGateway(IImmichConnection inner) : IImmichConnection
{
    /// <inheritdoc/>
    public Uri ServerUrl => inner.ServerUrl;

    /// <inheritdoc/>
    public long WriteRequests => inner.WriteRequests;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, long> Snapshot() => inner.Snapshot();

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();

    /// <inheritdoc/>
    public Task PingAsync(CancellationToken ct) => inner.PingAsync(ct);

    /// <inheritdoc/>
    public Task<ServerVersion> GetVersionAsync(CancellationToken ct) => inner.GetVersionAsync(ct);

    /// <inheritdoc/>
    public Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct) => inner.GetFeaturesAsync(ct);

    /// <inheritdoc/>
    public Task<UserInfo> GetMyUserAsync(CancellationToken ct) => inner.GetMyUserAsync(ct);

    /// <inheritdoc/>
    public Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct) => inner.GetMyApiKeyAsync(ct);

    /// <inheritdoc/>
    public IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, CancellationToken ct) => inner.SearchAssetsAsync(query, ct);

    /// <inheritdoc/>
    public IAsyncEnumerable<IReadOnlyList<Guid>> SearchAssetIdsAsync(AssetQuery query, CancellationToken ct) => inner.SearchAssetIdsAsync(query, ct);

    /// <inheritdoc/>
    public Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct) => inner.CountAssetsAsync(query, ct);

    /// <inheritdoc/>
    public Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct) => inner.GetAssetAsync(id, ct);

    /// <inheritdoc/>
    public Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct) => inner.GetAlbumsAsync(ct);

    /// <inheritdoc/>
    public Task<Album> GetAlbumAsync(Guid id, CancellationToken ct) => inner.GetAlbumAsync(id, ct);

    /// <inheritdoc/>
    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct) => inner.GetUsersAsync(ct);

    /// <inheritdoc/>
    public Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct) => inner.GetTagsAsync(ct);

    /// <inheritdoc/>
    public Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct) => inner.GetDuplicatesAsync(ct);

    /// <inheritdoc/>
    public Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct) => inner.GetQueuesAsync(ct);

    /// <inheritdoc/>
    public Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct) => inner.GetThumbnailAsync(assetId, size, ct);

    /// <summary>A read: the original is streamed as the inner gateway does.</summary>
    public Task<TResult> ReadOriginalAsync<TResult>(Guid assetId, Func<Stream, CancellationToken, Task<TResult>> read, CancellationToken ct) => inner.ReadOriginalAsync(assetId, read, ct);

    /// <inheritdoc/>
    public Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct) => throw Refused("update assets (PUT /assets)");

    /// <inheritdoc/>
    public Task RunAssetJobAsync(IReadOnlyList<Guid> assetIds, string jobName, CancellationToken ct) => throw Refused("queue asset jobs (POST /assets/jobs)");

    /// <inheritdoc/>
    public Task StartSidecarDiscoveryAsync(CancellationToken ct) => throw Refused("start Immich's sidecar discovery (PUT /jobs/sidecar)");

    /// <inheritdoc/>
    public Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct) => throw Refused("create an album (POST /albums)");

    /// <inheritdoc/>
    public Task DeleteAlbumAsync(Guid albumId, CancellationToken ct) => throw Refused("delete an album (DELETE /albums/{id})");

    /// <inheritdoc/>
    public Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        throw Refused("add assets to an album (PUT /albums/{id}/assets)");

    /// <inheritdoc/>
    public Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        throw Refused("remove assets from an album (DELETE /albums/{id}/assets)");

    /// <inheritdoc/>
    public Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct) => throw Refused("share an album (PUT /albums/{id}/users)");

    /// <inheritdoc/>
    public Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct) =>
        throw Refused("change an album user's role (PUT /albums/{id}/user/{userId})");

    /// <inheritdoc/>
    public Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct) =>
        throw Refused("stop sharing an album (DELETE /albums/{id}/user/{userId})");

    /// <inheritdoc/>
    public Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct) => throw Refused("create tags (PUT /tags)");

    /// <inheritdoc/>
    public Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        throw Refused("tag assets (PUT /tags/assets)");

    /// <inheritdoc/>
    public Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        throw Refused("tag assets (PUT /tags/{id}/assets)");

    /// <inheritdoc/>
    public Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        throw Refused("untag assets (DELETE /tags/{id}/assets)");

    /// <inheritdoc/>
    public Task DeleteTagAsync(Guid tagId, CancellationToken ct) => throw Refused("delete a tag (DELETE /tags/{id})");

    /// <inheritdoc/>
    public Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct) =>
        throw Refused($"{(paused ? "pause" : "resume")} the Immich queue '{queueName}' (PUT /queues/{queueName})");

    private static ReadOnlyGatewayException Refused(string what) => new($"Dry run: refused to {what}; a dry run sends no write request.");
}

/// <summary>A dry run's code tried to write to the server; the read-only gateway refused it before anything was sent.</summary>
public sealed class ReadOnlyGatewayException : InvalidOperationException
{
    /// <summary>Creates the exception with the message naming the refused write.</summary>
    public ReadOnlyGatewayException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ReadOnlyGatewayException()
        : base("Dry run: a write request was refused.")
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public ReadOnlyGatewayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Hands out read-only connections: the composition root puts it in front of the real factory for a dry run.</summary>
public sealed class ReadOnlyImmichConnectionFactory(IImmichConnectionFactory inner) : IImmichConnectionFactory
{
    /// <inheritdoc/>
    public IImmichConnection Connect(AutoTagConfig config, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) =>
        new ReadOnlyImmichGateway(inner.Connect(config, loggerFactory));
}
