namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// XMP sidecars for external libraries (<c>sidecars:</c>). Immich cannot keep tag changes on a library mounted
/// read-only: it cannot write the asset's sidecar, and its next metadata read brings back the file's tags. When the
/// tool can reach the library's files through a <see cref="PathMappings"/> entry, a tag change recorded as "does not
/// stick" is written into the asset's XMP sidecar instead, and Immich is asked to re-read just those assets.
/// </summary>
public sealed record SidecarConfig
{
    /// <summary>Whether changes that do not stick go the sidecar way; off (the default) leaves them reported only.</summary>
    public bool Enabled { get; init; }

    /// <summary>Immich's path prefix of a library → where the tool sees the same folder; longest prefix wins.</summary>
    public IReadOnlyList<PathMappingConfig> PathMappings { get; init; } = [];

    /// <summary>
    /// Whether, when a sidecar the tool created did not reach Immich through <c>refresh-metadata</c> (Immich reads only
    /// the sidecar it has on record, and had none for the asset), the tool starts Immich's sidecar discovery
    /// (<c>PUT /jobs/sidecar</c>, admin key) and checks again. The discovery checks every asset Immich has no sidecar on
    /// record for, in the whole server, and re-reads each one's metadata: on a large library that is hours of work for
    /// Immich. Off: such assets are reported as not arrived, with the discovery to run by hand.
    /// </summary>
    public bool Discover { get; init; } = true;

    /// <summary>
    /// Whether suggestions (CLIP labels, booru tags, workflow, conversion and sync outputs: every tag that is not one of
    /// the tool's status tags, <see cref="Engine.Corrections.StatusTags"/>) are written into sidecars too. Off (the
    /// default): only status tags are. Why: on a library Immich cannot write, Immich brings a sidecar's tags back at
    /// the metadata re-read that follows the user's own tag removal, so a suggestion the tool put into a sidecar could
    /// no longer be removed in Immich, and the removal leaves no trace the tool could learn from. Taking the tool's
    /// own entries out of a sidecar is always done.
    /// </summary>
    public bool Suggestions { get; init; }
}

/// <summary>One library folder as Immich sees it and as the tool sees it (e.g. <c>/mnt/nas/photos</c> → <c>/nas/photos</c>).</summary>
public sealed record PathMappingConfig
{
    /// <summary>The prefix of the assets' <c>originalPath</c> in Immich (an import path of the library or a folder below it).</summary>
    public string ImmichPath { get; init; } = string.Empty;

    /// <summary>The same folder on the tool's machine or container (mounted writable for the sidecars).</summary>
    public string LocalPath { get; init; } = string.Empty;
}

/// <summary>
/// Learning from the user's corrections (<c>corrections:</c>): a tag or album membership the tool added and the user
/// later removed is remembered and never added to that asset again, per feature step.
/// </summary>
public sealed record CorrectionsConfig
{
    /// <summary>Whether removals by the user are remembered and respected (needs the state folder).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Whether removals of the tool's status tags (<see cref="Engine.Corrections.StatusTags"/>: <c>autotag_output_*</c> and the other
    /// output tags the config names) are corrections too. Off (the default): they are status markers every run keeps
    /// true, as upstream immich-autotag does; only suggestions are remembered.
    /// </summary>
    public bool IncludeStatusTags { get; init; }

    /// <summary>Opt-in: a CLIP label whose acceptance falls under <see cref="MinAcceptancePercent"/> needs a higher probability.</summary>
    public bool RaiseClipThresholds { get; init; }

    /// <summary>The acceptance (kept ÷ (kept + removed), percent) under which a CLIP label's threshold is raised.</summary>
    public int MinAcceptancePercent { get; init; } = 50;

    /// <summary>A label is judged only once this many of its additions were kept or removed.</summary>
    public int MinSamples { get; init; } = 10;

    /// <summary>How many percentage points a poorly accepted label's probability threshold is raised.</summary>
    public int RaiseByPercent { get; init; } = 15;
}
