using XmpCore;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// What Immich does with XMP sidecars on a metadata read: the asset's file is <c>originalPath</c>, its sidecar
/// <c>&lt;file&gt;.xmp</c> or else <c>&lt;name&gt;.xmp</c>, and the tags of a read are, by value (created when missing),
/// <c>digiKam:TagsList</c> when the sidecar has it, else <c>lr:hierarchicalSubject</c> with <c>|</c> as separator,
/// else <c>dc:subject</c>; a sidecar with none of them (or no sidecar) leaves the file's own tags. The fake reads
/// sidecars only for libraries a test mounted on a folder (<see cref="MountLibrary"/>), where the library's files
/// are: <c>POST /assets/jobs</c> (<c>refresh-metadata</c>) and <c>POST /libraries/{id}/scan</c> queue a metadata
/// read (a <c>metadataExtraction</c> job, landing after <see cref="SidecarDelay"/>), and the write-back re-read of a
/// read-only library reads the sidecar too. Immich itself never writes into a read-only library.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly Dictionary<Guid, DateTimeOffset> _metadataReads = [];
    private readonly Dictionary<Guid, DateTime> _sidecarSeen = [];

    /// <summary>Metadata reads (refresh jobs and scans) that landed.</summary>
    public int MetadataReads { get; private set; }

    /// <summary>The library's files are in <paramref name="folder"/> (the test's temporary folder as the mounted library).</summary>
    public void MountLibrary(Guid libraryId, string folder)
    {
        lock (_gate)
        {
            (_libraries.TryGetValue(libraryId, out var library) ? library : throw new KeyNotFoundException($"no library {libraryId}")).LocalFolder = folder;
        }
    }

    /// <summary>Where the asset's original is in its mounted library's folder; null when its library is not mounted.</summary>
    public string? LocalFileOf(Guid assetId)
    {
        lock (_gate)
        {
            return LocalFileLocked(assetId);
        }
    }

    /// <summary>The sidecar Immich would read for the asset (an existing <c>&lt;file&gt;.xmp</c>, else an existing <c>&lt;name&gt;.xmp</c>); null when none.</summary>
    public string? SidecarOf(Guid assetId)
    {
        lock (_gate)
        {
            return SidecarLocked(assetId);
        }
    }

    /// <summary>The tags Immich reads from a sidecar's XMP, by the order above; null when it holds no tag property.</summary>
    public static IReadOnlyList<string>? ReadSidecarTags(byte[] xmp)
    {
        var meta = XmpMetaFactory.ParseFromBuffer(xmp);
        List<string>? Items(string ns, string name)
        {
            if (!meta.DoesPropertyExist(ns, name))
            {
                return null;
            }

            return [.. Enumerable.Range(1, meta.CountArrayItems(ns, name)).Select(i => meta.GetArrayItem(ns, name, i).Value)];
        }

        return Items("http://www.digikam.org/ns/1.0/", "TagsList")
            ?? Items("http://ns.adobe.com/lightroom/1.0/", "hierarchicalSubject")?.Select(t => t.Replace('|', '/')).ToList()
            ?? Items("http://purl.org/dc/elements/1.1/", "subject");
    }

    /// <summary>POST /assets/jobs refresh-metadata: a metadata read of each asset is queued.</summary>
    internal void QueueMetadataReadsLocked(IEnumerable<Guid> assetIds)
    {
        LandDueWriteBacksLocked();
        foreach (var id in assetIds)
        {
            _metadataReads[id] = Now + SidecarDelay;
        }
    }

    /// <summary>POST /libraries/{id}/scan: assets whose sidecar changed since it was last read are read again.</summary>
    internal void ScanLibraryLocked(Guid libraryId)
    {
        var library = _libraries[libraryId];
        library.RefreshedAt = Now;
        foreach (var asset in _assets.Values.Where(a => a.LibraryId == libraryId && !a.IsTrashed))
        {
            if (SidecarLocked(asset.Id) is { } sidecar && (!_sidecarSeen.TryGetValue(asset.Id, out var seen) || File.GetLastWriteTimeUtc(sidecar) > seen))
            {
                _metadataReads[asset.Id] = Now + SidecarDelay;
            }
        }
    }

    internal int PendingMetadataReadsLocked => _metadataReads.Count;

    internal bool IsLibraryLocked(Guid libraryId) => _libraries.ContainsKey(libraryId);

    /// <summary>Lands the metadata reads that are due (and not held by a paused queue).</summary>
    private void LandMetadataReadsLocked()
    {
        if (_metadataReads.Count == 0 || WriteBackPaused)
        {
            return;
        }

        foreach (var (assetId, due) in _metadataReads.Where(kv => kv.Value <= Now).ToList())
        {
            _metadataReads.Remove(assetId);
            if (!_assets.TryGetValue(assetId, out var asset))
            {
                continue;
            }

            MetadataReads++;
            asset.UpdatedAt = due;
            Version++;

            // A writable library's sidecar is Immich's own copy of the tags; only a read-only one can differ.
            if (!OnReadOnlyLibraryLocked(assetId))
            {
                continue;
            }

            var read = FileTagsLocked(assetId);
            foreach (var tagId in CurrentTagsLocked(assetId).Except(read).ToList())
            {
                UnlinkTagAsset(tagId, assetId);
            }

            foreach (var tagId in read.Except(CurrentTagsLocked(assetId)).ToList())
            {
                LinkTagAsset(tagId, assetId, bumpUpdatedAt: true);
            }
        }
    }

    private string? LocalFileLocked(Guid assetId)
    {
        if (!_assets.TryGetValue(assetId, out var asset) || asset.LibraryId is not { } id || !_libraries.TryGetValue(id, out var library) || library.LocalFolder is not { } folder)
        {
            return null;
        }

        var prefix = library.ImportPath.TrimEnd('/') + "/";
        return asset.OriginalPath.StartsWith(prefix, StringComparison.Ordinal)
            ? Path.Combine(folder, asset.OriginalPath[prefix.Length..])
            : null;
    }

    private string? SidecarLocked(Guid assetId)
    {
        if (LocalFileLocked(assetId) is not { } file)
        {
            return null;
        }

        var named = Path.ChangeExtension(file, ".xmp");
        return File.Exists(file + ".xmp") ? file + ".xmp" : File.Exists(named) ? named : null;
    }

    /// <summary>The tags a metadata read finds in the asset's sidecar (created by value when missing); null: no sidecar tags.</summary>
    private HashSet<Guid>? SidecarTagsLocked(Guid assetId)
    {
        if (SidecarLocked(assetId) is not { } sidecar)
        {
            return null;
        }

        _sidecarSeen[assetId] = File.GetLastWriteTimeUtc(sidecar);
        var tags = ReadSidecarTags(File.ReadAllBytes(sidecar));
        return tags is null ? null : [.. tags.Where(t => t.Trim('/').Length > 0).Select(t => UpsertTagLocked(t, Guid.NewGuid).Id)];
    }
}
