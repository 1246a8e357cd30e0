using System.Globalization;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Applies upstream's defaults and every semantic rule to the raw records, reporting all problems.
/// Returns null when anything is wrong, so a half-valid config can never be used.
/// </summary>
internal sealed class ConfigValidator(Diagnostics diag, Func<string, string?> env)
{
    public const string EnvUrl = "IMMICH_URL";
    public const string EnvApiKey = "IMMICH_API_KEY";

    public AutoTagConfig? Validate(RawConfig raw, string? sourcePath)
    {
        var server = ValidateServer(raw);
        var root = raw.B;

        var config = new AutoTagConfig
        {
            Server = server ?? new ServerConfig(new Uri("http://invalid/"), ""),
            Description = root.Description?.Value,
            EnableAlbumNameStrip = raw.EnableAlbumNameStrip?.Value ?? true,
            Skip = ValidateSkip(raw.Skip),
            Filters = new FiltersConfig
            {
                FilterIn = Rules(raw.Filters?.FilterIn),
                FilterOut = Rules(raw.Filters?.FilterOut),
            },
            Conversions = new ConversionsConfig
            {
                Enabled = raw.Conversions?.Enabled?.Value ?? true,
                Conversions = raw.Conversions?.Conversions?.Select(Conversion).ToList() ?? [],
            },
            Classification = ValidateClassification(raw.Classification, root),
            DuplicateProcessing = ValidateDuplicates(raw.DuplicateProcessing),
            AlbumDateConsistency = ValidateAlbumDateConsistency(raw.AlbumDateConsistency),
            AlbumDetectionFromFolders = ValidateAlbumDetection(raw.AlbumDetectionFromFolders),
            Performance = new PerformanceConfig
            {
                EnableTypeChecking = raw.Performance?.EnableTypeChecking?.Value ?? false,
                FailFastOnAssetErrors = raw.Performance?.FailFastOnAssetErrors?.Value ?? false,
            },
            AlbumPermissions = ValidatePermissions(raw.AlbumPermissions),
            CreateAlbumFromDateIfMissing = raw.CreateAlbumFromDateIfMissing?.Value ?? false,
            TagAlbumSync = ValidateTagAlbumSync(raw.TagAlbumSync),
            Schedule = ValidateSchedule(raw.Schedule),
            FullPassIntervalHours = raw.FullPassIntervalHours?.Value ?? 24,
            SourcePath = sourcePath,
        };
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

    private ServerConfig? ValidateServer(RawConfig raw)
    {
        var s = raw.Server;
        var envUrl = NonEmpty(env(EnvUrl));
        var envKey = NonEmpty(env(EnvApiKey));
        Uri? url = null;
        var ok = true;

        if (s is null && (envUrl is null || envKey is null))
        {
            Missing(raw.B, "server", envUrl is null
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
        else if (s?.Url is { Value: { } text } urlVal)
        {
            url = ParseBaseUrl(text, out var error);
            if (error is not null)
            {
                diag.Error(urlVal.Loc, error);
            }

            if (s.Host is not null)
            {
                diag.Warning(s.Host.Loc, "server.host/port are ignored because server.url is set");
            }
        }
        else if (s is not null && !s.B.Has("url") && s.B.Has("host"))
        {
            url = FromHostPort(s);
        }
        else if (s is not null && s.B.Has("url"))
        {
            // A wrong-typed url was already reported by the reader; only an explicit null is left.
            if (s.Url is not null)
            {
                diag.Error(s.Url.Loc, "server.url must not be null");
            }
        }
        else if (s is not null)
        {
            Missing(s.B, "host", "missing required key 'host' (or give 'url' instead of host and port)");
        }

        string? apiKey = envKey;
        if (apiKey is null && s is not null)
        {
            apiKey = NonEmpty(s.ApiKey?.Value);
            if (apiKey is null && (!s.B.Has("api_key") || s.ApiKey is not null))
            {
                Missing(s.B, "api_key", "missing required key 'api_key' (or set IMMICH_API_KEY)");
            }
        }

        return ok && url is not null && apiKey is not null ? new ServerConfig(url, apiKey) : null;
    }

    private Uri? FromHostPort(RawServer s)
    {
        if (s.Port is null)
        {
            if (!s.B.Has("port"))
            {
                Missing(s.B, "port", "missing required key 'port' (needed with 'host'; or use 'url')");
            }

            return null;
        }

        if (s.Host is not { Value: { Length: > 0 } host })
        {
            if (s.Host is not null)
            {
                diag.Error(s.Host.Loc, "host must not be empty");
            }

            return null;
        }

        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
        {
            diag.Error(s.Host.Loc, $"host '{host}' must be a bare host name or IP; put a full URL in server.url instead");
            return null;
        }

        var bracketed = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        var url = ParseBaseUrl(string.Create(CultureInfo.InvariantCulture, $"http://{bracketed}:{s.Port.Value}/"), out var error);
        if (error is not null)
        {
            diag.Error(s.Host.Loc, $"host '{host}' is not a valid host name");
        }

        return url;
    }

    private static SkipConfig ValidateSkip(RawSkip? raw)
    {
        return new SkipConfig
        {
            SkipN = Math.Max(0, raw?.SkipN?.Value ?? 0),
            ResumePrevious = raw?.ResumePrevious?.Value ?? true,
            // Upstream treats a negative limit as "unlimited", like null.
            MaxItems = raw?.MaxItems?.Value is >= 0 and var max ? max : null,
        };
    }

    private List<RuleConfig> Rules(IReadOnlyList<RawRule>? rules) => rules?.Select(Rule).ToList() ?? [];

    private RuleConfig Rule(RawRule raw)
    {
        var tags = Strings(raw.TagNames);
        var patterns = Patterns(raw.AlbumNamePatterns, PatternCompiler.TryAlbumName);
        var ids = new List<Guid>();
        foreach (var link in raw.AssetLinks ?? [])
        {
            if (AssetLinkParser.TryParse(link.Value, out var id))
            {
                ids.Add(id);
            }
            else
            {
                diag.Error(link.Loc, $"asset link '{link.Value}' is neither a UUID nor an Immich photo URL (…/photos/<uuid>)");
            }
        }

        // Count what was written, not what survived validation: a bad pattern is its own error.
        var written = (raw.TagNames?.Count ?? 0) + (raw.AlbumNamePatterns?.Count ?? 0) + (raw.AssetLinks?.Count ?? 0);
        var anyInvalid = raw.B.IsInvalid("tag_names") || raw.B.IsInvalid("album_name_patterns") || raw.B.IsInvalid("asset_links");
        if (written == 0 && !anyInvalid)
        {
            diag.Error(raw.B.Loc, "a rule needs at least one non-empty list: tag_names, album_name_patterns or asset_links");
        }

        return new RuleConfig
        {
            TagNames = tags,
            AlbumNamePatterns = patterns,
            AssetIds = ids,
            AssetLinks = raw.AssetLinks?.Select(l => l.Value).ToList() ?? [],
            Description = raw.B.Description?.Value,
        };
    }

    private ConversionConfig Conversion(RawConversion raw)
    {
        if (raw.Source is null && !raw.B.IsInvalid("source"))
        {
            Missing(raw.B, "source");
        }

        var albums = Strings(raw.Destination?.AlbumNames);
        var tags = Strings(raw.Destination?.TagNames);
        var destinationInvalid = raw.B.IsInvalid("destination")
            || (raw.Destination is { } d && (d.B.IsInvalid("album_names") || d.B.IsInvalid("tag_names")));
        if (albums.Count == 0 && tags.Count == 0 && !destinationInvalid)
        {
            var loc = raw.Destination?.B.Loc ?? raw.B.Loc.Child("destination");
            diag.Error(loc, "a conversion destination needs album_names or tag_names (at least one non-empty)");
        }

        // The reader has checked the value against the declared choices.
        var mode = raw.Mode?.Value == "copy" ? ConversionMode.Copy : ConversionMode.Move;

        return new ConversionConfig
        {
            Source = raw.Source is null ? new RuleConfig() : Rule(raw.Source),
            DestinationAlbumNames = albums,
            DestinationTagNames = tags,
            Mode = mode,
            Description = raw.B.Description?.Value,
        };
    }

    private ClassificationConfig ValidateClassification(RawClassification? raw, Block root)
    {
        var defaults = new ClassificationConfig();
        var rules = Rules(raw?.Rules);
        if (rules.Count == 0)
        {
            // Valid (upstream accepts it), but almost certainly not what the user wants.
            var at = raw is null ? root.Loc.Child("classification") : raw.B.Loc.Child("rules");
            var unknown = TagName(raw?.AutotagUnknown, defaults.AutotagUnknown) ?? "no unknown tag (autotag_unknown is null)";
            diag.Warning(at, $"no classification rules: no asset can be classified, so every asset would become unclassified ({unknown}). Add rules under classification.rules (see rules/config.example.yaml)");
        }

        return new ClassificationConfig
        {
            Rules = rules,
            AutotagUnknown = TagName(raw?.AutotagUnknown, defaults.AutotagUnknown),
            AutotagConflict = TagName(raw?.AutotagConflict, defaults.AutotagConflict),
            IncludeArchived = raw?.IncludeArchived?.Value ?? defaults.IncludeArchived,
            IncludeHidden = raw?.IncludeHidden?.Value ?? defaults.IncludeHidden,
        };
    }

    private DuplicateProcessingConfig ValidateDuplicates(RawDuplicateProcessing? raw)
    {
        var d = new DuplicateProcessingConfig();
        var dateCorrection = d.DateCorrection;
        if (raw?.DateCorrection is { } dc)
        {
            // Upstream requires both keys; a left-out one takes the value an upstream template would give it
            // least surprisingly: repair off (it writes dates), zone UTC.
            var tz = dc.ExtractionTimezone;
            if (tz is not null && (tz.Value is null || !TimeZoneInfo.TryFindSystemTimeZoneById(tz.Value, out _)))
            {
                diag.Error(tz.Loc, $"unknown time zone '{tz.Value}': expected an IANA id such as UTC or Europe/Madrid");
            }

            dateCorrection = new DateCorrectionConfig
            {
                Enabled = dc.Enabled?.Value ?? dateCorrection.Enabled,
                ExtractionTimezone = tz?.Value ?? dateCorrection.ExtractionTimezone,
            };
        }

        return new DuplicateProcessingConfig
        {
            AutotagAlbumConflict = TagName(raw?.AutotagAlbumConflict, d.AutotagAlbumConflict),
            AutotagClassificationConflict = TagName(raw?.AutotagClassificationConflict, d.AutotagClassificationConflict),
            AutotagClassificationConflictPrefix = TagName(raw?.AutotagClassificationConflictPrefix, d.AutotagClassificationConflictPrefix),
            AutotagAlbumDetectionConflict = TagName(raw?.AutotagAlbumDetectionConflict, d.AutotagAlbumDetectionConflict),
            CopyClassificationFromDuplicates = raw?.CopyClassificationFromDuplicates?.Value ?? d.CopyClassificationFromDuplicates,
            AddToAlbumOfDuplicates = raw?.AddToAlbumOfDuplicates?.Value ?? d.AddToAlbumOfDuplicates,
            DateCorrection = dateCorrection,
        };
    }

    private AlbumDateConsistencyConfig ValidateAlbumDateConsistency(RawAlbumDateConsistency? raw)
    {
        var d = new AlbumDateConsistencyConfig();
        return new AlbumDateConsistencyConfig
        {
            Enabled = raw?.Enabled?.Value ?? d.Enabled,
            AutotagAlbumDateMismatch = TagName(raw?.AutotagAlbumDateMismatch, d.AutotagAlbumDateMismatch),
            ThresholdDays = raw?.ThresholdDays?.Value ?? d.ThresholdDays,
        };
    }

    private AlbumDetectionFromFoldersConfig ValidateAlbumDetection(RawAlbumDetection? raw)
    {
        // Upstream requires enabled and excluded_paths; left out they mean "off" and "no exclusions".
        if (raw is null)
        {
            return new AlbumDetectionFromFoldersConfig();
        }

        var excluded = Patterns(raw.ExcludedPaths, PatternCompiler.TryPathSearch);
        return new AlbumDetectionFromFoldersConfig
        {
            Enabled = raw.Enabled?.Value ?? false,
            ExcludedPaths = excluded,
        };
    }

    private AlbumPermissionsConfig ValidatePermissions(RawAlbumPermissions? raw)
    {
        var groups = new List<UserGroupConfig>();
        foreach (var g in raw?.UserGroups ?? [])
        {
            RequireAll(g.B);
            groups.Add(new UserGroupConfig(g.Name?.Value ?? "", Strings(g.Members), g.B.Description?.Value));
        }

        var known = groups.Select(g => g.Name).ToList();
        var rules = new List<SelectionRuleConfig>();
        foreach (var r in raw?.SelectionRules ?? [])
        {
            RequireAll(r.B);
            var access = r.Access?.Value is { } text ? Enum.Parse<AlbumAccess>(text, ignoreCase: true) : AlbumAccess.View;

            foreach (var group in r.Groups ?? [])
            {
                if (!known.Contains(group.Value, StringComparer.Ordinal))
                {
                    diag.Warning(group.Loc, $"group '{group.Value}' is not defined in album_permissions.user_groups{Suggest.Hint(group.Value, known)}");
                }
            }

            rules.Add(new SelectionRuleConfig(r.Name?.Value ?? "", r.Keyword?.Value ?? "", Strings(r.Groups), access, r.B.Description?.Value));
        }

        return new AlbumPermissionsConfig
        {
            Enabled = raw?.Enabled?.Value ?? false,
            UserGroups = groups,
            SelectionRules = rules,
            LogUnmatched = raw?.LogUnmatched?.Value ?? false,
        };
    }

    private TagAlbumSyncConfig ValidateTagAlbumSync(RawTagAlbumSync? raw)
    {
        var d = new TagAlbumSyncConfig();
        if (raw is null)
        {
            return d;
        }

        var prefix = raw.TagPrefix?.Value ?? d.TagPrefix;
        if (raw.TagPrefix is { } p && string.IsNullOrWhiteSpace(p.Value))
        {
            // An empty prefix would make every tag an album and every album a tag.
            diag.Error(p.Loc, "tag_prefix must not be empty");
        }

        var direction = raw.Direction?.Value switch
        {
            "album_to_tag" => SyncDirection.AlbumToTag,
            "both" => SyncDirection.Both,
            "tag_to_album" => SyncDirection.TagToAlbum,
            _ => d.Direction,
        };

        var patterns = Patterns(raw.AlbumNamePatterns, PatternCompiler.TryAlbumName);
        var enabled = raw.Enabled?.Value ?? d.Enabled;
        if (enabled && direction != SyncDirection.TagToAlbum && (raw.AlbumNamePatterns?.Count ?? 0) == 0)
        {
            diag.Error(raw.B.Loc, "tag_album_sync.album_name_patterns is empty: album_to_tag needs at least one pattern (use '.*' for every album of yours)");
        }

        var remove = raw.Remove?.Value ?? d.Remove;
        if (remove && direction == SyncDirection.Both && raw.Remove is { } r)
        {
            // In both directions a membership on either side is copied to the other, so nothing could ever be removed.
            diag.Error(r.Loc, "remove: true needs one direction (tag_to_album or album_to_tag), not both");
        }

        return new TagAlbumSyncConfig
        {
            Enabled = enabled,
            TagPrefix = prefix,
            Direction = direction,
            AlbumNamePatterns = patterns,
            CreateMissingAlbums = raw.CreateMissingAlbums?.Value ?? d.CreateMissingAlbums,
            Remove = remove,
        };
    }

    /// <summary>Output tag names: absent keeps the default, explicit null disables the tag.</summary>
    private string? TagName(Val<string?>? raw, string? fallback)
    {
        if (raw is null)
        {
            return fallback;
        }

        if (raw.Value is { } s && string.IsNullOrWhiteSpace(s))
        {
            diag.Error(raw.Loc, "tag name must not be empty (use null to disable the tag)");
            return null;
        }

        return raw.Value;
    }

    private delegate CompiledPattern? TryCompile(string pattern, TimeSpan timeout, out string? error);

    /// <summary>The valid patterns, compiled (same order); each invalid one is an error at its position.</summary>
    private List<CompiledPattern> Patterns(IReadOnlyList<Val<string>>? raw, TryCompile compile)
    {
        var result = new List<CompiledPattern>();
        foreach (var p in raw ?? [])
        {
            // Patterns are Python's dialect, matched on code points: translated, then compiled once, here.
            if (compile(p.Value, CompiledPattern.DefaultMatchTimeout, out var error) is { } compiled)
            {
                result.Add(compiled);
            }
            else
            {
                diag.Error(p.Loc, $"invalid regex '{p.Value}': {error}");
            }
        }

        return result;
    }

    private string? ValidateSchedule(Val<string?>? raw)
    {
        if (raw?.Value is not { } text)
        {
            return null;
        }

        // The field values are checked by the daemon's cron parser (Quartz), which the CLI runs on load.
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is 5 or 6 or 7)
        {
            return text.Trim();
        }

        diag.Error(raw.Loc, $"invalid schedule '{text}': expected 5 cron fields (minute hour day month weekday), or 6-7 Quartz fields starting with seconds");
        return null;
    }

    private static List<string> Strings(IReadOnlyList<Val<string>>? raw) => raw?.Select(v => v.Value).ToList() ?? [];

    /// <summary>Reports each key the block's spec marks <see cref="KeySpec.Required"/> that the file leaves out.</summary>
    private void RequireAll(Block b)
    {
        foreach (var key in b.Spec.Keys.Where(k => k.Required && k.Kind != KeyKind.Map))
        {
            if (!b.Has(key.Name))
            {
                Missing(b, key.Name);
            }
        }
    }

    private void Missing(Block b, string key, string? message = null) =>
        diag.Error(b.Loc.Child(key), message ?? $"missing required key '{key}'");

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
