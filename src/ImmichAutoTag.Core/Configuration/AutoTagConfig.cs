namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// The validated configuration. It mirrors the upstream immich-autotag config.yaml shape (every key,
/// with upstream's defaults) plus <c>server.url</c>; only ImmichAutoTag.Config builds it.
/// </summary>
public sealed record AutoTagConfig
{
    public required ServerConfig Server { get; init; }

    public string? Description { get; init; }

    /// <summary>Upstream requires the key but never uses it; kept so existing files validate.</summary>
    public bool EnableAlbumNameStrip { get; init; } = true;

    public SkipConfig Skip { get; init; } = new();

    public FiltersConfig Filters { get; init; } = new();

    public ConversionsConfig Conversions { get; init; } = new();

    public ClassificationConfig Classification { get; init; } = new();

    public DuplicateProcessingConfig DuplicateProcessing { get; init; } = new();

    public AlbumDateConsistencyConfig AlbumDateConsistency { get; init; } = new();

    public AlbumDetectionFromFoldersConfig AlbumDetectionFromFolders { get; init; } = new();

    public PerformanceConfig Performance { get; init; } = new();

    public AlbumPermissionsConfig AlbumPermissions { get; init; } = new();

    public bool CreateAlbumFromDateIfMissing { get; init; }

    /// <summary>Keeps tags under a prefix and albums of the same name in step (not in upstream).</summary>
    public TagAlbumSyncConfig TagAlbumSync { get; init; } = new();

    /// <summary>CLIP style labels (<c>clip:</c>); off unless the section turns it on.</summary>
    public ClipConfig Clip { get; init; } = new();

    /// <summary>User-defined when/then rules (<c>workflows:</c>); none unless the section lists some.</summary>
    public WorkflowsConfig Workflows { get; init; } = new();
    /// <summary>XMP sidecars for tag changes Immich does not keep on read-only external libraries.</summary>
    public SidecarConfig Sidecars { get; init; } = new();

    /// <summary>Learning from the user's removals of what the tool added.</summary>
    public CorrectionsConfig Corrections { get; init; } = new();
    /// <summary>Booru tags for illustrations (<c>booru:</c>); off unless the section turns it on.</summary>
    public BooruConfig Booru { get; init; } = new();

    /// <summary>
    /// When <c>immich-autotag daemon</c> runs, as written (5-field cron, or Quartz cron with seconds);
    /// null means the daemon's default. The validator has checked it is a valid expression.
    /// </summary>
    public string? Schedule { get; init; }

    /// <summary>
    /// Runs skip the walk when nothing changed since the last successful run, but at least this often
    /// a run walks the whole library anyway. 0 turns skipping off: every run is a full pass.
    /// </summary>
    public int FullPassIntervalHours { get; init; } = 24;

    /// <summary>
    /// How many run folders the output folder keeps: a run deletes the oldest folders the tool created (named by
    /// run id, holding the tool's log or config dump) beyond this many, its own included. 0 keeps every one.
    /// </summary>
    public int KeepRuns { get; init; } = DefaultKeepRuns;

    /// <summary>The default of <see cref="KeepRuns"/>: about four days of a daemon on a 30-minute schedule.</summary>
    public const int DefaultKeepRuns = 200;

    /// <summary>Where the config came from, for messages and the effective-config dump.</summary>
    public string? SourcePath { get; init; }
}

/// <summary>The server base URL (no /api suffix; https and a path prefix allowed) and the API key.</summary>
public sealed record ServerConfig(Uri Url, string ApiKey)
{
    /// <summary>The API root: the base URL with /api appended.</summary>
    public Uri ApiUrl => new(Url.AbsoluteUri.TrimEnd('/') + "/api/");

    public override string ToString() => $"ServerConfig {{ Url = {Url}, ApiKey = *** }}";
}

public sealed record SkipConfig
{
    public int SkipN { get; init; }

    public bool ResumePrevious { get; init; } = true;

    public int? MaxItems { get; init; }
}

/// <summary>A rule: it matches an asset when any of its lists hits (OR semantics).</summary>
public sealed record RuleConfig
{
    public IReadOnlyList<string> TagNames { get; init; } = [];

    /// <summary>
    /// Album name patterns (Python <c>re</c> syntax as written), compiled by the config loader and start-anchored
    /// like <c>re.match</c>.
    /// </summary>
    public IReadOnlyList<CompiledPattern> AlbumNamePatterns { get; init; } = [];

    /// <summary>Asset ids taken from the configured links (bare UUIDs or Immich web URLs).</summary>
    public IReadOnlyList<Guid> AssetIds { get; init; } = [];

    /// <summary>The links as written, for reports.</summary>
    public IReadOnlyList<string> AssetLinks { get; init; } = [];

    public string? Description { get; init; }
}

public sealed record FiltersConfig
{
    public IReadOnlyList<RuleConfig> FilterIn { get; init; } = [];

    public IReadOnlyList<RuleConfig> FilterOut { get; init; } = [];
}

public enum ConversionMode
{
    Move,
    Copy,
}

public sealed record ConversionConfig
{
    public required RuleConfig Source { get; init; }

    public IReadOnlyList<string> DestinationAlbumNames { get; init; } = [];

    public IReadOnlyList<string> DestinationTagNames { get; init; } = [];

    public ConversionMode Mode { get; init; } = ConversionMode.Move;

    public string? Description { get; init; }
}

public sealed record ConversionsConfig
{
    public bool Enabled { get; init; } = true;

    public IReadOnlyList<ConversionConfig> Conversions { get; init; } = [];
}

public sealed record ClassificationConfig
{
    public IReadOnlyList<RuleConfig> Rules { get; init; } = [];

    /// <summary>null disables the tag.</summary>
    public string? AutotagUnknown { get; init; } = "autotag_output_unknown";

    /// <summary>null disables the tag.</summary>
    public string? AutotagConflict { get; init; } = "autotag_output_conflict";

    /// <summary>Archived assets are classified like the rest unless this is false.</summary>
    public bool IncludeArchived { get; init; } = true;

    /// <summary>
    /// Hidden assets are classified like the rest unless this is false (they never join temporary albums). The
    /// hidden video half of a Live/Motion Photo is never classified on its own, whatever this says.
    /// </summary>
    public bool IncludeHidden { get; init; } = true;
}

public sealed record DateCorrectionConfig
{
    public bool Enabled { get; init; }

    public string ExtractionTimezone { get; init; } = "UTC";
}

public sealed record DuplicateProcessingConfig
{
    public string? AutotagAlbumConflict { get; init; } = "autotag_output_duplicate_asset_album_conflict";

    public string? AutotagClassificationConflict { get; init; } = "autotag_output_duplicate_asset_classification_conflict";

    public string? AutotagClassificationConflictPrefix { get; init; } = "autotag_output_duplicate_asset_classification_conflict_";

    public string? AutotagAlbumDetectionConflict { get; init; } = "autotag_output_album_detection_conflict";

    public DateCorrectionConfig DateCorrection { get; init; } = new();

    /// <summary>
    /// Copy a lone classification tag to the members of a duplicate group that have none
    /// (<c>duplicate_processing.copy_classification_from_duplicates</c>). On by default, as upstream always
    /// did it: an unchanged upstream config gets its "classification from duplicates".
    /// </summary>
    public bool CopyClassificationFromDuplicates { get; init; } = true;

    /// <summary>
    /// Add an unclassified asset to the one rule album its duplicates are in
    /// (<c>duplicate_processing.add_to_album_of_duplicates</c>). On by default, as upstream always did it.
    /// </summary>
    public bool AddToAlbumOfDuplicates { get; init; } = true;
}

public sealed record AlbumDateConsistencyConfig
{
    public bool Enabled { get; init; } = true;

    public string? AutotagAlbumDateMismatch { get; init; } = "autotag_output_album_date_mismatch";

    public int ThresholdDays { get; init; } = 180;
}

public sealed record AlbumDetectionFromFoldersConfig
{
    public bool Enabled { get; init; }

    /// <summary>
    /// Case-insensitive patterns searched anywhere in the folder path (Python <c>re</c> syntax as written), compiled
    /// by the config loader.
    /// </summary>
    public IReadOnlyList<CompiledPattern> ExcludedPaths { get; init; } = [];
}

public sealed record PerformanceConfig
{
    public bool EnableTypeChecking { get; init; }

    public bool FailFastOnAssetErrors { get; init; }
}

public enum AlbumAccess
{
    View,
    Edit,
    Admin,
}

public sealed record UserGroupConfig(string Name, IReadOnlyList<string> Members, string? Description = null);

public sealed record SelectionRuleConfig(string Name, string Keyword, IReadOnlyList<string> Groups, AlbumAccess Access = AlbumAccess.View, string? Description = null);

public sealed record AlbumPermissionsConfig
{
    public bool Enabled { get; init; }

    public IReadOnlyList<UserGroupConfig> UserGroups { get; init; } = [];

    public IReadOnlyList<SelectionRuleConfig> SelectionRules { get; init; } = [];

    public bool LogUnmatched { get; init; }
}

/// <summary>Which way <see cref="TagAlbumSyncConfig"/> copies membership.</summary>
public enum SyncDirection
{
    /// <summary>An asset tagged <c>&lt;prefix&gt;X</c> is put in album X.</summary>
    TagToAlbum,

    /// <summary>An asset in an album whose name matches a pattern gets tag <c>&lt;prefix&gt;&lt;album name&gt;</c>.</summary>
    AlbumToTag,

    Both,
}

/// <summary>
/// Tag ↔ album sync: tag <c>&lt;TagPrefix&gt;X</c> (any tag whose full path starts with the prefix; the rest of
/// the path is the album name) and album X hold the same assets, in the configured direction(s).
/// </summary>
public sealed record TagAlbumSyncConfig
{
    public bool Enabled { get; init; }

    public string TagPrefix { get; init; } = "album/";

    public SyncDirection Direction { get; init; } = SyncDirection.TagToAlbum;

    /// <summary>
    /// Album→tag only looks at albums of the key's user whose name matches one of these (start-anchored, compiled by
    /// the config loader).
    /// </summary>
    public IReadOnlyList<CompiledPattern> AlbumNamePatterns { get; init; } = [];

    /// <summary>Tag→album creates album X when the user has none of that name.</summary>
    public bool CreateMissingAlbums { get; init; } = true;

    /// <summary>
    /// One direction only: also take away what the source no longer has (tag→album: an asset in a synced album
    /// without the tag leaves the album; album→tag: an asset with the tag outside the album loses the tag).
    /// </summary>
    public bool Remove { get; init; }
}
