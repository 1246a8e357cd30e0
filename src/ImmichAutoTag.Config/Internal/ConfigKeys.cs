using System.Collections.Immutable;
using System.Linq.Expressions;
using System.Reflection;
using ImmichAutoTag.Core.Configuration;

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

/// <summary>How the strings of a pattern list are translated from Python <c>re</c> and compiled (<see cref="PatternCompiler"/>).</summary>
internal enum PatternKind
{
    /// <summary>Start-anchored album-name pattern (<c>re.match</c>).</summary>
    AlbumName,

    /// <summary>Case-insensitive pattern searched anywhere in a folder path (<c>re.search</c>).</summary>
    PathSearch,
}

/// <summary>
/// One key of the config: its YAML name and type, help text, default and constraints, and the record field it lands
/// in. The loader's unknown-key, type, range and choice checks, the JSON schema, the commented example, the docs'
/// key table and the redacted dump are all derived from these.
/// </summary>
internal sealed record KeySpec(string Name, KeyKind Kind, string Help, BlockSpec? Child = null)
{
    /// <summary>Whether <see cref="Default"/> is set (a default of null is a real default).</summary>
    public bool HasDefault { get; init; }

    /// <summary>The value a left-out key takes: bool, int, string, null or an empty list.</summary>
    public object? Default { get; init; }

    /// <summary>An explicit YAML null is accepted (for output tags: null switches the tag off).</summary>
    public bool Nullable { get; init; }

    /// <summary>Smallest accepted int; the loader reports a smaller value.</summary>
    public int? Minimum { get; init; }

    /// <summary>Largest accepted int; the loader reports a larger value.</summary>
    public int? Maximum { get; init; }

    /// <summary>Appended to the loader's "must not be negative" message.</summary>
    public string? RangeNote { get; init; }

    /// <summary>The accepted values of a string key ("did you mean" hints come from them).</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>Whether <see cref="Choices"/> match in any case.</summary>
    public bool ChoicesIgnoreCase { get; init; }

    /// <summary>The value may carry upstream's python enum tag (ConversionMode as dumped by PyYAML).</summary>
    public bool PythonEnum { get; init; }

    /// <summary>Schema-only hint for editors (a regex the value should match); the loader checks more precisely.</summary>
    public string? SchemaPattern { get; init; }

    /// <summary>A string that must not be empty when given (output tag names).</summary>
    public bool NonEmpty { get; init; }

    /// <summary>A list item must carry this key.</summary>
    public bool Required { get; init; }

    /// <summary>Never written to a dump, log or report as is (the API key).</summary>
    public bool Secret { get; init; }

    /// <summary>Not a key of the upstream Python tool (an addition of this port).</summary>
    public bool Extension { get; init; }

    /// <summary>The value shown in the commented example, as YAML (the default is shown when null).</summary>
    public string? Example { get; init; }

    /// <summary>The example shows the key commented out (an alternative to another key).</summary>
    public bool ExampleCommentedOut { get; init; }

    /// <summary>
    /// The record property the key's value lands in (a property of the record its block binds to). The loader sets it
    /// from the checked value (<see cref="ConfigBinder"/>); the dump reads it back (<see cref="Get"/>).
    /// </summary>
    public PropertyInfo? Field { get; init; }

    /// <summary>A map whose keys land in the record of the enclosing block (conversion destination).</summary>
    public bool Inline { get; init; }

    /// <summary>A string list whose items are patterns, carried compiled (the field holds <see cref="CompiledPattern"/>s).</summary>
    public PatternKind? Pattern { get; init; }

    /// <summary>The string, or each item of the list, is an Immich tag path; the loader refuses empty or space-padded levels (see <see cref="TagPaths"/>).</summary>
    public TagPathUse? TagPath { get; init; }

    /// <summary>
    /// Reads the key's value from the record its block lands in, as the YAML value it stands for (enum members in
    /// snake_case, patterns as written, a URL as text); for a map or list: the child record(s). Null when the key
    /// has no field of its own.
    /// </summary>
    public Func<object, object?>? Get => Inline
        ? o => o
        : Field is { } property ? o => ConfigKeys.AsYamlValue(property.GetValue(o)) : null;

    /// <summary>Why the key has no record field of its own (then <see cref="Field"/> is null).</summary>
    public string? NotStored { get; init; }

    /// <summary>The dump leaves the key out when its value is null or an empty list.</summary>
    public bool DumpOmitsEmpty { get; init; }
}

/// <summary>
/// The keys one YAML map may hold. Strict blocks reject unknown keys (as upstream's pydantic models with
/// extra=forbid do); tolerant ones only warn, so configs written for upstream keep loading.
/// </summary>
internal sealed record BlockSpec(string Name, bool Strict, string Help, IReadOnlyList<KeySpec> Keys)
{
    public KeySpec? Find(string name) => Keys.FirstOrDefault(k => k.Name == name);
}

/// <summary>The single description of the config shape (see <see cref="KeySpec"/> for what derives from it).</summary>
internal static class ConfigKeys
{
    private const string TagHelpSuffix = "; null switches the tag off.";

    public static readonly BlockSpec Rule = new("rule", true,
        "Matches an asset when ANY of its lists hits (OR). At least one list must be non-empty.",
    [
        L("tag_names", "Exact, case-sensitive tag names; an entry with '/' is a full tag path.") with
        {
            Field = F<RuleConfig>(r => r.TagNames), DumpOmitsEmpty = true, TagPath = TagPathUse.Read,
        },
        L("album_name_patterns", "Regular expressions (Python syntax) matched at the START of album names.") with
        {
            Field = F<RuleConfig>(r => r.AlbumNamePatterns), Pattern = PatternKind.AlbumName, DumpOmitsEmpty = true,
        },
        L("asset_links", "Asset UUIDs or Immich web links such as https://host/photos/<uuid>.") with
        {
            Field = F<RuleConfig>(r => r.AssetLinks), DumpOmitsEmpty = true,
        },
        Desc(F<RuleConfig>(r => r.Description)),
    ]);

    public static readonly BlockSpec Server = new("server", true,
        "The Immich server. Give url (preferred) or host and port. IMMICH_URL and IMMICH_API_KEY override these.",
    [
        S("url", "Base URL, http or https, optional path prefix (https://example.net/immich). A trailing /api is removed.") with
        {
            SchemaPattern = "^[Hh][Tt][Tt][Pp][Ss]?://", Extension = true, Example = "https://photos.example.net",
            Field = F<ServerConfig>(s => s.Url),
        },
        S("host", "Host name or IP (upstream style, instead of url); the URL becomes http://host:port/.") with
        {
            Example = "192.168.1.20", ExampleCommentedOut = true, NotStored = "folded into server.url",
        },
        I("port", "Port used with host, e.g. 2283.") with
        {
            Minimum = 1, Maximum = 65535, Example = "2283", ExampleCommentedOut = true, NotStored = "folded into server.url",
        },
        S("api_key", "Immich API key (sent as x-api-key). Better left out and given as IMMICH_API_KEY.") with
        {
            Secret = true, Example = "CHANGE_ME", Field = F<ServerConfig>(s => s.ApiKey),
        },
        Desc(null, "Home server behind the reverse proxy"),
    ]);

    public static readonly BlockSpec Skip = new("skip", true, "Where in the asset stream to start.",
    [
        I("skip_n", "Upstream's positional offset into the asset stream. Accepted for compatibility, no effect: every run processes the whole library in one pass (a value above 0 gets a warning).", 0) with { Minimum = 0, Field = F<SkipConfig>(s => s.SkipN) },
        B("resume_previous", "Upstream's resume from the checkpoint of recent runs. Accepted for compatibility, no effect: a run never stops half-way through the library.", true) with { Field = F<SkipConfig>(s => s.ResumePrevious) },
        I("max_items", "Upstream's stop after this many assets (null or negative = unlimited). Accepted for compatibility, no effect: every run processes the whole library (a limit under 1000000 gets a warning); try the tool with --dry-run or filters.filter_in instead.", null) with
        {
            Nullable = true, Field = F<SkipConfig>(s => s.MaxItems),
        },
        Desc(null, "Process the whole library"),
    ]);

    public static readonly BlockSpec Filters = new("filters", true, "Restrict a run to some assets.",
    [
        ML("filter_in", Rule, "Only assets some rule here matches (by link, tag or album) are processed (focused run).") with
        {
            Example = "[]", Field = F<FiltersConfig>(f => f.FilterIn),
        },
        ML("filter_out", Rule, "Assets a rule here matches are never changed, and albums it matches never receive assets (ignored by upstream).") with
        {
            Example = "[]", Field = F<FiltersConfig>(f => f.FilterOut),
        },
        Desc(null, "No filtering"),
    ]);

    public static readonly BlockSpec Destination = new("destination", true, "What to add; at least one list must be non-empty.",
    [
        L("album_names", "Albums to add the asset to (created when no album has that name).") with
        {
            Field = F<ConversionConfig>(c => c.DestinationAlbumNames), DumpOmitsEmpty = true,
        },
        L("tag_names", "Tags to add (created when missing).") with
        {
            Field = F<ConversionConfig>(c => c.DestinationTagNames), DumpOmitsEmpty = true, TagPath = TagPathUse.Written,
        },
        Desc(null),
    ]);

    public static readonly BlockSpec Conversion = new("conversion", true, "One rewrite: assets the source matches gain the destination.",
    [
        M("source", Rule, "Which assets the conversion applies to.") with { Required = true, Field = F<ConversionConfig>(c => c.Source) },
        M("destination", Destination, "What to add; at least one list must be non-empty.") with { Inline = true },
        S("mode", "move: add the destination, then remove the matched source tags. copy: only add.", "move") with
        {
            Nullable = true, Choices = ["move", "copy"], ChoicesIgnoreCase = true, PythonEnum = true,
            Field = F<ConversionConfig>(c => c.Mode),
        },
        Desc(F<ConversionConfig>(c => c.Description)),
    ]);

    public static readonly BlockSpec Conversions = new("conversions", true, "Tag/album rewrites applied to each asset before classification.",
    [
        B("enabled", "Run the conversions.", true) with { Field = F<ConversionsConfig>(c => c.Enabled) },
        ML("conversions", Conversion, "The rewrites, in order.") with
        {
            Field = F<ConversionsConfig>(c => c.Conversions),
            Example = """
                # Assets you tag "autotag_input_screenshot" go into the album of the same
                # category and lose that tag (mode move removes the matched source tags).
                - source:
                    tag_names: [autotag_input_screenshot]
                  destination:
                    album_names: [autotag_input_screenshots]
                    description: Created when no album has that name
                  mode: move
                  description: Tag to album
                # Scanned prints keep their album; they only gain a tag (mode copy).
                - source:
                    album_name_patterns: ['^Scans ']
                  destination:
                    tag_names: [autotag_input_scanned]
                  mode: copy
                """,
        },
        Desc(null, "Rewrites applied before classification"),
    ]);

    public static readonly BlockSpec Classification = new("classification", false,
        "The category rules. Unknown keys here only produce a warning.",
    [
        ML("rules", Rule, "One rule per category; an asset should match exactly one (none: unknown tag, several: conflict tag).") with
        {
            Field = F<ClassificationConfig>(c => c.Rules),
            Example = """
                - tag_names: [screenshot, autotag_input_screenshots]
                  album_name_patterns: ['^autotag_input_screenshots$']
                  description: Screenshots and memes
                - tag_names: [autotag_input_scanned]
                  description: Scanned paper photos
                # Albums named by date ("2023-07-14 Beach day") are events. Python regex
                # syntax such as (?P<name>...) is accepted.
                - album_name_patterns: ['^(?P<year>\d{4})(-\d{2}(-\d{2})?)?']
                  description: Events
                # One hand-picked asset that belongs to no other category.
                - asset_links: ['7c3e9a12-5b4f-4d6e-8a1b-2c9d0e3f4a5b']
                """,
        },
        Tag("autotag_unknown", "Tag for assets no rule matched", "autotag_output_unknown", F<ClassificationConfig>(c => c.AutotagUnknown)),
        Tag("autotag_conflict", "Tag for assets several rules (or albums) matched", "autotag_output_conflict", F<ClassificationConfig>(c => c.AutotagConflict)),
        B("include_archived", "Classify archived assets like the rest; false leaves them out of every change.", true) with
        {
            Extension = true, Field = F<ClassificationConfig>(c => c.IncludeArchived),
        },
        B("include_hidden", "Classify hidden assets like the rest (they never join temporary albums); false leaves them out of every change. The hidden video half of a Live/Motion Photo is never classified on its own.", true) with
        {
            Extension = true, Field = F<ClassificationConfig>(c => c.IncludeHidden),
        },
        Desc(null, "Categories"),
    ]);

    public static readonly BlockSpec DateCorrection = new("date_correction", true, "Repair asset dates from file names and duplicates.",
    [
        B("enabled", "Run the date repair (it writes dates).", false) with { Field = F<DateCorrectionConfig>(d => d.Enabled) },
        S("extraction_timezone", "IANA time zone for dates read from names, e.g. Europe/Madrid.", "UTC") with
        {
            Field = F<DateCorrectionConfig>(d => d.ExtractionTimezone),
        },
        Desc(null, "Off until you opt in (it writes asset dates)"),
    ]);

    public static readonly BlockSpec DuplicateProcessing = new("duplicate_processing", false,
        "Duplicate-group tags and date repair. Unknown keys here only produce a warning.",
    [
        Tag("autotag_album_conflict", "Duplicates disagree on their album", "autotag_output_duplicate_asset_album_conflict", F<DuplicateProcessingConfig>(d => d.AutotagAlbumConflict)),
        Tag("autotag_classification_conflict", "Duplicates disagree on their classification tags", "autotag_output_duplicate_asset_classification_conflict", F<DuplicateProcessingConfig>(d => d.AutotagClassificationConflict)),
        Tag("autotag_classification_conflict_prefix", "Prefix of the per-group conflict tag (prefix + group id)", "autotag_output_duplicate_asset_classification_conflict_", F<DuplicateProcessingConfig>(d => d.AutotagClassificationConflictPrefix)) with { TagPath = TagPathUse.Prefix },
        Tag("autotag_album_detection_conflict", "Several date folders could name the album", "autotag_output_album_detection_conflict", F<DuplicateProcessingConfig>(d => d.AutotagAlbumDetectionConflict)),
        B("copy_classification_from_duplicates", "Copy a lone classification tag to the members of a duplicate group that have none (changes your tags, as the Python tool always did); false turns it off.", true) with
        {
            Extension = true, Field = F<DuplicateProcessingConfig>(d => d.CopyClassificationFromDuplicates),
        },
        B("add_to_album_of_duplicates", "Add an unclassified asset to the one rule album its duplicates are in (changes your albums, as the Python tool always did); false turns it off.", true) with
        {
            Extension = true, Field = F<DuplicateProcessingConfig>(d => d.AddToAlbumOfDuplicates),
        },
        M("date_correction", DateCorrection, "Repair asset dates from file names and duplicates.") with
        {
            Nullable = true, Field = F<DuplicateProcessingConfig>(d => d.DateCorrection),
        },
        Desc(null, "Duplicate groups"),
    ]);

    public static readonly BlockSpec AlbumDateConsistency = new("album_date_consistency", false,
        "Flag assets whose date is far from their dated album. Unknown keys here only produce a warning.",
    [
        B("enabled", "Run the check.", true) with { Field = F<AlbumDateConsistencyConfig>(a => a.Enabled) },
        Tag("autotag_album_date_mismatch", "Tag for mismatching assets", "autotag_output_album_date_mismatch", F<AlbumDateConsistencyConfig>(a => a.AutotagAlbumDateMismatch)),
        I("threshold_days", "Mismatch when the asset date lies more whole days than this outside the year, month or day the album name starts with.", 180) with
        {
            Minimum = 0, Field = F<AlbumDateConsistencyConfig>(a => a.ThresholdDays),
        },
        Desc(null, "Catch photos filed in the wrong event"),
    ]);

    public static readonly BlockSpec AlbumDetectionFromFolders = new("album_detection_from_folders", false,
        "Infer an album from a date-named folder. Unknown keys here only produce a warning.",
    [
        B("enabled", "Run the detection.", false) with { Field = F<AlbumDetectionFromFoldersConfig>(a => a.Enabled) },
        L("excluded_paths", "Case-insensitive regexes (Python syntax) searched in the folder path; matching paths are skipped.") with
        {
            HasDefault = true, Default = Array.Empty<string>(), Example = "[whatsapp, 'telegram|signal']",
            Field = F<AlbumDetectionFromFoldersConfig>(a => a.ExcludedPaths), Pattern = PatternKind.PathSearch,
        },
        Desc(null, "Album from a folder such as 2023-07-14_Beach"),
    ]);

    public static readonly BlockSpec Performance = new("performance", false, "Run-time switches. Unknown keys here only produce a warning.",
    [
        B("enable_type_checking", "Upstream's dev-only runtime type checks; no effect in this port.", false) with
        {
            Field = F<PerformanceConfig>(p => p.EnableTypeChecking),
        },
        B("fail_fast_on_asset_errors", "Abort the run on the first asset error instead of skipping the asset.", false) with
        {
            Field = F<PerformanceConfig>(p => p.FailFastOnAssetErrors),
        },
        Desc(null, "Defaults"),
    ]);

    public static readonly BlockSpec UserGroup = new("user_group", true, "A named group of Immich users.",
    [
        S("name", "Group name used by selection rules.") with { Required = true, Field = F<UserGroupConfig>(g => g.Name) },
        L("members", "E-mail addresses of Immich users.") with { Required = true, Field = F<UserGroupConfig>(g => g.Members) },
        Desc(F<UserGroupConfig>(g => g.Description)),
    ]);

    public static readonly BlockSpec SelectionRule = new("selection_rule", true, "Which albums are shared with which groups.",
    [
        S("name", "Rule name for logs.") with { Required = true, Field = F<SelectionRuleConfig>(r => r.Name) },
        S("keyword", "Word that must appear in the album name.") with { Required = true, Field = F<SelectionRuleConfig>(r => r.Keyword) },
        L("groups", "Names of user_groups to share with.") with { Required = true, Field = F<SelectionRuleConfig>(r => r.Groups) },
        S("access", "Role given to the members.", "view") with
        {
            Choices = ["view", "edit", "admin"], ChoicesIgnoreCase = true,
            Field = F<SelectionRuleConfig>(r => r.Access),
        },
        Desc(F<SelectionRuleConfig>(r => r.Description)),
    ]);

    public static readonly BlockSpec AlbumPermissions = new("album_permissions", false,
        "Share albums with groups of users by keyword. Unknown keys here only produce a warning.",
    [
        B("enabled", "Synchronise album sharing.", false) with { Field = F<AlbumPermissionsConfig>(a => a.Enabled) },
        ML("user_groups", UserGroup, "Groups of users, by e-mail.") with
        {
            Field = F<AlbumPermissionsConfig>(a => a.UserGroups),
            Example = """
                - name: family
                  members: [partner@example.net, grandma@example.net]
                  description: Close family
                """,
        },
        ML("selection_rules", SelectionRule, "Albums whose name contains a rule's keyword as a whole word are shared with its groups.") with
        {
            Field = F<AlbumPermissionsConfig>(a => a.SelectionRules),
            Example = """
                # Albums whose name contains the word "family" are shared read-only.
                - name: share-family
                  keyword: family
                  groups: [family]
                  access: view
                  description: Family albums
                """,
        },
        B("log_unmatched", "Log albums no selection rule matched.", false) with { Field = F<AlbumPermissionsConfig>(a => a.LogUnmatched) },
        Desc(null, "Sharing"),
    ]);

    public static readonly BlockSpec TagAlbumSync = new("tag_album_sync", true,
        "Keep tags under a prefix and albums of the same name in step (handy because Immich's mobile apps cannot set tags).",
    [
        B("enabled", "Synchronise tags and albums.", false) with { Field = F<TagAlbumSyncConfig>(t => t.Enabled) },
        S("tag_prefix", "Tag <prefix>X stands for album X (the rest of the tag path is the album name).", "album/") with
        {
            Example = "\"album/\"", Field = F<TagAlbumSyncConfig>(t => t.TagPrefix), TagPath = TagPathUse.Prefix,
        },
        S("direction", "Which way membership is copied.", "tag_to_album") with
        {
            Choices = ["tag_to_album", "album_to_tag", "both"],
            Field = F<TagAlbumSyncConfig>(t => t.Direction),
        },
        L("album_name_patterns", "album_to_tag: albums of yours whose name matches one of these start-anchored regexes, e.g. ['.*'].") with
        {
            Example = "[]", Field = F<TagAlbumSyncConfig>(t => t.AlbumNamePatterns), Pattern = PatternKind.AlbumName,
        },
        B("create_missing_albums", "tag_to_album: create album X when you have none of that name.", true) with
        {
            Field = F<TagAlbumSyncConfig>(t => t.CreateMissingAlbums),
        },
        B("remove", "One direction only: also remove from the target what the source no longer has.", false) with
        {
            Field = F<TagAlbumSyncConfig>(t => t.Remove),
        },
        Desc(null, "Tags and albums in step"),
    ]);

    public static readonly BlockSpec ClipLabel = new("clip_label", true, "One style label: its name (the tag's last part) and the prompts that describe it.",
    [
        S("name", "Label name, the last part of the tag (no '/'), unique in the set.") with { Required = true, Field = F<ClipLabelConfig>(l => l.Name) },
        L("prompts", "Texts describing the label (e.g. 'an anime illustration'); their embeddings are averaged.") with
        {
            Required = true, Field = F<ClipLabelConfig>(l => l.Prompts),
        },
        Desc(null),
    ]);

    public static readonly BlockSpec ClipAssets = new("clip_assets", true, "Which assets get a label.",
    [
        ML("rules", Rule, "Only assets some rule matches (by tag, album or link); empty: every asset of the media types.") with
        {
            Field = F<ClipConfig>(c => c.Rules),
            Example = """
                # Only downloaded pictures; leave rules out to label every asset.
                - tag_names: [downloaded]
                  album_name_patterns: ['^Downloads']
                  asset_links: ['0b5f3c1e-2d4a-4f6b-9c8d-7e6f5a4b3c2d']
                  description: Downloaded pictures
                """,
        },
        L("media_types", "Immich asset types to label: image, video (a video is judged by its thumbnail).") with
        {
            HasDefault = true, Default = new[] { "image", "video" }, Example = "[image, video]",
            Field = F<ClipConfig>(c => c.MediaTypes),
        },
        Desc(null, "Downloaded pictures and videos"),
    ]);

    public static readonly BlockSpec Clip = new("clip", true,
        "CLIP style labels from a local CLIP model in Immich's machine-learning cache (mounted read-only; nothing is downloaded). Each selected asset's thumbnail is scored against the label set; the label becomes the tag <tag_root>/<label>, owned by the tool.",
    [
        B("enabled", "Label assets (needs asset.view to read thumbnails). Off: no model is loaded and no thumbnail is read.", false) with { Field = F<ClipConfig>(c => c.Enabled) },
        S("model_folder", "Immich's model cache as mounted here (read-only is enough): its root (holding clip/<model_name>/), its clip/ folder or the model folder. The default is where Immich's machine-learning container mounts it.", ClipConfig.DefaultModelFolder) with
        {
            Field = F<ClipConfig>(c => c.ModelFolder),
        },
        S("model_name", "The CLIP model's folder name in the cache (Immich's default is ViT-B-32__openai).", ClipConfig.DefaultModelName) with
        {
            Field = F<ClipConfig>(c => c.ModelName),
        },
        S("tag_root", "Labels become <tag_root>/<label>. Below the root the tool removes only the tags it added itself (labels of an earlier model or label set); tags of yours below it are left alone.", ClipConfig.DefaultTagRoot) with
        {
            Field = F<ClipConfig>(c => c.TagRoot),
        },
        ML("labels", ClipLabel, "The label set; left out: photo, anime, 3d_render, cartoon, painting, screenshot, document, meme.") with
        {
            HasDefault = false, Field = F<ClipConfig>(c => c.Labels),
            Example = """
                - name: photo
                  prompts: [a photo, a photograph taken with a camera]
                - name: anime
                  prompts: [an anime illustration, a manga drawing]
                - name: screenshot
                  prompts: [a screenshot, a screenshot of a phone screen]
                  description: Phone and computer screens
                """,
        },
        I("min_probability_percent", "A label is taken only when its softmax probability over the label set is at least this (percent).", 50) with
        {
            Minimum = 0, Maximum = 100, Field = F<ClipConfig>(c => c.MinProbabilityPercent),
        },
        I("min_margin_percent", "The label must also lead the runner-up by at least this many percentage points.", 10) with
        {
            Minimum = 0, Maximum = 100, Field = F<ClipConfig>(c => c.MinMarginPercent),
        },
        M("assets", ClipAssets, ClipAssets.Help) with { Inline = true },
        I("batch_size", "Images per model call, and the unit of decoding and storing (a model exported with a fixed batch of 1, and precision int8, run one image per call).", 8) with
        {
            Minimum = 1, Maximum = 256, Field = F<ClipConfig>(c => c.BatchSize),
        },
        I("threads", "Cores the image tower uses: that many batches are encoded side by side, each on one ONNX Runtime thread (the text tower uses this many threads within one call).", 2) with
        {
            Minimum = 1, Maximum = 64, Field = F<ClipConfig>(c => c.Threads),
        },
        S("precision", "fp32 runs Immich's image tower as it is. int8 runs an int8 copy (weights of the matrix products quantised, activations quantised per call) that the tool makes once in its state folder: about 30 % less CPU per image on an AVX2 CPU, embeddings slightly different and stored apart from fp32 ones (switching re-encodes). See docs/clip.md for the accuracy trade-off.", "fp32") with
        {
            Choices = ["fp32", "int8"], ChoicesIgnoreCase = true,
            Field = F<ClipConfig>(c => c.Precision),
        },
        Desc(null, "Style labels"),
    ]);

    public static readonly BlockSpec WorkflowClipLabel = new("workflow_clip_label", true,
        "The CLIP probability of one label lies within bounds (the asset must have been scored by the clip step this run).",
    [
        S("label", "A label of clip.labels (e.g. anime).") with { Required = true, Field = F<WorkflowClipConditionConfig>(c => c.Label) },
        I("min_percent", "Smallest probability, in percent.") with
        {
            Minimum = 0, Maximum = 100, Nullable = true, Field = F<WorkflowClipConditionConfig>(c => c.MinPercent), DumpOmitsEmpty = true,
        },
        I("max_percent", "Largest probability, in percent.") with
        {
            Minimum = 0, Maximum = 100, Nullable = true, Field = F<WorkflowClipConditionConfig>(c => c.MaxPercent), DumpOmitsEmpty = true,
        },
        Desc(null),
    ]);

    public static readonly BlockSpec WorkflowBooru = new("workflow_booru", true,
        "The asset's booru result (from the booru step this run); every key written must hold. Without verdicts, an asset without a match (accepted, or candidates to review) never matches.",
    [
        L("verdicts", "The booru step's verdict is one of: accepted, review (candidates between a source's review and accept bars), not_found. Left out: accepted or review.") with
        {
            Field = F<WorkflowBooruConditionConfig>(b => b.Verdicts), DumpOmitsEmpty = true,
        },
        L("ratings", "The accepted post's rating is one of: general, sensitive, questionable, explicit (or g, s, q, e).") with
        {
            Field = F<WorkflowBooruConditionConfig>(b => b.Ratings), DumpOmitsEmpty = true,
        },
        L("characters", "The post has one of these character tags (Danbooru spelling, e.g. hu_tao_(genshin_impact)).") with
        {
            Field = F<WorkflowBooruConditionConfig>(b => b.Characters), DumpOmitsEmpty = true,
        },
        L("copyrights", "The post has one of these copyright (series) tags.") with
        {
            Field = F<WorkflowBooruConditionConfig>(b => b.Copyrights), DumpOmitsEmpty = true,
        },
        L("artists", "The post has one of these artist tags.") with { Field = F<WorkflowBooruConditionConfig>(b => b.Artists), DumpOmitsEmpty = true },
        I("min_similarity", "The match is at least this similar, in percent: the accepted candidate (an exact MD5 match counts as 100), or a review's best candidate.") with
        {
            Minimum = 0, Maximum = 100, Nullable = true, Field = F<WorkflowBooruConditionConfig>(b => b.MinSimilarity), DumpOmitsEmpty = true,
        },
        I("max_similarity", "The match is at most this similar, in percent (a match without a score never matches).") with
        {
            Minimum = 0, Maximum = 100, Nullable = true, Field = F<WorkflowBooruConditionConfig>(b => b.MaxSimilarity), DumpOmitsEmpty = true,
        },
        Desc(null),
    ]);

    public static readonly BlockSpec WorkflowCondition = Recursive("workflow_condition", true,
        "A condition over one asset. Every key written must hold (AND); all, any and not nest conditions. A condition with no key holds for every asset.",
        self =>
        [
            ML("all", self, "Every one of these conditions holds.") with { Field = F<WorkflowConditionConfig>(c => c.All), DumpOmitsEmpty = true },
            ML("any", self, "At least one of these conditions holds.") with { Field = F<WorkflowConditionConfig>(c => c.Any), DumpOmitsEmpty = true },
            M("not", self, "This condition does not hold.") with { Field = F<WorkflowConditionConfig>(c => c.Not), DumpOmitsEmpty = true },
            L("album_name_patterns", "The asset is in an album whose name one of these regexes (Python syntax) matches at its start.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.AlbumNamePatterns), Pattern = PatternKind.AlbumName, DumpOmitsEmpty = true,
            },
            L("tags", "The asset carries one of these tags: a leaf name, or a full path with '/'.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.Tags), DumpOmitsEmpty = true,
            },
            L("media_types", "The asset's type is one of: image, video, audio, other.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.MediaTypes), DumpOmitsEmpty = true,
            },
            S("taken_from", "First local capture day, YYYY-MM-DD, inclusive.") with
            {
                SchemaPattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", Field = F<WorkflowConditionConfig>(c => c.TakenFrom), DumpOmitsEmpty = true,
            },
            S("taken_to", "Last local capture day, YYYY-MM-DD, inclusive.") with
            {
                SchemaPattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", Field = F<WorkflowConditionConfig>(c => c.TakenTo), DumpOmitsEmpty = true,
            },
            L("file_name_patterns", "Case-insensitive regexes (Python syntax) searched in the file name.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.FileNamePatterns), Pattern = PatternKind.PathSearch, DumpOmitsEmpty = true,
            },
            L("folder_patterns", "Case-insensitive regexes (Python syntax) searched in the folder part of the original path.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.FolderPatterns), Pattern = PatternKind.PathSearch, DumpOmitsEmpty = true,
            },
            L("camera_make_patterns", "Case-insensitive regexes (Python syntax) searched in the camera make (EXIF Make, Immich exifInfo.make); an asset without one never matches. Rules that use it make the asset walk ask for EXIF data.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.CameraMakePatterns), Pattern = PatternKind.PathSearch, DumpOmitsEmpty = true,
            },
            L("camera_model_patterns", "Case-insensitive regexes (Python syntax) searched in the camera model (EXIF Model, Immich exifInfo.model); an asset without one never matches. Rules that use it make the asset walk ask for EXIF data.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.CameraModelPatterns), Pattern = PatternKind.PathSearch, DumpOmitsEmpty = true,
            },
            NB("favorite", "The asset is a favourite (true) or not (false).") with { Field = F<WorkflowConditionConfig>(c => c.Favorite) },
            NB("archived", "The asset is archived (true) or not (false).") with { Field = F<WorkflowConditionConfig>(c => c.Archived) },
            NB("in_duplicate_group", "The asset shares an Immich duplicate group with another asset of the run (true) or not (false).") with
            {
                Field = F<WorkflowConditionConfig>(c => c.InDuplicateGroup),
            },
            I("min_duplicates", "Its duplicate group holds at least this many of the run's assets.") with
            {
                Minimum = 2, Maximum = 1000000, Nullable = true, Field = F<WorkflowConditionConfig>(c => c.MinDuplicates), DumpOmitsEmpty = true,
            },
            L("classification", "The asset's classification status this run is one of: classified, unclassified, conflict.") with
            {
                Field = F<WorkflowConditionConfig>(c => c.Classification), DumpOmitsEmpty = true,
            },
            M("clip_label", WorkflowClipLabel, WorkflowClipLabel.Help) with { Field = F<WorkflowConditionConfig>(c => c.ClipLabel), DumpOmitsEmpty = true },
            M("booru", WorkflowBooru, WorkflowBooru.Help) with { Field = F<WorkflowConditionConfig>(c => c.Booru), DumpOmitsEmpty = true },
            Desc(null),
        ]);

    public static readonly BlockSpec WorkflowActions = new("workflow_actions", true, "What to do with each asset the condition holds for; at least one action.",
    [
        L("add_tags", "Tags to add (full paths, created when missing). The workflows own them: an asset no rule gives one to any more loses it.") with
        {
            Field = F<WorkflowActionsConfig>(a => a.AddTags), DumpOmitsEmpty = true,
        },
        L("remove_tags", "Tags to take off: only tags some workflow rule adds (the tool's own).") with
        {
            Field = F<WorkflowActionsConfig>(a => a.RemoveTags), DumpOmitsEmpty = true,
        },
        L("add_to_albums", "Albums to add the asset to, by name (created when missing and workflows.create_missing_albums allows it).") with
        {
            Field = F<WorkflowActionsConfig>(a => a.AddToAlbums), DumpOmitsEmpty = true,
        },
        NB("favorite", "Mark as favourite (true) or not (false); needs workflows.allow_favorite.") with { Field = F<WorkflowActionsConfig>(a => a.Favorite) },
        NB("archive", "Archive (true) or bring back to the timeline (false); needs workflows.allow_archive. Hidden and locked assets are never moved, so a rule with archive does not hold for them (none of its actions apply).") with
        {
            Field = F<WorkflowActionsConfig>(a => a.Archive),
        },
        Desc(null),
    ]);

    public static readonly BlockSpec WorkflowRule = new("workflow_rule", true, "One named when/then rule.",
    [
        S("name", "Unique name; the plan, reports and changes.jsonl show it as the reason of each change.") with
        {
            Required = true, Field = F<WorkflowRuleConfig>(r => r.Name),
        },
        I("priority", "When two rules disagree about one tag, favourite flag or archive state of an asset, the higher priority wins (then the rule listed first).", 0) with
        {
            Minimum = -1000, Maximum = 1000, Field = F<WorkflowRuleConfig>(r => r.Priority),
        },
        M("when", WorkflowCondition, "The condition.") with { Required = true, Field = F<WorkflowRuleConfig>(r => r.When) },
        M("then", WorkflowActions, WorkflowActions.Help) with { Required = true, Field = F<WorkflowRuleConfig>(r => r.Then) },
        Desc(F<WorkflowRuleConfig>(r => r.Description)),
    ]);

    public static readonly BlockSpec Workflows = new("workflows", true,
        "User-defined when/then rules, compiled into an NRules rule set each run and tested on every asset the run may change, after classification. Their changes go through the same plan, dry run and reports as the rest (the reason names the rule).",
    [
        B("enabled", "Run the rules.", true) with
        {
            Example = "false  # the example rules below are off; true runs them (their clip_label and booru conditions need clip and booru on)", Field = F<WorkflowsConfig>(w => w.Enabled),
        },
        B("allow_favorite", "Let then.favorite change favourite flags (PUT /assets, needs asset.update).", false) with
        {
            Example = "true  # the example rule 'favourite artists' sets favourites", Field = F<WorkflowsConfig>(w => w.AllowFavorite),
        },
        B("allow_archive", "Let then.archive move assets between the timeline and the archive (PUT /assets, needs asset.update).", false) with
        {
            Example = "true  # the example rule 'memes out of the timeline' archives", Field = F<WorkflowsConfig>(w => w.AllowArchive),
        },
        B("create_missing_albums", "then.add_to_albums creates an album when none has that name.", true) with
        {
            Field = F<WorkflowsConfig>(w => w.CreateMissingAlbums),
        },
        I("match_timeout_ms", "How long one condition pattern may run on one asset (milliseconds). Only patterns with look-arounds, backreferences or atomic groups can run long; one that runs out of time leaves that asset unchanged by the workflows this run and is reported (exit code 8).", WorkflowsConfig.DefaultMatchTimeoutMs) with
        {
            Minimum = 1, Maximum = 60000, Field = F<WorkflowsConfig>(w => w.MatchTimeoutMs),
        },
        ML("rules", WorkflowRule, "The rules, in order (the order breaks priority ties).") with
        {
            Field = F<WorkflowsConfig>(w => w.Rules),
            Example = """
                # Memes leave the timeline: tagged meme, or in a meme album, and not a favourite
                # (archive needs allow_archive: true).
                - name: memes out of the timeline
                  when:
                    any:
                      - tags: [meme]
                      - album_name_patterns: ['^Memes']
                    favorite: false
                  then:
                    add_tags: [autotag_workflow/archived_meme]
                    archive: true
                # Phone screenshots from 2020 on, still in the timeline, go into one album.
                - name: screenshots album
                  when:
                    media_types: [image]
                    archived: false
                    file_name_patterns: ['^screenshot', '^scr_']
                    folder_patterns: ['/screenshots']
                    taken_from: '2020-01-01'
                    taken_to: '2030-12-31'
                    description: Screenshot file names
                  then:
                    add_to_albums: [Screenshots]
                    description: Created when missing
                # iPhone pictures get a tag of their own (the camera as Immich read it from EXIF).
                - name: iphone pictures
                  when:
                    camera_make_patterns: ['^apple$']
                    camera_model_patterns: ['^iphone']
                  then:
                    add_tags: [autotag_workflow/camera/iphone]
                # Anime pictures by series, from the booru match (needs the booru step).
                - name: anime by series
                  priority: 10
                  when:
                    all:
                      - clip_label: {label: anime, min_percent: 60, max_percent: 100, description: CLIP is sure enough}
                      - booru:
                          ratings: [general, sensitive]
                          copyrights: [genshin_impact]
                          characters: [hu_tao_(genshin_impact)]
                          min_similarity: 90
                          description: A close match
                    classification: [unclassified]
                  then:
                    add_tags: [autotag_workflow/anime/genshin_impact]
                    remove_tags: [autotag_workflow/review]
                # Pictures by artists you follow become favourites (needs allow_favorite: true).
                - name: favourite artists
                  when:
                    booru: {artists: [example_artist]}
                  then:
                    favorite: true
                # Weak booru matches (candidates below the accept bar) and duplicates wait for a look.
                - name: review queue
                  when:
                    any:
                      - booru: {verdicts: [review], max_similarity: 80}
                      - in_duplicate_group: true
                        min_duplicates: 3
                    not: {tags: [reviewed]}
                  then:
                    add_tags: [autotag_workflow/review]
                  description: Look at these by hand
                """,
        },
        Desc(null, "My own rules"),
    ]);

    public static readonly BlockSpec PathMapping = new("path_mapping", true, "One library folder: Immich's path prefix and where the tool sees the same folder.",
    [
        S("immich_path", "The prefix of the assets' originalPath in Immich (a library import path or a folder below it).") with
        {
            Required = true, Field = F<PathMappingConfig>(m => m.ImmichPath),
        },
        S("local_path", "The same folder on the tool's machine or container, mounted writable for the sidecars.") with
        {
            Required = true, Field = F<PathMappingConfig>(m => m.LocalPath),
        },
        Desc(null),
    ]);

    public static readonly BlockSpec BooruAssets = new("booru_assets", true,
        "Which assets are looked up: those a rule matches, and (when clip: is on) those CLIP labels as an illustration; photos are left out.",
    [
        ML("rules", Rule, "Assets some rule matches (by tag, album or link) are looked up.") with
        {
            Field = F<BooruConfig>(c => c.Rules),
            Example = """
                # Saved pictures; with clip: on, illustration-like assets are added by the labels below.
                - album_name_patterns: ['^Downloads', '^Fan ?art']
                  tag_names: [fanart]
                  asset_links: ['3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c']
                  description: Saved illustrations
                """,
        },
        L("media_types", "Immich asset types looked up: image, video.") with
        {
            HasDefault = true, Default = new[] { "image" }, Example = "[image]", Field = F<BooruConfig>(c => c.MediaTypes),
        },
        L("clip_labels", "With clip: on, an asset whose CLIP probability for one of these labels reaches clip_min_percent is looked up too.") with
        {
            HasDefault = true, Default = new[] { "anime", "cartoon", "painting", "3d_render" }, Example = "[anime, cartoon, painting, 3d_render]",
            Field = F<BooruConfig>(c => c.ClipLabels),
        },
        I("clip_min_percent", "Smallest CLIP probability (percent) of one of clip_labels that selects an asset; the higher it is, the earlier the asset is looked up.", 50) with
        {
            Minimum = 0, Maximum = 100, Field = F<BooruConfig>(c => c.ClipMinPercent),
        },
        L("clip_exclude_labels", "With clip: on, assets CLIP labels as one of these are never looked up, even when a rule matches them.") with
        {
            HasDefault = true, Default = new[] { "photo" }, Example = "[photo]", Field = F<BooruConfig>(c => c.ClipExcludeLabels),
        },
        Desc(null, "Illustrations"),
    ]);

    public static readonly BlockSpec BooruSourceEntry = new("booru_source", true,
        "One look-up. danbooru_md5: Danbooru's exact match by the MD5 of the original file (needs asset.download; no similarity). saucenao, iqdb: reverse image search over the asset's small thumbnail. ascii2d: no score, candidates are only offered for review.",
    [
        S("source", "danbooru_md5, saucenao, iqdb or ascii2d.") with
        {
            Required = true, Choices = ["danbooru_md5", "saucenao", "iqdb", "ascii2d"], ChoicesIgnoreCase = true,
            Field = F<BooruSourceConfig>(s => s.Name),
        },
        I("accept_percent", "A candidate at least this similar (percent) is taken: its Danbooru post becomes tags.", 90) with
        {
            Minimum = 0, Maximum = 100, Field = F<BooruSourceConfig>(s => s.AcceptPercent),
        },
        I("review_percent", "A candidate at least this similar but below accept_percent gets the review tag and a line in the links report.", 70) with
        {
            Minimum = 0, Maximum = 100, Field = F<BooruSourceConfig>(s => s.ReviewPercent),
        },
        S("base_url", "The service's base URL (a mirror or a local test server); left out: its public site.", null) with
        {
            Nullable = true, Field = F<BooruSourceConfig>(s => s.BaseUrl), DumpOmitsEmpty = true,
        },
        Desc(null),
    ]);

    public static readonly BlockSpec Sidecars = new("sidecars", true,
        "XMP sidecars for external libraries Immich cannot write (mounted read-only there): a tag change recorded as 'does not stick' is written by the tool into the asset's sidecar (<file>.xmp, or an existing <name>.xmp) as digiKam:TagsList, lr:HierarchicalSubject and dc:subject, and Immich re-reads just those assets (refresh-metadata; a library scan would not: it re-reads only originals that changed). Originals are never touched; only the tool's own tags are added or removed.",
    [
        B("enabled", "Route changes that do not stick to the sidecars of mapped libraries. Off: they are only reported, and the next run takes the tool's own entries out of the sidecars again (through the path_mappings still configured; keep them until a run has done so), so Immich's re-reads stop bringing those tags back. A dry run lists those sidecars and writes nothing.", false) with { Field = F<SidecarConfig>(c => c.Enabled) },
        ML("path_mappings", PathMapping, "Immich path prefix -> the tool's mount of the same folder; the longest matching prefix wins. Assets outside every mapping stay reported as before.") with
        {
            Field = F<SidecarConfig>(c => c.PathMappings),
            Example = """
                - immich_path: /mnt/nas/photos
                  local_path: /nas/photos
                  description: The NAS share, mounted writable here
                """,
        },
        B("discover", "Immich re-reads the written assets with its refresh-metadata job, which reads only the sidecar Immich has on record for an asset. When a sidecar the tool created is not read (Immich had none on record), start Immich's sidecar discovery (admin key) and check again; the discovery re-reads every asset of the server that has no sidecar on record, which takes Immich hours on a large library. Off: such assets are reported, with the discovery to run by hand.", true) with { Field = F<SidecarConfig>(c => c.Discover) },
        B("suggestions", "Also write suggestions (CLIP labels, booru tags, workflow, conversion and sync outputs) into sidecars, not only the status tags (autotag_output_*). Off by default: Immich brings a sidecar's tags back at the re-read that follows a user's removal on a library it cannot write, so such a suggestion could no longer be removed in Immich (only by undo or by editing the .xmp). Switched off, the next run takes the suggestions the tool wrote into sidecars out again; the tool's entries are taken out of sidecars either way once it no longer wants them (also a suggestion you removed).", false) with { Field = F<SidecarConfig>(c => c.Suggestions) },
        Desc(null, "Tags for the read-only NAS library"),
    ]);

    public static readonly BlockSpec Corrections = new("corrections", true,
        "Learning from your corrections: a suggestion the tool added (a CLIP label, a booru tag, a workflow or conversion output, an album membership) that you removed later is remembered (state folder) and never added to that asset again. The autotag_output_* status tags are not suggestions: every run keeps them true unless include_status_tags says otherwise. Acceptance figures (kept vs removed, per feature and per label) go into run_statistics.yaml and the links report.",
    [
        B("enabled", "Remember removals of what the tool added and respect them.", true) with { Field = F<CorrectionsConfig>(c => c.Enabled) },
        B("include_status_tags", "Also respect removals of the tool's status tags (autotag_output_* and the other output tags this config names). Off: they are status markers every run keeps true, as upstream does; only suggestions (CLIP labels, booru tags, workflow and conversion outputs, album memberships) are remembered.", false) with
        {
            Field = F<CorrectionsConfig>(c => c.IncludeStatusTags),
        },
        B("raise_clip_thresholds", "Opt-in: a CLIP label whose acceptance falls under min_acceptance_percent needs raise_by_percent points more probability.", false) with
        {
            Field = F<CorrectionsConfig>(c => c.RaiseClipThresholds),
        },
        I("min_acceptance_percent", "Acceptance (kept / (kept + removed), percent) under which a CLIP label's threshold is raised.", 50) with
        {
            Minimum = 0, Maximum = 100, Field = F<CorrectionsConfig>(c => c.MinAcceptancePercent),
        },
        I("min_samples", "A label is judged only once this many of its additions were kept or removed.", 10) with
        {
            Minimum = 0, Field = F<CorrectionsConfig>(c => c.MinSamples),
        },
        I("raise_by_percent", "Percentage points added to the probability a poorly accepted label needs.", 15) with
        {
            Minimum = 0, Maximum = 100, Field = F<CorrectionsConfig>(c => c.RaiseByPercent),
        },
        Desc(null, "Respect my removals"),
    ]);

    public static readonly BlockSpec BooruTags = new("booru_tags", true,
        "Which parts of a Danbooru post become tags: <tag_root>/character/<tag>, series/, artist/, general/ and rating/<general|sensitive|questionable|explicit>. Underscores become spaces; a '/' inside a booru tag is written as '\u2215' (division slash), so it creates no tag level.",
    [
        B("characters", "Set character tags.", true) with { Field = F<BooruConfig>(c => c.Characters) },
        B("series", "Set series (Danbooru copyright) tags.", true) with { Field = F<BooruConfig>(c => c.Series) },
        B("artists", "Set artist tags.", true) with { Field = F<BooruConfig>(c => c.Artists) },
        B("rating", "Set the rating tag.", true) with { Field = F<BooruConfig>(c => c.Rating) },
        L("general_allow", "General tags taken only when listed here (Danbooru form, e.g. long_hair); empty: any.") with
        {
            HasDefault = true, Default = Array.Empty<string>(), Example = "[]", Field = F<BooruConfig>(c => c.GeneralAllow),
        },
        L("general_deny", "General tags never taken.") with
        {
            HasDefault = true, Default = Array.Empty<string>(), Example = "[commentary_request, translated]", Field = F<BooruConfig>(c => c.GeneralDeny),
        },
        I("general_top_n", "At most this many general tags per asset (general_allow order first, then the post's order); 0: none.", 10) with
        {
            Minimum = 0, Maximum = 200, Field = F<BooruConfig>(c => c.GeneralTopN),
        },
        Desc(null, "What a post becomes"),
    ]);

    public static readonly BlockSpec Booru = new("booru", true,
        "Booru tags for illustrations: the Danbooru post found by the MD5 of the original or by reverse image search becomes tags below tag_root, owned by the tool. Keys come only from the environment (SAUCENAO_API_KEY, DANBOORU_LOGIN + DANBOORU_API_KEY), never from this file. Look-ups are cached in the state database and never repeated; SauceNAO's daily budget is spread over runs.",
    [
        B("enabled", "Look assets up (sends thumbnails of selected assets to the services listed in sources).", false) with { Field = F<BooruConfig>(c => c.Enabled) },
        S("tag_root", "Booru tags become <tag_root>/<category>/<tag>. Below the root the tool removes only the tags it added itself; tags of yours below it are left alone.", BooruConfig.DefaultTagRoot) with
        {
            Field = F<BooruConfig>(c => c.TagRoot),
        },
        Tag("review_tag", "Tag for assets whose best candidate lies between review_percent and accept_percent", BooruConfig.DefaultReviewTag, F<BooruConfig>(c => c.ReviewTag)),
        M("assets", BooruAssets, BooruAssets.Help) with { Inline = true },
        ML("sources", BooruSourceEntry, "The look-ups, in order; an asset's search ends at the first accepted match. Left out: danbooru_md5, saucenao (90/70), iqdb (90/75).") with
        {
            HasDefault = false, Field = F<BooruConfig>(c => c.Sources),
            Example = """
                - source: danbooru_md5
                - source: saucenao
                  accept_percent: 90
                  review_percent: 70
                - source: iqdb
                  accept_percent: 90
                  review_percent: 75
                  base_url: https://iqdb.org
                  description: Danbooru, Gelbooru and more by image
                """,
        },
        S("danbooru_url", "Danbooru's base URL (posts by MD5 and by id).", BooruConfig.DefaultDanbooruUrl) with
        {
            Field = F<BooruConfig>(c => c.DanbooruUrl),
        },
        M("tags", BooruTags, BooruTags.Help) with { Inline = true },
        I("daily_budget_margin", "A source stops for the day when the searches it reports left today fall to this many (kept for manual searches).", 3) with
        {
            Minimum = 0, Field = F<BooruConfig>(c => c.DailyBudgetMargin),
        },
        I("miss_retry_days", "A look-up that found nothing is tried again once it is this many days old (a hit is kept for good).", 30) with
        {
            Minimum = 1, Maximum = 3650, Field = F<BooruConfig>(c => c.MissRetryDays),
        },
        I("max_run_minutes", "A run looks up for at most this long, then plans what it found; the queue goes on at the next run.", 30) with
        {
            Minimum = 1, Maximum = 1440, Field = F<BooruConfig>(c => c.MaxRunMinutes),
        },
        B("dry_run_lookups", "Let a dry run send look-ups (it then uploads thumbnails and spends the daily budget like a real run; the answers are cached and reused by the real run). Off: a dry run uses only cached answers and reports how many assets a real run would look up.", false) with
        {
            Field = F<BooruConfig>(c => c.DryRunLookups),
        },
        Desc(null, "Booru tags"),
    ]);

    public static readonly BlockSpec Root = new("root", true,
        "config.yaml for immich-autotag (the C# port). Files written for the upstream Python tool load unchanged; server.url is an addition.",
    [
        Desc(F<AutoTagConfig>(c => c.Description), "Example setup for a family photo library"),
        M("server", Server, Server.Help) with { Nullable = false, Field = F<AutoTagConfig>(c => c.Server) },
        B("enable_album_name_strip", "Optional (upstream requires it but it has no effect there); accepted so upstream files validate.", true) with
        {
            Field = F<AutoTagConfig>(c => c.EnableAlbumNameStrip),
        },
        M("skip", Skip, Skip.Help) with { Field = F<AutoTagConfig>(c => c.Skip) },
        M("filters", Filters, Filters.Help) with { Field = F<AutoTagConfig>(c => c.Filters) },
        M("conversions", Conversions, Conversions.Help) with { Field = F<AutoTagConfig>(c => c.Conversions) },
        M("classification", Classification, Classification.Help) with { Field = F<AutoTagConfig>(c => c.Classification) },
        M("duplicate_processing", DuplicateProcessing, DuplicateProcessing.Help) with { Field = F<AutoTagConfig>(c => c.DuplicateProcessing) },
        M("album_date_consistency", AlbumDateConsistency, AlbumDateConsistency.Help) with { Field = F<AutoTagConfig>(c => c.AlbumDateConsistency) },
        M("album_detection_from_folders", AlbumDetectionFromFolders, AlbumDetectionFromFolders.Help) with { Field = F<AutoTagConfig>(c => c.AlbumDetectionFromFolders) },
        M("performance", Performance, Performance.Help) with { Field = F<AutoTagConfig>(c => c.Performance) },
        M("album_permissions", AlbumPermissions, AlbumPermissions.Help) with { Field = F<AutoTagConfig>(c => c.AlbumPermissions) },
        B("create_album_from_date_if_missing", "Put unclassified assets into per-day YYYY-MM-DD-autotag-temp-unclassified albums (the asset's local day). Classified assets are taken out of them and emptied ones are deleted; these are the only albums the tool ever takes assets out of or deletes. With it off nothing new is created, but temporary albums left from earlier runs are still cleaned up; a key without albumAsset.delete and album.delete skips that with a warning.", false) with
        {
            Field = F<AutoTagConfig>(c => c.CreateAlbumFromDateIfMissing),
        },
        M("tag_album_sync", TagAlbumSync, TagAlbumSync.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.TagAlbumSync) },
        M("clip", Clip, Clip.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.Clip) },
        M("workflows", Workflows, Workflows.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.Workflows) },
        M("sidecars", Sidecars, Sidecars.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.Sidecars) },
        M("corrections", Corrections, Corrections.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.Corrections) },
        M("booru", Booru, Booru.Help) with { Extension = true, Field = F<AutoTagConfig>(c => c.Booru) },
        I("full_pass_interval_hours", "A run skips the library walk when no asset, album, tag or config changed since the last successful run; at least this often it walks everything anyway. 0: every run is a full pass.", 24) with
        {
            Minimum = 0, RangeNote = " (0 makes every run a full pass)", Extension = true, Field = F<AutoTagConfig>(c => c.FullPassIntervalHours),
        },
        I("keep_runs", "How many run folders the output folder keeps (one per run, dry runs and undos included): each run deletes the oldest folders the tool created beyond this many, its own included; folders it did not create are never touched. An undo needs the run's folder. 0: keep every one.", AutoTagConfig.DefaultKeepRuns) with
        {
            Minimum = 0, RangeNote = " (0 keeps every run folder)", Extension = true, Field = F<AutoTagConfig>(c => c.KeepRuns),
        },
        S("schedule", "When `immich-autotag daemon` runs: standard 5-field cron (minute hour day month weekday) or Quartz cron with seconds (6-7 fields). --schedule and CRON_SCHEDULE override it; null means the daemon's default.", null) with
        {
            Nullable = true, Extension = true, Example = "\"0 2 * * *\"", Field = F<AutoTagConfig>(c => c.Schedule), DumpOmitsEmpty = true,
        },
    ]);

    /// <summary>The record the root block binds to.</summary>
    public static readonly Type RootRecord = typeof(AutoTagConfig);

    /// <summary>Record properties no key sets directly: the loader's hooks derive them.</summary>
    public static readonly IReadOnlyList<PropertyInfo> NotFromKeys =
    [
        F<AutoTagConfig>(c => c.SourcePath), // the file the config was read from
        F<RuleConfig>(r => r.AssetIds), // parsed from asset_links
    ];

    /// <summary>
    /// Where the descriptor and the records disagree: a key with neither a record property nor a reason, a key whose
    /// property belongs to another record than its block's, or a settable record property no key (and no entry of
    /// <paramref name="notFromKeys"/>) accounts for. Empty when they agree.
    /// </summary>
    public static IReadOnlyList<string> Agreement(BlockSpec root, Type rootRecord, IEnumerable<PropertyInfo> notFromKeys)
    {
        var problems = new List<string>();
        var claimed = notFromKeys.Select(p => (p.DeclaringType, p.Name)).ToHashSet();
        var records = new List<Type>();
        var visited = new HashSet<(BlockSpec, Type)>();
        Visit(root, rootRecord, "");
        foreach (var record in records.Distinct())
        {
            foreach (var property in record.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                if (!claimed.Contains((record, property.Name)))
                {
                    problems.Add($"{record.Name}.{property.Name} has no key in the config descriptor");
                }
            }
        }

        return problems;

        void Visit(BlockSpec block, Type record, string prefix)
        {
            // A block nested in itself binds to the same record again: checked once.
            if (!visited.Add((block, record)))
            {
                return;
            }

            records.Add(record);
            foreach (var key in block.Keys)
            {
                var path = prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}";
                if (key.Inline && key.Child is { } inline)
                {
                    Visit(inline, record, path);
                }
                else if (key.Field is { } field)
                {
                    if (field.DeclaringType != record)
                    {
                        problems.Add($"{path} names {field.DeclaringType?.Name}.{field.Name}, but its block binds to {record.Name}");
                        continue;
                    }

                    claimed.Add((record, field.Name));
                    if (key.Child is { } child)
                    {
                        Visit(child, key.Kind == KeyKind.MapList ? ItemType(field.PropertyType) : field.PropertyType, key.Kind == KeyKind.MapList ? path + "[]" : path);
                    }
                }
                else if (key.NotStored is null)
                {
                    problems.Add($"{path} has no record property (Field) and no reason (NotStored)");
                }
            }
        }
    }

    /// <summary>T of a list property typed <c>IReadOnlyList&lt;T&gt;</c>.</summary>
    public static Type ItemType(Type listType) =>
        listType.IsGenericType && listType.GetGenericArguments() is [var item] ? item : throw new InvalidOperationException($"{listType.Name} is not a list type");

    /// <summary>Every key path, list items written as <c>[]</c> (e.g. <c>classification.rules[].tag_names</c>).</summary>
    public static IReadOnlyList<string> AllPaths() => [.. Walk().Select(k => k.Path)];

    /// <summary>
    /// The descriptor path (as <see cref="AllPaths"/> lists it) of a key written at <paramref name="path"/> in a file:
    /// inside a block nested in itself the nesting folds away (<c>workflows.rules[].when.any[].tags</c> is
    /// <c>workflows.rules[].when.tags</c>). A path the descriptor does not know comes back unchanged.
    /// </summary>
    public static string DescriptorPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var seen = new List<(BlockSpec Block, string Prefix)> { (Root, "") };
        var block = Root;
        var prefix = "";
        var result = path;
        foreach (var segment in path.Split('.'))
        {
            var item = segment.EndsWith("[]", StringComparison.Ordinal);
            if (block.Find(item ? segment[..^2] : segment) is not { } key)
            {
                return path;
            }

            result = (prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}") + (item ? "[]" : "");
            prefix = result;
            if (key.Child is { } child)
            {
                var index = seen.FindIndex(s => ReferenceEquals(s.Block, child));
                if (index >= 0)
                {
                    prefix = seen[index].Prefix;
                }
                else
                {
                    seen.Add((child, result));
                }

                block = child;
            }
        }

        return result;
    }

    /// <summary>Every key with its path and the block it belongs to, depth first in file order.</summary>
    /// <remarks>A block nested in itself (a condition's all/any/not) is listed once: the walk does not enter it again.</remarks>
    public static IEnumerable<(string Path, BlockSpec Block, KeySpec Key)> Walk() => Walk(Root, "", ImmutableStack<BlockSpec>.Empty);

    private static IEnumerable<(string Path, BlockSpec Block, KeySpec Key)> Walk(BlockSpec block, string prefix, ImmutableStack<BlockSpec> enclosing)
    {
        var path0 = enclosing.Push(block);
        foreach (var key in block.Keys)
        {
            var path = prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}";
            yield return (path, block, key);
            if (key.Child is { } child && !path0.Any(b => ReferenceEquals(b, child)))
            {
                foreach (var inner in Walk(child, key.Kind == KeyKind.MapList ? path + "[]" : path, path0))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The record property named by <paramref name="property"/> (<c>x =&gt; x.Name</c>).</summary>
    internal static PropertyInfo F<T>(Expression<Func<T, object?>> property)
    {
        var body = property.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : property.Body;
        return body is MemberExpression { Member: PropertyInfo info } && info.DeclaringType == typeof(T)
            ? info
            : throw new ArgumentException($"'{property}' must name a property of {typeof(T).Name}", nameof(property));
    }

    /// <summary>A record value as the YAML value it was read from (see <see cref="KeySpec.Get"/>).</summary>
    internal static object? AsYamlValue(object? value) => value switch
    {
        Enum e => SnakeCase(e.ToString()),
        // Only the dump reads values back: it never shows credentials a URL may carry (user-info).
        Uri uri => UrlRedaction.Redact(uri).AbsoluteUri,
        IEnumerable<CompiledPattern> patterns => patterns.Select(p => p.Written),
        _ => value,
    };

    /// <summary>TagToAlbum → tag_to_album: the YAML spelling of an enum member (the loader maps it back).</summary>
    internal static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    internal static KeySpec B(string name, string help, bool @default) =>
        new(name, KeyKind.Bool, help) { HasDefault = true, Default = @default };

    internal static KeySpec I(string name, string help) => new(name, KeyKind.Int, help);

    internal static KeySpec I(string name, string help, int? @default) =>
        new(name, KeyKind.Int, help) { HasDefault = true, Default = @default };

    internal static KeySpec S(string name, string help) => new(name, KeyKind.String, help);

    internal static KeySpec S(string name, string help, string? @default) =>
        new(name, KeyKind.String, help) { HasDefault = true, Default = @default };

    internal static KeySpec L(string name, string help) => new(name, KeyKind.StringList, help) { Nullable = true };

    internal static KeySpec M(string name, BlockSpec child, string help) => new(name, KeyKind.Map, help, child) { Nullable = true };

    /// <summary>A bool that is left unset (null) unless written: a condition or action that applies only when given.</summary>
    internal static KeySpec NB(string name, string help) => new(name, KeyKind.Bool, help) { DumpOmitsEmpty = true };

    /// <summary>
    /// A block whose keys may hold the block itself (nested conditions): <paramref name="keys"/> receives the block,
    /// so the shape is still described once. Walks stop where a block repeats on its own path.
    /// </summary>
    internal static BlockSpec Recursive(string name, bool strict, string help, Func<BlockSpec, IEnumerable<KeySpec>> keys)
    {
        var list = new List<KeySpec>();
        var block = new BlockSpec(name, strict, help, list);
        list.AddRange(keys(block));
        return block;
    }

    internal static KeySpec ML(string name, BlockSpec child, string help) =>
        new(name, KeyKind.MapList, help, child) { Nullable = true, HasDefault = true, Default = Array.Empty<string>() };

    /// <summary>The name of a tag the tool maintains.</summary>
    private static KeySpec Tag(string name, string help, string @default, PropertyInfo field) =>
        new(name, KeyKind.String, help + TagHelpSuffix) { HasDefault = true, Default = @default, Nullable = true, NonEmpty = true, Field = field, TagPath = TagPathUse.Written };

    /// <summary>Free text accepted on every block; stored only where the record has a place for it.</summary>
    private static KeySpec Desc(PropertyInfo? field, string? example = null) =>
        new("description", KeyKind.String, "Free text for humans; ignored by the tool.")
        {
            Nullable = true,
            Example = example,
            Field = field,
            NotStored = field is null ? "free text, ignored" : null,
            DumpOmitsEmpty = true,
        };
}
