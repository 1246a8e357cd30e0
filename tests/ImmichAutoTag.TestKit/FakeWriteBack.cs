namespace ImmichAutoTag.TestKit;

/// <summary>
/// Immich's sidecar write-back, as measured on a real 3.1 server: a tag change on an asset queues a job
/// that writes the asset's XMP sidecar right away and, after a short delay, re-reads it into the asset's
/// tags. Changes to the same asset inside that window are lost, because the re-read brings back the
/// sidecar as of the FIRST change. While the sidecar or metadataExtraction queue is paused the jobs
/// wait; a job whose sidecar was not written yet writes the final state once the queues run again.
/// Jobs land lazily, whenever the state is next looked at, so no timer thread is needed.
/// </summary>
public sealed partial class FakeImmichState
{
    /// <summary>Every queue Immich 3.1 reports, in its order.</summary>
    internal static readonly string[] QueueNames =
    [
        "thumbnailGeneration", "metadataExtraction", "videoConversion", "faceDetection", "facialRecognition",
        "smartSearch", "duplicateDetection", "backgroundTask", "storageTemplateMigration", "migration", "search",
        "sidecar", "library", "notifications", "backupDatabase", "ocr", "workflow", "integrityCheck", "editor",
    ];

    private readonly Dictionary<Guid, PendingWriteBack> _writeBacks = [];
    private readonly HashSet<string> _pausedQueues = new(StringComparer.Ordinal);

    /// <summary>When false, tag changes take effect at once and stay, as in the fake before the race was modelled.</summary>
    public bool SidecarRace { get; set; } = true;

    /// <summary>Time from a tag change to the re-read that can revert later changes to the same asset.</summary>
    public TimeSpan SidecarDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Write-backs that changed an asset's tags, i.e. reverted at least one change.</summary>
    public int RevertedWriteBacks { get; private set; }

    /// <summary>Tag links added or removed by those reverting write-backs.</summary>
    public int RevertedLinks { get; private set; }

    public bool IsQueuePaused(string name)
    {
        lock (_gate)
        {
            return _pausedQueues.Contains(name);
        }
    }

    /// <summary>Pauses or resumes a queue directly, e.g. to stage what a crashed run left behind.</summary>
    public void SetQueuePaused(string name, bool paused)
    {
        lock (_gate)
        {
            SetQueuePausedLocked(name, paused);
        }
    }

    /// <summary>Write-backs not landed yet (they land on the next look once due, or when the queues resume).</summary>
    public int PendingWriteBacks
    {
        get
        {
            lock (_gate)
            {
                LandDueWriteBacksLocked();
                return _writeBacks.Count;
            }
        }
    }

    private bool WriteBackPaused => _pausedQueues.Contains("sidecar") || _pausedQueues.Contains("metadataExtraction");

    internal void SetQueuePausedLocked(string name, bool paused)
    {
        LandDueWriteBacksLocked();
        if (paused)
        {
            _pausedQueues.Add(name);
            return;
        }

        _pausedQueues.Remove(name);
        if (!WriteBackPaused)
        {
            // The held jobs run now; those whose sidecar was never written write the final state.
            foreach (var job in _writeBacks.Values)
            {
                job.Due = Now;
            }

            ReleaseDateWritesLocked();
            foreach (var id in _metadataReads.Keys.ToList())
            {
                _metadataReads[id] = Now;
            }

            LandDueWriteBacksLocked();
        }
    }

    /// <summary>A tag change over HTTP touched these assets: queue their write-backs.</summary>
    internal void TagsChangedLocked(IEnumerable<Guid> assetIds)
    {
        LandDueWriteBacksLocked();
        foreach (var assetId in assetIds)
        {
            // A read-only library loses every change, race or not: its re-read brings back the file's tags.
            if ((!SidecarRace && !OnReadOnlyLibraryLocked(assetId)) || _writeBacks.ContainsKey(assetId))
            {
                // Inside the window of an earlier change: the pending re-read will overwrite this one.
                continue;
            }

            // A paused sidecar queue has not written the sidecar yet, so it holds no snapshot.
            var snapshot = _pausedQueues.Contains("sidecar") ? null : CurrentTagsLocked(assetId);
            _writeBacks[assetId] = new PendingWriteBack(Now + SidecarDelay, snapshot);
        }
    }

    /// <summary>(waiting, active) jobs of a queue for GET /queues.</summary>
    internal (int Waiting, int Active) QueueLoadLocked(string name)
    {
        LandDueWriteBacksLocked();
        if (name is not ("sidecar" or "metadataExtraction"))
        {
            return (0, 0);
        }

        // Date writes are metadata extraction jobs once their sidecar is written.
        var jobs = _writeBacks.Count + (name == "metadataExtraction" ? _dateWrites.Count + _metadataReads.Count : 0);
        return WriteBackPaused ? (jobs, 0) : (0, jobs);
    }

    internal bool QueuePausedLocked(string name) => _pausedQueues.Contains(name);

    internal void LandDueWriteBacksLocked()
    {
        LandAlbumRevertsLocked();
        LandDueDateWritesLocked();
        LandMetadataReadsLocked();
        if (_writeBacks.Count == 0 || WriteBackPaused)
        {
            return;
        }

        var now = Now;
        foreach (var (assetId, job) in _writeBacks.Where(kv => kv.Value.Due <= now).ToList())
        {
            _writeBacks.Remove(assetId);
            if (!_assets.TryGetValue(assetId, out var landed))
            {
                continue;
            }

            // The job re-reads the sidecar into the asset, which moves its updatedAt (the tag call did not).
            landed.UpdatedAt = job.Due;
            Version++;

            // On a read-only library the sidecar was never written (but is on record now): the re-read finds the file's own tags.
            if (OnReadOnlyLibraryLocked(assetId))
            {
                RecordWriteBackSidecarLocked(assetId);
            }

            var snapshot = OnReadOnlyLibraryLocked(assetId) ? FileTagsLocked(assetId) : job.Snapshot;
            if (snapshot is null)
            {
                continue;
            }

            var current = CurrentTagsLocked(assetId);
            var stale = current.Except(snapshot).ToList();
            var lost = snapshot.Except(current).Where(_tags.ContainsKey).ToList();
            foreach (var tagId in stale)
            {
                UnlinkTagAsset(tagId, assetId);
            }

            foreach (var tagId in lost)
            {
                LinkTagAsset(tagId, assetId, bumpUpdatedAt: true);
            }

            if (stale.Count + lost.Count > 0)
            {
                RevertedWriteBacks++;
                RevertedLinks += stale.Count + lost.Count;
            }
        }
    }

    private HashSet<Guid> CurrentTagsLocked(Guid assetId) =>
        _assetTags.TryGetValue(assetId, out var set) ? [.. set] : [];

    private sealed class PendingWriteBack(DateTimeOffset due, HashSet<Guid>? snapshot)
    {
        public DateTimeOffset Due { get; set; } = due;

        public HashSet<Guid>? Snapshot { get; } = snapshot;
    }
}
