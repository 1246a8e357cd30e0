using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine.Corrections;

/// <summary>
/// One run's use of the <see cref="CorrectionMemory"/>: load and compare with the walk, filter the plan, take in what
/// was applied and save. Inactive (a pass-through) without a store or with <c>corrections.enabled: false</c>.
/// </summary>
public sealed class CorrectionRun
{
    private readonly ICorrectionStore? _store;
    private readonly string _scope;
    private readonly CorrectionMemory? _memory;
    private readonly List<PlannedChange> _skipped = [];
    private readonly HashSet<object> _skippedKeys = [];
    private IReadOnlyDictionary<string, int> _raised = new Dictionary<string, int>();

    private CorrectionRun(ICorrectionStore? store, string scope, CorrectionMemory? memory)
    {
        _store = store;
        _scope = scope;
        _memory = memory;
    }

    /// <summary>Loads the scope's memory and compares it with the walk.</summary>
    /// <param name="reads">What the walk read: only tags whose holders it read can show a removal.</param>
    /// <param name="isStatusTag">Whether a tag path is a status tag (<see cref="StatusTags.Of"/>); null: none is.</param>
    public static async Task<CorrectionRun> StartAsync(
        ICorrectionStore? store, CorrectionsConfig config, string scope, LibrarySnapshot snapshot, ReadNeeds reads, DateTimeOffset now, ILogger logger, Func<string, bool>? isStatusTag, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(reads);
        if (store is null || !config.Enabled)
        {
            return new CorrectionRun(null, scope, null);
        }

        var leaves = reads.TagNames;
        var owned = reads.OwnedTagPaths.ToHashSet(StringComparer.Ordinal);

        // Asked once per recorded tag addition (a large library has one per asset and workflow tag), answered once per path.
        var judged = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool IsRead(string path)
        {
            ref var read = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(judged, path, out var known);
            if (!known)
            {
                read = owned.Contains(path) || reads.Owns(path) || leaves.Contains(path) || leaves.Contains(path[(path.LastIndexOf('/') + 1)..]);
            }

            return read;
        }

        var memory = CorrectionMemory.Detect(config, await store.LoadAsync(scope, ct), snapshot, IsRead, now, isStatusTag);
        if (memory.Found.Count > 0)
        {
            logger.LogInformation("{Count} tags, album memberships, favourite flags or archive moves the tool had made were undone by hand since; they are not made on those assets again", memory.Found.Count);
        }

        return new CorrectionRun(store, scope, memory);
    }

    /// <summary>The plan without what the user corrected (see <see cref="CorrectionMemory.Filter"/>).</summary>
    public TagPlan Filter(TagPlan plan, ClipLabels? clip, ClipConfig clipConfig, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (_memory is null)
        {
            return plan;
        }

        (plan, var skipped, _raised) = _memory.Filter(plan, clip, clipConfig);
        foreach (var change in skipped)
        {
            LeftOut(change);
        }

        if (_skipped.Count > 0)
        {
            logger.LogInformation("{Count} planned additions left out: the user had removed them before (or their CLIP label is accepted too rarely)", _skipped.Count);
        }

        return plan;
    }

    /// <summary>
    /// Whether a planning step must not plan <paramref name="change"/> (<see cref="CorrectionMemory.Refuses"/>): the
    /// step then judges the asset without it (its classification and status tags), and it counts as left out.
    /// Always false when the memory is inactive.
    /// </summary>
    public bool Refuses(PlannedChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_memory is null || !_memory.Refuses(change))
        {
            return false;
        }

        LeftOut(change);
        return true;
    }

    /// <summary>
    /// One planning pass's plan without what the user corrected, before the next pass plans on the library as that
    /// plan leaves it (no CLIP threshold raising: that is <see cref="Filter"/>'s, on the finished plan). What it takes
    /// out counts as left out.
    /// </summary>
    public TagPlan LeaveOut(TagPlan plan, ClipConfig clipConfig)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (_memory is null)
        {
            return plan;
        }

        var (kept, skipped, _) = _memory.Filter(plan, null, clipConfig);
        foreach (var change in skipped)
        {
            LeftOut(change);
        }

        return kept;
    }

    /// <summary>Counts a change as left out once, however many planning passes or steps refused it.</summary>
    private void LeftOut(PlannedChange change)
    {
        object key = change switch
        {
            AddTag a => (a.AssetId, AdditionKind.Tag, a.TagPath),
            AddAlbumMember m => (m.AssetId, AdditionKind.Album, m.AlbumId.ToString("D")),
            _ => change,
        };
        if (_skippedKeys.Add(key))
        {
            _skipped.Add(change);
        }
    }

    /// <summary>
    /// After an undo: the additions it took away and the flags it put back were reverted by the tool, not by the user,
    /// so they are forgotten (not recorded as corrections by the next run, which may plan them again). Additions the undo put back are not
    /// remembered as the tool's: the undo restores what the user had.
    /// </summary>
    /// <param name="applied">The undo's changes the server accepted.</param>
    /// <param name="stillWrong">Those Immich did not keep.</param>
    public static async Task ForgetUndoneAsync(ICorrectionStore store, AutoTagConfig config, string scope, IReadOnlyList<AppliedChange> applied, IReadOnlyList<AppliedChange> stillWrong, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(applied);
        var memory = CorrectionMemory.Load(config.Corrections, await store.LoadAsync(scope, ct), StatusTags.Of(config));
        memory.Record([.. applied.Where(c => c.Kind is ChangeKind.Removed or ChangeKind.RemovedFromAlbum)], stillWrong);
        var notKept = stillWrong.Select(c => (c.AssetId, c.Kind)).ToHashSet();
        memory.ForgetFlags(applied.Where(c => !notKept.Contains((c.AssetId, c.Kind))));
        await store.SaveAsync(scope, memory.State, ct);
    }

    /// <summary>Whether the user's removal of <paramref name="tagPath"/> from <paramref name="assetId"/> is on record; false when corrections are off.</summary>
    public bool IsCorrected(Guid assetId, string tagPath) => _memory?.IsCorrected(assetId, tagPath) == true;

    /// <summary>Takes in the run's verified changes and saves; a dry run saves nothing.</summary>
    /// <param name="verified">Whether verification ran (an apply cut short is not recorded: what Immich kept is unknown).</param>
    public async Task<CorrectionOutcome> FinishAsync(IReadOnlyList<AppliedChange> applied, IReadOnlyList<AppliedChange> stillWrong, bool dryRun, bool verified, CancellationToken ct)
    {
        if (_memory is null || _store is null)
        {
            return CorrectionOutcome.None;
        }

        if (!dryRun)
        {
            if (verified)
            {
                _memory.Record(applied, stillWrong);
            }

            // A rerun that found and recorded nothing would write back what it loaded: for a large library that is
            // tens of thousands of rows sorted, formatted and compared for no change.
            if (_memory.Changed)
            {
                await _store.SaveAsync(_scope, _memory.State, ct);
            }
        }

        return new CorrectionOutcome(_memory.Found, _skipped, _memory.Figures(), _raised);
    }
}
