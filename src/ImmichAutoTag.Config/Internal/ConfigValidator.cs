using System.Globalization;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Turns the raw blocks into the validated config: <see cref="ConfigBinder"/> binds every key by the descriptor
/// (<see cref="ConfigKeys"/>) and reports its type, range, choice and required-key problems; the checks here are what
/// a block needs beyond that (the server from url or host/port and the environment, a rule needs a non-empty list,
/// keys that only make sense together, names that must exist). Returns null when anything is wrong, so a half-valid
/// config can never be used.
/// </summary>
internal sealed partial class ConfigValidator(Diagnostics diag, Func<string, string?> env, Func<string, string?>? scheduleCheck = null, Func<ClipConfig, ClipModelProblem?>? clipModelCheck = null)
{
    public const string EnvUrl = "IMMICH_URL";
    public const string EnvApiKey = "IMMICH_API_KEY";

    public AutoTagConfig? Validate(RawBlock root, string? sourcePath)
    {
        var checks = new Dictionary<BlockSpec, BlockCheck>(ReferenceEqualityComparer.Instance)
        {
            [ConfigKeys.Skip] = (raw, r) => CheckSkip(raw, (SkipConfig)r),
            [ConfigKeys.Rule] = (raw, r) => CheckRule(raw, (RuleConfig)r),
            [ConfigKeys.Conversion] = (raw, r) => CheckConversion(raw, (ConversionConfig)r),
            [ConfigKeys.DateCorrection] = (raw, r) => CheckDateCorrection(raw, r),
            [ConfigKeys.AlbumPermissions] = (raw, r) => CheckPermissions(raw, (AlbumPermissionsConfig)r),
            [ConfigKeys.TagAlbumSync] = (raw, r) => CheckTagAlbumSync(raw, (TagAlbumSyncConfig)r),
            [ConfigKeys.Clip] = (raw, r) => CheckClip(raw, (ClipConfig)r),
            [ConfigKeys.WorkflowCondition] = (raw, r) => CheckCondition(raw, r),
            [ConfigKeys.WorkflowBooru] = (raw, r) => CheckWorkflowBooru(raw, r),
            [ConfigKeys.WorkflowRule] = (raw, r) => CheckWorkflowRule(raw, (WorkflowRuleConfig)r),
            [ConfigKeys.Workflows] = (raw, r) => CheckWorkflows(raw, (WorkflowsConfig)r),
            [ConfigKeys.Sidecars] = (raw, r) => CheckSidecars(raw, (SidecarConfig)r),
            [ConfigKeys.Booru] = (raw, r) => CheckBooru(raw, (BooruConfig)r),
        };
        var boundHere = new HashSet<BlockSpec>(ReferenceEqualityComparer.Instance) { ConfigKeys.Server };
        var server = ValidateServer(root);
        var bound = (AutoTagConfig)new ConfigBinder(diag, checks, boundHere).Bind(root, ConfigKeys.RootRecord);
        var config = bound with
        {
            Server = server ?? new ServerConfig(new Uri("http://invalid/"), ""),
            Schedule = ValidateSchedule(root.String("schedule")),
            SourcePath = sourcePath,
        };
        WarnWithoutRules(root, config.Classification);
        CheckWorkflowsAgainstOtherSections(root, config);
        CheckOutputTags(root, config);
        CheckWritesBelowEnrichmentRoots(root, config);
        CheckBooruAgainstClip(root, config);
        CheckClipModel(root, config.Clip);
        WarnAboutOwnTagRoot(root, "clip", config.Clip.Enabled, config.Clip.TagRoot, ClipConfig.DefaultTagRoot);
        WarnAboutOwnTagRoot(root, "booru", config.Booru.Enabled, config.Booru.TagRoot, BooruConfig.DefaultTagRoot);
        return diag.Errors.Count == 0 && server is not null ? config : null;
    }

    /// <summary>Accepts http(s) URLs with an optional path prefix; a trailing /api is dropped.</summary>
    public static Uri? ParseBaseUrl(string text, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            error = $"invalid server URL '{UrlRedaction.RedactText(text)}': expected http://host[:port][/prefix] or https://...";
            return null;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = $"invalid server URL '{UrlRedaction.RedactText(text)}': a query string or fragment is not allowed";
            return null;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + path + "/");
    }

    private ServerConfig? ValidateServer(RawBlock root)
    {
        var s = root.Map("server");
        var envUrl = NonEmpty(env(EnvUrl));
        var envKey = NonEmpty(env(EnvApiKey));
        Uri? url = null;
        var ok = true;

        if (s is null && root.IsInvalid("server"))
        {
            // The wrong type was reported where it is written; "missing" would say it twice.
            ok = false;
        }
        else if (s is null && (envUrl is null || envKey is null))
        {
            Missing(root, "server", envUrl is null
                ? "missing required key 'server' (needs url, or host and port, plus api_key; or set IMMICH_URL and IMMICH_API_KEY)"
                : "missing required key 'server' (needs api_key, or set IMMICH_API_KEY)");
            ok = false;
        }

        if (envUrl is not null)
        {
            url = ParseBaseUrl(envUrl, out var error);
            if (error is not null)
            {
                diag.EnvError(EnvUrl, error);
            }
        }
        else if (s?.String("url") is { Value: { } text } urlVal)
        {
            url = ParseBaseUrl(text, out var error);
            if (error is not null)
            {
                diag.Error(urlVal.Loc, error);
            }

            if (s.String("host") is { } hostVal)
            {
                diag.Warning(hostVal.Loc, "server.host/port are ignored because server.url is set");
            }
        }
        else if (s is not null && !s.Has("url") && s.Has("host"))
        {
            url = FromHostPort(s);
        }
        else if (s is not null && s.Has("url"))
        {
            // A wrong-typed url was already reported by the reader; only an explicit null is left.
            if (s.String("url") is { } nullUrl)
            {
                diag.Error(nullUrl.Loc, "server.url must not be null");
            }
        }
        else if (s is not null)
        {
            Missing(s, "host", "missing required key 'host' (or give 'url' instead of host and port)");
        }

        string? apiKey = envKey;
        if (apiKey is null && s is not null)
        {
            var apiKeyVal = s.String("api_key");
            apiKey = NonEmpty(apiKeyVal?.Value);
            if (apiKey is null && (!s.Has("api_key") || apiKeyVal is not null))
            {
                Missing(s, "api_key", "missing required key 'api_key' (or set IMMICH_API_KEY)");
            }
            else if (apiKeyVal is not null && string.Equals(apiKey, PlaceholderApiKey, StringComparison.OrdinalIgnoreCase))
            {
                // The example config's placeholder: every run would fail with 401 at the server.
                diag.Warning(apiKeyVal.Loc, $"server.api_key is the example's placeholder '{apiKey}': Immich will refuse it; put your API key there (Account Settings → API Keys) or set IMMICH_API_KEY");
            }
        }

        return ok && url is not null && apiKey is not null ? new ServerConfig(url, apiKey) : null;
    }

    private Uri? FromHostPort(RawBlock s)
    {
        var port = s.Int("port");
        var hostVal = s.String("host");
        if (port is null)
        {
            if (!s.Has("port"))
            {
                Missing(s, "port", "missing required key 'port' (needed with 'host'; or use 'url')");
            }

            return null;
        }

        if (hostVal is not { Value: { Length: > 0 } host })
        {
            if (hostVal is not null)
            {
                diag.Error(hostVal.Loc, "host must not be empty");
            }

            return null;
        }

        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
        {
            diag.Error(hostVal.Loc, $"host '{host}' must be a bare host name or IP; put a full URL in server.url instead");
            return null;
        }

        var bracketed = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        var url = ParseBaseUrl(string.Create(CultureInfo.InvariantCulture, $"http://{bracketed}:{port.Value}/"), out var error);
        if (error is not null)
        {
            diag.Error(hostVal.Loc, $"host '{host}' is not a valid host name");
        }

        return url;
    }

    /// <summary>Upper bound below which a max_items is read as a real limit; upstream's template writes 1000000 for "no limit".</summary>
    private const int UpstreamTemplateMaxItems = 1_000_000;

    private SkipConfig CheckSkip(RawBlock raw, SkipConfig skip)
    {
        // Every run plans the whole library in one bulk pass, so upstream's positional window (kept for its slow
        // per-asset walk) has no meaning here; a user relying on it as a safety limit must hear that it does nothing.
        const string Instead = "every run here processes the whole library in one pass. To try the tool on a few assets use --dry-run, or filters.filter_in with asset_links";
        if (skip.SkipN > 0)
        {
            diag.Warning(raw.Int("skip_n")?.Loc ?? raw.Loc.Child("skip_n"), $"skip.skip_n has no effect: {Instead}");
        }

        if (skip.MaxItems is >= 0 and < UpstreamTemplateMaxItems)
        {
            diag.Warning(raw.Int("max_items")?.Loc ?? raw.Loc.Child("max_items"), $"skip.max_items has no effect: {Instead}");
        }

        // Upstream treats a negative limit as "unlimited", like null.
        return skip.MaxItems is < 0 ? skip with { MaxItems = null } : skip;
    }

    private RuleConfig CheckRule(RawBlock raw, RuleConfig rule)
    {
        var ids = new List<Guid>();
        foreach (var link in raw.Strings("asset_links") ?? [])
        {
            if (AssetLinkParser.TryParse(link.Value, out var id))
            {
                ids.Add(id);
            }
            else if (link.Loc.Path.StartsWith("filters.", StringComparison.Ordinal))
            {
                // A filter decides which assets a run touches at all: a typo there is refused, not guessed at.
                diag.Error(link.Loc, $"asset link '{link.Value}' is neither a UUID nor an Immich photo URL (…/photos/<uuid>)");
            }
            else
            {
                // Upstream ignores such an entry silently; its config must keep working here, so it is said, not refused.
                diag.Warning(link.Loc, $"asset link '{link.Value}' is neither a UUID nor an Immich photo URL (…/photos/<uuid>): ignored, as the upstream tool does (an album share link names no asset)");
            }
        }

        // Count what was written, not what survived validation: a bad pattern is its own error.
        string[] lists = ["tag_names", "album_name_patterns", "asset_links"];
        var written = lists.Sum(k => raw.Strings(k)?.Count ?? 0);
        if (written == 0 && !lists.Any(raw.IsInvalid))
        {
            diag.Error(raw.Loc, "a rule needs at least one non-empty list: tag_names, album_name_patterns or asset_links");
        }

        return rule with { AssetIds = ids };
    }

    private ConversionConfig CheckConversion(RawBlock raw, ConversionConfig conversion)
    {
        var destination = raw.Map("destination");
        var destinationInvalid = raw.IsInvalid("destination")
            || (destination is { } d && (d.IsInvalid("album_names") || d.IsInvalid("tag_names")));
        if (conversion.DestinationAlbumNames.Count == 0 && conversion.DestinationTagNames.Count == 0 && !destinationInvalid)
        {
            var loc = destination?.Loc ?? raw.Loc.Child("destination");
            diag.Error(loc, "a conversion destination needs album_names or tag_names (at least one non-empty)");
        }

        // A missing source is reported as a missing required key; the record still needs one.
        return raw.Map("source") is null ? conversion with { Source = new RuleConfig() } : conversion;
    }

    private object CheckDateCorrection(RawBlock raw, object record)
    {
        // Upstream requires both keys; a left-out one keeps the record's default, the least surprising value an
        // upstream template would give it: repair off (it writes dates), zone UTC.
        if (raw.String("extraction_timezone") is { } tz && (tz.Value is null ? "unknown time zone '': expected an IANA id such as UTC or Europe/Madrid" : TimeZones.Problem(tz.Value)) is { } problem)
        {
            diag.Error(tz.Loc, problem);
        }

        return record;
    }

    private AlbumPermissionsConfig CheckPermissions(RawBlock raw, AlbumPermissionsConfig permissions)
    {
        var known = permissions.UserGroups.Select(g => g.Name).ToList();
        foreach (var rule in raw.Maps("selection_rules") ?? [])
        {
            foreach (var group in rule.Strings("groups") ?? [])
            {
                if (!known.Contains(group.Value, StringComparer.Ordinal))
                {
                    diag.Warning(group.Loc, $"group '{group.Value}' is not defined in album_permissions.user_groups{Suggest.Hint(group.Value, known)}");
                }
            }
        }

        return permissions;
    }

    /// <summary>The <c>server.api_key</c> value of the example config (rules/config.example.yaml).</summary>
    public const string PlaceholderApiKey = "CHANGE_ME";

    /// <summary>
    /// sidecars: each mapping has an absolute Immich path and a non-empty local path (a relative one warns: it depends
    /// on the working directory); no Immich path twice; on without any mapping warns (nothing would be routed).
    /// </summary>
    private SidecarConfig CheckSidecars(RawBlock raw, SidecarConfig sidecars)
    {
        if (sidecars.Enabled && (raw.Maps("path_mappings") ?? []).Count == 0)
        {
            diag.Warning(raw.Loc, "sidecars is on, but without path_mappings no change goes through a sidecar: map each read-only library's Immich path to where the tool sees the same folder");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in raw.Maps("path_mappings") ?? [])
        {
            var immich = item.String("immich_path");
            var local = item.String("local_path");
            if (immich is not null && (immich.Value is not { } prefix || !prefix.StartsWith('/')))
            {
                diag.Error(immich.Loc, $"sidecars.path_mappings: immich_path '{immich.Value}' must be an absolute path as Immich shows it (the start of the assets' originalPath, e.g. /mnt/nas/photos)");
            }
            else if (immich?.Value is { } p && !seen.Add(p.TrimEnd('/')))
            {
                diag.Error(immich.Loc, $"sidecars.path_mappings: immich_path '{p}' is mapped twice");
            }

            if (local is not null && string.IsNullOrWhiteSpace(local.Value))
            {
                diag.Error(local.Loc, "sidecars.path_mappings: local_path must not be empty (where the tool sees the library's folder)");
            }
            else if (local?.Value is { } localPath && !Path.IsPathRooted(localPath))
            {
                diag.Warning(local.Loc, $"sidecars.path_mappings: local_path '{localPath}' is relative: it is read from the working directory of each run (a daemon's may differ); write an absolute path");
            }
        }

        return sidecars;
    }

    /// <summary>
    /// A tag root is an Immich tag path (<c>a/b</c>): an empty level (<c>a//b</c>) would name a tag with an empty name,
    /// so it is an error, and so is a level with spaces around it (a tag named " a " next to "a"); a leading or trailing
    /// <c>/</c> is dropped (Immich's tag paths have none), with a warning saying so.
    /// </summary>
    private void CheckTagRootSlashes(RawBlock raw, string section)
    {
        if (raw.String("tag_root") is not { Value: { } value } root || value.Trim().Trim('/').Length == 0)
        {
            return;
        }

        var trimmed = value.Trim();
        if (trimmed.Trim('/').Contains("//", StringComparison.Ordinal))
        {
            diag.Error(root.Loc, $"{section}.tag_root '{value}' has an empty level ('//'): write the tag path with single slashes, e.g. '{string.Join('/', trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries))}'");
        }
        else if (TagPaths.Problem(trimmed.Trim('/'), TagPathUse.Written) is { } padded)
        {
            diag.Error(root.Loc, $"{section}.tag_root: {padded}");
        }
        else if (trimmed.StartsWith('/') || trimmed.EndsWith('/'))
        {
            diag.Warning(root.Loc, $"{section}.tag_root '{value}' is read as '{trimmed.Trim('/')}': Immich tag paths have no leading or trailing '/'");
        }
    }

    /// <summary>
    /// Prompts the model cannot tell apart (CLIP's tokenizer reads text in lower case with runs of whitespace as one
    /// space): two labels with the same prompts always score alike, so neither can ever lead by the margin; a prompt
    /// shared by two labels pulls both alike; a prompt repeated in one label counts once.
    /// </summary>
    private void WarnAboutSharedPrompts(RawBlock item, string label, IReadOnlyList<Val<string>> prompts, Dictionary<string, string> promptOwners, Dictionary<string, string> promptSets)
    {
        static string Normalised(string prompt) => string.Join(' ', prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        var normalised = prompts.Select(p => (Text: Normalised(p.Value), p.Value, p.Loc)).ToList();
        var set = string.Join("\n", normalised.Select(n => n.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        if (promptSets.TryGetValue(set, out var twin))
        {
            diag.Warning(item.Loc.Child("prompts"), $"label '{label}' has the same prompts as label '{twin}' (the model reads them in lower case): the two always score alike, so neither can lead the other by clip.min_margin_percent and neither is ever given; reword one or merge them");
            return;
        }

        promptSets[set] = label;
        var own = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (normal, original, loc) in normalised)
        {
            if (!own.Add(normal))
            {
                diag.Warning(loc, $"prompt '{original.Trim()}' is listed twice in label '{label}' (the model reads prompts in lower case): it counts once");
            }
            else if (promptOwners.TryGetValue(normal, out var other))
            {
                diag.Warning(loc, $"prompt '{original.Trim()}' of label '{label}' is also a prompt of label '{other}' (the model reads prompts in lower case): it pulls both labels alike; give each label prompts of its own");
            }
            else
            {
                promptOwners[normal] = label;
            }
        }
    }

    /// <summary>clip: non-empty folder, name and tag root; label names tag-safe and unique with prompts; known media types.</summary>
    private ClipConfig CheckClip(RawBlock raw, ClipConfig clip)
    {
        var d = new ClipConfig();
        foreach (var (key, message) in new[]
        {
            ("model_folder", $"clip.model_folder must not be empty (left out, it is {d.ModelFolder}, where Immich's machine-learning container mounts its model cache)"),
            ("model_name", $"clip.model_name must not be empty (Immich's default model is {ClipConfig.DefaultModelName})"),
            ("tag_root", "clip.tag_root must not be empty: every tag below it belongs to the tool"),
        })
        {
            if (raw.String(key) is { } v && (v.Value is null || NonEmpty(v.Value.Trim('/')) is null))
            {
                diag.Error(v.Loc, message);
            }
        }

        CheckTagRootSlashes(raw, "clip");
        var labels = new List<ClipLabelConfig>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var promptOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var promptSets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in raw.Maps("labels") ?? [])
        {
            var name = item.String("name");
            var prompts = item.Strings("prompts");
            var text = name?.Value?.Trim();
            if (name is not null && (string.IsNullOrEmpty(text) || text.Contains('/', StringComparison.Ordinal)))
            {
                diag.Error(name.Loc, $"label name '{name.Value}' must be non-empty and contain no '/' (it is the last part of the tag)");
                continue;
            }

            if (name is not null && text is not null && !seen.Add(text))
            {
                diag.Error(name.Loc, $"label '{text}' is listed twice");
                continue;
            }

            var cleaned = prompts?.Select(p => p.Value.Trim()).ToList() ?? [];
            if (prompts is not null && (cleaned.Count == 0 || cleaned.Exists(p => p.Length == 0)))
            {
                diag.Error(item.Loc.Child("prompts"), $"label '{text}' needs at least one prompt and no empty prompt");
                continue;
            }

            if (text is not null && cleaned.Count > 0)
            {
                labels.Add(new ClipLabelConfig(text, cleaned));
                WarnAboutSharedPrompts(item, text, prompts!, promptOwners, promptSets);
            }
        }

        if (raw.Maps("labels") is { Count: 0 })
        {
            diag.Error(raw.Loc.Child("labels"), "clip.labels is empty: give at least two labels, or leave the key out for the default set");
        }
        else if (raw.Maps("labels") is { Count: 1 })
        {
            // A softmax over one label is always 100 % and has no runner-up for the margin: every asset would get it.
            diag.Error(raw.Loc.Child("labels"), "clip.labels has one label: give at least two, so the model chooses between them");
        }

        var types = new List<string>();
        foreach (var type in raw.Map("assets")?.Strings("media_types") ?? [])
        {
            var t = type.Value.Trim().ToLowerInvariant();
            if (t is "image" or "video")
            {
                types.Add(t);
            }
            else
            {
                diag.Error(type.Loc, $"unknown media type '{type.Value}': use image or video");
            }
        }

        return clip with
        {
            ModelFolder = NonEmpty(clip.ModelFolder) ?? d.ModelFolder,
            ModelName = NonEmpty(clip.ModelName) ?? d.ModelName,
            TagRoot = NonEmpty(clip.TagRoot?.Trim().Trim('/')) ?? d.TagRoot,
            Labels = raw.Maps("labels") is null ? d.Labels : labels,
            MediaTypes = raw.Map("assets")?.Strings("media_types") is null ? d.MediaTypes : types.Distinct(StringComparer.Ordinal).ToList(),
        };
    }

    // ---- workflows ----
    private static readonly string[] MediaTypes = ["image", "video", "audio", "other"];
    private static readonly string[] Statuses = ["classified", "unclassified", "conflict"];
    private static readonly string[] Verdicts = ["accepted", "review", "not_found"];
    private static readonly string[] Ratings = ["general", "sensitive", "questionable", "explicit", "g", "s", "q", "e"];

    /// <summary>A condition's choice lists and days; each bad value is an error at its position.</summary>
    private object CheckCondition(RawBlock raw, object record)
    {
        CheckChoices(raw.Strings("media_types"), MediaTypes, "media type");
        CheckChoices(raw.Strings("classification"), Statuses, "classification status");
        DateOnly? from = Day(raw.String("taken_from"));
        DateOnly? to = Day(raw.String("taken_to"));
        if (from is { } f && to is { } t && f > t && raw.String("taken_to") is { } toVal)
        {
            diag.Error(toVal.Loc, $"taken_to {t:yyyy-MM-dd} is before taken_from {f:yyyy-MM-dd}: no asset could match");
        }

        if (raw.Map("clip_label") is { } clip && clip.Int("min_percent") is { } min && clip.Int("max_percent") is { } max && min.Value > max.Value)
        {
            diag.Error(max.Loc, $"max_percent {max.Value} is below min_percent {min.Value}: no asset could match");
        }

        return record;
    }

    private object CheckWorkflowBooru(RawBlock raw, object record)
    {
        CheckChoices(raw.Strings("ratings"), Ratings, "booru rating");
        CheckChoices(raw.Strings("verdicts"), Verdicts, "booru verdict");
        if (raw.Int("min_similarity") is { } min && raw.Int("max_similarity") is { } max && min.Value > max.Value)
        {
            diag.Error(max.Loc, $"max_similarity {max.Value} is below min_similarity {min.Value}: no asset could match");
        }

        return record;
    }

    private WorkflowRuleConfig CheckWorkflowRule(RawBlock raw, WorkflowRuleConfig rule)
    {
        if (raw.String("name") is { } name && string.IsNullOrWhiteSpace(name.Value))
        {
            diag.Error(name.Loc, "a workflow rule's name must not be empty (reports show it as the reason of its changes)");
        }

        if (raw.Map("then") is { } then)
        {
            string[] actions = ["add_tags", "remove_tags", "add_to_albums", "favorite", "archive"];
            var written = actions.Count(a => then.Value(a) is not null && then.Strings(a) is not { Count: 0 });
            if (written == 0 && !actions.Any(then.IsInvalid))
            {
                diag.Error(then.Loc, "a workflow rule needs at least one action: add_tags, remove_tags, add_to_albums, favorite or archive");
            }

            foreach (var key in new[] { "add_tags", "remove_tags", "add_to_albums" })
            {
                foreach (var v in then.Strings(key) ?? [])
                {
                    if (string.IsNullOrWhiteSpace(v.Value.Trim('/')))
                    {
                        diag.Error(v.Loc, $"{key} entries must not be empty");
                    }
                }
            }

            // The first rule to name a tag decides it, so a rule naming one tag twice would silently add it.
            var adds = (then.Strings("add_tags") ?? []).Select(t => t.Value.Trim().Trim('/')).ToHashSet(StringComparer.Ordinal);
            foreach (var tag in then.Strings("remove_tags") ?? [])
            {
                if (adds.Contains(tag.Value.Trim().Trim('/')))
                {
                    diag.Error(tag.Loc, $"remove_tags: '{tag.Value.Trim()}' is also in this rule's add_tags; a rule cannot both add and remove one tag (to take it off some assets, give that case a rule of its own with a higher priority)");
                }
            }

            // An action that makes the rule's own condition false switches the rule off: the rules are tested again on
            // the state their actions leave, so its flag change happens but its tags are never kept.
            var when = raw.Map("when");
            var tagged = then.Strings("add_tags") is { Count: > 0 };
            if (tagged && then.Bool("archive") is { Value: var archive } archiveVal && when?.Bool("archived") is { Value: var archived } && archived != archive)
            {
                diag.Warning(archiveVal.Loc, $"then.archive: {(archive ? "true" : "false")} makes the rule's own `archived: {(archived ? "true" : "false")}` false, so the rule no longer holds once it acted and its add_tags are never kept (the archive move is); leave `archived` out of `when` (a favourite, or undo, keeps an asset out)");
            }

            if (tagged && then.Bool("favorite") is { Value: var favourite } favouriteVal && when?.Bool("favorite") is { Value: var isFavourite } && isFavourite != favourite)
            {
                diag.Warning(favouriteVal.Loc, $"then.favorite: {(favourite ? "true" : "false")} makes the rule's own `favorite: {(isFavourite ? "true" : "false")}` false, so the rule no longer holds once it acted and its add_tags are never kept (the favourite change is); leave `favorite` out of `when`");
            }
        }

        return rule with { Name = rule.Name.Trim() };
    }

    /// <summary>Unique rule names; favourite and archive actions only where allowed; removals only of the workflows' own tags.</summary>
    private WorkflowsConfig CheckWorkflows(RawBlock raw, WorkflowsConfig workflows)
    {
        var items = raw.Maps("rules") ?? [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var owned = items.SelectMany(r => r.Map("then")?.Strings("add_tags") ?? []).Select(t => t.Value.Trim().Trim('/')).ToHashSet(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.String("name") is { Value: { } n } name && n.Trim().Length > 0 && !names.Add(n.Trim()))
            {
                diag.Error(name.Loc, $"workflow rule '{n.Trim()}' is listed twice: names must be unique (reports tell rules apart by them)");
            }

            if (item.Map("then") is not { } then)
            {
                continue;
            }

            // Rules that never run change nothing: the permissions matter once they are on (the example shows them off).
            if (then.Bool("favorite") is { } fav && workflows.Enabled && !workflows.AllowFavorite)
            {
                diag.Error(fav.Loc, "then.favorite changes your favourites: set workflows.allow_favorite: true to allow it");
            }

            if (then.Bool("archive") is { } archive && workflows.Enabled && !workflows.AllowArchive)
            {
                diag.Error(archive.Loc, "then.archive moves assets out of (or into) the timeline: set workflows.allow_archive: true to allow it");
            }

            foreach (var tag in then.Strings("remove_tags") ?? [])
            {
                if (!owned.Contains(tag.Value.Trim().Trim('/')))
                {
                    diag.Error(tag.Loc, $"remove_tags: '{tag.Value}' is not a tag the workflows add; a workflow removes only tags the tool owns (its own add_tags)");
                }
            }
        }

        return workflows;
    }

    /// <summary>The tag names classification rules, filters and conversions read or write, as written in the config.</summary>
    private static IEnumerable<string> TagsOtherSectionsRead(AutoTagConfig config) =>
        config.Classification.Rules.Concat(config.Filters.FilterIn).Concat(config.Filters.FilterOut).Concat(config.Conversions.Conversions.Select(c => c.Source))
            .SelectMany(r => r.TagNames)
            .Concat(config.Conversions.Conversions.SelectMany(c => c.DestinationTagNames));

    /// <summary>
    /// The status tags (<c>autotag_unknown</c>, <c>autotag_conflict</c>, the duplicate and album-date tags) are kept true
    /// on every run: added where the status holds and taken off everywhere else. One that names a tag a rule, filter or
    /// conversion reads (or another status tag) would be taken off the user's assets and flip-flop the classification.
    /// </summary>
    private void CheckOutputTags(RawBlock root, AutoTagConfig config)
    {
        var inputs = TagsOtherSectionsRead(config).Select(t => t.Trim().Trim('/')).ToHashSet(StringComparer.Ordinal);
        var keys = new (string Block, string Key, string? Effective)[]
        {
            ("classification", "autotag_unknown", config.Classification.AutotagUnknown),
            ("classification", "autotag_conflict", config.Classification.AutotagConflict),
            ("duplicate_processing", "autotag_album_conflict", config.DuplicateProcessing.AutotagAlbumConflict),
            ("duplicate_processing", "autotag_classification_conflict", config.DuplicateProcessing.AutotagClassificationConflict),
            ("duplicate_processing", "autotag_album_detection_conflict", config.DuplicateProcessing.AutotagAlbumDetectionConflict),
            ("album_date_consistency", "autotag_album_date_mismatch", config.AlbumDateConsistency.AutotagAlbumDateMismatch),
        };
        foreach (var (block, key, _) in keys)
        {
            // Only a name the file writes is reported: the defaults never collide with each other.
            if (root.Map(block)?.String(key) is not { Value: { } written } value)
            {
                continue;
            }

            var path = written.Trim().Trim('/');
            var leaf = path.Split('/')[^1];
            var other = keys.FirstOrDefault(k => k.Key != key && k.Effective is { } e && e.Trim().Trim('/') == path);
            if (inputs.Contains(path) || inputs.Contains(leaf))
            {
                diag.Error(value.Loc, $"{key}: '{path}' is a tag classification rules, filters or conversions read or write; a status tag is taken off every asset the status does not hold for, so it must be a tag of its own (e.g. autotag_output_{leaf})");
            }
            else if (other.Key is not null)
            {
                diag.Error(value.Loc, $"{key}: '{path}' is also {other.Block}.{other.Key}; each status tag needs a name of its own, or the two statuses undo each other");
            }
        }
    }

    /// <summary>
    /// Tags other sections write must not lie below the CLIP or booru tag roots, nor be a status tag: the enrichment
    /// step takes off every tag below its root that is not its own verdict, and the classification keeps every status
    /// tag true, so the other section's tag would be added and taken off again on every run.
    /// </summary>
    private void CheckWritesBelowEnrichmentRoots(RawBlock root, AutoTagConfig config)
    {
        var roots = new List<(string Prefix, string Section)> { (ClipConfig.DefaultTagRoot.Trim('/') + "/", "clip.tag_root") };
        if (config.Clip.Enabled && !string.IsNullOrWhiteSpace(config.Clip.TagRoot))
        {
            roots.Add((config.Clip.TagRoot.Trim().Trim('/') + "/", "clip.tag_root"));
        }

        if (config.Booru.Enabled && !string.IsNullOrWhiteSpace(config.Booru.TagRoot))
        {
            roots.Add((config.Booru.TagRoot.Trim().Trim('/') + "/", "booru.tag_root"));
        }

        string? Owner(string path) =>
            roots.FirstOrDefault(r => path.Length > r.Prefix.Length && path.StartsWith(r.Prefix, StringComparison.Ordinal)) is { Section: not null } hit
                ? $"lies below {hit.Section} '{hit.Prefix[..^1]}'; that step takes off every tag below its root that is not its own verdict"
                : null;

        var statusTags = new (string Key, string? Effective)[]
        {
            ("classification.autotag_unknown", config.Classification.AutotagUnknown),
            ("classification.autotag_conflict", config.Classification.AutotagConflict),
            ("duplicate_processing.autotag_album_conflict", config.DuplicateProcessing.AutotagAlbumConflict),
            ("duplicate_processing.autotag_classification_conflict", config.DuplicateProcessing.AutotagClassificationConflict),
            ("duplicate_processing.autotag_album_detection_conflict", config.DuplicateProcessing.AutotagAlbumDetectionConflict),
            ("album_date_consistency.autotag_album_date_mismatch", config.AlbumDateConsistency.AutotagAlbumDateMismatch),
        };
        foreach (var item in root.Map("conversions")?.Maps("conversions") ?? [])
        {
            foreach (var tag in item.Map("destination")?.Strings("tag_names") ?? [])
            {
                var path = tag.Value.Trim().Trim('/');
                if (Owner(path) is { } why)
                {
                    diag.Error(tag.Loc, $"conversions: destination tag '{path}' {why}, so the conversion and that step would undo each other on every run; give the conversion a tag of its own");
                }
                else if (statusTags.FirstOrDefault(k => k.Effective is { } e && e.Trim().Trim('/') == path) is { Key: { } key })
                {
                    diag.Error(tag.Loc, $"conversions: destination tag '{path}' is the status tag {key}, which the run keeps true (adds it where the status holds, takes it off everywhere else), so the conversion and the status would undo each other on every run; give the conversion a tag of its own");
                }
            }
        }

        if (root.Map("tag_album_sync")?.String("tag_prefix") is { Value: { } written } prefix && config.TagAlbumSync is { Enabled: true } && Owner(written.Trim().Trim('/') + "/x") is { } prefixWhy)
        {
            diag.Error(prefix.Loc, $"tag_album_sync.tag_prefix '{written}' {prefixWhy}, so the sync's tags would be taken off again on every run; choose a prefix of its own");
        }

        foreach (var (qualified, _) in statusTags)
        {
            var (block, key) = (qualified[..qualified.IndexOf('.', StringComparison.Ordinal)], qualified[(qualified.IndexOf('.', StringComparison.Ordinal) + 1)..]);
            if (root.Map(block)?.String(key) is { Value: { } status } value && Owner(status.Trim().Trim('/')) is { } why)
            {
                diag.Error(value.Loc, $"{key}: '{status}' {why}, so the status tag would be added and taken off again on every run; a status tag must be a tag of its own (e.g. autotag_output_...)");
            }
        }
    }

    /// <summary>Whether <paramref name="pattern"/> matches <paramref name="name"/>; a pattern that runs out of time counts as no match (validation must not fail on it).</summary>
    private static bool MatchesOrFalse(CompiledPattern pattern, string name)
    {
        try
        {
            return pattern.IsMatch(name);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The names of the tool's temporary albums (<c>YYYY-MM-DD-autotag-temp-unclassified</c>), which only the tool fills and empties.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}-autotag-temp-unclassified$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex TemporaryAlbumName();

    /// <summary>Workflow tags must not be another section's input or output: the run would never converge, or would take a user's tag away.</summary>
    private void CheckWorkflowsAgainstOtherSections(RawBlock root, AutoTagConfig config)
    {
        if (root.Map("workflows")?.Maps("rules") is not { } items)
        {
            return;
        }

        var inputs = TagsOtherSectionsRead(config).ToHashSet(StringComparer.Ordinal);
        var outputs = new[] { config.Classification.AutotagUnknown, config.Classification.AutotagConflict }.OfType<string>().ToHashSet(StringComparer.Ordinal);
        var clipRoot = config.Clip.TagRoot + "/";
        var written = config.Workflows.Rules.SelectMany(r => r.Then.AddTags).Select(t => t.Trim().Trim('/')).Distinct(StringComparer.Ordinal).ToList();
        var labels = config.Clip.Labels.Select(l => l.Name).ToList();
        foreach (var item in items)
        {
            foreach (var tag in item.Map("then")?.Strings("add_tags") ?? [])
            {
                var path = tag.Value.Trim().Trim('/');
                var leaf = path.Split('/')[^1];
                if (inputs.Contains(path) || inputs.Contains(leaf))
                {
                    diag.Error(tag.Loc, $"add_tags: '{path}' is a tag classification, filters or conversions read or write; workflows run after them, so a workflow tag must be a tag of its own (e.g. autotag_workflow/{leaf})");
                }
                else if (outputs.Contains(path) || path.StartsWith(clipRoot, StringComparison.Ordinal))
                {
                    diag.Error(tag.Loc, $"add_tags: '{path}' is an output tag of another feature (classification or clip); give the workflow a tag of its own");
                }
                else if (OtherFeatureOwns(path) is { } owner)
                {
                    diag.Error(tag.Loc, $"add_tags: '{path}' is {owner}: that feature adds and removes it on every run, so the two would fight over it (and its reports would name the wrong reason); give the workflow a tag of its own (e.g. autotag_workflow/{leaf})");
                }
            }

            CheckClipLabels(item.Map("when"));
            CheckConditionTags(item.Map("when"));
            CheckDisabledFeatures(item.Map("when"));
            CheckEmptyConditions(item.Map("when"));
            CheckAlbums(item.Map("then")?.Strings("add_to_albums") ?? []);
            CheckArchivedOutOfScope(item.Map("when"));
        }

        // With include_archived: false the run never tests an archived asset, so a rule that asks for one never holds.
        void CheckArchivedOutOfScope(RawBlock? condition)
        {
            if (condition is null || config.Classification.IncludeArchived || !config.Workflows.Enabled)
            {
                return;
            }

            if (condition.Bool("archived") is { Value: true } archived)
            {
                diag.Warning(archived.Loc, "archived: true never holds: classification.include_archived is false, so the run tests no archived asset (set include_archived: true for rules about archived assets)");
            }

            foreach (var inner in condition.Maps("all") ?? [])
            {
                CheckArchivedOutOfScope(inner);
            }
        }

        // CLIP and booru choose their assets before any step plans (they download and look up first), so a selection by
        // a tag the workflows add sees that tag one run late (V14).
        foreach (var (section, step, enabled) in new[] { ("clip", "CLIP", config.Clip.Enabled), ("booru", "booru", config.Booru.Enabled) })
        {
            if (!enabled || !config.Workflows.Enabled)
            {
                continue;
            }

            foreach (var selection in root.Map(section)?.Map("assets")?.Maps("rules") ?? [])
            {
                foreach (var entry in selection.Strings("tag_names") ?? [])
                {
                    var text = entry.Value.Trim();
                    if (WorkflowTagNamed(text) is { } hit)
                    {
                        diag.Warning(entry.Loc, $"tag_names: '{text}' names the workflow tag '{hit}': the {step} step chooses its assets before the workflows run, so an asset a workflow tags is {(section == "clip" ? "labelled" : "looked up")} on the next run (and a workflow condition on its result holds one run later still); select by a tag or album you set, or expect two runs to settle");
                    }
                }
            }
        }

        string? WorkflowTagNamed(string text) => written.FirstOrDefault(path => text.Contains('/', StringComparison.Ordinal)
            ? string.Equals(path, text.Trim('/'), StringComparison.Ordinal)
            : string.Equals(path.Split('/')[^1], text, StringComparison.Ordinal));

        // Status tags (duplicates, album dates, the booru review tag, upstream's autotag_output_ family) and the booru
        // tree are kept true by their own feature; the clip tree and classification's tags are checked above.
        string? OtherFeatureOwns(string path)
        {
            foreach (var (key, status) in Core.Engine.Corrections.StatusTags.Named(config))
            {
                if (string.Equals(status.Trim().Trim('/'), path, StringComparison.Ordinal))
                {
                    return $"the status tag {key}";
                }
            }

            if (config.Booru.ReviewTag is { } review && string.Equals(review.Trim().Trim('/'), path, StringComparison.Ordinal))
            {
                return "the status tag booru.review_tag";
            }

            var booruRoot = config.Booru.TagRoot.Trim().Trim('/');
            if (booruRoot.Length > 0 && (path == booruRoot || path.StartsWith(booruRoot + "/", StringComparison.Ordinal)))
            {
                return $"below booru.tag_root '{booruRoot}', which the booru step owns";
            }

            if (Core.Engine.Corrections.StatusTags.Of(config)(path) || path.StartsWith(Core.Engine.Corrections.StatusTags.Prefix, StringComparison.Ordinal))
            {
                return $"a status tag ('{Core.Engine.Corrections.StatusTags.Prefix}…' names are the tool's status tags, e.g. the duplicate conflict families)";
            }

            return null;
        }

        // A list written empty (or null: its entries commented out) would read as "no condition" and hold for every
        // asset: the docs' meme rule with its any: commented out would archive the whole library.
        void CheckEmptyConditions(RawBlock? condition)
        {
            if (condition is null)
            {
                return;
            }

            foreach (var key in condition.Spec.Keys.Where(k => k.Kind is KeyKind.StringList or KeyKind.MapList || k.Name == "not"))
            {
                if (condition.KeyLoc(key.Name) is not { } at || condition.IsInvalid(key.Name))
                {
                    continue;
                }

                var empty = condition.Value(key.Name) switch
                {
                    null => true,
                    System.Collections.ICollection list => list.Count == 0,
                    RawBlock map => !map.Spec.Keys.Any(k => map.Has(k.Name)),
                    _ => false,
                };
                if (empty)
                {
                    diag.Error(at, $"{key.Name} is empty (or all its entries are commented out): a condition with nothing in it cannot hold or fail as meant; fill it or remove the key");
                }
            }

            foreach (var inner in (condition.Maps("all") ?? []).Concat(condition.Maps("any") ?? []).Append(condition.Map("not")).Append(condition.Map("booru")).Append(condition.Map("clip_label")))
            {
                CheckEmptyConditions(inner);
            }
        }

        // A condition on a feature that is off never holds: the rule silently never fires.
        void CheckDisabledFeatures(RawBlock? condition)
        {
            if (condition is null || !config.Workflows.Enabled)
            {
                return;
            }

            if (condition.Map("clip_label") is { } clip && !config.Clip.Enabled)
            {
                diag.Warning(clip.Loc, "clip_label needs clip.enabled: true: with CLIP off no asset is scored, so this condition never holds");
            }

            if (condition.Map("booru") is { } booru && !config.Booru.Enabled)
            {
                diag.Warning(booru.Loc, "booru needs booru.enabled: true: with the booru step off no asset has a booru result, so this condition never holds");
            }

            foreach (var inner in (condition.Maps("all") ?? []).Concat(condition.Maps("any") ?? []).Append(condition.Map("not")))
            {
                CheckDisabledFeatures(inner);
            }
        }

        // Albums other steps own or read: a workflow album must not make the run undo itself.
        void CheckAlbums(IReadOnlyList<Val<string>> albums)
        {
            foreach (var album in albums)
            {
                var name = album.Value;
                if (TemporaryAlbumName().IsMatch(name))
                {
                    diag.Error(album.Loc, $"add_to_albums: '{name}' is named like the tool's temporary albums (YYYY-MM-DD-autotag-temp-unclassified): the tool takes classified assets out of those and deletes them when empty, so the workflow and the temporary albums would undo each other on every run");
                    continue;
                }

                if (!config.Workflows.Enabled)
                {
                    continue;
                }

                if (config.Filters.FilterOut.SelectMany(r => r.AlbumNamePatterns).FirstOrDefault(p => MatchesOrFalse(p, name)) is { } protectedBy)
                {
                    diag.Warning(album.Loc, $"add_to_albums: '{name}' matches the filters.filter_out album pattern '{protectedBy.Written}': albums filter_out matches never receive assets, so this rule adds nothing to it (each run notes the assets left out)");
                }
            }
        }

        // A condition that reads a tag the workflows write would see this run's result on the next run and change
        // its mind: the library would never settle.
        void CheckConditionTags(RawBlock? condition)
        {
            if (condition is null)
            {
                return;
            }

            foreach (var entry in condition.Strings("tags") ?? [])
            {
                var text = entry.Value.Trim();
                var hit = written.FirstOrDefault(path => text.Contains('/', StringComparison.Ordinal)
                    ? string.Equals(path, text.Trim('/'), StringComparison.Ordinal)
                    : string.Equals(path.Split('/')[^1], text, StringComparison.Ordinal));
                if (hit is not null)
                {
                    diag.Error(entry.Loc, $"tags: '{text}' names the workflow tag '{hit}'; a condition must not read what the workflows write (the next run would undo or redo it)");
                }
            }

            foreach (var inner in (condition.Maps("all") ?? []).Concat(condition.Maps("any") ?? []).Append(condition.Map("not")))
            {
                CheckConditionTags(inner);
            }
        }

        void CheckClipLabels(RawBlock? condition)
        {
            if (condition is null)
            {
                return;
            }

            if (condition.Map("clip_label")?.String("label") is { Value: { } label } l)
            {
                // With clip off no asset is scored and the condition never holds (docs/workflows.md says so).
                if (!labels.Contains(label, StringComparer.Ordinal))
                {
                    diag.Error(l.Loc, $"clip_label '{label}' is not a label of clip.labels{Suggest.Hint(label, labels)}");
                }
            }

            foreach (var inner in (condition.Maps("all") ?? []).Concat(condition.Maps("any") ?? []).Append(condition.Map("not")))
            {
                CheckClipLabels(inner);
            }
        }
    }

    private void CheckChoices(IReadOnlyList<Val<string>>? values, string[] choices, string what)
    {
        foreach (var v in values ?? [])
        {
            if (!choices.Contains(v.Value.Trim().ToLowerInvariant(), StringComparer.Ordinal))
            {
                diag.Error(v.Loc, $"unknown {what} '{v.Value}': expected {string.Join(", ", choices.Take(4))}{Suggest.Hint(v.Value, choices)}");
            }
        }
    }

    private DateOnly? Day(Val<string?>? raw)
    {
        if (raw is null)
        {
            return null;
        }

        if (raw.Value is { } text && DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        diag.Error(raw.Loc, $"'{raw.Value}' is not a day: write it as YYYY-MM-DD (e.g. 2024-07-14)");
        return null;
    }

    /// <summary>
    /// booru: a tag root and URLs that can be used, each source once with review ≤ accept, known media types. Keys
    /// are never read from the file: a key-like entry is refused so it cannot end up in a dump.
    /// </summary>
    private BooruConfig CheckBooru(RawBlock raw, BooruConfig booru)
    {
        var d = new BooruConfig();
        if (raw.String("tag_root") is { } root && (root.Value is null || NonEmpty(root.Value.Trim('/')) is null))
        {
            diag.Error(root.Loc, "booru.tag_root must not be empty: every tag below it belongs to the tool");
        }

        CheckTagRootSlashes(raw, "booru");
        var tagRoot = NonEmpty(booru.TagRoot?.Trim().Trim('/')) ?? d.TagRoot;
        if (booru.ReviewTag is { } review && raw.String("review_tag") is { } reviewRaw
            && (review.Trim() == tagRoot || review.Trim().StartsWith(tagRoot + "/", StringComparison.Ordinal)))
        {
            diag.Error(reviewRaw.Loc, $"booru.review_tag '{review}' lies below booru.tag_root '{tagRoot}': the tool would remove it as a stale booru tag; choose a tag outside the root");
        }

        string? Url(Val<string?>? value, string key)
        {
            if (value?.Value is not { } text)
            {
                return null;
            }

            if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0 || uri.Query.Length > 0)
            {
                // The value is not echoed: it may carry a key.
                diag.Error(value.Loc, $"booru {key} is not a usable URL: expected http(s)://host[:port][/path] without credentials or query (keys come from the environment: SAUCENAO_API_KEY, DANBOORU_LOGIN, DANBOORU_API_KEY)");
                return null;
            }

            return uri.AbsoluteUri.TrimEnd('/');
        }

        var danbooruUrl = Url(raw.String("danbooru_url"), "danbooru_url") ?? d.DanbooruUrl;
        var sources = new List<BooruSourceConfig>();
        var seen = new HashSet<ImmichAutoTag.Core.Enrichment.Booru.BooruSource>();
        var items = raw.Maps("sources");
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var item = items![i];
            if (i >= booru.Sources.Count)
            {
                break;
            }

            var source = booru.Sources[i];
            if (item.String("source") is { } name && !seen.Add(source.Source))
            {
                diag.Error(name.Loc, $"booru source '{name.Value}' is listed twice");
                continue;
            }

            if (source.ReviewPercent > source.AcceptPercent)
            {
                diag.Error(item.Loc.Child("review_percent"), $"booru source '{item.String("source")?.Value}': review_percent ({source.ReviewPercent}) is above accept_percent ({source.AcceptPercent}); review must be the lower bar");
            }

            sources.Add(source with { BaseUrl = Url(item.String("base_url"), $"sources[{i}].base_url") });
        }

        if (items is { Count: 0 })
        {
            diag.Error(raw.Loc.Child("sources"), "booru.sources is empty: list at least one source, or leave the key out for danbooru_md5, saucenao and iqdb");
        }

        var types = new List<string>();
        foreach (var type in raw.Map("assets")?.Strings("media_types") ?? [])
        {
            var t = type.Value.Trim().ToLowerInvariant();
            if (t is "image" or "video")
            {
                types.Add(t);
            }
            else
            {
                diag.Error(type.Loc, $"unknown media type '{type.Value}': use image or video");
            }
        }

        return booru with
        {
            TagRoot = tagRoot,
            ReviewTag = booru.ReviewTag?.Trim(),
            DanbooruUrl = danbooruUrl,
            Sources = items is null ? d.Sources : sources,
            MediaTypes = raw.Map("assets")?.Strings("media_types") is null ? d.MediaTypes : types.Distinct(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>booru's CLIP gate against clip:: the labels must exist; a booru root inside the CLIP root (or the reverse) would fight over tags.</summary>
    /// <summary>
    /// A step's tag root other than the default may already hold the user's own tags (e.g. digiKam's <c>People</c>):
    /// the run never removes a tag below it that the tool did not add, and names them; the warning says so up front.
    /// </summary>
    private void WarnAboutOwnTagRoot(RawBlock root, string section, bool enabled, string tagRoot, string defaultRoot)
    {
        if (!enabled || string.Equals(tagRoot, defaultRoot, StringComparison.Ordinal) || root.Map(section) is not { } raw || raw.String("tag_root") is not { } written)
        {
            return;
        }

        diag.Warning(written.Loc, $"{section}.tag_root '{tagRoot}' is not the default '{defaultRoot}': if it already holds tags of your own (e.g. a digiKam tree), they stay: the tool only ever removes tags below the root that it added itself, and each run names the others it leaves alone. A root of its own keeps the tool's tags apart from yours");
    }

    private void CheckBooruAgainstClip(RawBlock root, AutoTagConfig config)
    {
        if (root.Map("booru") is not { } raw || !config.Booru.Enabled)
        {
            return;
        }

        var booru = config.Booru;
        var clip = config.Clip;
        if (booru.TagRoot == clip.TagRoot || booru.TagRoot.StartsWith(clip.TagRoot + "/", StringComparison.Ordinal) || clip.TagRoot.StartsWith(booru.TagRoot + "/", StringComparison.Ordinal))
        {
            diag.Error(raw.Loc.Child("tag_root"), $"booru.tag_root '{booru.TagRoot}' overlaps clip.tag_root '{clip.TagRoot}': each step owns every tag below its root; give them separate roots");
        }

        if (clip.Enabled)
        {
            var known = clip.Labels.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var label in booru.ClipLabels.Concat(booru.ClipExcludeLabels).Where(l => !known.Contains(l)).Distinct(StringComparer.Ordinal))
            {
                diag.Warning(raw.Loc.Child("assets"), $"booru: CLIP label '{label}' is not in clip.labels ({string.Join(", ", known)}); it never matches");
            }
        }
        else if (booru.Rules.Count == 0)
        {
            diag.Warning(raw.Loc.Child("assets"), "booru is on, but with clip: off and no booru.assets.rules no asset is selected: add rules (e.g. an album of saved pictures) or turn clip: on");
        }
    }

    private TagAlbumSyncConfig CheckTagAlbumSync(RawBlock raw, TagAlbumSyncConfig sync)
    {
        if (raw.String("tag_prefix") is { } p && string.IsNullOrWhiteSpace(p.Value))
        {
            // An empty prefix would make every tag an album and every album a tag.
            diag.Error(p.Loc, "tag_prefix must not be empty");
        }

        if (sync.Enabled && sync.Direction != SyncDirection.TagToAlbum && (raw.Strings("album_name_patterns")?.Count ?? 0) == 0)
        {
            diag.Error(raw.Loc, "tag_album_sync.album_name_patterns is empty: album_to_tag needs at least one pattern (use '.*' for every album of yours)");
        }

        if (sync.Remove && sync.Direction == SyncDirection.Both && raw.Bool("remove") is { } r)
        {
            // In both directions a membership on either side is copied to the other, so nothing could ever be removed.
            diag.Error(r.Loc, "remove: true needs one direction (tag_to_album or album_to_tag), not both");
        }

        return sync;
    }

    private void WarnWithoutRules(RawBlock root, ClassificationConfig classification)
    {
        if (classification.Rules.Count > 0 || root.IsInvalid("classification") || root.Map("classification") is { } written && written.IsInvalid("rules"))
        {
            // A classification (or rules) of the wrong type was reported as such already.
            return;
        }

        // Valid (upstream accepts it), but almost certainly not what the user wants.
        var at = root.Map("classification") is { } raw ? raw.Loc.Child("rules") : root.Loc.Child("classification");
        var unknown = classification.AutotagUnknown ?? "no unknown tag (autotag_unknown is null)";
        diag.Warning(at, $"no classification rules: no asset can be classified, so every asset would become unclassified ({unknown}). Add rules under classification.rules (see rules/config.example.yaml)");
    }

    /// <summary>The CLIP model a run would open, when clip is on and the caller looks (`validate`), at the key to fix.</summary>
    private void CheckClipModel(RawBlock root, ClipConfig clip)
    {
        if (clipModelCheck is null || !clip.Enabled || diag.Errors.Count > 0 || clipModelCheck(clip) is not { } problem)
        {
            return;
        }

        var block = root.Map("clip");
        var folder = block?.String("model_folder");
        var name = block?.String("model_name");
        var at = (problem.AboutModelName ? name ?? folder : folder)?.Loc ?? block?.Loc.Child("model_folder") ?? root.Loc.Child("clip");
        diag.Error(at, problem.Message);
    }

    private string? ValidateSchedule(Val<string?>? raw)
    {
        if (raw?.Value is not { } text)
        {
            return null;
        }

        // The field values are checked by the daemon's cron parser (Quartz), which the CLI passes in as scheduleCheck.
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is 5 or 6 or 7)
        {
            if (scheduleCheck?.Invoke(text) is { } problem)
            {
                diag.Error(raw.Loc, problem);
                return null;
            }

            return text.Trim();
        }

        diag.Error(raw.Loc, $"invalid schedule '{text}': expected 5 cron fields (minute hour day month weekday), or 6-7 Quartz fields starting with seconds");
        return null;
    }

    private void Missing(RawBlock b, string key, string? message = null) =>
        diag.Error(b.Loc.Child(key), message ?? $"missing required key '{key}'");

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
