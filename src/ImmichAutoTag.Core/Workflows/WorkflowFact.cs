using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// One asset as the workflow rules see it (the NRules fact): the asset as read, its albums and relevant tags, its
/// classification status this run, its duplicate group's size, its CLIP scores (the CLIP step's <see cref="ClipLabels"/>)
/// and its booru result (the booru step's <see cref="BooruTags"/>). The rules'
/// actions record themselves on the fact (<see cref="Fired"/>); the step resolves them afterwards.
/// </summary>
public sealed class WorkflowFact
{
    private List<int>? _fired;
    private string? _folder;
    private int _folderLength = -1;
    private List<CompiledPattern>? _timedOut;

    // Results of the costly condition tests (patterns, tag look-ups) already made on this fact, a bit per slot
    // (WorkflowCompiler numbers them): the pre-check and each NRules rule using an equal test ask the same question.
    private ulong _known;
    private ulong _held;

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

    /// <summary>
    /// The same asset as the run's earlier rule actions leave it: <paramref name="asset"/> with the favourite and
    /// archive flags they set, <paramref name="albums"/> with the albums they add to. Tags, verdict, duplicate group and
    /// enrichment results are this fact's.
    /// </summary>
    public WorkflowFact Planned(Asset asset, IReadOnlyList<Album> albums) =>
        new(asset, albums, Tags)
        {
            Status = Status,
            DuplicateCount = DuplicateCount,
            Clip = Clip,
            Booru = Booru,
        };

    public IReadOnlyList<Album> Albums { get; }

    public IReadOnlyList<Tag> Tags { get; }

    /// <summary>The folder part of <c>originalPath</c> (up to the last '/' or '\\').</summary>
    public string Folder => _folder ??= FolderSpan.ToString();

    /// <summary>
    /// <see cref="Folder"/> as a part of <c>originalPath</c>, found once per fact: the patterns match it in place, so a
    /// large library makes no folder string per asset.
    /// </summary>
    private ReadOnlySpan<char> FolderSpan
    {
        get
        {
            var path = Asset.OriginalPath;
            if (_folderLength < 0)
            {
                _folderLength = Math.Max(0, Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\')));
            }

            return path.AsSpan(0, _folderLength);
        }
    }

    /// <summary>The local capture day (Immich's <c>localDateTime</c>).</summary>
    public DateOnly LocalDay { get; }

    /// <summary>The classification verdict this run; null when the asset got none (a timed-out pattern).</summary>
    public ClassificationStatus? Status { get; init; }

    /// <summary>How many of the run's assets share the asset's duplicate group (0 when it is in none).</summary>
    public int DuplicateCount { get; init; }

    /// <summary>The CLIP softmax over the label set; null when the asset was not scored this run.</summary>
    public ZeroShotResult? Clip { get; init; }

    /// <summary>
    /// The booru step's result for the asset (<see cref="BooruTags.Results"/>); null when the step is off, did not
    /// select the asset, or its look-ups are still pending.
    /// </summary>
    public BooruAssetResult? Booru { get; init; }

    /// <summary>Indexes (in <c>workflows.rules</c>) of the rules whose condition held, in firing order.</summary>
    public IReadOnlyList<int> Fired => _fired ?? (IReadOnlyList<int>)[];

    /// <summary>
    /// Patterns that ran longer than their match time-out on this asset (null: none). The rules' outcome for the
    /// asset cannot be trusted then (a <c>not:</c> would turn the failed match into a hit), so the step leaves the
    /// asset as it is and reports it.
    /// </summary>
    public IReadOnlyList<CompiledPattern>? TimedOut => _timedOut;

    /// <summary>Called by a rule's action: the rule at <paramref name="ruleIndex"/> holds for this asset.</summary>
    public void Fire(int ruleIndex) => (_fired ??= []).Add(ruleIndex);

    /// <summary>Called by a rule's action with every fact its condition held for (NRules' <c>Collect</c>): records the rule on each.</summary>
    public static void FireAll(IEnumerable<WorkflowFact> facts, int ruleIndex)
    {
        ArgumentNullException.ThrowIfNull(facts);
        foreach (var fact in facts)
        {
            fact.Fire(ruleIndex);
        }
    }

    // ---- condition helpers: the compiled rules call these (one static method per kind of condition) ----

    /// <summary>Whether the condition test numbered <paramref name="slot"/> (0–63) was already made on this fact.</summary>
    public static bool IsKnown(WorkflowFact fact, int slot)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return (fact._known & (1UL << slot)) != 0;
    }

    /// <summary>The remembered result of the condition test numbered <paramref name="slot"/> (<see cref="IsKnown"/> must be true).</summary>
    public static bool Known(WorkflowFact fact, int slot)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return (fact._held & (1UL << slot)) != 0;
    }

    /// <summary>Remembers <paramref name="result"/> as the result of the condition test numbered <paramref name="slot"/> and returns it.</summary>
    public static bool Remember(WorkflowFact fact, int slot, bool result)
    {
        ArgumentNullException.ThrowIfNull(fact);
        var bit = 1UL << slot;
        fact._known |= bit;
        fact._held = result ? fact._held | bit : fact._held & ~bit;
        return result;
    }

    /// <summary>Some album name matches one of <paramref name="patterns"/> at its start.</summary>
    public static bool InAlbum(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        // Indexed loops: a foreach over the IReadOnlyList would allocate an enumerator per asset and rule.
        var albums = fact.Albums;
        for (var i = 0; i < albums.Count; i++)
        {
            if (AnyMatch(fact, patterns, albums[i].Name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The asset carries a tag one of <paramref name="entries"/> names (leaf name, or full path with '/'); a leaf name
    /// never matches a CLIP label or booru tag below <paramref name="toolTags"/> (a rule reads those through
    /// <c>clip_label:</c> and <c>booru:</c>, in the same run).
    /// </summary>
    public static bool HasTag(WorkflowFact fact, string[] entries, ToolTagRoots toolTags)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(entries);
        var tags = fact.Tags;
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            foreach (var e in entries)
            {
                if (RuleClassifier.TagEntryMatches(e, tag, toolTags))
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
        return AnyMatch(fact, patterns, fact.Asset.OriginalFileName);
    }

    /// <summary>The folder part of the original path matches one of <paramref name="patterns"/> (searched anywhere).</summary>
    public static bool FolderMatches(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        return AnyMatch(fact, patterns, fact.FolderSpan);
    }

    /// <summary>Whether one of <paramref name="patterns"/> matches <paramref name="text"/>; a loop, not a lambda: the rules call it for every asset.</summary>
    /// <remarks>
    /// A pattern that runs out of its match time-out (only backtracking ones can) counts as no match and is recorded
    /// on the fact (<see cref="TimedOut"/>); it is not tried again on this fact (the pre-check and NRules test the
    /// same conditions).
    /// </remarks>
    private static bool AnyMatch(WorkflowFact fact, CompiledPattern[] patterns, ReadOnlySpan<char> text)
    {
        foreach (var p in patterns)
        {
            if (p.IsLinearTime)
            {
                if (p.IsMatch(text))
                {
                    return true;
                }

                continue;
            }

            if (fact._timedOut is { } failed && failed.Contains(p))
            {
                continue;
            }

            try
            {
                if (p.IsMatch(text))
                {
                    return true;
                }
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                (fact._timedOut ??= []).Add(p);
            }
        }

        return false;
    }

    /// <summary>The camera make (<c>exifInfo.make</c>) matches one of <paramref name="patterns"/> (searched anywhere); an asset without one never does.</summary>
    public static bool CameraMakeMatches(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        return fact.Asset.CameraMake is { Length: > 0 } make && AnyMatch(fact, patterns, make);
    }

    /// <summary>The camera model (<c>exifInfo.model</c>) matches one of <paramref name="patterns"/> (searched anywhere); an asset without one never does.</summary>
    public static bool CameraModelMatches(WorkflowFact fact, CompiledPattern[] patterns)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(patterns);
        return fact.Asset.CameraModel is { Length: > 0 } model && AnyMatch(fact, patterns, model);
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

    /// <summary>The booru step's verdict for the asset is one of <paramref name="verdicts"/>.</summary>
    public static bool BooruVerdictIs(WorkflowFact fact, BooruVerdict[] verdicts)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Booru is { } b && Array.IndexOf(verdicts, b.Verdict) >= 0;
    }

    /// <summary>The accepted post has one of <paramref name="ratings"/> (no post, no rating).</summary>
    public static bool BooruRated(WorkflowFact fact, BooruRating[] ratings)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Booru is { Rating: { } rating } && Array.IndexOf(ratings, rating) >= 0;
    }

    /// <summary>The accepted post's <paramref name="kind"/> tags (characters, copyrights, artists) include one of <paramref name="names"/>.</summary>
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
            BooruTagKind.Copyright => b.Series,
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

    /// <summary>
    /// How similar the asset's booru match is, in percent: the accepted candidate's similarity (an exact Danbooru MD5
    /// match counts as 100), or for a review the best candidate's; null without a match or when the source gives no
    /// score (ASCII2D).
    /// </summary>
    public static double? Similarity(BooruAssetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Verdict switch
        {
            BooruVerdict.Accepted => result.SimilarityPercent ?? (result.Source == BooruSource.DanbooruMd5 ? 100 : null),
            BooruVerdict.Review when result.ReviewCandidates.Count > 0 => result.ReviewCandidates[0].SimilarityPercent,
            _ => null,
        };
    }

    /// <summary>The booru match's similarity (<see cref="Similarity"/>) lies in [<paramref name="min"/>, <paramref name="max"/>] percent; a match without a score never does.</summary>
    public static bool BooruSimilarity(WorkflowFact fact, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.Booru is { } b && Similarity(b) is { } s && s >= min && s <= max;
    }
}

/// <summary>Which tag list of a booru post a condition looks at.</summary>
public enum BooruTagKind
{
    Character,
    Copyright,
    Artist,
}
