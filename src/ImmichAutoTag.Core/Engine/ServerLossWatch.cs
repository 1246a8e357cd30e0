using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The gateway the apply writes through. It passes every call on, and when one fails because the server is gone
/// (<see cref="ImmichUnreachableException"/>, confirmed by a ping that also goes unanswered: one lost answer to a call
/// that is not retried does not stop the run) or no longer accepts the key
/// (<see cref="ImmichAuthenticationException"/>: revoked mid-run), it remembers that failure and cancels
/// <paramref name="stop"/>: the appliers then start no further write, where they would otherwise fail one bulk call
/// after another. The run reports what was applied up to there and ends with the failure's exit code.
/// </summary>
internal sealed class ServerLossWatch(IImmichGateway inner, CancellationTokenSource stop) : IImmichGateway
{
    /// <summary>The first failure that stopped the apply; null while the server answers.</summary>
    public ImmichException? LostBy { get; private set; }

    public Uri ServerUrl => inner.ServerUrl;

    public Task PingAsync(CancellationToken ct) => Watch(inner.PingAsync(ct));

    public Task<ServerVersion> GetVersionAsync(CancellationToken ct) => Watch(inner.GetVersionAsync(ct));

    public Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct) => Watch(inner.GetFeaturesAsync(ct));

    public Task<UserInfo> GetMyUserAsync(CancellationToken ct) => Watch(inner.GetMyUserAsync(ct));

    public Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct) => Watch(inner.GetMyApiKeyAsync(ct));

    // Walks are read before the apply starts; their failures end the run on their own.
    public IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, CancellationToken ct) => inner.SearchAssetsAsync(query, ct);

    public IAsyncEnumerable<IReadOnlyList<Guid>> SearchAssetIdsAsync(AssetQuery query, CancellationToken ct) => inner.SearchAssetIdsAsync(query, ct);

    public Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct) => Watch(inner.CountAssetsAsync(query, ct));

    public Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct) => Watch(inner.GetAssetAsync(id, ct));

    public Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct) => Watch(inner.UpdateAssetsAsync(update, ct));

    public Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct) => Watch(inner.GetAlbumsAsync(ct));

    public Task<Album> GetAlbumAsync(Guid id, CancellationToken ct) => Watch(inner.GetAlbumAsync(id, ct));

    public Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.CreateAlbumAsync(name, assetIds, ct));

    public Task DeleteAlbumAsync(Guid albumId, CancellationToken ct) => Watch(inner.DeleteAlbumAsync(albumId, ct));

    public Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.AddAssetsToAlbumAsync(albumId, assetIds, ct));

    public Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.RemoveAssetsFromAlbumAsync(albumId, assetIds, ct));

    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct) => Watch(inner.GetUsersAsync(ct));

    public Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct) => Watch(inner.AddUsersToAlbumAsync(albumId, users, ct));

    public Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct) => Watch(inner.UpdateAlbumUserAsync(albumId, userId, role, ct));

    public Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct) => Watch(inner.RemoveUserFromAlbumAsync(albumId, userId, ct));

    public Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct) => Watch(inner.GetTagsAsync(ct));

    public Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct) => Watch(inner.UpsertTagsAsync(paths, ct));

    public Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.BulkTagAssetsAsync(tagIds, assetIds, ct));

    public Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.TagAssetsAsync(tagId, assetIds, ct));

    public Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Watch(inner.UntagAssetsAsync(tagId, assetIds, ct));

    public Task DeleteTagAsync(Guid tagId, CancellationToken ct) => Watch(inner.DeleteTagAsync(tagId, ct));

    public Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct) => Watch(inner.GetDuplicatesAsync(ct));

    public Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct) => Watch(inner.GetQueuesAsync(ct));

    public Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct) => Watch(inner.SetQueuePausedAsync(queueName, paused, ct));

    public Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct) => Watch(inner.GetThumbnailAsync(assetId, size, ct));

    public Task RunAssetJobAsync(IReadOnlyList<Guid> assetIds, string jobName, CancellationToken ct) => Watch(inner.RunAssetJobAsync(assetIds, jobName, ct));

    public Task StartSidecarDiscoveryAsync(CancellationToken ct) => Watch(inner.StartSidecarDiscoveryAsync(ct));
    public Task<TResult> ReadOriginalAsync<TResult>(Guid assetId, Func<Stream, CancellationToken, Task<TResult>> read, CancellationToken ct) =>
        Watch(inner.ReadOriginalAsync(assetId, read, ct));

    private async Task Watch(Task call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (ImmichException e) when (e is ImmichUnreachableException or ImmichAuthenticationException)
        {
            await LostAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<T> Watch<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (ImmichException e) when (e is ImmichUnreachableException or ImmichAuthenticationException)
        {
            await LostAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private async Task LostAsync(ImmichException e)
    {
        if (e is ImmichUnreachableException)
        {
            try
            {
                // The ping has the HTTP layer's retries; an answer means the server is there and only this call failed.
                await inner.PingAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ImmichException)
            {
                // Gone indeed.
            }
        }

        LostBy ??= e;
        await stop.CancelAsync().ConfigureAwait(false);
    }
}
