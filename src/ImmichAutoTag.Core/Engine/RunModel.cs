using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine;

public sealed record RunOptions
{
    /// <summary>Plan only: no write request at all.</summary>
    public bool DryRun { get; init; }

    /// <summary>Asset ids per bulk write request.</summary>
    public int ChunkSize { get; init; } = 1000;

    public IProgress<EngineProgress>? Progress { get; init; }

    /// <summary>Archived assets are classified like the rest unless this is false.</summary>
    public bool IncludeArchived { get; init; } = true;

    /// <summary>Hidden assets are classified unless this is false; Live/Motion Photo video halves never are.</summary>
    public bool IncludeHidden { get; init; } = true;

    /// <summary>Whether the key may read duplicate groups (<c>duplicate.read</c>); false skips every duplicate feature.</summary>
    public bool DuplicateDetection { get; init; } = true;

    /// <summary>Add unclassified assets to the one rule album their duplicates are in (needs albumAsset.create).</summary>
    public bool AlbumPropagation { get; init; } = true;

    /// <summary>
    /// Whether the key may take assets out of albums and delete albums (<c>albumAsset.delete</c>, <c>album.delete</c>).
    /// With <c>create_album_from_date_if_missing</c> on the preflight requires both; with it off, temporary albums
    /// left from earlier runs are still cleaned up when the key allows it, and skipped with a warning when not.
    /// </summary>
    public bool TemporaryAlbumCleanup { get; init; } = true;

    /// <summary>
    /// Where the run notes that it paused Immich's queues, so the next run can resume them if this process
    /// dies first. Null keeps the note in memory only.
    /// </summary>
    public IQueuePauseMarker? QueuePauseMarker { get; init; }

    /// <summary>
    /// Wait between two re-reads of pending date writes when the key cannot read Immich's queues. Tag waves do not
    /// use it: they watch the touched assets' <c>updatedAt</c> instead (<see cref="MaxWriteBackWait"/>).
    /// </summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest wait, per wave, for the touched assets to show Immich's write-back (their <c>updatedAt</c> moving)
    /// when the key cannot read the queues; the result is checked anyway afterwards.
    /// </summary>
    public TimeSpan MaxWriteBackWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait for Immich's write-back queues to drain before the result is checked anyway.</summary>
    public TimeSpan MaxSettleWait { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How many times changes that Immich reverted are re-applied before they are reported as still wrong.</summary>
    public int MaxReapplyRounds { get; init; } = 3;

    /// <summary>
    /// Where date writes Immich accepted but had not applied by the end of a run are remembered, so the next run
    /// does not plan them again while they are pending. Null keeps them for this run only.
    /// </summary>
    public IPendingDateWriteStore? PendingDateWrites { get; init; }

    /// <summary>
    /// Where tag changes Immich reverted in every verification round are recorded, so a change that does not stick
    /// (e.g. on a read-only external library) is not retried on every run. Null: every run retries them.
    /// </summary>
    public INonStickingChangeStore? NonStickingChanges { get; init; }

    /// <summary>
    /// The tag links the tool added below its tag roots: only those are removed (<see cref="RootTagOwnership"/>). Null:
    /// every tag below a root is the tool's.
    /// </summary>
    public IRootTagLinkStore? RootTagLinks { get; init; }

    /// <summary>A full pass: changes recorded as not sticking are tried again (a change that sticks then loses its record).</summary>
    public bool RetryNonStickingChanges { get; init; }

    /// <summary>A change recorded as not sticking is tried again once its last try is this old, whatever the pass.</summary>
    public TimeSpan NonStickingRetryAfter { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a remembered date write counts as pending; after that an unchanged asset is planned afresh.</summary>
    public TimeSpan PendingDateWriteExpiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The key's user when the caller has already asked for it (start-up checks do); saves a request.</summary>
    public UserInfo? User { get; init; }

    /// <summary>The CLIP model files and embedding store; needed only when <c>clip.enabled</c> is true.</summary>
    public Enrichment.Clip.ClipServices? Clip { get; init; }

    /// <summary>
    /// Writes XMP sidecars for changes that do not stick (<c>sidecars:</c>), and takes the tool's entries out of them
    /// again once unwanted (also with <c>sidecars.enabled: false</c>, through the mappings still configured); null:
    /// nothing is written, changes that do not stick stay reported only.
    /// </summary>
    public ISidecarWriter? SidecarWriter { get; init; }

    /// <summary>
    /// Where the tag entries the tool wrote into XMP sidecars are kept, so a later run can take out those it no longer
    /// wants (<see cref="Sidecars.SidecarCleanup"/>). Null: nothing is recorded and nothing is taken out.
    /// </summary>
    public ISidecarEntryStore? SidecarEntries { get; init; }

    /// <summary>Where the tool's additions and the user's removals of them are kept (<c>corrections:</c>); null: no learning.</summary>
    public ICorrectionStore? Corrections { get; init; }
    /// <summary>The booru service clients and state store; needed only when <c>booru.enabled</c> is true.</summary>
    public Enrichment.Booru.BooruServices? Booru { get; init; }

    /// <summary>Steps the host adds after the config's features (<see cref="FeatureSteps.For"/>), e.g. in tests; none by default.</summary>
    public IReadOnlyList<IFeatureStep> AdditionalSteps { get; init; } = [];
}

/// <summary>How many assets the run saw and which of them it judged.</summary>
/// <param name="Total">Every asset the search walk returned (own and partner, trash excluded).</param>
/// <param name="Owned">Assets of the key's user.</param>
/// <param name="PartnerSkipped">Assets of partners: seen, never changed.</param>
/// <param name="ExcludedByVisibility">Own assets left out by <see cref="RunOptions.IncludeArchived"/> or <see cref="RunOptions.IncludeHidden"/>.</param>
/// <param name="Evaluated">Own assets that were classified.</param>
public sealed record AssetCounts(
    int Total,
    IReadOnlyDictionary<AssetType, int> ByType,
    int Owned,
    int PartnerSkipped,
    int ExcludedByVisibility,
    int Evaluated)
{
    /// <summary>
    /// Own hidden video halves of Live/Motion Photos (named by a still's <c>livePhotoVideoId</c>): never classified
    /// on their own, counted neither in <see cref="ExcludedByVisibility"/> nor in <see cref="Evaluated"/>.
    /// </summary>
    public int MotionParts { get; init; }
}

/// <summary>Everything a report needs about one run.</summary>
public sealed record RunResult
{
    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required UserInfo User { get; init; }

    public required bool DryRun { get; init; }

    public required AssetCounts Assets { get; init; }

    public required int AlbumCount { get; init; }

    public required int TagCount { get; init; }

    /// <summary>Assets whose direct tags needed a per-asset read (parent/child tag ambiguity).</summary>
    public required int AmbiguousAssetsResolved { get; init; }

    public required IReadOnlyDictionary<ClassificationStatus, int> StatusCounts { get; init; }

    public required TagPlan Plan { get; init; }

    /// <summary>Per evaluated asset: its album names, relevant tags, matched rules and status.</summary>
    public required IReadOnlyList<AssetEvaluation> Evaluations { get; init; }

    public required IReadOnlyList<AppliedChange> AppliedChanges { get; init; }

    public required IReadOnlyList<EngineError> Errors { get; init; }

    /// <summary>True when fail-fast stopped the run at the first error.</summary>
    public required bool Aborted { get; init; }

    /// <summary>
    /// True when a stop request ended the apply phase between two write calls: what was applied is in
    /// <see cref="AppliedChanges"/>, the rest of the plan was not started. (Cancellation before the apply
    /// phase throws instead, since nothing was changed.)
    /// </summary>
    public bool Cancelled { get; init; }

    /// <summary>
    /// Why the apply stopped early when the server went away (no answer after retries) or rejected the key (revoked
    /// mid-run); null otherwise. What was applied before is in <see cref="AppliedChanges"/>; the rest was not started.
    /// </summary>
    public Ports.ImmichException? ServerLost { get; init; }

    /// <summary>Enabled output tag path → assets carrying it after the run; in a dry run: once its plan is applied.</summary>
    public required IReadOnlyDictionary<string, int> OutputTagCounts { get; init; }

    /// <summary>
    /// Enabled output tag path → the assets carrying it after the run, in the walk's order (fileCreatedAt, id);
    /// in a dry run: before (the report's grids show what is tagged now). <see cref="OutputTagCounts"/> counts these
    /// sets, except in a dry run, where it counts the library once the plan is applied.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Guid>> OutputTagAssets { get; init; } = new Dictionary<string, IReadOnlyList<Guid>>();

    /// <summary>Own assets left out by filters.filter_in / filter_out.</summary>
    public int ExcludedByFilters { get; init; }

    /// <summary>Duplicate groups with at least two own assets; null when duplicates were not read.</summary>
    public int? DuplicateGroups { get; init; }

    /// <summary>What upstream's "classification from duplicates" features did in this run.</summary>
    public DuplicateFeatures DuplicateFeatures { get; init; } = new(false, false, new Dictionary<Guid, IReadOnlyList<string>>(), new HashSet<Guid>());

    /// <summary>How the writes were protected from Immich's sidecar write-back.</summary>
    public WriteMode WriteMode { get; init; } = WriteMode.None;

    /// <summary>The write-back queues the run paused around its writes and resumed (empty when none were running, or none were paused).</summary>
    public IReadOnlyList<string> PausedQueues { get; init; } = [];

    /// <summary>Write-back queues that were paused before the run wrote, not by a run with this state folder (warned about).</summary>
    public IReadOnlyList<string> QueuesPausedByOthers { get; init; } = [];

    /// <summary>Why the run wrote in waves instead of pausing the queues; null otherwise.</summary>
    public string? WriteFallbackReason { get; init; }

    /// <summary>Write passes sent: 1 with paused queues, one per wave otherwise, plus re-apply passes.</summary>
    public int WriteWaves { get; init; }

    /// <summary>Changes Immich reverted after the run made them, which a re-apply then made stick.</summary>
    public int RevertedAndReapplied { get; init; }

    /// <summary>Changes that were accepted but not in effect after the last re-apply round.</summary>
    public IReadOnlyList<AppliedChange> StillWrong { get; init; } = [];

    /// <summary>Date writes accepted but not yet applied by the server when the run ended (remembered as pending).</summary>
    public IReadOnlyList<AppliedChange> DatesNotLanded { get; init; } = [];

    /// <summary>
    /// Tag changes recorded as "does not stick" (reverted in every verification round of two runs in a row, e.g. on a
    /// read-only external library): those this run left out of its plan, and those it found reverted again. Each run
    /// knows them from its own evaluation, so the reports list and count them although Immich never shows them.
    /// </summary>
    public IReadOnlyList<NonStickingChange> DoesNotStick { get; init; } = [];

    /// <summary>The part of <see cref="DoesNotStick"/> this run left out of its plan (not retried).</summary>
    public IReadOnlyList<NonStickingChange> NotRetried { get; init; } = [];

    /// <summary>
    /// Tag links of <paramref name="kind"/> (<see cref="ChangeKind.Added"/> or <see cref="ChangeKind.Removed"/>) the run
    /// changed and Immich kept: each (asset, tag) once, even when a re-apply or the sidecar route sent it again, and
    /// none that is still wrong (reverted by Immich).
    /// </summary>
    public int KeptTagLinks(ChangeKind kind)
    {
        var reverted = StillWrong.Where(c => c.Kind == kind).Select(c => (c.AssetId, c.TagName)).ToHashSet();
        return AppliedChanges.Where(c => c.Kind == kind).Select(c => (c.AssetId, c.TagName)).Distinct().Count(k => !reverted.Contains(k));
    }

    /// <summary>Still-wrong changes that are not (yet) recorded as "does not stick": the run's real failures.</summary>
    public IReadOnlyList<AppliedChange> StillWrongUnexplained =>
        DoesNotStick.Count == 0
            ? StillWrong
            : StillWrong.Where(c => !DoesNotStick.Any(r => r.AssetId == c.AssetId && r.Kind == c.Kind && string.Equals(r.TagName, c.TagName, StringComparison.Ordinal))).ToList();

    /// <summary>
    /// Enabled output tag path → assets that carry it by this run's evaluation: <see cref="OutputTagCounts"/> plus
    /// the assets whose addition of it does not stick or was still reverted, minus those whose removal was.
    /// </summary>
    public IReadOnlyDictionary<string, int> EvaluatedOutputTagCounts { get; init; } = new Dictionary<string, int>();

    /// <summary>Queues an earlier, interrupted run had left paused and this run resumed at start.</summary>
    public IReadOnlyList<string> RecoveredQueues { get; init; } = [];

    /// <summary>
    /// Queues an earlier, interrupted run had left paused and this dry run found still paused: a dry run sends no
    /// write, so it reports them and leaves the resuming to the next real run.
    /// </summary>
    public IReadOnlyList<string> StaleQueuePauses { get; init; } = [];

    /// <summary>
    /// Requests per Immich operation when the run's reports were written (what <c>run_statistics.yaml</c> and
    /// <c>status.json</c> count); null when not taken. Requests after it (report.html's thumbnails) come on top.
    /// </summary>
    public IReadOnlyDictionary<string, long>? RunRequests { get; init; }

    /// <summary>
    /// Assets whose search item could not be read (each also an <see cref="EngineErrorKind.ReadAsset"/> error):
    /// skipped by this run, reported with their links.
    /// </summary>
    public IReadOnlyList<UnreadableAsset> Unreadable { get; init; } = [];

    /// <summary>
    /// The CLIP step's scores and counts (per-asset label probabilities for later steps and reports); null when the
    /// step is off. The run's <see cref="Facts"/> hold it; a result built by hand may set it directly.
    /// </summary>
    public Enrichment.Clip.ClipLabels? Clip
    {
        get => _clip ?? Facts.Get<Enrichment.Clip.ClipLabels>();
        init => _clip = value;
    }

    /// <summary>What the run's steps computed before planning (scores, look-ups), one object per type.</summary>
    public RunFacts Facts { get; init; } = new();

    private readonly Enrichment.Clip.ClipLabels? _clip;

    /// <summary>The workflow step's counts and timings (rule engine share); null when no workflow rule ran.</summary>
    public Workflows.WorkflowOutcome? Workflows { get; init; }
    /// <summary>What the sidecar route wrote (or would write, in a dry run) for changes that do not stick, and what arrived.</summary>
    public Sidecars.SidecarOutcome Sidecars { get; init; } = Engine.Sidecars.SidecarOutcome.None;

    /// <summary>What the correction memory found, left out of the plan and counts (acceptance figures); empty without it.</summary>
    public Corrections.CorrectionOutcome Corrections { get; init; } = Engine.Corrections.CorrectionOutcome.None;

    public TimeSpan Duration => FinishedAt - StartedAt;
}

/// <summary>Upstream's two "classification from duplicates" features: whether each was on, and what it planned.</summary>
/// <param name="CopyClassification">
/// Whether a lone classification tag was copied to untagged group members
/// (<c>duplicate_processing.copy_classification_from_duplicates</c>, on by default) and duplicates were read.
/// </param>
/// <param name="AlbumPropagation">
/// Whether unclassified assets joined the one rule album of their duplicates
/// (<c>duplicate_processing.add_to_album_of_duplicates</c>, on by default; needs <c>albumAsset.create</c>).
/// </param>
/// <param name="Copies">Asset id → tag paths copied to it from its duplicates.</param>
/// <param name="Propagated">Assets planned into their duplicates' rule album.</param>
public sealed record DuplicateFeatures(
    bool CopyClassification,
    bool AlbumPropagation,
    IReadOnlyDictionary<Guid, IReadOnlyList<string>> Copies,
    IReadOnlySet<Guid> Propagated);
