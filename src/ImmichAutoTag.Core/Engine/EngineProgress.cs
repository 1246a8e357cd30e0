namespace ImmichAutoTag.Core.Engine;

public enum EnginePhase
{
    /// <summary>Walking every asset with paged searches.</summary>
    Assets,

    /// <summary>One search per album for album membership.</summary>
    Albums,

    /// <summary>One search per relevant tag (and its direct children).</summary>
    Tags,

    /// <summary>Per-asset reads for assets whose direct tags a parent-tag search cannot tell.</summary>
    ResolveTags,

    Evaluate,

    Apply,
}

/// <param name="Total">null while the total is not known (the asset walk has no reliable count).</param>
public sealed record EngineProgress(EnginePhase Phase, int Done, int? Total);
