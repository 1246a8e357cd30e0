using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;

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

    /// <summary>Hidden assets (e.g. the video half of a live photo) are classified unless this is false.</summary>
    public bool IncludeHidden { get; init; } = true;

    /// <summary>Per album-name match; internal so tests can provoke a time-out quickly.</summary>
    internal TimeSpan RegexTimeout { get; init; } = RuleClassifier.DefaultRegexTimeout;
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
    int Evaluated);

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

    /// <summary>Enabled output tag path → assets carrying it after the run (as planned, in a dry run: before).</summary>
    public required IReadOnlyDictionary<string, int> OutputTagCounts { get; init; }

    public TimeSpan Duration => FinishedAt - StartedAt;
}
