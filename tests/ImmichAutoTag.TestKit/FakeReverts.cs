namespace ImmichAutoTag.TestKit;

/// <summary>
/// Server-side changes that undo a write after the server accepted it, for tests of the run's verifier:
/// an album membership taken back, a date job that re-reads a file still holding the old date, and a date
/// write that re-reads the asset's sidecar and so brings back tags removed after the sidecar was written
/// (immich#23792). Each lands lazily, on the next look at the state after the request that armed it.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly HashSet<(Guid AlbumId, Guid AssetId)> _armedAlbumReverts = [];
    private readonly List<(Guid AlbumId, Guid AssetId)> _dueAlbumReverts = [];
    private readonly HashSet<Guid> _armedDateReverts = [];

    /// <summary>
    /// When true, a date job re-reads the asset's sidecar as it was when the date was written: tags removed from
    /// the asset since then come back when the job lands (immich#23792).
    /// </summary>
    public bool DateWriteRereadsSidecar { get; set; }

    /// <summary>Album additions the server took back after accepting them.</summary>
    public int RevertedAlbumAdditions { get; private set; }

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
