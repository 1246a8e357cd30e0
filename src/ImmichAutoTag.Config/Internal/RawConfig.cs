namespace ImmichAutoTag.Config.Internal;

// The file as written: every field nullable (absent), typed, and carrying its position. Only the
// validator turns these into the Core records, applying upstream's defaults and semantic checks.

/// <summary>The position of a map and the (known) keys it contains.</summary>
internal sealed record Block(Loc Loc, IReadOnlySet<string> Keys, MapReader Reader, Val<string?>? Description, BlockSpec Spec)
{
    public bool Has(string key) => Keys.Contains(key);

    /// <summary>True when the key had a type error; checks that depend on its value then stay quiet.</summary>
    public bool IsInvalid(string key) => Reader.Invalid.Contains(key);
}

internal sealed record RawConfig(
    Block B,
    RawServer? Server,
    Val<bool>? EnableAlbumNameStrip,
    RawSkip? Skip,
    RawFilters? Filters,
    RawConversions? Conversions,
    RawClassification? Classification,
    RawDuplicateProcessing? DuplicateProcessing,
    RawAlbumDateConsistency? AlbumDateConsistency,
    RawAlbumDetection? AlbumDetectionFromFolders,
    RawPerformance? Performance,
    RawAlbumPermissions? AlbumPermissions,
    Val<bool>? CreateAlbumFromDateIfMissing,
    Val<string?>? Schedule,
    Val<int>? FullPassIntervalHours)
{
    public RawTagAlbumSync? TagAlbumSync { get; init; }

    public RawClip? Clip { get; init; }
}

internal sealed record RawClipLabel(Block B, Val<string?>? Name, IReadOnlyList<Val<string>>? Prompts);

internal sealed record RawClipAssets(Block B, IReadOnlyList<RawRule>? Rules, IReadOnlyList<Val<string>>? MediaTypes);

internal sealed record RawClip(
    Block B,
    Val<bool>? Enabled,
    Val<string?>? ModelFolder,
    Val<string?>? ModelName,
    Val<string?>? TagRoot,
    IReadOnlyList<RawClipLabel>? Labels,
    Val<int>? MinProbabilityPercent,
    Val<int>? MinMarginPercent,
    RawClipAssets? Assets,
    Val<int>? BatchSize,
    Val<int>? Threads);

internal sealed record RawTagAlbumSync(
    Block B,
    Val<bool>? Enabled,
    Val<string?>? TagPrefix,
    Val<string?>? Direction,
    IReadOnlyList<Val<string>>? AlbumNamePatterns,
    Val<bool>? CreateMissingAlbums,
    Val<bool>? Remove);

internal sealed record RawServer(Block B, Val<string?>? Url, Val<string?>? Host, Val<int>? Port, Val<string?>? ApiKey);

internal sealed record RawSkip(Block B, Val<int>? SkipN, Val<bool>? ResumePrevious, Val<int>? MaxItems);

internal sealed record RawRule(
    Block B,
    IReadOnlyList<Val<string>>? TagNames,
    IReadOnlyList<Val<string>>? AlbumNamePatterns,
    IReadOnlyList<Val<string>>? AssetLinks);

internal sealed record RawFilters(Block B, IReadOnlyList<RawRule>? FilterIn, IReadOnlyList<RawRule>? FilterOut);

internal sealed record RawDestination(Block B, IReadOnlyList<Val<string>>? AlbumNames, IReadOnlyList<Val<string>>? TagNames);

internal sealed record RawConversion(Block B, RawRule? Source, RawDestination? Destination, Val<string?>? Mode);

internal sealed record RawConversions(Block B, Val<bool>? Enabled, IReadOnlyList<RawConversion>? Conversions);

internal sealed record RawClassification(Block B, IReadOnlyList<RawRule>? Rules, Val<string?>? AutotagUnknown, Val<string?>? AutotagConflict)
{
    public Val<bool>? IncludeArchived { get; init; }

    public Val<bool>? IncludeHidden { get; init; }
}

internal sealed record RawDateCorrection(Block B, Val<bool>? Enabled, Val<string?>? ExtractionTimezone);

internal sealed record RawDuplicateProcessing(
    Block B,
    Val<string?>? AutotagAlbumConflict,
    Val<string?>? AutotagClassificationConflict,
    Val<string?>? AutotagClassificationConflictPrefix,
    Val<string?>? AutotagAlbumDetectionConflict,
    Val<bool>? CopyClassificationFromDuplicates,
    Val<bool>? AddToAlbumOfDuplicates,
    RawDateCorrection? DateCorrection);

internal sealed record RawAlbumDateConsistency(Block B, Val<bool>? Enabled, Val<string?>? AutotagAlbumDateMismatch, Val<int>? ThresholdDays);

internal sealed record RawAlbumDetection(Block B, Val<bool>? Enabled, IReadOnlyList<Val<string>>? ExcludedPaths);

internal sealed record RawPerformance(Block B, Val<bool>? EnableTypeChecking, Val<bool>? FailFastOnAssetErrors);

internal sealed record RawUserGroup(Block B, Val<string?>? Name, IReadOnlyList<Val<string>>? Members);

internal sealed record RawSelectionRule(
    Block B,
    Val<string?>? Name,
    Val<string?>? Keyword,
    IReadOnlyList<Val<string>>? Groups,
    Val<string?>? Access);

internal sealed record RawAlbumPermissions(
    Block B,
    Val<bool>? Enabled,
    IReadOnlyList<RawUserGroup>? UserGroups,
    IReadOnlyList<RawSelectionRule>? SelectionRules,
    Val<bool>? LogUnmatched);

/// <summary>Turns the YAML tree into raw records; reports unknown keys and type errors on the way.</summary>
internal static class RawConfigReader
{
    public static RawConfig Read(MapReader r)
    {
        var raw = new RawConfig(
            Block(r, ConfigKeys.Root),
            Read(r.Map("server"), Server),
            r.Bool("enable_album_name_strip"),
            Read(r.Map("skip"), m => new RawSkip(Block(m, ConfigKeys.Skip), m.Int("skip_n"), m.Bool("resume_previous"), m.Int("max_items", allowNull: true))),
            Read(r.Map("filters"), m => new RawFilters(Block(m, ConfigKeys.Filters), Rules(m.MapList("filter_in")), Rules(m.MapList("filter_out")))),
            Read(r.Map("conversions"), Conversions),
            Read(r.Map("classification"), m => new RawClassification(
                Block(m, ConfigKeys.Classification), Rules(m.MapList("rules")), m.String("autotag_unknown"), m.String("autotag_conflict"))
            {
                IncludeArchived = m.Bool("include_archived"),
                IncludeHidden = m.Bool("include_hidden"),
            }),
            Read(r.Map("duplicate_processing"), Duplicates),
            Read(r.Map("album_date_consistency"), m => new RawAlbumDateConsistency(
                Block(m, ConfigKeys.AlbumDateConsistency), m.Bool("enabled"), m.String("autotag_album_date_mismatch"), m.Int("threshold_days"))),
            Read(r.Map("album_detection_from_folders"), m => new RawAlbumDetection(
                Block(m, ConfigKeys.AlbumDetectionFromFolders), m.Bool("enabled"), m.StringList("excluded_paths"))),
            Read(r.Map("performance"), m => new RawPerformance(
                Block(m, ConfigKeys.Performance), m.Bool("enable_type_checking"), m.Bool("fail_fast_on_asset_errors"))),
            Read(r.Map("album_permissions"), Permissions),
            r.Bool("create_album_from_date_if_missing"),
            r.String("schedule"),
            r.Int("full_pass_interval_hours"))
        {
            TagAlbumSync = Read(r.Map("tag_album_sync"), m => new RawTagAlbumSync(
                Block(m, ConfigKeys.TagAlbumSync),
                m.Bool("enabled"),
                m.String("tag_prefix"),
                m.Choice("direction"),
                m.StringList("album_name_patterns"),
                m.Bool("create_missing_albums"),
                m.Bool("remove"))),
            Clip = Read(r.Map("clip"), Clip),
        };
        r.Done();
        return raw;
    }

    private static T? Read<T>(MapReader? m, Func<MapReader, T> read)
        where T : class
    {
        if (m is null)
        {
            return null;
        }

        var result = read(m);
        m.Done();
        return result;
    }

    private static Block Block(MapReader m, BlockSpec spec)
    {
        // Description is free text accepted on every block.
        var description = m.String("description");
        return new Block(m.Loc, spec.Keys.Select(k => k.Name).Where(m.Has).ToHashSet(StringComparer.Ordinal), m, description, spec);
    }

    private static RawClip Clip(MapReader m) =>
        new(
            Block(m, ConfigKeys.Clip),
            m.Bool("enabled"),
            m.String("model_folder"),
            m.String("model_name"),
            m.String("tag_root"),
            m.MapList("labels")?.Select(l => Read(l, x => new RawClipLabel(Block(x, ConfigKeys.ClipLabel), x.String("name"), x.StringList("prompts")))!).ToList(),
            m.Int("min_probability_percent"),
            m.Int("min_margin_percent"),
            Read(m.Map("assets"), a => new RawClipAssets(Block(a, ConfigKeys.ClipAssets), Rules(a.MapList("rules")), a.StringList("media_types"))),
            m.Int("batch_size"),
            m.Int("threads"));

    private static RawServer Server(MapReader m) =>
        new(Block(m, ConfigKeys.Server), m.String("url"), m.String("host"), m.Int("port"), m.String("api_key"));

    private static RawRule Rule(MapReader m) =>
        new(Block(m, ConfigKeys.Rule), m.StringList("tag_names"), m.StringList("album_name_patterns"), m.StringList("asset_links"));

    private static List<RawRule>? Rules(IReadOnlyList<MapReader>? maps) =>
        maps?.Select(m => Read(m, Rule)!).ToList();

    private static RawConversions Conversions(MapReader m) =>
        new(Block(m, ConfigKeys.Conversions), m.Bool("enabled"), m.MapList("conversions")?.Select(c => Read(c, Conversion)!).ToList());

    private static RawConversion Conversion(MapReader m) =>
        new(
            Block(m, ConfigKeys.Conversion),
            Read(m.Map("source"), Rule),
            Read(m.Map("destination"), d => new RawDestination(Block(d, ConfigKeys.Destination), d.StringList("album_names"), d.StringList("tag_names"))),
            m.Choice("mode"));

    private static RawDuplicateProcessing Duplicates(MapReader m) =>
        new(
            Block(m, ConfigKeys.DuplicateProcessing),
            m.String("autotag_album_conflict"),
            m.String("autotag_classification_conflict"),
            m.String("autotag_classification_conflict_prefix"),
            m.String("autotag_album_detection_conflict"),
            m.Bool("copy_classification_from_duplicates"),
            m.Bool("add_to_album_of_duplicates"),
            Read(m.Map("date_correction"), d => new RawDateCorrection(Block(d, ConfigKeys.DateCorrection), d.Bool("enabled"), d.String("extraction_timezone"))));

    private static RawAlbumPermissions Permissions(MapReader m) =>
        new(
            Block(m, ConfigKeys.AlbumPermissions),
            m.Bool("enabled"),
            m.MapList("user_groups")?.Select(g => Read(g, x => new RawUserGroup(Block(x, ConfigKeys.UserGroup), x.String("name"), x.StringList("members")))!).ToList(),
            m.MapList("selection_rules")?.Select(g => Read(g, x => new RawSelectionRule(
                Block(x, ConfigKeys.SelectionRule), x.String("name"), x.String("keyword"), x.StringList("groups"), x.Choice("access")))!).ToList(),
            m.Bool("log_unmatched"));
}
