namespace ImmichAutoTag.TestKit;

/// <summary>
/// Immich's asynchronous date writes, as measured on a real 3.1 server: <c>PUT /assets</c> with
/// <c>dateTimeOriginal</c> answers at once with the old dates; a job (sidecar write, then metadata extraction)
/// sets the new <c>fileCreatedAt</c>, <c>localDateTime</c> and time zone later. While the sidecar or
/// metadataExtraction queue is paused the job waits; it shows as a metadataExtraction job in GET /queues.
/// Jobs land lazily, whenever the state is next looked at, on the fake's clock.
/// </summary>
public sealed partial class FakeImmichState
{
    private readonly Dictionary<Guid, PendingDateWrite> _dateWrites = [];

    /// <summary>
    /// Time from a date write to the moment the new dates show. Zero applies them within the request, as the
    /// fake did before this was modelled; tests of the asynchronous behaviour set a delay.
    /// </summary>
    public TimeSpan DateWriteDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Date writes accepted but not landed yet.</summary>
    public int PendingDateWrites
    {
        get
        {
            lock (_gate)
            {
                LandDueDateWritesLocked();
                return _dateWrites.Count;
            }
        }
    }

    /// <summary>Date writes that have landed since the fake started.</summary>
    public int LandedDateWrites { get; private set; }

    /// <summary>
    /// Sets an asset's capture date as Immich reads it from EXIF. With <paramref name="withOffset"/> (EXIF
    /// OffsetTimeOriginal present) fileCreatedAt is the instant, localDateTime the wall clock in
    /// <paramref name="captured"/>'s offset and the time zone "UTC±h". Without it Immich knows only the wall clock:
    /// it stores it as the instant too (as UTC) and no time zone.
    /// </summary>
    public void SetCaptureDate(Guid assetId, DateTimeOffset captured, bool withOffset = true)
    {
        lock (_gate)
        {
            var asset = RequireAsset(assetId);
            var wallClock = DateTime.SpecifyKind(captured.DateTime, DateTimeKind.Unspecified);
            asset.FileCreatedAt = withOffset ? captured.ToUniversalTime() : new DateTimeOffset(wallClock, TimeSpan.Zero);
            asset.LocalDateTime = wallClock;
            asset.TimeZone = withOffset ? OffsetName(captured.Offset) : null;
            MarkDatesChanged();
        }
    }

    private static string OffsetName(TimeSpan offset) =>
        offset == TimeSpan.Zero ? "UTC"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{Math.Abs(offset.Hours)}{(offset.Minutes == 0 ? "" : $":{Math.Abs(offset.Minutes):00}")}");

    /// <summary>Sets an asset's dates now or queues them, per <see cref="DateWriteDelay"/>; a later write replaces a queued one.</summary>
    internal void WriteDatesLocked(FakeAsset asset, DateTimeOffset instant, DateTime wallClock, string? timeZone)
    {
        var job = new PendingDateWrite(asset.Id, Now + DateWriteDelay, instant, wallClock, timeZone)
        {
            Reverts = _armedDateReverts.Remove(asset.Id),
            Sidecar = DateWriteRereadsSidecar ? CurrentTagsLocked(asset.Id) : null,
        };
        if (DateWriteDelay <= TimeSpan.Zero)
        {
            ApplyDates(job, Now);
            return;
        }

        _dateWrites[asset.Id] = job;
    }

    internal void LandDueDateWritesLocked()
    {
        if (_dateWrites.Count == 0 || WriteBackPaused)
        {
            return;
        }

        var now = Now;
        foreach (var job in _dateWrites.Values.Where(j => j.Due <= now).OrderBy(j => j.Due).ToList())
        {
            _dateWrites.Remove(job.AssetId);
            if (_assets.ContainsKey(job.AssetId))
            {
                // updatedAt is when the job ran, not when the state was next looked at.
                ApplyDates(job, job.Due);
            }
        }
    }

    /// <summary>Held date jobs start when the queues are resumed and take their usual time from then.</summary>
    private void ReleaseDateWritesLocked()
    {
        foreach (var job in _dateWrites.Values)
        {
            var earliest = Now + DateWriteDelay;
            job.Due = job.Due > earliest ? job.Due : earliest;
        }
    }

    private void ApplyDates(PendingDateWrite job, DateTimeOffset at)
    {
        var asset = _assets[job.AssetId];
        asset.UpdatedAt = at > asset.UpdatedAt ? at : asset.UpdatedAt;
        ResurrectSidecarTagsLocked(job.AssetId, job.Sidecar);
        if (job.Reverts)
        {
            // The job ran, but re-read a file that still had the old date.
            RevertedDateWrites++;
            return;
        }

        asset.FileCreatedAt = job.Instant;
        asset.LocalDateTime = job.WallClock;
        asset.TimeZone = job.TimeZone;
        LandedDateWrites++;
        MarkDatesChanged();
    }

    private sealed class PendingDateWrite(Guid assetId, DateTimeOffset due, DateTimeOffset instant, DateTime wallClock, string? timeZone)
    {
        public Guid AssetId { get; } = assetId;

        public DateTimeOffset Due { get; set; } = due;

        public DateTimeOffset Instant { get; } = instant;

        public DateTime WallClock { get; } = wallClock;

        public string? TimeZone { get; } = timeZone;

        /// <summary>The job keeps the old dates (see <see cref="RevertNextDateWrite"/>).</summary>
        public bool Reverts { get; init; }

        /// <summary>The asset's tags as its sidecar held them when the date was written; null when not modelled.</summary>
        public HashSet<Guid>? Sidecar { get; init; }
    }
}
