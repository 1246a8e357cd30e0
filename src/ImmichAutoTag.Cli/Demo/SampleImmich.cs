using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Cli.Demo;

/// <summary>
/// The sample library `immich-autotag demo` runs on: an Immich server kept in memory, in the process, reached
/// through the same gateway port as a real one. It answers the way Immich 3 does where a run can tell the
/// difference — searches leave trash out and page in (fileCreatedAt, id) order, a tag search also finds assets of
/// descendant tags, an asset's details list only the tags attached to it directly, an upsert creates missing
/// ancestors — and it counts requests under Immich's operationIds, so the demo's reports read like a real run's.
/// It is not a test double: nothing here can inject faults or delays.
/// </summary>
internal sealed class SampleImmich : IImmichConnection
{
    private readonly Lock _gate = new();
    private readonly List<Asset> _assets = [];
    private readonly List<SampleAlbum> _albums = [];
    private readonly List<Tag> _tags = [];
    private readonly List<UserInfo> _users = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _assetTags = [];
    private readonly Dictionary<string, bool> _queues = new(StringComparer.Ordinal) { [QueueNames.Sidecar] = false, [QueueNames.MetadataExtraction] = false };
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _writes;

    private readonly Random _ids;

    /// <param name="serverUrl">The address reports link to; nothing listens there.</param>
    /// <param name="ownerName">The name of the user the demo's API key belongs to.</param>
    /// <param name="ownerEmail">That user's email.</param>
    /// <param name="idSeed">
    /// Seeds every id the library hands out (users, assets, albums, tags): the same seeding gives the same ids, so the
    /// thumbnails, whose colours are drawn from the asset id, and the CLIP labels read from them are the same in every
    /// demo run.
    /// </param>
    public SampleImmich(Uri serverUrl, string ownerName, string ownerEmail, int idSeed, TimeProvider? time = null)
    {
        _ids = new Random(idSeed);
        ServerUrl = serverUrl;
        Owner = new UserInfo(NewId(), ownerName, ownerEmail);
        _users.Add(Owner);
        _time = time ?? TimeProvider.System;
    }

    public Uri ServerUrl { get; }

    /// <summary>The user the API key belongs to: the owner of every asset the run may change.</summary>
    public UserInfo Owner { get; }

    public long WriteRequests => Interlocked.Read(ref _writes);

    public IReadOnlyList<Album> Albums
    {
        get
        {
            lock (_gate)
            {
                return _albums.Select(a => a.Snapshot()).ToList();
            }
        }
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_requests, StringComparer.Ordinal);

    /// <summary>
    /// The library's content, one line per asset (file name, date, tag paths, album names) and per album (name, shares),
    /// sorted; ids are left out, so a re-created album reads the same. The demo compares it before and after an undo.
    /// </summary>
    public IReadOnlyList<string> Describe()
    {
        lock (_gate)
        {
            var lines = _assets
                .Select(a => string.Join(" | ", a.OriginalFileName, a.FileCreatedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    string.Join(",", TagsOf(a.Id).Select(id => TagById(id).Value).Order(StringComparer.Ordinal)),
                    string.Join(",", _albums.Where(al => al.Assets.Contains(a.Id)).Select(al => al.Name).Order(StringComparer.Ordinal))))
                .Concat(_albums.Select(al => "album " + al.Name + " | " + string.Join(",", al.Members.Select(m => m.Email + ":" + m.Role).Order(StringComparer.Ordinal))))
                .Order(StringComparer.Ordinal)
                .ToList();
            return lines;
        }
    }

    public void Dispose()
    {
        // Nothing to release: the library lives in memory only.
    }

    // ---- seeding (no request is counted) ----

    /// <summary>Adds a user who may own assets (a partner) or be shared an album.</summary>
    public UserInfo AddUser(string name, string email)
    {
        var user = new UserInfo(NewId(), name, email);
        lock (_gate)
        {
            _users.Add(user);
        }

        return user;
    }

    /// <summary>Adds an image taken at <paramref name="takenAt"/>, owned by <paramref name="owner"/> (default: the key's user).</summary>
    public Asset AddAsset(string fileName, DateTimeOffset takenAt, UserInfo? owner = null)
    {
        var id = NewId();

        // Immich's checksum is the base64 SHA-1 of the original file; the demo has no file, and its picture is a
        // function of the id, so a digest of the id of the same length stands in (CLIP's stored embeddings use it).
        var checksum = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(id.ToByteArray()).AsSpan(0, 20));
        var asset = new Asset(id, (owner ?? Owner).Id, AssetType.Image, fileName, "/photos/" + fileName, takenAt, takenAt, takenAt, null, false, false, false, AssetVisibility.Timeline)
        {
            Checksum = checksum,
        };
        lock (_gate)
        {
            _assets.Add(asset);
        }

        return asset;
    }

    /// <summary>Creates an album of the key's user holding <paramref name="assetIds"/>.</summary>
    public Album AddAlbum(string name, IEnumerable<Guid> assetIds)
    {
        lock (_gate)
        {
            var album = new SampleAlbum(NewId(), name, Owner.Id, [.. assetIds]);
            _albums.Add(album);
            return album.Snapshot();
        }
    }

    /// <summary>Puts assets into an existing album.</summary>
    public void AddToAlbum(Guid albumId, IEnumerable<Guid> assetIds)
    {
        lock (_gate)
        {
            AlbumById(albumId).Assets.UnionWith(assetIds);
        }
    }

    /// <summary>The ids of the assets in an album.</summary>
    public IReadOnlyList<Guid> AssetsOf(Guid albumId)
    {
        lock (_gate)
        {
            return [.. AlbumById(albumId).Assets];
        }
    }

    /// <summary>Attaches the tag path (created with its ancestors when missing) to an asset.</summary>
    public void Tag(Guid assetId, string path)
    {
        lock (_gate)
        {
            TagsOf(assetId).Add(Upsert(path).Id);
        }
    }

    // ---- the gateway port ----
    public Task PingAsync(CancellationToken ct) => Answer(true);

    public Task<ServerVersion> GetVersionAsync(CancellationToken ct) => Answer(new ServerVersion(3, 1, 0, null));

    public Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct) =>
        Answer(new ServerFeatures(DuplicateDetection: false, SmartSearch: false, Trash: true, Sidecar: true, Search: true));

    public Task<UserInfo> GetMyUserAsync(CancellationToken ct) => Answer(Owner);

    public Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct) => Answer(new ApiKeyInfo(Guid.Empty, "demo", ["all"]));

    public async IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<Asset> found;
        lock (_gate)
        {
            found = _assets.Where(a => Matches(a, query)).OrderBy(a => a.FileCreatedAt).ThenBy(a => a.Id).ToList();
        }

        for (var start = 0; start == 0 || start < found.Count; start += query.PageSize)
        {
            ct.ThrowIfCancellationRequested();
            await Answer(true, "searchAssets").ConfigureAwait(false);
            yield return new AssetPage(found.Skip(start).Take(query.PageSize).ToList(), []);
        }
    }

    public async IAsyncEnumerable<IReadOnlyList<Guid>> SearchAssetIdsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var page in SearchAssetsAsync(query, ct).ConfigureAwait(false))
        {
            yield return page.Select(a => a.Id).ToList();
        }
    }

    public Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct) =>
        Read(() => (long)_assets.Count(a => !a.IsTrashed && Matches(a, query)), "searchAssetStatistics");

    public Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct) =>
        Read(() => new AssetDetail(AssetById(id), TagsOf(id).Select(TagById).ToList()), "getAssetInfo");

    public Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct) => Write(() =>
    {
        ArgumentNullException.ThrowIfNull(update);
        foreach (var id in update.Ids)
        {
            var asset = AssetById(id);
            var changed = asset with
            {
                UpdatedAt = _time.GetUtcNow(),
                DuplicateId = update.DuplicateId ?? asset.DuplicateId,
                IsFavorite = update.IsFavorite ?? asset.IsFavorite,
                Visibility = update.Visibility ?? asset.Visibility,
                IsArchived = update.Visibility is { } visibility ? visibility == AssetVisibility.Archive : asset.IsArchived,
            };
            if (update.DateTimeOriginal is { } date && DateTimeOffset.TryParse(date, System.Globalization.CultureInfo.InvariantCulture, out var taken))
            {
                changed = changed with { FileCreatedAt = taken, LocalDateTime = taken };
            }

            _assets[_assets.IndexOf(asset)] = changed;
        }

        return true;
    }, "updateAssets");

    public Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct) =>
        Read<IReadOnlyList<Album>>(() => _albums.Select(a => a.Snapshot()).ToList(), "getAllAlbums");

    public Task<Album> GetAlbumAsync(Guid id, CancellationToken ct) => Read(() => AlbumById(id).Snapshot(), "getAlbumInfo");

    public Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct) => Write(() =>
    {
        var album = new SampleAlbum(NewId(), name, Owner.Id, [.. assetIds]);
        _albums.Add(album);
        return album.Snapshot();
    }, "createAlbum");

    public Task DeleteAlbumAsync(Guid albumId, CancellationToken ct) => Write(() => _albums.Remove(AlbumById(albumId)), "deleteAlbum");

    public Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        Write<IReadOnlyList<BulkIdResult>>(() => Each(assetIds, AlbumById(albumId).Assets.Add, "duplicate"), "addAssetsToAlbum");

    public Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        Write<IReadOnlyList<BulkIdResult>>(() => Each(assetIds, AlbumById(albumId).Assets.Remove, "not_found"), "removeAssetFromAlbum");

    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct) => Read<IReadOnlyList<UserInfo>>(() => _users.ToList(), "searchUsers");

    public Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct) =>
        Write(() =>
        {
            AlbumById(albumId).Members.AddRange(users);
            return true;
        }, "addUsersToAlbum");

    public Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct) => Write(() =>
    {
        var members = AlbumById(albumId).Members;
        var index = members.FindIndex(m => m.UserId == userId);
        members[index] = members[index] with { Role = role };
        return true;
    }, "updateAlbumUser");

    public Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct) =>
        Write(() => AlbumById(albumId).Members.RemoveAll(m => m.UserId == userId), "removeUserFromAlbum");

    public Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct) => Read<IReadOnlyList<Tag>>(() => _tags.ToList(), "getAllTags");

    public Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct) =>
        Write<IReadOnlyList<Tag>>(() => paths.Select(Upsert).ToList(), "upsertTags");

    public Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        Write(() => (long)assetIds.Sum(asset => tagIds.Count(tag => TagsOf(asset).Add(tag))), "bulkTagAssets");

    public Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        Write<IReadOnlyList<BulkIdResult>>(() => Each(assetIds, id => TagsOf(id).Add(tagId), "duplicate"), "tagAssets");

    public Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        Write<IReadOnlyList<BulkIdResult>>(() => Each(assetIds, id => TagsOf(id).Remove(tagId), "not_found"), "untagAssets");

    public Task DeleteTagAsync(Guid tagId, CancellationToken ct) => Write(() =>
    {
        foreach (var links in _assetTags.Values)
        {
            links.Remove(tagId);
        }

        return _tags.RemoveAll(t => t.Id == tagId);
    }, "deleteTag");

    public Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct) =>
        Read<IReadOnlyList<DuplicateGroup>>(() => _assets
            .Where(a => a.DuplicateId is not null && !a.IsTrashed)
            .GroupBy(a => a.DuplicateId!.Value)
            .Where(g => g.Skip(1).Any())
            .Select(g => new DuplicateGroup(g.Key, g.ToList()))
            .ToList(), "getAssetDuplicates");

    public Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct) =>
        Read<IReadOnlyList<QueueStatus>>(() => _queues.Select(q => new QueueStatus(q.Key, q.Value, 0, 0, 0)).ToList(), "getQueues");

    public Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct) => Write(() =>
    {
        _queues[queueName] = paused;
        return new QueueStatus(queueName, paused, 0, 0, 0);
    }, "updateQueue");

    public Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct) =>
        Read(() => DemoThumbnails.WebP(assetId), "viewAsset");

    /// <summary>The demo's originals are its thumbnails' WebP bytes.</summary>
    public async Task<TResult> ReadOriginalAsync<TResult>(Guid assetId, Func<Stream, CancellationToken, Task<TResult>> read, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(read);
        var bytes = await Read(() => DemoThumbnails.WebP(assetId), "downloadAsset").ConfigureAwait(false);
        using var stream = new MemoryStream(bytes, writable: false);
        return await read(stream, ct).ConfigureAwait(false);
    }

    // ---- helpers; callers hold _gate ----
    private bool Matches(Asset asset, AssetQuery query) =>
        (query.WithDeleted || !asset.IsTrashed)
        && query.AlbumIds.All(id => AlbumById(id).Assets.Contains(asset.Id))
        && query.TagIds.All(id => TagsOf(asset.Id).Any(t => IsSelfOrDescendant(t, id)))
        && (query.Type is null || asset.Type == query.Type)
        && (query.Visibility is null || asset.Visibility == query.Visibility)
        && (query.UpdatedAfter is null || asset.UpdatedAt >= query.UpdatedAfter)
        && (query.UpdatedBefore is null || asset.UpdatedAt <= query.UpdatedBefore);

    private bool IsSelfOrDescendant(Guid tagId, Guid ancestorId)
    {
        Guid? current = tagId;
        while (current is { } id && id != ancestorId)
        {
            current = TagById(id).ParentId;
        }

        return current is not null;
    }

    /// <summary>
    /// The next id of the seeded sequence, shaped as a random (version 4) UUID as Immich's are. Locked on its own: ids
    /// are handed out inside and outside <see cref="_gate"/>; the order of the calls decides the ids, and the demo
    /// seeds and runs in one order.
    /// </summary>
    private Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        lock (_ids)
        {
            _ids.NextBytes(bytes);
        }

        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private Tag Upsert(string path)
    {
        Tag? tag = null;
        var segments = path.Split('/');
        for (var depth = 1; depth <= segments.Length; depth++)
        {
            var value = string.Join('/', segments[..depth]);
            var parentId = tag?.Id;
            tag = _tags.Find(t => t.Value == value);
            if (tag is null)
            {
                tag = new Tag(NewId(), segments[depth - 1], value, parentId);
                _tags.Add(tag);
            }
        }

        return tag!; // non-null: Split returns at least one segment
    }

    private HashSet<Guid> TagsOf(Guid assetId)
    {
        if (!_assetTags.TryGetValue(assetId, out var tags))
        {
            _assetTags[assetId] = tags = [];
        }

        return tags;
    }

    private Tag TagById(Guid id) => _tags.Find(t => t.Id == id) ?? throw NotFound("tag", id);

    private Asset AssetById(Guid id) => _assets.Find(a => a.Id == id) ?? throw NotFound("asset", id);

    private SampleAlbum AlbumById(Guid id) => _albums.Find(a => a.Id == id) ?? throw NotFound("album", id);

    private static ImmichApiException NotFound(string what, Guid id) => new("sample", 400, $"{what} {id} does not exist in the sample library");

    private static List<BulkIdResult> Each(IReadOnlyList<Guid> ids, Func<Guid, bool> change, string failure) =>
        ids.Select(id => change(id) ? new BulkIdResult(id, true, null) : new BulkIdResult(id, false, failure)).ToList();

    private Task<T> Answer<T>(T value, [CallerMemberName] string operation = "")
    {
        _requests.AddOrUpdate(OperationId(operation), 1, static (_, n) => n + 1);
        return Task.FromResult(value);
    }

    private Task<T> Read<T>(Func<T> read, string operationId)
    {
        lock (_gate)
        {
            return Answer(read(), operationId);
        }
    }

    private Task<T> Write<T>(Func<T> write, string operationId)
    {
        Interlocked.Increment(ref _writes);
        lock (_gate)
        {
            return Answer(write(), operationId);
        }
    }

    /// <summary>The port's method names for the calls answered by <see cref="Answer{T}"/> directly, as Immich's operationIds.</summary>
    private static string OperationId(string name) => name switch
    {
        nameof(PingAsync) => "pingServer",
        nameof(GetVersionAsync) => "getServerVersion",
        nameof(GetFeaturesAsync) => "getServerFeatures",
        nameof(GetMyUserAsync) => "getMyUser",
        nameof(GetMyApiKeyAsync) => "getMyApiKey",
        _ => name,
    };

    private sealed record SampleAlbum(Guid Id, string Name, Guid OwnerId, HashSet<Guid> Assets)
    {
        public List<AlbumMember> Members { get; } = [];

        public Album Snapshot() => new(Id, Name, Assets.Count, OwnerId, Members.Count > 0) { Members = [.. Members] };
    }
}
