using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// One pass of <see cref="PlanApplier"/>: what the appliers share — the changes the server accepted, the errors,
/// the albums and tags created on the way (later appliers need their ids) and the apply progress.
/// </summary>
internal sealed class ApplyRun(IReadOnlyDictionary<Guid, Asset> assets, TimeProvider time, bool failFast, int chunkSize, IProgress<EngineProgress>? progress)
{
    public List<AppliedChange> Changes { get; } = [];

    public List<EngineError> Errors { get; } = [];

    public bool Aborted { get; private set; }

    public bool Cancelled { get; private set; }

    /// <summary>Asset ids per bulk write request.</summary>
    public int ChunkSize { get; } = chunkSize;

    /// <summary>Tags that could not be created: their additions are reported by the creation's error alone.</summary>
    public HashSet<string> Uncreated { get; } = new(StringComparer.Ordinal);

    /// <summary>Albums this run created, name → id: sharing planned for a new album knows only its name.</summary>
    public Dictionary<string, Guid> CreatedAlbums { get; } = new(StringComparer.Ordinal);

    /// <summary>Tag path → id, for every existing tag and every tag this pass created.</summary>
    public Dictionary<string, Guid> TagIds { get; } = new(StringComparer.Ordinal);

    /// <summary>Tag write calls planned in this pass (additions and removals), for progress.</summary>
    public int TagCalls { get; set; }

    private int _tagCallsDone;

    public DateTimeOffset Now => time.GetUtcNow();

    public bool StopIfCancelled(CancellationToken ct) => Cancelled |= ct.IsCancellationRequested;

    /// <summary>Whether the next write call may start: not after a fail-fast error or a stop request.</summary>
    public bool MayWrite(CancellationToken ct) => !Aborted && !StopIfCancelled(ct);

    public void Record(Guid assetId, string tag, ChangeKind kind) =>
        Changes.Add(new AppliedChange(assetId, FileName(assetId), tag, kind, time.GetUtcNow()));

    public void Record(AppliedChange change) => Changes.Add(change);

    public string FileName(Guid assetId) => assets.TryGetValue(assetId, out var a) ? a.OriginalFileName : string.Empty;

    public void Fail(EngineErrorKind kind, string message, IReadOnlyList<Guid> assetIds, IReadOnlyList<string> tags)
    {
        Errors.Add(new EngineError(kind, message, assetIds, tags, time.GetUtcNow()));
        Aborted |= failFast;
    }

    public void TagCallDone() => progress?.Report(new EngineProgress(EnginePhase.Apply, ++_tagCallsDone, TagCalls));
}

/// <summary>Carries out one kind of planned change with bulk calls, recording what the server accepted.</summary>
internal interface IChangeApplier
{
    /// <summary>
    /// Sends this kind's part of <paramref name="plan"/>. A write that has started is finished (it gets
    /// <see cref="CancellationToken.None"/>); <paramref name="ct"/> is looked at only between calls.
    /// </summary>
    Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct);
}
