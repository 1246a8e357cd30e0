using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// The booru facts of one asset a workflow condition can test: the matched Danbooru post's rating and tags, and how
/// sure the match is. Built by the booru step from a <see cref="BooruPost"/> and the <see cref="ReverseSearchMatch"/>
/// that led to it (or an exact MD5 look-up, which counts as 100 % similar).
/// </summary>
/// <param name="Rating">The post's rating.</param>
/// <param name="Characters">Character tags (Danbooru spelling, e.g. <c>hu_tao_(genshin_impact)</c>).</param>
/// <param name="Copyrights">Copyright (series) tags.</param>
/// <param name="Artists">Artist tags.</param>
/// <param name="SimilarityPercent">0–100; null when the source gives none (ASCII2D).</param>
/// <param name="Source">Where the match came from.</param>
public sealed record BooruMatchFacts(
    BooruRating Rating,
    IReadOnlyList<string> Characters,
    IReadOnlyList<string> Copyrights,
    IReadOnlyList<string> Artists,
    double? SimilarityPercent,
    BooruSource Source)
{
    /// <summary>The facts of <paramref name="post"/>, found by <paramref name="match"/>, or by its MD5 when <paramref name="match"/> is null (100 %).</summary>
    public static BooruMatchFacts From(BooruPost post, ReverseSearchMatch? match)
    {
        ArgumentNullException.ThrowIfNull(post);
        return new BooruMatchFacts(
            post.Rating,
            post.Characters,
            post.Copyrights,
            post.Artists,
            match is null ? 100 : match.SimilarityPercent,
            match?.Source ?? BooruSource.DanbooruMd5);
    }
}

/// <summary>
/// A run fact (<see cref="Engine.RunFacts"/>) the booru step sets: each asset's booru match, for the workflow rules'
/// <c>booru</c> conditions. Absent when the booru step is off or found nothing.
/// </summary>
/// <param name="Matches">Asset id → its match.</param>
public sealed record BooruMatches(IReadOnlyDictionary<Guid, BooruMatchFacts> Matches);

/// <summary>
/// One asset as the workflow rules see it (the NRules fact): the asset as read, its albums and relevant tags, its
/// classification status this run, its duplicate group's size, its CLIP scores and its booru match. The rules'
/// actions record themselves on the fact (<see cref="Fired"/>); the step resolves them afterwards.
/// </summary>
public sealed class WorkflowFact
{
    private List<int>? _fired;

    /// <param name="asset">The asset as the search returned it.</param>
    /// <param name="albums">Its albums (the tool's temporary albums included).</param>
    /// <param name="tags">Its relevant tags as read (rule inputs and owned tags).</param>
    public WorkflowFact(Asset asset, IReadOnlyList<Album> albums, IReadOnlyList<Tag> tags)
    {
        ArgumentNullException.ThrowIfNull(asset);
        ArgumentNullException.ThrowIfNull(albums);
        ArgumentNullException.ThrowIfNull(tags);
        Asset = asset;
        Albums = albums;
        Tags = tags;
        LocalDay = DateOnly.FromDateTime(asset.LocalDateTime.DateTime);
    }

    public Asset Asset { get; }

    public IReadOnlyList<Album> Albums { get; }

    public IReadOnlyList<Tag> Tags { get; }

    /// <summary>The local capture day (Immich's <c>localDateTime</c>).</summary>
    public DateOnly LocalDay { get; }

    /// <summary>The classification verdict this run; null when the asset got none (a timed-out pattern).</summary>
    public ClassificationStatus? Status { get; init; }

    /// <summary>How many of the run's assets share the asset's duplicate group (0 when it is in none).</summary>
    public int DuplicateCount { get; init; }

    /// <summary>The CLIP softmax over the label set; null when the asset was not scored this run.</summary>
    public ZeroShotResult? Clip { get; init; }

    /// <summary>The booru match; null when the asset has none.</summary>
    public BooruMatchFacts? Booru { get; init; }

    /// <summary>Indexes (in <c>workflows.rules</c>) of the rules whose condition held, in firing order.</summary>
    public IReadOnlyList<int> Fired => _fired ?? (IReadOnlyList<int>)[];

    /// <summary>Called by a rule's action: the rule at <paramref name="ruleIndex"/> holds for this asset.</summary>
    public void Fire(int ruleIndex) => (_fired ??= []).Add(ruleIndex);

    // ---- condition helpers: the compiled rules call these (one static method per kind of condition) ----

    /// <summary>Some album name matches one of <paramref name="patterns"/> at its start.</summary>
    public static bool InAlbum(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var album in fact.Albums)
        {
            foreach (var p in patterns)
            {
                if (p.IsMatch(album.Name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The asset carries a tag one of <paramref name="entries"/> names (leaf name, or full path with '/').</summary>
    public static bool HasTag(WorkflowFact fact, string[] entries)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var tag in fact.Tags)
        {
            foreach (var e in entries)
            {
                if (RuleClassifier.TagEntryMatches(e, tag))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The file name matches one of <paramref name="patterns"/> (searched anywhere).</summary>
    public static bool FileNameMatches(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        return Array.Exists(patterns, p => p.IsMatch(fact.Asset.OriginalFileName));
    }

    /// <summary>The folder part of the original path matches one of <paramref name="patterns"/> (searched anywhere).</summary>
    public static bool FolderMatches(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        var path = fact.Asset.OriginalPath;
        var cut = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        var folder = cut < 0 ? string.Empty : path[..cut];
        return Array.Exists(patterns, p => p.IsMatch(folder));
    }

    /// <summary>Whether the asset is archived (Immich 3's <c>visibility</c>, or the older <c>isArchived</c>).</summary>
    public static bool IsArchived(WorkflowFact fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Asset.Visibility == AssetVisibility.Archive || fact.Asset.IsArchived;
    }

    /// <summary>The probability of <paramref name="label"/> lies in [<paramref name="min"/>, <paramref name="max"/>] (0–1).</summary>
    public static bool ClipScore(WorkflowFact fact, string label, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(fact);
        if (fact.Clip is not { } clip)
        {
            return false;
        }

        foreach (var p in clip.Probabilities)
        {
            if (string.Equals(p.Label, label, StringComparison.Ordinal))
            {
                return p.Probability >= min && p.Probability <= max;
            }
        }

        return false;
    }

    /// <summary>The booru match has one of <paramref name="ratings"/>.</summary>
    public static bool BooruRated(WorkflowFact fact, BooruRating[] ratings)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Booru is { } b && Array.IndexOf(ratings, b.Rating) >= 0;
    }

    /// <summary>The booru match's <paramref name="kind"/> tags (characters, copyrights, artists) include one of <paramref name="names"/>.</summary>
    public static bool BooruHas(WorkflowFact fact, BooruTagKind kind, string[] names)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(names);
        if (fact.Booru is not { } b)
        {
            return false;
        }

        var tags = kind switch
        {
            BooruTagKind.Character => b.Characters,
            BooruTagKind.Copyright => b.Copyrights,
            _ => b.Artists,
        };
        foreach (var tag in tags)
        {
            if (Array.IndexOf(names, tag) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The booru match's similarity lies in [<paramref name="min"/>, <paramref name="max"/>] percent; a match without a score never does.</summary>
    public static bool BooruSimilarity(WorkflowFact fact, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Booru is { SimilarityPercent: { } s } && s >= min && s <= max;
    }
}

/// <summary>Which tag list of a booru post a condition looks at.</summary>
public enum BooruTagKind
{
    Character,
    Copyright,
    Artist,
}
