using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Classification;

/// <summary>
/// The classification rules compiled once per run into matching delegates. Upstream semantics: a rule
/// hits when any of its criteria hits (exact, case-sensitive tag leaf names; album-name regexes anchored
/// at the start only, like Python's re.match; asset ids from links). A tag entry containing '/' is a full
/// tag path (Immich's tag <c>value</c>, e.g. <c>Source/Screenshots</c>) and matches only that tag.
/// </summary>
public sealed class RuleClassifier
{
    /// <summary>Bounds the work a pathological user pattern can cause per album name.</summary>
    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<Func<AssetFacts, RuleMatch?>> _rules;

    private RuleClassifier(IReadOnlyList<Func<AssetFacts, RuleMatch?>> rules, IReadOnlySet<string> tagNames)
    {
        _rules = rules;
        TagNames = tagNames;
    }

    /// <summary>
    /// Every tag entry some rule looks for, as written: leaf names and full paths (those containing '/'); only the
    /// tags they match (see <see cref="TagEntryMatches"/>) need to be read from the server.
    /// </summary>
    public IReadOnlySet<string> TagNames { get; }

    /// <summary>
    /// Whether a rule's tag entry names <paramref name="tag"/>: an entry with '/' is compared with the full path
    /// (Immich's <c>value</c>, leading and trailing '/' ignored), a plain entry with the leaf name (<c>name</c>),
    /// as upstream does. Case-sensitive.
    /// </summary>
    public static bool TagEntryMatches(string entry, Tag tag)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tag);
        return IsPath(entry)
            ? string.Equals(tag.Value, entry.Trim('/'), StringComparison.Ordinal)
            : string.Equals(tag.Name, entry, StringComparison.Ordinal);
    }

    private static bool IsPath(string entry) => entry.Contains('/', StringComparison.Ordinal);

    public int RuleCount => _rules.Count;

    /// <exception cref="ArgumentException">A pattern is not a valid .NET regex.</exception>
    public static RuleClassifier Compile(IReadOnlyList<RuleConfig> rules, TimeSpan? regexTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var timeout = regexTimeout ?? DefaultRegexTimeout;
        var compiled = new List<Func<AssetFacts, RuleMatch?>>(rules.Count);
        var allTags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            compiled.Add(CompileRule(i, rules[i], timeout));
            allTags.UnionWith(rules[i].TagNames);
        }

        return new RuleClassifier(compiled, allTags);
    }

    /// <exception cref="RegexMatchTimeoutException">A pattern took too long on one of the asset's album names.</exception>
    public AssetClassification Classify(AssetFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var matches = new List<RuleMatch>();
        foreach (var rule in _rules)
        {
            if (rule(facts) is { } match)
            {
                matches.Add(match);
            }
        }

        return AssetClassification.From(matches);
    }

    /// <summary>Anchors at the start only: Python's re.match, which upstream uses, does not anchor the end.</summary>
    public static Regex CompileAlbumPattern(string pattern, TimeSpan timeout) =>
        new(@"\A(?:" + pattern + ")", RegexOptions.CultureInvariant, timeout);

    private static Func<AssetFacts, RuleMatch?> CompileRule(int index, RuleConfig rule, TimeSpan timeout)
    {
        var tagNames = rule.TagNames.Where(e => !IsPath(e)).ToHashSet(StringComparer.Ordinal);
        var tagPaths = rule.TagNames.Where(IsPath).Select(e => e.Trim('/')).ToHashSet(StringComparer.Ordinal);
        var patterns = rule.EffectiveAlbumRegexes.Select(p => CompileAlbumPattern(p, timeout)).ToArray();
        var assetIds = rule.AssetIds.ToHashSet();

        // Libraries have few distinct album names and many assets per album: decide each name once.
        var albumHits = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        bool AlbumHits(string name) => albumHits.GetOrAdd(name, n => Array.Exists(patterns, p => p.IsMatch(n)));

        return facts =>
        {
            List<string>? tags = null;
            if (tagNames.Count > 0 || tagPaths.Count > 0)
            {
                foreach (var tag in facts.Tags)
                {
                    // A leaf-name hit is recorded by name (upstream), a path hit by path: both identify what matched.
                    if (tagNames.Contains(tag.Name))
                    {
                        (tags ??= []).Add(tag.Name);
                    }
                    else if (tagPaths.Contains(tag.Value))
                    {
                        (tags ??= []).Add(tag.Value);
                    }
                }
            }

            List<string>? albums = null;
            if (patterns.Length > 0)
            {
                foreach (var album in facts.AlbumNames)
                {
                    if (AlbumHits(album))
                    {
                        (albums ??= []).Add(album);
                    }
                }
            }

            Guid[]? links = assetIds.Contains(facts.AssetId) ? [facts.AssetId] : null;

            return tags is null && albums is null && links is null
                ? null
                : new RuleMatch(index, rule, (IReadOnlyList<string>?)tags ?? [], (IReadOnlyList<string>?)albums ?? [], links ?? []);
        };
    }
}
