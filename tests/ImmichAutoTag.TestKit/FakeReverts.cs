namespace ImmichAutoTag.TestKit;

/// <summary>
/// Server-side changes that undo a write after the server accepted it, for tests of the run's verifier:
/// an album membership or share taken back, a deleted album restored, a created album deleted again, a date job that re-reads a file still holding the old date, and a date
/// write that re-reads the asset's sidecar and so brings back tags removed after the sidecar was written
/// (immich#23792). Each lands lazily, on the next look at the state after the request that armed it.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly HashSet<(Guid AlbumId, Guid AssetId)> _armedAlbumReverts = [];
    private readonly List<(Guid AlbumId, Guid AssetId)> _dueAlbumReverts = [];
    private readonly HashSet<Guid> _armedDateReverts = [];
    private readonly HashSet<(Guid AlbumId, Guid UserId)> _armedShareDrops = [];
    private readonly List<(Guid AlbumId, Guid UserId)> _dueShareDrops = [];
    private readonly HashSet<Guid> _armedAlbumReturns = [];
    private readonly List<(FakeAlbum Album, Guid[] Assets)> _dueAlbumReturns = [];
    private readonly HashSet<string> _armedCreationLosses = new(StringComparer.Ordinal);
    private readonly List<Guid> _dueCreationLosses = [];

    /// <summary>
    /// When true, a date job re-reads the asset's sidecar as it was when the date was written: tags removed from
    /// the asset since then come back when the job lands (immich#23792).
    /// </summary>
    public bool DateWriteRereadsSidecar { get; set; }

    /// <summary>Album additions the server took back after accepting them.</summary>
    public int RevertedAlbumAdditions { get; private set; }

    /// <summary>Album shares the server took back after accepting them.</summary>
    public int DroppedAlbumShares { get; private set; }

    /// <summary>Deleted albums that came back (with their assets and shares).</summary>
    public int ReturnedAlbums { get; private set; }

    /// <summary>Created albums that were gone again right after the server answered.</summary>
    public int LostAlbumCreations { get; private set; }

    /// <summary>Date jobs that ran but kept the old dates.</summary>
    public int RevertedDateWrites { get; private set; }

    /// <summary>Tag links a date job brought back from the sidecar.</summary>
    public int ResurrectedTagLinks { get; private set; }

    /// <summary>The next time the asset is added to the album over HTTP, the server takes it out again after answering.</summary>
    public void RevertNextAlbumAddition(Guid albumId, Guid assetId)
    {
        lock (_gate)
        {
            _armedAlbumReverts.Add((albumId, assetId));
        }
    }

    /// <summary>The next date written to the asset over HTTP is accepted and its job runs, but the asset keeps its old dates.</summary>
    public void RevertNextDateWrite(Guid assetId)
    {
        lock (_gate)
        {
            _armedDateReverts.Add(assetId);
        }
    }

    /// <summary>The next time the user is added to the album over HTTP, the server answers, then the album is no longer shared with them.</summary>
    public void DropNextAlbumShare(Guid albumId, Guid userId)
    {
        lock (_gate)
        {
            _armedShareDrops.Add((albumId, userId));
        }
    }

    /// <summary>
    /// The next time the album is deleted over HTTP, the server answers, then the album is back with the assets and
    /// shares it had (as an album restored from the trash).
    /// </summary>
    public void ReturnNextDeletedAlbum(Guid albumId)
    {
        lock (_gate)
        {
            _armedAlbumReturns.Add(albumId);
        }
    }

    /// <summary>The next album created over HTTP with this name is gone again right after the server answered (deleted meanwhile).</summary>
    public void LoseNextCreatedAlbum(string name)
    {
        lock (_gate)
        {
            _armedCreationLosses.Add(name);
        }
    }

    /// <summary>An HTTP call shared the album with the user: an armed drop becomes due.</summary>
    internal void AlbumUserAddedLocked(Guid albumId, Guid userId)
    {
        if (_armedShareDrops.Remove((albumId, userId)))
        {
            _dueShareDrops.Add((albumId, userId));
        }
    }

    /// <summary>An HTTP call is about to delete the album (it still holds <paramref name="assets"/>): an armed return becomes due.</summary>
    internal void AlbumDeletingLocked(FakeAlbum album, IEnumerable<Guid> assets)
    {
        if (_armedAlbumReturns.Remove(album.Id))
        {
            _dueAlbumReturns.Add((album, assets.ToArray()));
        }
    }

    /// <summary>An HTTP call created the album: an armed loss becomes due.</summary>
    internal void AlbumCreatedLocked(FakeAlbum album)
    {
        if (_armedCreationLosses.Remove(album.Name))
        {
            _dueCreationLosses.Add(album.Id);
        }
    }

    /// <summary>An HTTP call added the asset to the album: an armed revert becomes due.</summary>
    internal void AlbumAssetAddedLocked(Guid albumId, Guid assetId)
    {
        if (_armedAlbumReverts.Remove((albumId, assetId)))
        {
            _dueAlbumReverts.Add((albumId, assetId));
        }
    }

    internal void LandAlbumRevertsLocked()
    {
        foreach (var (albumId, assetId) in _dueAlbumReverts)
        {
            if (_albums.ContainsKey(albumId) && UnlinkAlbumAsset(albumId, assetId))
            {
                RevertedAlbumAdditions++;
            }
        }

        _dueAlbumReverts.Clear();
        foreach (var (albumId, userId) in _dueShareDrops)
        {
            if (_albums.TryGetValue(albumId, out var album) && album.SharedWith.Remove(userId))
            {
                DroppedAlbumShares++;
            }
        }

        _dueShareDrops.Clear();
        foreach (var (album, assets) in _dueAlbumReturns.Where(r => !_albums.ContainsKey(r.Album.Id)))
        {
            _albums.Add(album.Id, album);
            _albumAssets.Add(album.Id, []);
            foreach (var assetId in assets.Where(_assets.ContainsKey))
            {
                LinkAlbumAsset(album.Id, assetId);
            }

            ReturnedAlbums++;
        }

        _dueAlbumReturns.Clear();
        foreach (var albumId in _dueCreationLosses.Where(_albums.ContainsKey))
        {
            DeleteAlbumLocked(albumId);
            LostAlbumCreations++;
        }

        _dueCreationLosses.Clear();
    }

    private void ResurrectSidecarTagsLocked(Guid assetId, HashSet<Guid>? sidecar)
    {
        if (sidecar is null)
        {
            return;
        }

        foreach (var tagId in sidecar.Except(CurrentTagsLocked(assetId)).Where(_tags.ContainsKey).ToList())
        {
            LinkTagAsset(tagId, assetId, bumpUpdatedAt: true);
            ResurrectedTagLinks++;
        }
    }
}
