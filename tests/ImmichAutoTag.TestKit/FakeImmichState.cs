using System.Globalization;
using System.Security.Cryptography;

namespace ImmichAutoTag.TestKit;

/// <summary>The fake's in-memory library. Every member takes one lock, so tests and requests may race freely.</summary>
public sealed partial class FakeImmichState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, FakeUser> _users = [];
    private readonly Dictionary<string, FakeApiKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, HashSet<Guid>> _partnersOf = [];
    private readonly Dictionary<Guid, FakeAsset> _assets = [];
    private readonly Dictionary<Guid, string> _sortId = [];
    private readonly List<FakeAsset> _sorted = [];
    private bool _sortedDirty;
    private readonly Dictionary<Guid, FakeAlbum> _albums = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _albumAssets = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _assetAlbums = [];
    private readonly Dictionary<Guid, FakeTag> _tags = [];
    private readonly Dictionary<string, FakeTag> _tagsByValue = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, HashSet<Guid>> _tagAssets = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _assetTags = [];

    public FakeImmichState(TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
    }

    public TimeProvider Clock { get; }

    internal Lock Gate => _gate;

    /// <summary>Bumped by every change a search could see, so a walk's pages can share one filtered list.</summary>
    internal long Version { get; private set; }

    internal void Touch() => Version++;

    private DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Adds a user; the first one is the server's admin unless <paramref name="isAdmin"/> says otherwise, as on a new server.</summary>
    public FakeUser AddUser(string name, string email, bool? isAdmin = null)
    {
        lock (_gate)
        {
            var user = new FakeUser(Guid.NewGuid(), name, email, Now, isAdmin ?? _users.Count == 0);
            _users.Add(user.Id, user);
            return user;
        }
    }

    public string AddApiKey(Guid userId, params string[] permissions) =>
        AddApiKeyWithSecret(userId, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', 'A').Replace('/', 'B'), permissions);

    /// <summary>Adds a key with a secret the test chose (say, a sentinel a secret scan looks for).</summary>
    public string AddApiKeyWithSecret(Guid userId, string secret, params string[] permissions)
    {
        lock (_gate)
        {
            RequireUser(userId);
            _keys.Add(secret, new FakeApiKey(Guid.NewGuid(), userId, secret, [.. permissions], Now));
            return secret;
        }
    }

    /// <summary>Deletes the key, as a user does in Immich's account settings: every later request with it gets 401.</summary>
    public void RevokeApiKey(string secret)
    {
        lock (_gate)
        {
            _keys.Remove(secret);
        }
    }

    /// <summary>What <c>GET /server/version</c> reports; null: the version the server was started with. Set it to model an upgrade.</summary>
    public string? ServerVersion
    {
        get
        {
            lock (_gate)
            {
                return _serverVersion;
            }
        }

        set
        {
            lock (_gate)
            {
                _serverVersion = value;
            }
        }
    }

    private string? _serverVersion;

    /// <summary>
    /// createAlbum calls that made a second album with a name the owner already had: a write doubled by a retry
    /// (the library set-up itself never counts).
    /// </summary>
    public int DuplicateAlbumCreations { get; internal set; }

    public void AddPartner(Guid userId, Guid partnerId)
    {
        lock (_gate)
        {
            RequireUser(userId);
            RequireUser(partnerId);
            if (!_partnersOf.TryGetValue(userId, out var set))
            {
                set = [];
                _partnersOf.Add(userId, set);
            }

            set.Add(partnerId);
            Version++;
        }
    }

    public FakeAsset AddAsset(Guid ownerId, string originalFileName, DateTimeOffset fileCreatedAt,
        string? originalPath = null, string type = "IMAGE", string visibility = "timeline") =>
        AddAssetWithId(Guid.NewGuid(), ownerId, originalFileName, fileCreatedAt, originalPath, type, visibility);

    /// <summary>
    /// A Live/Motion Photo as Immich stores it: the still (an image on the timeline) whose <c>livePhotoVideoId</c>
    /// names the video half, a hidden video asset with the same capture time.
    /// </summary>
    public (FakeAsset Still, FakeAsset Video) AddLivePhoto(Guid ownerId, string originalFileName, DateTimeOffset fileCreatedAt)
    {
        var video = AddAsset(ownerId, Path.ChangeExtension(originalFileName, ".MOV"), fileCreatedAt, type: "VIDEO", visibility: "hidden");
        var still = AddAsset(ownerId, originalFileName, fileCreatedAt);
        lock (_gate)
        {
            still.LivePhotoVideoId = video.Id;
            Version++;
        }

        return (still, video);
    }

    internal FakeAsset AddAssetWithId(Guid id, Guid ownerId, string originalFileName, DateTimeOffset fileCreatedAt,
        string? originalPath = null, string type = "IMAGE", string visibility = "timeline")
    {
        lock (_gate)
        {
            RequireUser(ownerId);
            var now = Now;
            var asset = new FakeAsset(id, ownerId)
            {
                OriginalFileName = originalFileName,
                OriginalPath = originalPath ?? string.Create(CultureInfo.InvariantCulture,
                    $"/data/library/{ownerId}/{fileCreatedAt:yyyy}/{fileCreatedAt:MM}/{originalFileName}"),
                Type = type,
                Visibility = visibility,
                FileCreatedAt = fileCreatedAt.ToUniversalTime(),
                LocalDateTime = fileCreatedAt.DateTime,
                FileModifiedAt = fileCreatedAt.ToUniversalTime(),
                CreatedAt = now,
                UpdatedAt = now,
                Checksum = Convert.ToBase64String(SHA1.HashData(id.ToByteArray())),
                FileSizeInByte = RealisticSize(id, type),
            };
            _assets.Add(id, asset);
            _sortId.Add(id, id.ToString("D"));
            _sorted.Add(asset);
            _sortedDirty = true;
            Version++;
            return asset;
        }
    }

    /// <summary>
    /// A phone camera's sizes, fixed per asset id: 2–8 MB a photo, 50–400 MB a video. A library of about a
    /// thousand photos already holds more than 2 GiB, as most real libraries do.
    /// </summary>
    private static long RealisticSize(Guid id, string type)
    {
        var spread = BitConverter.ToUInt32(SHA1.HashData(id.ToByteArray()), 0) / (double)uint.MaxValue;
        return type == "VIDEO"
            ? 50_000_000 + (long)(spread * 350_000_000)
            : 2_000_000 + (long)(spread * 6_000_000);
    }

    /// <summary>quotaUsageInBytes of a user: the sizes of their assets, trashed ones included (Immich frees them on empty-trash).</summary>
    public long QuotaUsage(Guid userId)
    {
        lock (_gate)
        {
            return QuotaUsageLocked(userId);
        }
    }

    internal long QuotaUsageLocked(Guid userId) => _assets.Values.Where(a => a.OwnerId == userId).Sum(a => a.FileSizeInByte);

    public void TrashAsset(Guid assetId)
    {
        lock (_gate)
        {
            var asset = RequireAsset(assetId);
            asset.DeletedAt = Now;
            asset.UpdatedAt = Now;
            Version++;
        }
    }

    public FakeAlbum AddAlbum(Guid ownerId, string name, IEnumerable<Guid>? assetIds = null) =>
        AddAlbumWithId(Guid.NewGuid(), ownerId, name, assetIds);

    internal FakeAlbum AddAlbumWithId(Guid id, Guid ownerId, string name, IEnumerable<Guid>? assetIds, string description = "")
    {
        lock (_gate)
        {
            RequireUser(ownerId);
            var album = new FakeAlbum(id, ownerId, name, Now) { Description = description };
            _albums.Add(album.Id, album);
            _albumAssets.Add(album.Id, []);
            foreach (var assetId in assetIds ?? [])
            {
                RequireAsset(assetId);
                LinkAlbumAsset(album.Id, assetId);
            }

            return album;
        }
    }

    /// <summary>Puts assets into an existing album (no-op for members).</summary>
    public void AddAlbumAssets(Guid albumId, params Guid[] assetIds)
    {
        lock (_gate)
        {
            RequireAlbum(albumId);
            foreach (var assetId in assetIds)
            {
                RequireAsset(assetId);
                LinkAlbumAsset(albumId, assetId);
            }
        }
    }

    /// <summary>Takes assets out of an existing album (no-op for non-members), as a user editing it would.</summary>
    public void RemoveAlbumAssets(Guid albumId, params Guid[] assetIds)
    {
        lock (_gate)
        {
            RequireAlbum(albumId);
            foreach (var assetId in assetIds)
            {
                UnlinkAlbumAsset(albumId, assetId);
            }
        }
    }

    /// <summary>Shares an album with another user, who then sees it in GET /albums.</summary>
    public void ShareAlbum(Guid albumId, Guid userId, string role = "editor")
    {
        lock (_gate)
        {
            RequireUser(userId);
            RequireAlbum(albumId).SharedWith[userId] = role;
            Version++;
        }
    }

    public FakeTag UpsertTag(string path)
    {
        lock (_gate)
        {
            return UpsertTagLocked(path, Guid.NewGuid);
        }
    }

    internal FakeTag UpsertTagLocked(string path, Func<Guid> newId)
    {
        var segments = path.Split('/', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            throw new ArgumentException("A tag path needs at least one segment.", nameof(path));
        }

        FakeTag? parent = null;
        for (var i = 0; i < segments.Length; i++)
        {
            var value = string.Join('/', segments, 0, i + 1);
            if (!_tagsByValue.TryGetValue(value, out var tag))
            {
                tag = new FakeTag(newId(), segments[i], value, parent?.Id, Now);
                _tags.Add(tag.Id, tag);
                _tagsByValue.Add(value, tag);
            }

            parent = tag;
        }

        return parent!; // non-null: the loop ran at least once
    }

    public void TagAsset(Guid tagId, Guid assetId)
    {
        lock (_gate)
        {
            RequireTag(tagId);
            RequireAsset(assetId);
            LinkTagAsset(tagId, assetId, bumpUpdatedAt: false);
            RememberFileTagLocked(tagId, assetId);
        }
    }

    /// <summary>Removes a tag link as a user would in the web app (no write-back modelled, updatedAt moves).</summary>
    public void UntagAsset(Guid tagId, Guid assetId)
    {
        lock (_gate)
        {
            RequireTag(tagId);
            RequireAsset(assetId);
            UnlinkTagAsset(tagId, assetId);
        }
    }

    /// <summary>The user sets or clears an asset's favourite flag (as the web app does).</summary>
    public void SetFavorite(Guid assetId, bool favorite)
    {
        lock (_gate)
        {
            RequireAsset(assetId).IsFavorite = favorite;
        }
    }

    /// <summary>The user archives an asset or brings it back to the timeline (as the web app does; <c>archive</c>, <c>timeline</c>...).</summary>
    public void SetVisibility(Guid assetId, string visibility)
    {
        lock (_gate)
        {
            var asset = RequireAsset(assetId);
            asset.Visibility = visibility;
            asset.UpdatedAt = Now;
            Version++;
        }
    }

    /// <summary>The camera that took the asset, as metadata extraction stores it (exifInfo.make and exifInfo.model; null: no such EXIF field).</summary>
    public void SetCamera(Guid assetId, string? make, string? model)
    {
        lock (_gate)
        {
            var asset = RequireAsset(assetId);
            asset.CameraMake = make;
            asset.CameraModel = model;
        }
    }

    public Guid AddDuplicateGroup(IEnumerable<Guid> assetIds) => AddDuplicateGroupWithId(Guid.NewGuid(), assetIds);

    internal Guid AddDuplicateGroupWithId(Guid id, IEnumerable<Guid> assetIds)
    {
        lock (_gate)
        {
            foreach (var assetId in assetIds)
            {
                RequireAsset(assetId).DuplicateId = id;
            }

            return id;
        }
    }

    public IReadOnlyCollection<FakeAsset> Assets
    {
        get
        {
            lock (_gate)
            {
                // Date jobs that are due land first, as they would have on the server.
                LandDueDateWritesLocked();
                return [.. _assets.Values];
            }
        }
    }

    public IReadOnlyCollection<FakeAlbum> Albums
    {
        get
        {
            lock (_gate)
            {
                return [.. _albums.Values];
            }
        }
    }

    public IReadOnlyCollection<FakeTag> Tags
    {
        get
        {
            lock (_gate)
            {
                return [.. _tags.Values];
            }
        }
    }

    public IReadOnlySet<Guid> DirectTagIdsOf(Guid assetId)
    {
        lock (_gate)
        {
            LandDueWriteBacksLocked();
            return _assetTags.TryGetValue(assetId, out var set) ? set.ToHashSet() : new HashSet<Guid>();
        }
    }

    /// <summary>The users an album is shared with (owner excluded) and their role: "editor" or "viewer".</summary>
    public IReadOnlyDictionary<Guid, string> AlbumSharedWith(Guid albumId)
    {
        lock (_gate)
        {
            return RequireAlbum(albumId).SharedWith.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
    }

    public IReadOnlySet<Guid> AlbumAssetIds(Guid albumId)
    {
        lock (_gate)
        {
            return _albumAssets.TryGetValue(albumId, out var set) ? set.ToHashSet() : new HashSet<Guid>();
        }
    }

    public FakeTag? FindTag(string path)
    {
        lock (_gate)
        {
            return _tagsByValue.GetValueOrDefault(path);
        }
    }

    // ---- internals used by the HTTP layer; callers hold the lock ----

    internal FakeApiKey? FindKey(string secret) => _keys.GetValueOrDefault(secret);

    internal FakeUser? FindUser(Guid id) => _users.GetValueOrDefault(id);

    internal FakeAsset? FindAsset(Guid id) => _assets.GetValueOrDefault(id);

    internal FakeAlbum? FindAlbum(Guid id) => _albums.GetValueOrDefault(id);

    internal FakeTag? FindTagById(Guid id) => _tags.GetValueOrDefault(id);

    internal IEnumerable<FakeTag> AllTagsLocked => _tags.Values;

    internal IEnumerable<FakeUser> AllUsersLocked => _users.Values;

    internal IEnumerable<FakeAlbum> AllAlbumsLocked => _albums.Values;

    internal IEnumerable<FakeAsset> AllAssetsLocked => _assets.Values;

    internal IEnumerable<FakeTag> DirectTagsLocked(Guid assetId) =>
        _assetTags.TryGetValue(assetId, out var set) ? set.Select(t => _tags[t]) : [];

    internal IReadOnlySet<Guid> AlbumAssetsLocked(Guid albumId) => _albumAssets[albumId];

    internal IReadOnlySet<Guid> AlbumsOfAssetLocked(Guid assetId) =>
        _assetAlbums.TryGetValue(assetId, out var set) ? set : new HashSet<Guid>();

    /// <summary>Owners whose assets the user can read: the user and the partners who share with them.</summary>
    internal HashSet<Guid> VisibleOwners(Guid userId)
    {
        var owners = new HashSet<Guid> { userId };
        if (_partnersOf.TryGetValue(userId, out var partners))
        {
            owners.UnionWith(partners);
        }

        return owners;
    }

    internal bool CanReadAsset(Guid userId, FakeAsset asset) => VisibleOwners(userId).Contains(asset.OwnerId);

    internal static bool CanSeeAlbum(Guid userId, FakeAlbum album) => album.OwnerId == userId || album.SharedWith.ContainsKey(userId);

    internal bool LinkAlbumAsset(Guid albumId, Guid assetId)
    {
        if (!_albumAssets[albumId].Add(assetId))
        {
            return false;
        }

        if (!_assetAlbums.TryGetValue(assetId, out var albums))
        {
            albums = [];
            _assetAlbums.Add(assetId, albums);
        }

        albums.Add(albumId);
        _albums[albumId].UpdatedAt = Now;
        Version++;
        return true;
    }

    /// <summary>The album goes; its assets stay (Immich trashes the album, then a job removes it).</summary>
    internal void DeleteAlbumLocked(Guid albumId)
    {
        foreach (var assetId in _albumAssets[albumId])
        {
            _assetAlbums[assetId].Remove(albumId);
        }

        _albumAssets.Remove(albumId);
        _albums.Remove(albumId);
        Version++;
    }

    internal bool UnlinkAlbumAsset(Guid albumId, Guid assetId)
    {
        if (!_albumAssets[albumId].Remove(assetId))
        {
            return false;
        }

        _assetAlbums[assetId].Remove(albumId);
        _albums[albumId].UpdatedAt = Now;
        Version++;
        return true;
    }

    internal bool LinkTagAsset(Guid tagId, Guid assetId, bool bumpUpdatedAt)
    {
        if (!_tagAssets.TryGetValue(tagId, out var assets))
        {
            assets = [];
            _tagAssets.Add(tagId, assets);
        }

        if (!assets.Add(assetId))
        {
            return false;
        }

        if (!_assetTags.TryGetValue(assetId, out var tags))
        {
            tags = [];
            _assetTags.Add(assetId, tags);
        }

        tags.Add(tagId);
        Version++;
        if (bumpUpdatedAt)
        {
            _assets[assetId].UpdatedAt = Now;
        }

        return true;
    }

    /// <param name="bumpUpdatedAt">
    /// False for a tag call while the sidecar race is modelled: a real 3.1 server bumps updatedAt when the
    /// write-back job lands, not at the call.
    /// </param>
    internal bool UnlinkTagAsset(Guid tagId, Guid assetId, bool bumpUpdatedAt = true)
    {
        if (!_tagAssets.TryGetValue(tagId, out var assets) || !assets.Remove(assetId))
        {
            return false;
        }

        _assetTags[assetId].Remove(tagId);
        if (bumpUpdatedAt)
        {
            _assets[assetId].UpdatedAt = Now;
        }

        Version++;
        return true;
    }

    /// <summary>Removes a tag, its whole subtree and their asset links, as the real server's cascade does.</summary>
    internal void DeleteTagLocked(Guid tagId)
    {
        Version++;
        foreach (var id in DescendantsAndSelf(tagId))
        {
            if (_tagAssets.Remove(id, out var assets))
            {
                foreach (var assetId in assets)
                {
                    _assetTags[assetId].Remove(id);
                }
            }

            var tag = _tags[id];
            _tags.Remove(id);
            _tagsByValue.Remove(tag.Value);
        }
    }

    internal HashSet<Guid> DescendantsAndSelf(Guid tagId)
    {
        var result = new HashSet<Guid> { tagId };
        var grew = true;
        while (grew)
        {
            grew = false;
            foreach (var tag in _tags.Values)
            {
                if (tag.ParentId is { } parent && result.Contains(parent) && result.Add(tag.Id))
                {
                    grew = true;
                }
            }
        }

        return result;
    }

    internal void MarkDatesChanged()
    {
        _sortedDirty = true;
        Version++;
    }

    /// <summary>Assets in (fileCreatedAt, id) order; re-sorted only after a date changed or an asset was added.</summary>
    internal List<FakeAsset> SortedLocked()
    {
        if (_sortedDirty)
        {
            _sorted.Sort(CompareForPaging);
            _sortedDirty = false;
        }

        return _sorted;
    }

    internal int CompareForPaging(FakeAsset a, FakeAsset b)
    {
        var byDate = a.FileCreatedAt.UtcTicks.CompareTo(b.FileCreatedAt.UtcTicks);
        return byDate != 0 ? byDate : string.CompareOrdinal(_sortId[a.Id], _sortId[b.Id]);
    }

    internal IEnumerable<FakeAsset> AssetsOfTagTreeLocked(Guid tagId)
    {
        var result = new HashSet<Guid>();
        foreach (var id in DescendantsAndSelf(tagId))
        {
            if (_tagAssets.TryGetValue(id, out var assets))
            {
                result.UnionWith(assets);
            }
        }

        return result.Select(a => _assets[a]);
    }

    private void RequireUser(Guid id)
    {
        if (!_users.ContainsKey(id))
        {
            throw new ArgumentException($"No user {id} in the fake.", nameof(id));
        }
    }

    private FakeAsset RequireAsset(Guid id) =>
        _assets.GetValueOrDefault(id) ?? throw new ArgumentException($"No asset {id} in the fake.", nameof(id));

    private FakeAlbum RequireAlbum(Guid id) =>
        _albums.GetValueOrDefault(id) ?? throw new ArgumentException($"No album {id} in the fake.", nameof(id));

    private FakeTag RequireTag(Guid id) =>
        _tags.GetValueOrDefault(id) ?? throw new ArgumentException($"No tag {id} in the fake.", nameof(id));
}
