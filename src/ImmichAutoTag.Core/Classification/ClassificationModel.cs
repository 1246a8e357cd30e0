using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Classification;

public enum ClassificationStatus
{
    /// <summary>No rule matched.</summary>
    Unclassified,

    /// <summary>Exactly one rule matched, through at most one album.</summary>
    Classified,

    /// <summary>Two or more rules matched, or one rule matched two or more albums.</summary>
    Conflict,
}

/// <summary>
/// What the rules look at for one asset: the tags attached to it directly (compared by leaf name)
/// and the names of the albums it belongs to, one entry per album.
/// </summary>
public sealed record AssetFacts(Guid AssetId, IReadOnlyList<Tag> Tags, IReadOnlyList<string> AlbumNames);

/// <summary>One rule that hit an asset, with the criteria that made it hit.</summary>
public sealed record RuleMatch(
    int RuleIndex,
    RuleConfig Rule,
    IReadOnlyList<string> MatchedTagNames,
    IReadOnlyList<string> MatchedAlbumNames,
    IReadOnlyList<Guid> MatchedAssetLinks);

public sealed record AssetClassification(ClassificationStatus Status, IReadOnlyList<RuleMatch> Matches)
{
    /// <summary>Album names matched across all rules; with one rule, more than one means a conflict.</summary>
    public int MatchedAlbumCount => Matches.Sum(m => m.MatchedAlbumNames.Count);

    /// <summary>The verdict for an asset no rule matched (no matches, status unclassified).</summary>
    public static AssetClassification Unclassified { get; } = new(ClassificationStatus.Unclassified, []);

    public static AssetClassification From(IReadOnlyList<RuleMatch> matches)
    {
        var albums = matches.Sum(m => m.MatchedAlbumNames.Count);
        var status = matches.Count switch
        {
            0 => ClassificationStatus.Unclassified,
            1 when albums <= 1 => ClassificationStatus.Classified,
            _ => ClassificationStatus.Conflict,
        };
        return new AssetClassification(status, matches);
    }
}

/// <summary>
/// A run fact (<see cref="Engine.RunFacts"/>): the final classification status of every asset the run may change,
/// set by the planner before the feature steps plan (the workflow rules' conditions read it).
/// </summary>
/// <param name="Statuses">Asset id → status; assets out of scope (partners', filtered, timed out, motion parts) are absent.</param>
public sealed record ClassificationVerdicts(IReadOnlyDictionary<Guid, ClassificationStatus> Statuses);
