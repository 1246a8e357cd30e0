using ImmichAutoTag.Core.Enrichment.Booru;

namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// Booru tags (<c>booru:</c>): for selected illustrations, a Danbooru post found by the MD5 of the original file or by
/// reverse image search (SauceNAO, IQDB) becomes hierarchical tags below <see cref="TagRoot"/>, owned by the tool.
/// API keys never live here: they come from the environment (<c>SAUCENAO_API_KEY</c>, <c>DANBOORU_LOGIN</c> and
/// <c>DANBOORU_API_KEY</c>).
/// </summary>
public sealed record BooruConfig
{
    /// <summary>Where booru tags go: <c>booru/character/…</c>, <c>booru/series/…</c> and so on.</summary>
    public const string DefaultTagRoot = "booru";

    /// <summary>The tag an asset gets while its best candidate lies between a source's review and accept similarity.</summary>
    public const string DefaultReviewTag = "autotag_output_booru_review";

    /// <summary>Danbooru's public site.</summary>
    public const string DefaultDanbooruUrl = "https://danbooru.donmai.us";

    /// <summary>Whether the step runs; false (the default) sends nothing to any booru service.</summary>
    public bool Enabled { get; init; }

    /// <summary>Booru tags are <c>TagRoot/&lt;category&gt;/&lt;tag&gt;</c>; every tag below the root belongs to the tool.</summary>
    public string TagRoot { get; init; } = DefaultTagRoot;

    /// <summary>The tag for assets whose best candidate needs a human look; null switches it off.</summary>
    public string? ReviewTag { get; init; } = DefaultReviewTag;

    /// <summary>Assets some rule matches are looked up (with <see cref="ClipLabels"/>: either selects).</summary>
    public IReadOnlyList<RuleConfig> Rules { get; init; } = [];

    /// <summary>Immich asset types looked up: <c>image</c> (the default) and/or <c>video</c>.</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = ["image"];

    /// <summary>CLIP labels (of <c>clip:</c>) that select an asset when its probability reaches <see cref="ClipMinPercent"/>.</summary>
    public IReadOnlyList<string> ClipLabels { get; init; } = ["anime", "cartoon", "painting", "3d_render"];

    /// <summary>Smallest CLIP probability, in percent, of one of <see cref="ClipLabels"/> that selects an asset.</summary>
    public int ClipMinPercent { get; init; } = 50;

    /// <summary>CLIP labels that keep an asset out even when a rule selects it (photos by default).</summary>
    public IReadOnlyList<string> ClipExcludeLabels { get; init; } = ["photo"];

    /// <summary>The look-ups, in the order they are tried; the first accepted match ends an asset's search.</summary>
    public IReadOnlyList<BooruSourceConfig> Sources { get; init; } = DefaultSources;

    /// <summary>Danbooru's base URL (posts by MD5 and by id).</summary>
    public string DanbooruUrl { get; init; } = DefaultDanbooruUrl;

    /// <summary>Whether character tags are set.</summary>
    public bool Characters { get; init; } = true;

    /// <summary>Whether series (copyright) tags are set.</summary>
    public bool Series { get; init; } = true;

    /// <summary>Whether artist tags are set.</summary>
    public bool Artists { get; init; } = true;

    /// <summary>Whether the rating tag is set.</summary>
    public bool Rating { get; init; } = true;

    /// <summary>General tags taken when listed here (canonical Danbooru form, e.g. <c>long_hair</c>); empty: any.</summary>
    public IReadOnlyList<string> GeneralAllow { get; init; } = [];

    /// <summary>General tags never taken.</summary>
    public IReadOnlyList<string> GeneralDeny { get; init; } = [];

    /// <summary>At most this many general tags per asset (0: none).</summary>
    public int GeneralTopN { get; init; } = 10;

    /// <summary>A source stops for the day when its reported daily searches left fall to this many.</summary>
    public int DailyBudgetMargin { get; init; } = 3;

    /// <summary>A look-up that found nothing is tried again once it is this many days old.</summary>
    public int MissRetryDays { get; init; } = 30;

    /// <summary>A run stops looking up (and plans what it has) after this many minutes; the queue goes on next run.</summary>
    public int MaxRunMinutes { get; init; } = 30;

    /// <summary>
    /// Whether a dry run sends look-ups to the services (uploads thumbnails, spends the daily budget). Off: a dry run
    /// uses only answers already cached and reports how many assets a real run would look up.
    /// </summary>
    public bool DryRunLookups { get; init; }

    /// <summary>The default order: Danbooru by MD5 (free, exact), then SauceNAO, then IQDB.</summary>
    public static IReadOnlyList<BooruSourceConfig> DefaultSources { get; } =
    [
        new(BooruSource.DanbooruMd5),
        new(BooruSource.SauceNao, 90, 70, "https://saucenao.com"),
        new(BooruSource.Iqdb, 90, 75, "https://iqdb.org"),
    ];
}

/// <summary>One look-up of <see cref="BooruConfig.Sources"/>.</summary>
public sealed record BooruSourceConfig
{
    /// <summary>A source as the config binder makes it (every key at its default).</summary>
    public BooruSourceConfig()
    {
    }

    /// <summary>A source with its bars.</summary>
    public BooruSourceConfig(BooruSource source, int acceptPercent = 90, int reviewPercent = 70, string? baseUrl = null)
    {
        Name = NameOf(source);
        AcceptPercent = acceptPercent;
        ReviewPercent = reviewPercent;
        BaseUrl = baseUrl;
    }

    /// <summary>The source as written in config.yaml: danbooru_md5, saucenao, iqdb or ascii2d.</summary>
    public string Name { get; init; } = "danbooru_md5";

    /// <summary>The service (from <see cref="Name"/>).</summary>
    public BooruSource Source => Name switch
    {
        "saucenao" => BooruSource.SauceNao,
        "iqdb" => BooruSource.Iqdb,
        "ascii2d" => BooruSource.Ascii2d,
        _ => BooruSource.DanbooruMd5,
    };

    /// <summary>A candidate at least this similar (0–100) is taken.</summary>
    public int AcceptPercent { get; init; } = 90;

    /// <summary>A candidate at least this similar, but below <see cref="AcceptPercent"/>, is offered for review.</summary>
    public int ReviewPercent { get; init; } = 70;

    /// <summary>The service's base URL; null: its public site (Danbooru's is <see cref="BooruConfig.DanbooruUrl"/>).</summary>
    public string? BaseUrl { get; init; }

    /// <summary>The config name of a source.</summary>
    public static string NameOf(BooruSource source) => source switch
    {
        BooruSource.DanbooruMd5 => "danbooru_md5",
        BooruSource.SauceNao => "saucenao",
        BooruSource.Iqdb => "iqdb",
        BooruSource.Ascii2d => "ascii2d",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };
}
