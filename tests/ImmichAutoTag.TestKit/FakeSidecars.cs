using XmpCore;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// What Immich 3.1 does with XMP sidecars (read from its server source, <c>MetadataService</c>, <c>JobService</c>,
/// <c>LibraryService</c>), for libraries a test mounted on a folder (<see cref="MountLibrary"/>):
/// <list type="bullet">
/// <item>Immich keeps one sidecar record per asset (its <c>asset_file</c> row of type sidecar). Only the sidecar
/// check (<c>handleSidecarCheck</c>) looks for files on disk: the recorded path if it still exists, else
/// <c>&lt;file&gt;.xmp</c>, else <c>&lt;name&gt;.xmp</c>; none found drops the record. It runs when a library imports
/// an asset, when a scan finds an original whose modification time changed, and for the sidecar queue's
/// "discover" (assets without a record) or "sync" (every asset) — <c>PUT /jobs/sidecar</c>. After each check,
/// skipped or not, Immich queues a metadata extraction of the asset (<c>JobService.onDone</c>).</item>
/// <item>A tag change over the API queues the sidecar write-back (<c>handleSidecarWrite</c>): it writes the
/// recorded path, or <c>&lt;file&gt;.xmp</c>, and records that path when the asset had no record — even when the
/// write failed, as it does on a read-only mount. Then it queues a metadata extraction.</item>
/// <item>A metadata extraction (<c>handleMetadataExtraction</c>, also queued by <c>POST /assets/jobs</c>
/// <c>refresh-metadata</c>) reads the original and the RECORDED sidecar only (<c>getExifTags</c>: a new sidecar Immich
/// has no record of is not read). Sidecar values win property by property over the file's. The tags are
/// (<c>getTagList</c>) <c>TagsList</c> (digiKam:TagsList) if non-empty, else <c>HierarchicalSubject</c>
/// (lr:hierarchicalSubject; each level's <c>/</c> becomes <c>|</c>, then <c>|</c> between levels becomes <c>/</c>),
/// else <c>Keywords</c> (exiftool's MWG composite, which reads dc:subject in a sidecar). exiftool reports an empty
/// list as an empty string, which counts as absent for that step but still hides the file's value of that property.</item>
/// <item>A library scan does not look at sidecars of assets whose original did not change (<c>checkExistingAsset</c>
/// compares the original's modification time only).</item>
/// </list>
/// The file's own tags (what a test's setup gave the asset) stand for all three properties of the original — the
/// strictest case for a sidecar writer, which has to override each one. Immich never writes into a read-only library;
/// a writable library's sidecar is Immich's own copy of the tags, so the fake reads sidecars of read-only libraries only.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly Dictionary<Guid, DateTimeOffset> _metadataReads = [];
    private readonly Dictionary<Guid, string> _sidecarRecords = [];

    /// <summary>Metadata extractions that landed (refresh-metadata jobs, sidecar checks' follow-ups).</summary>
    public int MetadataReads { get; private set; }

    /// <summary>Sidecar checks run (library import, sidecar discovery or sync).</summary>
    public int SidecarChecks { get; private set; }

    /// <summary>
    /// The library's files are in <paramref name="folder"/> (the test's temporary folder as the mounted library). Its
    /// assets are checked for sidecars now, as the import that brought them in did.
    /// </summary>
    public void MountLibrary(Guid libraryId, string folder)
    {
        lock (_gate)
        {
            (_libraries.TryGetValue(libraryId, out var library) ? library : throw new KeyNotFoundException($"no library {libraryId}")).LocalFolder = folder;
            foreach (var asset in _assets.Values.Where(a => a.LibraryId == libraryId).ToList())
            {
                SidecarCheckLocked(asset.Id);
            }
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

    /// <summary>The sidecar Immich has on record for the asset (whether or not the file exists); null when none.</summary>
    public string? SidecarOf(Guid assetId)
    {
        lock (_gate)
        {
            return _sidecarRecords.GetValueOrDefault(assetId);
        }
    }

    /// <summary>Immich forgets the asset's sidecar record (as a sidecar check that finds no file does).</summary>
    public void ForgetSidecarRecord(Guid assetId)
    {
        lock (_gate)
        {
            _sidecarRecords.Remove(assetId);
        }
    }

    /// <summary>
    /// The sidecar queue's "start" (<c>PUT /jobs/sidecar</c>, Administration → Jobs → Sidecar metadata): a sidecar
    /// check of every asset without a record ("discover"), or of every asset (<paramref name="force"/>, "sync"), each
    /// followed by a metadata extraction.
    /// </summary>
    public void RunSidecarDiscovery(bool force)
    {
        lock (_gate)
        {
            StartSidecarQueueLocked(force);
        }
    }

    /// <summary>
    /// The tags Immich reads from a sidecar of an original that holds no tags, by the order above: the first tag
    /// property with entries; empty when the sidecar has tag properties but all are empty; null when it has none.
    /// (With tags in the original, a property the sidecar lacks takes the original's value: see the extraction.)
    /// </summary>
    public static IReadOnlyList<string>? ReadSidecarTags(byte[] xmp)
    {
        var read = ReadTagProperties(xmp);
        List<string>?[] properties = [read.TagsList, read.Hierarchical?.Select(FromHierarchical).ToList(), read.Keywords];
        return properties.FirstOrDefault(p => p is { Count: > 0 }) ?? (properties.Any(p => p is not null) ? [] : null);
    }

    /// <summary>Immich's conversion of an lr:hierarchicalSubject entry (<c>getTagList</c>): levels by <c>|</c>, a <c>/</c> inside a level kept as <c>|</c>.</summary>
    public static string FromHierarchical(string entry) => string.Join('/', entry.Split('|').Select(level => level.Replace('/', '|')));

    private sealed record TagProperties(List<string>? TagsList, List<string>? Hierarchical, List<string>? Keywords);

    private static TagProperties ReadTagProperties(byte[] xmp)
    {
        var meta = XmpMetaFactory.ParseFromBuffer(xmp);
        List<string>? Items(string ns, string name) => meta.DoesPropertyExist(ns, name)
            ? [.. Enumerable.Range(1, meta.CountArrayItems(ns, name)).Select(i => meta.GetArrayItem(ns, name, i).Value)]
            : null;

        return new TagProperties(
            Items("http://www.digikam.org/ns/1.0/", "TagsList"),
            Items("http://ns.adobe.com/lightroom/1.0/", "hierarchicalSubject"),
            Items("http://purl.org/dc/elements/1.1/", "subject"));
    }

    /// <summary>POST /assets/jobs refresh-metadata: a metadata extraction of each asset is queued.</summary>
    internal void QueueMetadataReadsLocked(IEnumerable<Guid> assetIds)
    {
        LandDueWriteBacksLocked();
        foreach (var id in assetIds)
        {
            _metadataReads[id] = Now + SidecarDelay;
        }
    }

    /// <summary>POST /libraries/{id}/scan: originals are re-checked by modification time only, so sidecars are not looked at.</summary>
    internal void ScanLibraryLocked(Guid libraryId) => _libraries[libraryId].RefreshedAt = Now;

    /// <summary>PUT /jobs/sidecar start: discover (assets without a record) or sync (all); each check queues an extraction.</summary>
    internal void StartSidecarQueueLocked(bool force)
    {
        LandDueWriteBacksLocked();
        foreach (var asset in _assets.Values.Where(a => force || !_sidecarRecords.ContainsKey(a.Id)).ToList())
        {
            SidecarCheckLocked(asset.Id);
            _metadataReads[asset.Id] = Now + SidecarDelay;
        }
    }

    /// <summary>The write-back job of a tag change: with no record, Immich records <c>&lt;file&gt;.xmp</c>, written or not.</summary>
    internal void RecordWriteBackSidecarLocked(Guid assetId)
    {
        if (!_sidecarRecords.ContainsKey(assetId) && LocalFileLocked(assetId) is { } file)
        {
            _sidecarRecords[assetId] = file + ".xmp";
        }
    }

    internal int PendingMetadataReadsLocked => _metadataReads.Count;

    internal bool IsLibraryLocked(Guid libraryId) => _libraries.ContainsKey(libraryId);

    /// <summary>Immich's sidecar check of one asset: the recorded path if it exists, else <c>&lt;file&gt;.xmp</c>, else <c>&lt;name&gt;.xmp</c>.</summary>
    private void SidecarCheckLocked(Guid assetId)
    {
        if (LocalFileLocked(assetId) is not { } file)
        {
            return;
        }

        SidecarChecks++;
        string?[] candidates = [_sidecarRecords.GetValueOrDefault(assetId), file + ".xmp", Path.ChangeExtension(file, ".xmp")];
        if (candidates.FirstOrDefault(c => c is not null && File.Exists(c)) is { } found)
        {
            _sidecarRecords[assetId] = found;
        }
        else
        {
            _sidecarRecords.Remove(assetId);
        }
    }

    /// <summary>Lands the metadata extractions that are due (and not held by a paused queue).</summary>
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

    /// <summary>
    /// The tags a metadata extraction gives the asset: the recorded sidecar's properties over the file's, property by
    /// property, then the first non-empty of TagsList, HierarchicalSubject, Keywords.
    /// </summary>
    private HashSet<Guid> MergedTagsLocked(Guid assetId, HashSet<Guid> own)
    {
        if (!_sidecarRecords.TryGetValue(assetId, out var sidecar) || !File.Exists(sidecar))
        {
            // exiftool cannot read a recorded sidecar that is not there: Immich gets no sidecar values.
            return own;
        }

        var read = ReadTagProperties(File.ReadAllBytes(sidecar));
        foreach (var fromSidecar in new[] { read.TagsList, read.Hierarchical?.Select(FromHierarchical).ToList(), read.Keywords })
        {
            if (fromSidecar is null)
            {
                // The sidecar lacks the property: the file's value of it counts (its tags, when it has any).
                if (own.Count > 0)
                {
                    return own;
                }

                continue;
            }

            if (fromSidecar.Count > 0)
            {
                return [.. fromSidecar.Where(t => t.Trim('/').Length > 0).Select(t => UpsertTagLocked(t, Guid.NewGuid).Id)];
            }
        }

        return [];
    }
}
