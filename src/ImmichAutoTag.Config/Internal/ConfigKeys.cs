namespace ImmichAutoTag.Config.Internal;

internal enum KeyKind
{
    Bool,
    Int,
    String,
    StringList,
    Map,
    MapList,
}

internal sealed record KeySpec(string Name, KeyKind Kind, BlockSpec? Child = null);

/// <summary>
/// The keys one YAML map may hold. Strict blocks reject unknown keys (as upstream's pydantic models with
/// extra=forbid do); tolerant ones only warn, so configs written for upstream keep loading.
/// </summary>
internal sealed record BlockSpec(string Name, bool Strict, IReadOnlyList<KeySpec> Keys)
{
    public KeySpec? Find(string name) => Keys.FirstOrDefault(k => k.Name == name);
}

/// <summary>The single source of truth for every key the loader understands (the schema test walks it).</summary>
internal static class ConfigKeys
{
    private static KeySpec Desc => new("description", KeyKind.String);

    public static readonly BlockSpec Rule = new("rule", true,
    [
        new("tag_names", KeyKind.StringList),
        new("album_name_patterns", KeyKind.StringList),
        new("asset_links", KeyKind.StringList),
        Desc,
    ]);

    public static readonly BlockSpec Server = new("server", true,
    [
        new("url", KeyKind.String),
        new("host", KeyKind.String),
        new("port", KeyKind.Int),
        new("api_key", KeyKind.String),
        Desc,
    ]);

    public static readonly BlockSpec Skip = new("skip", true,
    [
        new("skip_n", KeyKind.Int),
        new("resume_previous", KeyKind.Bool),
        new("max_items", KeyKind.Int),
        Desc,
    ]);

    public static readonly BlockSpec Filters = new("filters", true,
    [
        new("filter_in", KeyKind.MapList, Rule),
        new("filter_out", KeyKind.MapList, Rule),
        Desc,
    ]);

    public static readonly BlockSpec Destination = new("destination", true,
    [
        new("album_names", KeyKind.StringList),
        new("tag_names", KeyKind.StringList),
        Desc,
    ]);

    public static readonly BlockSpec Conversion = new("conversion", true,
    [
        new("source", KeyKind.Map, Rule),
        new("destination", KeyKind.Map, Destination),
        new("mode", KeyKind.String),
        Desc,
    ]);

    public static readonly BlockSpec Conversions = new("conversions", true,
    [
        new("enabled", KeyKind.Bool),
        new("conversions", KeyKind.MapList, Conversion),
        Desc,
    ]);

    public static readonly BlockSpec Classification = new("classification", false,
    [
        new("rules", KeyKind.MapList, Rule),
        new("autotag_unknown", KeyKind.String),
        new("autotag_conflict", KeyKind.String),
        new("include_archived", KeyKind.Bool),
        new("include_hidden", KeyKind.Bool),
        Desc,
    ]);

    public static readonly BlockSpec DateCorrection = new("date_correction", true,
    [
        new("enabled", KeyKind.Bool),
        new("extraction_timezone", KeyKind.String),
        Desc,
    ]);

    public static readonly BlockSpec DuplicateProcessing = new("duplicate_processing", false,
    [
        new("autotag_album_conflict", KeyKind.String),
        new("autotag_classification_conflict", KeyKind.String),
        new("autotag_classification_conflict_prefix", KeyKind.String),
        new("autotag_album_detection_conflict", KeyKind.String),
        new("copy_classification_from_duplicates", KeyKind.Bool),
        new("add_to_album_of_duplicates", KeyKind.Bool),
        new("date_correction", KeyKind.Map, DateCorrection),
        Desc,
    ]);

    public static readonly BlockSpec AlbumDateConsistency = new("album_date_consistency", false,
    [
        new("enabled", KeyKind.Bool),
        new("autotag_album_date_mismatch", KeyKind.String),
        new("threshold_days", KeyKind.Int),
        Desc,
    ]);

    public static readonly BlockSpec AlbumDetectionFromFolders = new("album_detection_from_folders", false,
    [
        new("enabled", KeyKind.Bool),
        new("excluded_paths", KeyKind.StringList),
        Desc,
    ]);

    public static readonly BlockSpec Performance = new("performance", false,
    [
        new("enable_type_checking", KeyKind.Bool),
        new("fail_fast_on_asset_errors", KeyKind.Bool),
        Desc,
    ]);

    public static readonly BlockSpec UserGroup = new("user_group", true,
    [
        new("name", KeyKind.String),
        new("members", KeyKind.StringList),
        Desc,
    ]);

    public static readonly BlockSpec SelectionRule = new("selection_rule", true,
    [
        new("name", KeyKind.String),
        new("keyword", KeyKind.String),
        new("groups", KeyKind.StringList),
        new("access", KeyKind.String),
        Desc,
    ]);

    public static readonly BlockSpec AlbumPermissions = new("album_permissions", false,
    [
        new("enabled", KeyKind.Bool),
        new("user_groups", KeyKind.MapList, UserGroup),
        new("selection_rules", KeyKind.MapList, SelectionRule),
        new("log_unmatched", KeyKind.Bool),
        Desc,
    ]);

    public static readonly BlockSpec TagAlbumSync = new("tag_album_sync", true,
    [
        new("enabled", KeyKind.Bool),
        new("tag_prefix", KeyKind.String),
        new("direction", KeyKind.String),
        new("album_name_patterns", KeyKind.StringList),
        new("create_missing_albums", KeyKind.Bool),
        new("remove", KeyKind.Bool),
        Desc,
    ]);

    public static readonly BlockSpec Root = new("root", true,
    [
        Desc,
        new("server", KeyKind.Map, Server),
        new("enable_album_name_strip", KeyKind.Bool),
        new("skip", KeyKind.Map, Skip),
        new("filters", KeyKind.Map, Filters),
        new("conversions", KeyKind.Map, Conversions),
        new("classification", KeyKind.Map, Classification),
        new("duplicate_processing", KeyKind.Map, DuplicateProcessing),
        new("album_date_consistency", KeyKind.Map, AlbumDateConsistency),
        new("album_detection_from_folders", KeyKind.Map, AlbumDetectionFromFolders),
        new("performance", KeyKind.Map, Performance),
        new("album_permissions", KeyKind.Map, AlbumPermissions),
        new("create_album_from_date_if_missing", KeyKind.Bool),
        new("tag_album_sync", KeyKind.Map, TagAlbumSync),
        new("schedule", KeyKind.String),
        new("full_pass_interval_hours", KeyKind.Int),
    ]);

    /// <summary>Every key path, list items written as <c>[]</c> (e.g. <c>classification.rules[].tag_names</c>).</summary>
    public static IReadOnlyList<string> AllPaths()
    {
        var paths = new List<string>();
        Walk(Root, "", paths);
        return paths;
    }

    private static void Walk(BlockSpec block, string prefix, List<string> paths)
    {
        foreach (var key in block.Keys)
        {
            var path = prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}";
            paths.Add(path);
            if (key.Child is { } child)
            {
                Walk(child, key.Kind == KeyKind.MapList ? path + "[]" : path, paths);
            }
        }
    }
}
