namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// User-defined when/then rules (<c>workflows:</c>): each rule's condition is tested against every asset the run may
/// change, after classification, and the actions of the rules that hold are planned like every other change.
/// Compiled at run time into an NRules rule set (<see cref="Workflows.WorkflowCompiler"/>).
/// </summary>
public sealed record WorkflowsConfig
{
    /// <summary>Whether the rules run; true by default, so writing rules is enough.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Whether <c>then.favorite</c> may change an asset's favourite flag (PUT /assets <c>isFavorite</c>).</summary>
    public bool AllowFavorite { get; init; }

    /// <summary>Whether <c>then.archive</c> may move an asset between the timeline and the archive (PUT /assets <c>visibility</c>).</summary>
    public bool AllowArchive { get; init; }

    /// <summary>Whether <c>then.add_to_albums</c> creates an album no album of the key's user is named like.</summary>
    public bool CreateMissingAlbums { get; init; } = true;

    /// <summary>
    /// How long one condition pattern may run on one asset's name, path or album name, in milliseconds. Only patterns
    /// with look-arounds, backreferences or atomic groups run on the backtracking engine and can take that long; one
    /// that does leaves the asset unchanged by the workflows this run and is reported (exit code 8).
    /// </summary>
    public int MatchTimeoutMs { get; init; } = DefaultMatchTimeoutMs;

    /// <summary>The default of <see cref="MatchTimeoutMs"/>: far above what a backtracking pattern needs on a file name, even on a busy machine.</summary>
    public const int DefaultMatchTimeoutMs = 1000;

    /// <summary>The rules, in file order (the order breaks priority ties).</summary>
    public IReadOnlyList<WorkflowRuleConfig> Rules { get; init; } = [];
}

/// <summary>One named when/then rule.</summary>
public sealed record WorkflowRuleConfig
{
    /// <summary>Unique name; reports and <c>changes.jsonl</c> show it as the reason of each change.</summary>
    public string Name { get; init; } = "";

    /// <summary>Higher wins when two rules disagree about the same tag, flag or visibility of one asset.</summary>
    public int Priority { get; init; }

    /// <summary>The condition; every key written in one condition map must hold (AND).</summary>
    public WorkflowConditionConfig When { get; init; } = new();

    /// <summary>What to do with each asset the condition holds for.</summary>
    public WorkflowActionsConfig Then { get; init; } = new();

    public string? Description { get; init; }
}

/// <summary>
/// A condition over one asset's facts. Every key written holds at once (AND); <see cref="All"/>, <see cref="Any"/> and
/// <see cref="Not"/> nest conditions. A condition with no key holds for every asset.
/// </summary>
public sealed record WorkflowConditionConfig
{
    /// <summary>Every one of these holds.</summary>
    public IReadOnlyList<WorkflowConditionConfig> All { get; init; } = [];

    /// <summary>At least one of these holds (when the list is not empty).</summary>
    public IReadOnlyList<WorkflowConditionConfig> Any { get; init; } = [];

    /// <summary>This does not hold.</summary>
    public WorkflowConditionConfig? Not { get; init; }

    /// <summary>The asset is in an album whose name one of these matches at its start (Python <c>re.match</c>).</summary>
    public IReadOnlyList<CompiledPattern> AlbumNamePatterns { get; init; } = [];

    /// <summary>The asset carries one of these tags (a leaf name, or a full path with '/').</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The asset's Immich type is one of these: image, video, audio, other.</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = [];

    /// <summary>First day (YYYY-MM-DD, inclusive) of the asset's local capture day (Immich's <c>localDateTime</c>).</summary>
    public string? TakenFrom { get; init; }

    /// <summary>Last day (YYYY-MM-DD, inclusive) of the asset's local capture day.</summary>
    public string? TakenTo { get; init; }

    /// <summary>Case-insensitive patterns searched in the file name (<c>originalFileName</c>).</summary>
    public IReadOnlyList<CompiledPattern> FileNamePatterns { get; init; } = [];

    /// <summary>Case-insensitive patterns searched in the folder part of <c>originalPath</c>.</summary>
    public IReadOnlyList<CompiledPattern> FolderPatterns { get; init; } = [];

    /// <summary>Case-insensitive patterns searched in the camera make (Immich <c>exifInfo.make</c>); an asset without one never matches.</summary>
    public IReadOnlyList<CompiledPattern> CameraMakePatterns { get; init; } = [];

    /// <summary>Case-insensitive patterns searched in the camera model (Immich <c>exifInfo.model</c>); an asset without one never matches.</summary>
    public IReadOnlyList<CompiledPattern> CameraModelPatterns { get; init; } = [];

    /// <summary>The asset's favourite flag is this (<c>isFavorite</c>).</summary>
    public bool? Favorite { get; init; }

    /// <summary>The asset is archived (true) or not (false): <c>visibility</c> archive or <c>isArchived</c>.</summary>
    public bool? Archived { get; init; }

    /// <summary>The asset is in an Immich duplicate group (<c>duplicateId</c> set) or not.</summary>
    public bool? InDuplicateGroup { get; init; }

    /// <summary>The duplicate group holds at least this many of the run's assets.</summary>
    public int? MinDuplicates { get; init; }

    /// <summary>The asset's classification status this run is one of these: classified, unclassified, conflict.</summary>
    public IReadOnlyList<string> Classification { get; init; } = [];

    /// <summary>A CLIP label score condition.</summary>
    public WorkflowClipConditionConfig? ClipLabel { get; init; }

    /// <summary>A booru match condition.</summary>
    public WorkflowBooruConditionConfig? Booru { get; init; }
}

/// <summary>The CLIP probability of one label lies within bounds (the asset must have been scored this run).</summary>
public sealed record WorkflowClipConditionConfig
{
    /// <summary>A label of <c>clip.labels</c>.</summary>
    public string Label { get; init; } = "";

    /// <summary>Smallest probability, in percent (0–100).</summary>
    public int? MinPercent { get; init; }

    /// <summary>Largest probability, in percent (0–100).</summary>
    public int? MaxPercent { get; init; }
}

/// <summary>
/// Facts of the asset's booru result (the booru step's); every key written must hold. Without <see cref="Verdicts"/>,
/// an asset without a match (accepted, or candidates to review) never matches.
/// </summary>
public sealed record WorkflowBooruConditionConfig
{
    /// <summary>The booru step's verdict is one of these: accepted, review, not_found; empty: accepted or review.</summary>
    public IReadOnlyList<string> Verdicts { get; init; } = [];

    /// <summary>The accepted post's rating is one of these: general, sensitive, questionable, explicit.</summary>
    public IReadOnlyList<string> Ratings { get; init; } = [];

    /// <summary>The post has one of these character tags (Danbooru spelling).</summary>
    public IReadOnlyList<string> Characters { get; init; } = [];

    /// <summary>The post has one of these copyright (series) tags.</summary>
    public IReadOnlyList<string> Copyrights { get; init; } = [];

    /// <summary>The post has one of these artist tags.</summary>
    public IReadOnlyList<string> Artists { get; init; } = [];

    /// <summary>The match's similarity is at least this (percent): the accepted candidate's (an exact MD5 match counts as 100), or a review's best candidate's.</summary>
    public int? MinSimilarity { get; init; }

    /// <summary>The match's similarity is at most this (percent).</summary>
    public int? MaxSimilarity { get; init; }
}

/// <summary>What a rule does to each asset its condition holds for.</summary>
public sealed record WorkflowActionsConfig
{
    /// <summary>Tags to add (created when missing). The workflows own them: an asset no rule gives one to any more loses it.</summary>
    public IReadOnlyList<string> AddTags { get; init; } = [];

    /// <summary>Tags to take off; only tags some workflow rule adds (the tool's own).</summary>
    public IReadOnlyList<string> RemoveTags { get; init; } = [];

    /// <summary>Albums to add the asset to (by name).</summary>
    public IReadOnlyList<string> AddToAlbums { get; init; } = [];

    /// <summary>Set (true) or clear (false) the favourite flag; needs <see cref="WorkflowsConfig.AllowFavorite"/>.</summary>
    public bool? Favorite { get; init; }

    /// <summary>Archive (true) or bring back to the timeline (false); needs <see cref="WorkflowsConfig.AllowArchive"/>.</summary>
    public bool? Archive { get; init; }
}
