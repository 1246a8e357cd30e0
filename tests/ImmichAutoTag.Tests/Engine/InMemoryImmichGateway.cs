using System.Runtime.CompilerServices;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>
/// A small in-memory Immich for engine tests. It keeps the server semantics the engine relies on: searches
/// exclude trash and page in (fileCreatedAt, id) order, a tag search also returns assets of descendant
/// tags, asset details list only directly attached tags, upserts create missing ancestors. Every call is
/// counted by operation name.
/// </summary>
internal sealed class InMemoryImmichGateway : IImmichGateway
{
    private static readonly HashSet<string> WriteOperations =
        ["UpsertTags", "BulkTagAssets", "TagAssets", "UntagAssets", "DeleteTag", "UpdateAssets", "CreateAlbum", "DeleteAlbum", "AddAssetsToAlbum", "RemoveAssetsFromAlbum", "SetQueuePaused"];

    private readonly List<Asset> _assets = [];
    private readonly List<(Album Album, HashSet<Guid> Assets)> _albums = [];
    private readonly List<Tag> _tags = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _assetTags = [];
    private readonly Dictionary<string, int> _calls = new(StringComparer.Ordinal);
    private DateTimeOffset _nextDate = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public InMemoryImmichGateway()
    {
        User = new UserInfo(Guid.NewGuid(), "Owner", "owner@example.com");
        PartnerId = Guid.NewGuid();
    }

    public UserInfo User { get; }

    public Guid PartnerId { get; }

    public Uri ServerUrl { get; } = new("http://127.0.0.1:2283/");

    public IReadOnlyDictionary<string, int> Calls => _calls;

    public int WriteCalls => _calls.Where(kv => WriteOperations.Contains(kv.Key)).Sum(kv => kv.Value);

    /// <summary>Arguments of every BulkTagAssets call, in order.</summary>
    public List<(IReadOnlyList<Guid> TagIds, IReadOnlyList<Guid> AssetIds)> BulkTagCalls { get; } = [];

    public List<(Guid TagId, IReadOnlyList<Guid> AssetIds)> UntagCalls { get; } = [];

    /// <summary>When it returns true for (operation, asset ids), that write call throws an ImmichApiException.</summary>
    public Func<string, IReadOnlyList<Guid>, bool>? FailWhen { get; set; }

    /// <summary>Runs before each write call with its operation name, to simulate concurrent edits.</summary>
    public Action<string>? BeforeWrite { get; set; }

    public IReadOnlyList<Asset> Assets => _assets;

    /// <summary>Queue name → paused. Every queue here is always idle: this gateway has no background jobs.</summary>
    public Dictionary<string, bool> Queues { get; } = new(StringComparer.Ordinal)
    {
        [QueueNames.Sidecar] = false,
        [QueueNames.MetadataExtraction] = false,
        ["thumbnailGeneration"] = false,
    };

    /// <summary>When false, the queue operations answer as for a key without queue.read / queue.update.</summary>
    public bool QueueAccess { get; set; } = true;

    /// <summary>Every SetQueuePaused call as (queue, paused), in order.</summary>
    public List<(string Queue, bool Paused)> QueueCalls { get; } = [];

    public int CallsTo(string operation) => _calls.GetValueOrDefault(operation);

    /// <summary>The server's clock for updatedAt stamps (the system clock unless a test shares its own).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    private DateTimeOffset _lastStamp = DateTimeOffset.MinValue;

    /// <summary>When false, writes never move updatedAt, like a server whose write-back never runs.</summary>
    public bool WriteBackLands { get; set; } = true;

    /// <summary>Searches with an updatedAfter filter (the write-back observation and the incremental check).</summary>
    public int UpdatedAfterSearches { get; private set; }

    /// <summary>
    /// Immich's sidecar write-back bumps the asset's updatedAt when it lands; this gateway has no background jobs,
    /// so it lands at once, with a stamp later than any before.
    /// </summary>
    private void WriteBack(Guid assetId)
    {
        var index = _assets.FindIndex(a => a.Id == assetId);
        if (index < 0 || !WriteBackLands)
        {
            return;
        }

        var now = Clock.GetUtcNow();
        _lastStamp = now > _lastStamp ? now : _lastStamp.AddTicks(1);
        _assets[index] = _assets[index] with { UpdatedAt = _lastStamp };
    }

    // ---- building the library ----
    public Asset AddAsset(string fileName, bool partner = false, AssetType type = AssetType.Image, AssetVisibility visibility = AssetVisibility.Timeline, bool trashed = false)
    {
        _nextDate = _nextDate.AddHours(1);
        var asset = new Asset(
            Guid.NewGuid(),
            partner ? PartnerId : User.Id,
            type,
            fileName,
            "/library/" + fileName,
            _nextDate,
            _nextDate,
            _nextDate,
            null,
            trashed,
            visibility == AssetVisibility.Archive,
            false,
            visibility);
        _assets.Add(asset);
        return asset;
    }

    public Album AddAlbum(string name, params Asset[] assets)
    {
        var album = new Album(Guid.NewGuid(), name, assets.Length, User.Id, false);
        _albums.Add((album, assets.Select(a => a.Id).ToHashSet()));
        return album;
    }

    public void AddToAlbum(Album album, Asset asset) => _albums.Single(a => a.Album.Id == album.Id).Assets.Add(asset.Id);

    public void RemoveFromAlbum(Album album, Asset asset) => _albums.Single(a => a.Album.Id == album.Id).Assets.Remove(asset.Id);

    /// <summary>Creates the tag path (and its ancestors) without counting a call.</summary>
    public Tag EnsureTag(string path)
    {
        Tag? parent = null;
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var value = string.Join('/', segments.Take(i + 1));
            var tag = _tags.Find(t => t.Value == value);
            if (tag is null)
            {
                tag = new Tag(Guid.NewGuid(), segments[i], value, parent?.Id);
                _tags.Add(tag);
            }

            parent = tag;
        }

        return parent!; // non-null: a path has at least one segment
    }

    public void TagAsset(Asset asset, string path)
    {
        var tag = EnsureTag(path);
        DirectTags(asset.Id).Add(tag.Id);
    }

    public void UntagAsset(Asset asset, string path) => DirectTags(asset.Id).Remove(EnsureTag(path).Id);

    /// <summary>Full paths of the tags attached directly to the asset, sorted.</summary>
    public IReadOnlyList<string> TagPathsOf(Asset asset) =>
        DirectTags(asset.Id).Select(id => _tags.Single(t => t.Id == id).Value).Order(StringComparer.Ordinal).ToList();

    public void ResetCounters()
    {
        _calls.Clear();
        BulkTagCalls.Clear();
        UntagCalls.Clear();
        QueueCalls.Clear();
    }

    // ---- the port ----
    public Task PingAsync(CancellationToken ct) => Count(Task.CompletedTask);

    public Task<ServerVersion> GetVersionAsync(CancellationToken ct) => Count(Task.FromResult(new ServerVersion(3, 1, 0, null)));

    public Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct) => Count(Task.FromResult(new ServerFeatures(true, true, true, true, true)));

    public Task<UserInfo> GetMyUserAsync(CancellationToken ct) => Count(Task.FromResult(User));

    public Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct) => Count(Task.FromResult(new ApiKeyInfo(Guid.NewGuid(), "test", ["all"])));

    public async IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, 1000);
        if (query.UpdatedAfter is not null)
        {
            UpdatedAfterSearches++;
        }

        var matches = _assets.Where(a => Matches(a, query)).OrderBy(a => a.FileCreatedAt).ThenBy(a => a.Id).ToList();
        var page = 0;
        do
        {
            ct.ThrowIfCancellationRequested();
            Increment("SearchAssets");
            await Task.Yield();
            var items = matches.Skip(page * query.PageSize).Take(query.PageSize).ToList();
            page++;
            yield return new AssetPage(items);
        }
        while (page * query.PageSize < matches.Count);
    }

    public Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct) => Count(Task.FromResult((long)_assets.Count(a => Matches(a, query))));

    public Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct)
    {
        var asset = _assets.Single(a => a.Id == id);
        var tags = DirectTags(id).Select(t => _tags.Single(x => x.Id == t)).ToList();
        return Count(Task.FromResult(new AssetDetail(asset, tags)), "GetAsset");
    }

    public Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct) =>
        Count(Task.FromResult<IReadOnlyList<Album>>(_albums.Select(a => a.Album with { AssetCount = a.Assets.Count }).ToList()), "GetAlbums");

    public Task<Album> GetAlbumAsync(Guid id, CancellationToken ct) => throw new NotSupportedException();

    public Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct) => throw new NotSupportedException();

    public Task DeleteAlbumAsync(Guid albumId, CancellationToken ct)
    {
        Increment("DeleteAlbum");
        _albums.RemoveAll(a => a.Album.Id == albumId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct) => throw new NotSupportedException();

    public Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct) => throw new NotSupportedException();

    public Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct) => throw new NotSupportedException();

    public Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct) => Count(Task.FromResult<IReadOnlyList<Tag>>(_tags.ToList()), "GetTags");

    public Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        Increment("UpsertTags");
        ThrowIfFailing("UpsertTags", []);
        return Task.FromResult<IReadOnlyList<Tag>>(paths.Select(EnsureTag).ToList());
    }

    public Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct)
    {
        Increment("BulkTagAssets");
        BulkTagCalls.Add((tagIds.ToList(), assetIds.ToList()));
        ThrowIfFailing("BulkTagAssets", assetIds);

        // Like an HTTP client aborting the request: a cancelled token loses the write.
        ct.ThrowIfCancellationRequested();
        long added = 0;
        foreach (var assetId in assetIds)
        {
            var before = added;
            foreach (var tagId in tagIds)
            {
                added += DirectTags(assetId).Add(tagId) ? 1 : 0;
            }

            if (added > before)
            {
                WriteBack(assetId);
            }
        }

        return Task.FromResult(added);
    }

    public Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct)
    {
        Increment("UntagAssets");
        UntagCalls.Add((tagId, assetIds.ToList()));
        ThrowIfFailing("UntagAssets", assetIds);
        IReadOnlyList<BulkIdResult> results = assetIds
            .Select(id =>
            {
                if (!DirectTags(id).Remove(tagId))
                {
                    return new BulkIdResult(id, false, "not_found");
                }

                WriteBack(id);
                return new BulkIdResult(id, true, null);
            })
            .ToList();
        return Task.FromResult(results);
    }

    public Task DeleteTagAsync(Guid tagId, CancellationToken ct)
    {
        Increment("DeleteTag");
        throw new InvalidOperationException("The engine must never delete a tag.");
    }

    public Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct) =>
        Count(Task.FromResult<IReadOnlyList<DuplicateGroup>>(_assets
            .Where(a => a.DuplicateId is not null && !a.IsTrashed)
            .GroupBy(a => a.DuplicateId!.Value)
            .Where(g => g.Count() > 1)
            .Select(g => new DuplicateGroup(g.Key, g.ToList()))
            .ToList()));

    public Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct)
    {
        Increment("GetQueues");
        if (!QueueAccess)
        {
            throw new ImmichPermissionException("getQueues", ImmichPermissions.QueueRead, "Missing required permission: queue.read");
        }

        return Task.FromResult<IReadOnlyList<QueueStatus>>(Queues.Select(kv => new QueueStatus(kv.Key, kv.Value, 0, 0, 0)).ToList());
    }

    public Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct)
    {
        Increment("SetQueuePaused");
        if (!QueueAccess)
        {
            throw new ImmichPermissionException("updateQueue", ImmichPermissions.QueueUpdate, "Missing required permission: queue.update");
        }

        BeforeWrite?.Invoke("SetQueuePaused");
        QueueCalls.Add((queueName, paused));
        Queues[queueName] = paused;
        return Task.FromResult(new QueueStatus(queueName, paused, 0, 0, 0));
    }

    public Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct) => throw new NotSupportedException();

    private bool Matches(Asset asset, AssetQuery query)
    {
        if (asset.IsTrashed && !query.WithDeleted)
        {
            return false;
        }

        if (query.AlbumIds.Count > 0 && !query.AlbumIds.All(id => _albums.Single(a => a.Album.Id == id).Assets.Contains(asset.Id)))
        {
            return false;
        }

        // Immich matches a tag together with all its descendants.
        if (query.TagIds.Count > 0 && !query.TagIds.All(id => DirectTags(asset.Id).Any(t => IsSelfOrDescendant(t, id))))
        {
            return false;
        }

        return (query.Type is null || asset.Type == query.Type) && (query.Visibility is null || asset.Visibility == query.Visibility)
            && (query.UpdatedAfter is null || asset.UpdatedAt >= query.UpdatedAfter);
    }

    private bool IsSelfOrDescendant(Guid tagId, Guid ancestorId)
    {
        for (Guid? current = tagId; current is not null; current = _tags.Single(t => t.Id == current).ParentId)
        {
            if (current == ancestorId)
            {
                return true;
            }
        }

        return false;
    }

    private HashSet<Guid> DirectTags(Guid assetId)
    {
        if (!_assetTags.TryGetValue(assetId, out var set))
        {
            set = [];
            _assetTags[assetId] = set;
        }

        return set;
    }

    private void ThrowIfFailing(string operation, IReadOnlyList<Guid> assetIds)
    {
        BeforeWrite?.Invoke(operation);
        if (FailWhen?.Invoke(operation, assetIds) == true)
        {
            throw new ImmichApiException(operation, 500, "injected failure");
        }
    }

    private void Increment(string operation) => _calls[operation] = _calls.GetValueOrDefault(operation) + 1;

    private T Count<T>(T value, [CallerMemberName] string operation = "")
    {
        Increment(operation.EndsWith("Async", StringComparison.Ordinal) ? operation[..^5] : operation);
        return value;
    }
}
