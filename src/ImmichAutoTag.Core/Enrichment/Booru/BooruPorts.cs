namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>
/// A Danbooru post's rating (the post's <c>rating</c> field: <c>g</c>, <c>s</c>, <c>q</c>, <c>e</c>). Data from before
/// 2022 used <c>s</c> for "safe", and Gelbooru sends the full words; both map here as the client documents.
/// </summary>
public enum BooruRating
{
    /// <summary><c>g</c>: general.</summary>
    General,

    /// <summary><c>s</c>: sensitive.</summary>
    Sensitive,

    /// <summary><c>q</c>: questionable.</summary>
    Questionable,

    /// <summary><c>e</c>: explicit.</summary>
    Explicit,
}

/// <summary>Where a booru fact came from; kept with every tag the tool plans from it (provenance).</summary>
public enum BooruSource
{
    /// <summary>Danbooru's exact look-up by the MD5 of the original file (<c>GET /posts.json?md5=</c>): byte-identical files only.</summary>
    DanbooruMd5,

    /// <summary>SauceNAO reverse image search (<c>POST /search.php</c>, JSON output) over an uploaded thumbnail.</summary>
    SauceNao,

    /// <summary>IQDB reverse image search (<c>POST /</c> multipart, HTML answer) over an uploaded thumbnail.</summary>
    Iqdb,

    /// <summary>ASCII2D search: no similarity score, so its matches are only ever offered for review.</summary>
    Ascii2d,
}

/// <summary>
/// The facts of one Danbooru post the tool uses, with tags in Danbooru's canonical form (lowercase, words joined by
/// <c>_</c>, qualifiers in parentheses, e.g. <c>hu_tao_(genshin_impact)</c>), split by the post's
/// <c>tag_string_character</c>, <c>_copyright</c>, <c>_artist</c>, <c>_general</c> and <c>_meta</c> fields.
/// </summary>
/// <param name="Id">The post's <c>id</c>.</param>
/// <param name="Md5">The post's <c>md5</c> (32 lowercase hex digits); null when Danbooru hides it from the requester.</param>
/// <param name="Rating">The post's rating.</param>
/// <param name="Characters">Character tags.</param>
/// <param name="Copyrights">Copyright (series) tags.</param>
/// <param name="Artists">Artist tags.</param>
/// <param name="General">General tags.</param>
/// <param name="Meta">Meta tags (e.g. <c>highres</c>).</param>
public sealed record BooruPost(
    long Id,
    string? Md5,
    BooruRating Rating,
    IReadOnlyList<string> Characters,
    IReadOnlyList<string> Copyrights,
    IReadOnlyList<string> Artists,
    IReadOnlyList<string> General,
    IReadOnlyList<string> Meta);

/// <summary>One candidate of a reverse image search, as the service ranked it.</summary>
/// <param name="Source">The service that answered.</param>
/// <param name="SimilarityPercent">0–100 (SauceNAO's <c>header.similarity</c>, IQDB's "NN% similarity"); null for ASCII2D.</param>
/// <param name="DanbooruPostId">The Danbooru post the candidate is (SauceNAO's <c>data.danbooru_id</c> or a <c>donmai.us/posts/N</c> or <c>/post/show/N</c> URL); null when it names none.</param>
/// <param name="GelbooruPostId">The Gelbooru post id, when the candidate names one.</param>
/// <param name="Urls">The candidate's links (absolute <c>https:</c> URLs), for the review section of the links report.</param>
public sealed record ReverseSearchMatch(
    BooruSource Source,
    double? SimilarityPercent,
    long? DanbooruPostId,
    long? GelbooruPostId,
    IReadOnlyList<Uri> Urls);

/// <summary>
/// SauceNAO's search budget as its last answer reported it (<c>header.short_limit</c>, <c>short_remaining</c>,
/// <c>long_limit</c>, <c>long_remaining</c>): the short window is 30 s, the long one 24 h. Read from every answer,
/// never assumed, since the limits depend on the account and have changed over the years.
/// </summary>
public sealed record SearchQuota(int ShortLimit, int ShortRemaining, int LongLimit, int LongRemaining);

/// <summary>A reverse image search's answer: candidates sorted by similarity, best first, and the quota it reported.</summary>
/// <param name="Matches">Empty for a miss (IQDB's "No relevant matches").</param>
/// <param name="Quota">SauceNAO's budget after this search; null for services that report none.</param>
public sealed record ReverseSearchAnswer(IReadOnlyList<ReverseSearchMatch> Matches, SearchQuota? Quota);

/// <summary>Danbooru's read API (<c>https://danbooru.donmai.us</c> or a configured mirror): posts by MD5 and by id.</summary>
public interface IDanbooruClient
{
    /// <summary>The post whose file has this MD5 (<c>GET /posts.json?md5=</c>); null when Danbooru has none (HTTP 404).</summary>
    /// <param name="md5">32 lowercase hex digits of the original file's MD5.</param>
    /// <exception cref="BooruException">Rate limited, blocked, unreachable or a refused key.</exception>
    Task<BooruPost?> GetPostByMd5Async(string md5, CancellationToken ct);

    /// <summary>The post with this id (<c>GET /posts/{id}.json</c>); null when it does not exist (HTTP 404).</summary>
    /// <exception cref="BooruException">Rate limited, blocked, unreachable or a refused key.</exception>
    Task<BooruPost?> GetPostAsync(long id, CancellationToken ct);
}

/// <summary>A reverse image search service (SauceNAO, IQDB, ASCII2D): an uploaded image in, ranked candidates out.</summary>
public interface IReverseImageSearch
{
    /// <summary>The service this client asks.</summary>
    BooruSource Source { get; }

    /// <summary>Searches for <paramref name="image"/> (a small thumbnail: JPEG or WebP bytes, uploaded as multipart <c>file</c>).</summary>
    /// <param name="fileName">The upload's file name (e.g. <c>thumbnail.webp</c>); some services read the type from it.</param>
    /// <exception cref="BooruException">Rate limited (with the window), the image refused, the key refused, or the service unreachable.</exception>
    Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct);
}

/// <summary>Why a booru service call failed; the caller decides whether to wait, skip the asset or stop the source.</summary>
public enum BooruFailure
{
    /// <summary>HTTP 429 or SauceNAO's "Search Rate Too High": wait <see cref="BooruException.RetryAfter"/> (30 s when unsaid).</summary>
    ShortWindowExhausted,

    /// <summary>SauceNAO's "Daily Search Limit Exceeded" (or <c>long_remaining</c> below zero): no more searches until the 24 h window turns.</summary>
    DailyLimitReached,

    /// <summary>The service refused this image (SauceNAO status -3/-4/-6, IQDB "Not an image", too large): the asset fails, the source goes on.</summary>
    ImageRefused,

    /// <summary>The key or login was refused (HTTP 401/403, SauceNAO status -1): a configuration error, the source stops for the run.</summary>
    KeyRefused,

    /// <summary>A Cloudflare challenge or other HTML where JSON was expected (Danbooru's block of unnamed clients).</summary>
    Blocked,

    /// <summary>Time-outs, connection failures and 5xx after the client's own retries.</summary>
    Unavailable,

    /// <summary>
    /// The service did not answer several attempts in a row (connection refused or reset, time-outs) and the client's
    /// circuit breaker opened: the service is down or the URL is wrong; the source stops for the run, its assets stay queued.
    /// </summary>
    Unreachable,
}

/// <summary>A failed booru service call. Its message names the service and URL without any key or login (never logged).</summary>
public sealed class BooruException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BooruException(BooruSource source, BooruFailure failure, string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Service = source;
        Failure = failure;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates the exception (required by the analyzers' exception pattern).</summary>
    public BooruException()
    {
    }

    /// <summary>Creates the exception (required by the analyzers' exception pattern).</summary>
    public BooruException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception (required by the analyzers' exception pattern).</summary>
    public BooruException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The service that failed.</summary>
    public BooruSource Service { get; }

    /// <summary>What went wrong.</summary>
    public BooruFailure Failure { get; }

    /// <summary>How long the service asked to wait (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// SauceNAO's budget as the failed answer reported it (status -3/-5 answers and negative counters carry it; a 429
    /// answer does not); null otherwise.
    /// </summary>
    public SearchQuota? Quota { get; init; }
}
