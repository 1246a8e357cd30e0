using System.Globalization;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// Immich's external libraries (<c>GET /libraries</c>, each asset's <c>libraryId</c>) and what a read-only mount
/// does to tags: Immich cannot write the asset's XMP sidecar, so the metadata re-read its write-back job runs after
/// every tag change brings back the tags the file holds, and the change is lost — every time (immich#14194, #30979).
/// The file's tags are the ones the asset was given by the test's setup (<see cref="TagAsset"/>), as a library scan
/// reads them; tag calls over HTTP never reach the file.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly Dictionary<Guid, FakeLibrary> _libraries = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _fileTags = [];

    /// <summary>Adds an external library of <paramref name="ownerId"/> importing from <paramref name="importPath"/>.</summary>
    /// <param name="readOnly">The import path is mounted read-only: tag changes to its assets never stick.</param>
    public FakeLibrary AddExternalLibrary(Guid ownerId, string name, string importPath, bool readOnly)
    {
        lock (_gate)
        {
            RequireUser(ownerId);
            var library = new FakeLibrary(Guid.NewGuid(), ownerId, name, importPath, readOnly, Now);
            _libraries.Add(library.Id, library);
            return library;
        }
    }

    /// <summary>An asset of an external library, as its scan imports it (path under the library's import path).</summary>
    public FakeAsset AddLibraryAsset(Guid libraryId, string originalFileName, DateTimeOffset fileCreatedAt)
    {
        FakeLibrary library;
        lock (_gate)
        {
            library = _libraries.TryGetValue(libraryId, out var found) ? found : throw new KeyNotFoundException($"no library {libraryId}");
        }

        var asset = AddAsset(library.OwnerId, originalFileName, fileCreatedAt,
            originalPath: string.Create(CultureInfo.InvariantCulture, $"{library.ImportPath.TrimEnd('/')}/{fileCreatedAt:yyyy}/{originalFileName}"));
        lock (_gate)
        {
            asset.LibraryId = libraryId;
            library.RefreshedAt = Now;
            SidecarCheckLocked(asset.Id); // the import's sidecar discovery (LibraryService.queuePostSyncJobs)
            Version++;
        }

        return asset;
    }

    /// <summary>
    /// The asset's file was replaced (say, edited on the NAS) and re-scanned: a new <c>checksum</c>, updatedAt moves,
    /// and its tags are what the new file holds (<paramref name="fileTagIds"/>).
    /// </summary>
    public void ReplaceFile(Guid assetId, params Guid[] fileTagIds)
    {
        lock (_gate)
        {
            var asset = RequireAsset(assetId);
            asset.Checksum = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Guid.NewGuid().ToByteArray()));
            asset.UpdatedAt = Now;
            _fileTags[assetId] = [.. fileTagIds];
            foreach (var tagId in CurrentTagsLocked(assetId).Except(fileTagIds))
            {
                UnlinkTagAsset(tagId, assetId);
            }

            foreach (var tagId in fileTagIds)
            {
                LinkTagAsset(tagId, assetId, bumpUpdatedAt: true);
            }

            Version++;
        }
    }

    /// <summary>The library's import path is mounted again, read-only or writable (e.g. the admin fixed the mount).</summary>
    public void SetLibraryReadOnly(Guid libraryId, bool readOnly)
    {
        lock (_gate)
        {
            (_libraries.TryGetValue(libraryId, out var library) ? library : throw new KeyNotFoundException($"no library {libraryId}")).ReadOnly = readOnly;
        }
    }

    /// <summary>Every external library, in creation order.</summary>
    public IReadOnlyList<FakeLibrary> Libraries
    {
        get
        {
            lock (_gate)
            {
                return [.. _libraries.Values];
            }
        }
    }

    /// <summary>Assets of the library (trashed ones included), for <c>assetCount</c>.</summary>
    internal int LibraryAssetCountLocked(Guid libraryId) => _assets.Values.Count(a => a.LibraryId == libraryId);

    /// <summary>Whether tag changes to the asset are lost because its library is mounted read-only.</summary>
    internal bool OnReadOnlyLibraryLocked(Guid assetId) =>
        _assets.TryGetValue(assetId, out var asset) && asset.LibraryId is { } id && _libraries.TryGetValue(id, out var library) && library.ReadOnly;

    /// <summary>The tags the asset's file holds (what a metadata re-read of a read-only asset brings back).</summary>
    /// <remarks>The sidecar Immich has on record, in a mounted library, is merged over the file's tags (FakeSidecars.cs).</remarks>
    private HashSet<Guid> FileTagsLocked(Guid assetId) =>
        MergedTagsLocked(assetId, _fileTags.TryGetValue(assetId, out var set) ? [.. set.Where(_tags.ContainsKey)] : []);

    /// <summary>Setup tagging of a library asset is what its file holds.</summary>
    private void RememberFileTagLocked(Guid tagId, Guid assetId)
    {
        if (_assets.TryGetValue(assetId, out var asset) && asset.LibraryId is not null)
        {
            if (!_fileTags.TryGetValue(assetId, out var set))
            {
                set = [];
                _fileTags.Add(assetId, set);
            }

            set.Add(tagId);
        }
    }
}
