using System.Globalization;
using ImmichAutoTag.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Config;

/// <summary>Dumps the effective config (defaults filled in) in upstream's key names, for the run folder and --show-config.</summary>
public static class ConfigWriter
{
    public const string Redacted = "***REDACTED***";

    // The effective config as YAML (upstream key names, snake_case), api key replaced by "***REDACTED***".
    public static string ToRedactedYaml(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var root = new YamlMappingNode();
        if (config.Description is not null)
        {
            root.Add("description", Str(config.Description));
        }

        root.Add("server", Map(
            ("url", Str(config.Server.Url.AbsoluteUri)),
            ("api_key", Str(Redacted))));
        root.Add("enable_album_name_strip", Bool(config.EnableAlbumNameStrip));
        root.Add("skip", Map(
            ("skip_n", Int(config.Skip.SkipN)),
            ("resume_previous", Bool(config.Skip.ResumePrevious)),
            ("max_items", config.Skip.MaxItems is { } max ? Int(max) : Null())));
        root.Add("filters", Map(
            ("filter_in", Seq(config.Filters.FilterIn.Select(Rule))),
            ("filter_out", Seq(config.Filters.FilterOut.Select(Rule)))));
        root.Add("conversions", Map(
            ("enabled", Bool(config.Conversions.Enabled)),
            ("conversions", Seq(config.Conversions.Conversions.Select(Conversion)))));
        root.Add("classification", Map(
            ("rules", Seq(config.Classification.Rules.Select(Rule))),
            ("autotag_unknown", Str(config.Classification.AutotagUnknown)),
            ("autotag_conflict", Str(config.Classification.AutotagConflict)),
            ("include_archived", Bool(config.Classification.IncludeArchived)),
            ("include_hidden", Bool(config.Classification.IncludeHidden))));
        var dup = config.DuplicateProcessing;
        root.Add("duplicate_processing", Map(
            ("autotag_album_conflict", Str(dup.AutotagAlbumConflict)),
            ("autotag_classification_conflict", Str(dup.AutotagClassificationConflict)),
            ("autotag_classification_conflict_prefix", Str(dup.AutotagClassificationConflictPrefix)),
            ("autotag_album_detection_conflict", Str(dup.AutotagAlbumDetectionConflict)),
            ("copy_classification_from_duplicates", Bool(dup.CopyClassificationFromDuplicates)),
            ("add_to_album_of_duplicates", Bool(dup.AddToAlbumOfDuplicates)),
            ("date_correction", Map(
                ("enabled", Bool(dup.DateCorrection.Enabled)),
                ("extraction_timezone", Str(dup.DateCorrection.ExtractionTimezone))))));
        var adc = config.AlbumDateConsistency;
        root.Add("album_date_consistency", Map(
            ("enabled", Bool(adc.Enabled)),
            ("autotag_album_date_mismatch", Str(adc.AutotagAlbumDateMismatch)),
            ("threshold_days", Int(adc.ThresholdDays))));
        root.Add("album_detection_from_folders", Map(
            ("enabled", Bool(config.AlbumDetectionFromFolders.Enabled)),
            ("excluded_paths", Strs(config.AlbumDetectionFromFolders.ExcludedPaths.Select(p => p.Written)))));
        root.Add("performance", Map(
            ("enable_type_checking", Bool(config.Performance.EnableTypeChecking)),
            ("fail_fast_on_asset_errors", Bool(config.Performance.FailFastOnAssetErrors))));
        var perm = config.AlbumPermissions;
        root.Add("album_permissions", Map(
            ("enabled", Bool(perm.Enabled)),
            ("user_groups", Seq(perm.UserGroups.Select(g => WithDescription(Map(
                ("name", Str(g.Name)),
                ("members", Strs(g.Members))), g.Description)))),
            ("selection_rules", Seq(perm.SelectionRules.Select(r => WithDescription(Map(
                ("name", Str(r.Name)),
                ("keyword", Str(r.Keyword)),
                ("groups", Strs(r.Groups)),
                ("access", Str(r.Access.ToString().ToLowerInvariant()))), r.Description)))),
            ("log_unmatched", Bool(perm.LogUnmatched))));
        root.Add("create_album_from_date_if_missing", Bool(config.CreateAlbumFromDateIfMissing));
        var sync = config.TagAlbumSync;
        root.Add("tag_album_sync", Map(
            ("enabled", Bool(sync.Enabled)),
            ("tag_prefix", Str(sync.TagPrefix)),
            ("direction", Str(sync.Direction switch { SyncDirection.AlbumToTag => "album_to_tag", SyncDirection.Both => "both", _ => "tag_to_album" })),
            ("album_name_patterns", Strs(sync.AlbumNamePatterns.Select(p => p.Written))),
            ("create_missing_albums", Bool(sync.CreateMissingAlbums)),
            ("remove", Bool(sync.Remove))));
        root.Add("full_pass_interval_hours", Int(config.FullPassIntervalHours));
        if (config.Schedule is not null)
        {
            root.Add("schedule", Str(config.Schedule));
        }

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        // The emitter closes the document with "..."; drop it so the dump reads like a hand-written file.
        var text = writer.ToString().TrimEnd();
        return (text.EndsWith("...", StringComparison.Ordinal) ? text[..^3].TrimEnd() : text) + "\n";
    }

    private static YamlMappingNode Rule(RuleConfig rule)
    {
        var map = new YamlMappingNode();
        if (rule.TagNames.Count > 0)
        {
            map.Add("tag_names", Strs(rule.TagNames));
        }

        if (rule.AlbumNamePatterns.Count > 0)
        {
            map.Add("album_name_patterns", Strs(rule.AlbumNamePatterns.Select(p => p.Written)));
        }

        if (rule.AssetLinks.Count > 0)
        {
            map.Add("asset_links", Strs(rule.AssetLinks));
        }

        return WithDescription(map, rule.Description);
    }

    private static YamlMappingNode Conversion(ConversionConfig c)
    {
        var destination = new YamlMappingNode();
        if (c.DestinationAlbumNames.Count > 0)
        {
            destination.Add("album_names", Strs(c.DestinationAlbumNames));
        }

        if (c.DestinationTagNames.Count > 0)
        {
            destination.Add("tag_names", Strs(c.DestinationTagNames));
        }

        return WithDescription(Map(
            ("source", Rule(c.Source)),
            ("destination", destination),
            ("mode", Str(c.Mode.ToString().ToLowerInvariant()))), c.Description);
    }

    private static YamlMappingNode WithDescription(YamlMappingNode map, string? description)
    {
        if (description is not null)
        {
            map.Add("description", Str(description));
        }

        return map;
    }

    private static YamlMappingNode Map(params (string Key, YamlNode Value)[] entries)
    {
        var map = new YamlMappingNode();
        foreach (var (key, value) in entries)
        {
            map.Add(key, value);
        }

        return map;
    }

    private static YamlSequenceNode Seq(IEnumerable<YamlNode> items)
    {
        var seq = new YamlSequenceNode(items);
        if (seq.Children.Count == 0)
        {
            seq.Style = YamlDotNet.Core.Events.SequenceStyle.Flow;
        }

        return seq;
    }

    private static YamlSequenceNode Strs(IEnumerable<string> items) => Seq(items.Select(s => (YamlNode)Str(s)));

    // Strings are always quoted so values such as "yes", "null" or "2020" keep their type when reloaded.
    private static YamlScalarNode Str(string? value) =>
        value is null ? Null() : new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    private static YamlScalarNode Int(int value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Null() => new("null") { Style = ScalarStyle.Plain };
}
