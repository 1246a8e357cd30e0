using System.Globalization;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>What the look-ups concluded for one asset.</summary>
public enum BooruVerdict
{
    /// <summary>A Danbooru post was taken (exact MD5, or a candidate at least as similar as its source's accept bar).</summary>
    Accepted,

    /// <summary>No accepted match, but candidates between a source's review and accept bars: a human should look.</summary>
    Review,

    /// <summary>Every configured source was asked and none named a usable match.</summary>
    NotFound,

    /// <summary>
    /// Some sources did not answer yet (their budget is spent for now, the run's time ran out, the service is down, or
    /// the source was skipped, e.g. <c>danbooru_md5</c> without <c>asset.download</c>) and none accepted a post: the
    /// asset stays queued and keeps the booru tags it has, since a source that was not asked is not a "no match".
    /// </summary>
    Pending,
}

/// <summary>A candidate offered for review: where it was found, how similar, and its links (for the links report).</summary>
/// <param name="Source">The service that offered it.</param>
/// <param name="SimilarityPercent">0–100; null for ASCII2D.</param>
/// <param name="DanbooruPostId">The Danbooru post it names, if any.</param>
/// <param name="Urls">Links to the candidate (absolute https URLs).</param>
public sealed record BooruCandidate(BooruSource Source, double? SimilarityPercent, long? DanbooruPostId, IReadOnlyList<Uri> Urls);

/// <summary>
/// The booru facts of one asset, public so later steps (workflow rules) can read them: the verdict, the post taken
/// with its rating, characters, series and artists, where it was found and how similar it was.
/// </summary>
/// <param name="AssetId">The Immich asset.</param>
/// <param name="Checksum">Immich's <c>checksum</c> of the asset (base64 SHA-1 of the original): the cache key.</param>
/// <param name="Verdict">What the look-ups concluded.</param>
/// <param name="Source">The source of the accepted post; null unless <see cref="BooruVerdict.Accepted"/>.</param>
/// <param name="SimilarityPercent">The accepted candidate's similarity; null for an exact MD5 match.</param>
/// <param name="Post">The accepted Danbooru post; null unless accepted.</param>
/// <param name="ReviewCandidates">Candidates between the review and accept bars, most similar first.</param>
/// <param name="Md5">The original file's MD5 (32 lowercase hex digits) when it was computed.</param>
public sealed record BooruAssetResult(
    Guid AssetId,
    string Checksum,
    BooruVerdict Verdict,
    BooruSource? Source,
    double? SimilarityPercent,
    BooruPost? Post,
    IReadOnlyList<BooruCandidate> ReviewCandidates,
    string? Md5 = null)
{
    /// <summary>The accepted post's rating; null when no post was taken.</summary>
    public BooruRating? Rating => Post?.Rating;

    /// <summary>The accepted post's character tags (Danbooru form); empty when no post was taken.</summary>
    public IReadOnlyList<string> Characters => Post?.Characters ?? [];

    /// <summary>The accepted post's copyright (series) tags; empty when no post was taken.</summary>
    public IReadOnlyList<string> Series => Post?.Copyrights ?? [];

    /// <summary>The accepted post's artist tags; empty when no post was taken.</summary>
    public IReadOnlyList<string> Artists => Post?.Artists ?? [];

    /// <summary>
    /// Where the tags come from, as the plan shows it: <c>danbooru md5 exact</c>, <c>saucenao 94.6 %</c>,
    /// <c>iqdb 93 %</c>; for a review, the best candidate's; null when there is nothing to say.
    /// </summary>
    public string? Provenance => Verdict switch
    {
        BooruVerdict.Accepted => Describe(Source!.Value, SimilarityPercent) + (Post is { } p ? $", danbooru post {p.Id}" : string.Empty),
        BooruVerdict.Review when ReviewCandidates.Count > 0 => "review: " + Describe(ReviewCandidates[0].Source, ReviewCandidates[0].SimilarityPercent) + " below the accept bar",
        _ => null,
    };

    /// <summary><c>danbooru md5 exact</c> or <c>&lt;source&gt; &lt;similarity&gt; %</c>.</summary>
    public static string Describe(BooruSource source, double? similarity) => source switch
    {
        BooruSource.DanbooruMd5 => "danbooru md5 exact",
        _ => similarity is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"{SourceName(source)} {s:0.#} %")
            : $"{SourceName(source)} (no score)",
    };

    /// <summary>The config name of a source: danbooru_md5, saucenao, iqdb, ascii2d.</summary>
    public static string SourceName(BooruSource source) => Configuration.BooruSourceConfig.NameOf(source);
}
