using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Classification;

/// <summary>
/// The classification rules compiled once per run into matching delegates. Upstream semantics: a rule
/// hits when any of its criteria hits (exact, case-sensitive tag leaf names; album-name regexes anchored
/// at the start only, like Python's re.match; asset ids from links). A tag entry containing '/' is a full
/// tag path (Immich's tag <c>value</c>, e.g. <c>Source/Screenshots</c>) and matches only that tag. A plain entry never
/// matches a tag below the tool's enrichment roots (<see cref="ToolTagRoots"/>): those are the model's or a booru
/// site's guesses, not the user's tags.
/// </summary>
public sealed class RuleClassifier
{
    private readonly IReadOnlyList<Func<AssetFacts, RuleMatch?>> _rules;
    private readonly ConcurrentDictionary<PatternTimeout, bool> _timedOut;

    private RuleClassifier(IReadOnlyList<Func<AssetFacts, RuleMatch?>> rules, IReadOnlySet<string> tagNames, ConcurrentDictionary<PatternTimeout, bool> timedOut)
    {
        _rules = rules;
        TagNames = tagNames;
        _timedOut = timedOut;
    }

    /// <summary>
    /// The (pattern, album name) pairs whose match ran out of time so far, in no particular order. Such an album
    /// counts as not matched by that pattern; the caller reports each pair once.
    /// </summary>
    public IReadOnlyList<PatternTimeout> TimedOut => [.. _timedOut.Keys];

    /// <summary>Whether some pattern ran out of time on some album name so far (almost never: callers skip the per-asset check).</summary>
    public bool AnyTimedOut => !_timedOut.IsEmpty;

    /// <summary>Whether some pattern ran out of time on one of <paramref name="albumNames"/>.</summary>
    public bool TimedOutOn(IEnumerable<string> albumNames)
    {
        ArgumentNullException.ThrowIfNull(albumNames);
        return !_timedOut.IsEmpty && albumNames.Any(n => _timedOut.Keys.Any(t => string.Equals(t.AlbumName, n, StringComparison.Ordinal)));
    }

    /// <summary>
    /// Every tag entry some rule looks for, as written: leaf names and full paths (those containing '/'); only the
    /// tags they match (see <see cref="TagEntryMatches"/>) need to be read from the server.
    /// </summary>
    public IReadOnlySet<string> TagNames { get; }

    /// <summary>
    /// Whether a rule's tag entry names <paramref name="tag"/>: an entry with '/' is compared with the full path
    /// (Immich's <c>value</c>, leading and trailing '/' ignored), a plain entry with the leaf name (<c>name</c>),
    /// as upstream does, unless the tag lies below one of <paramref name="toolTags"/>' roots. Case-sensitive.
    /// </summary>
    public static bool TagEntryMatches(string entry, Tag tag, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tag);
        return IsPath(entry)
            ? string.Equals(tag.Value, entry.Trim('/'), StringComparison.Ordinal)
            : string.Equals(tag.Name, entry, StringComparison.Ordinal) && !(toolTags ?? ToolTagRoots.None).Covers(tag.Value);
    }

    private static bool IsPath(string entry) => entry.Contains('/', StringComparison.Ordinal);

    public int RuleCount => _rules.Count;

    /// <summary>Builds the matching delegates; the album-name patterns arrive compiled (see <see cref="CompiledPattern"/>).</summary>
    /// <param name="rules">The rules, in config order.</param>
    /// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain entries do not match tags below them; null for none.</param>
    public static RuleClassifier Compile(IReadOnlyList<RuleConfig> rules, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        toolTags ??= ToolTagRoots.None;
        var compiled = new List<Func<AssetFacts, RuleMatch?>>(rules.Count);
        var allTags = new HashSet<string>(StringComparer.Ordinal);
        var timedOut = new ConcurrentDictionary<PatternTimeout, bool>();
        for (var i = 0; i < rules.Count; i++)
        {
            compiled.Add(CompileRule(i, rules[i], toolTags, timedOut));
            allTags.UnionWith(rules[i].TagNames);
        }

        return new RuleClassifier(compiled, allTags, timedOut);
    }

    /// <summary>
    /// Classifies one asset. Never throws for a slow pattern: an album name a pattern ran out of time on counts as
    /// not matched by it and is listed in <see cref="TimedOut"/>.
    /// </summary>
    public AssetClassification Classify(AssetFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        // Called once per asset or more: the usual outcomes (no rule, one rule) allocate no list. Assets no
        // rule matches share one immutable verdict.
        RuleMatch? first = null;
        List<RuleMatch>? more = null;
        foreach (var rule in _rules)
        {
            if (rule(facts) is not { } match)
            {
                continue;
            }

            if (first is null)
            {
                first = match;
            }
            else
            {
                (more ??= [first]).Add(match);
            }
        }

        return first is null ? AssetClassification.Unclassified
            : more is null ? AssetClassification.From([first])
            : AssetClassification.From(more);
    }

    private static Func<AssetFacts, RuleMatch?> CompileRule(int index, RuleConfig rule, ToolTagRoots toolTags, ConcurrentDictionary<PatternTimeout, bool> timedOut)
    {
        var tagNames = rule.TagNames.Where(e => !IsPath(e)).ToHashSet(StringComparer.Ordinal);
        var tagPaths = rule.TagNames.Where(IsPath).Select(e => e.Trim('/')).ToHashSet(StringComparer.Ordinal);
        var patterns = rule.AlbumNamePatterns.ToArray();
        var assetIds = rule.AssetIds.ToHashSet();

        bool Hits(int p, string name)
        {
            try
            {
                return patterns[p].IsMatch(name);
            }
            catch (RegexMatchTimeoutException)
            {
                // One slow pattern on one album must not stop the run: that album is not matched by it, and said so.
                timedOut.TryAdd(new PatternTimeout(patterns[p].Source, name, patterns[p].Regex.MatchTimeout), true);
                return false;
            }
        }

        // Libraries have few distinct album names and many assets per album: decide each name once.
        var albumHits = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        Func<string, bool> decide = n =>
        {
            for (var p = 0; p < patterns.Length; p++)
            {
                if (Hits(p, n))
                {
                    return true;
                }
            }

            return false;
        };

        // The factory delegate is made once: a lambda written in the call would be a new delegate per lookup.
        bool AlbumHits(string name) => albumHits.GetOrAdd(name, decide);

        return facts =>
        {
            List<string>? tags = null;
            if (tagNames.Count > 0 || tagPaths.Count > 0)
            {
                var assetTags = facts.Tags;
                for (var i = 0; i < assetTags.Count; i++)
                {
                    var tag = assetTags[i];
                    // A leaf-name hit is recorded by name (upstream), a path hit by path: both identify what matched.
                    if (tagNames.Contains(tag.Name) && !toolTags.Covers(tag.Value))
                    {
                        (tags ??= []).Add(tag.Name);
                    }
                    else if (tagPaths.Contains(tag.Value))
                    {
                        (tags ??= []).Add(tag.Value);
                    }
                }
            }

            // Counted first, so the names that hit go into an array of their size (one per asset and rule).
            string[]? albums = null;
            if (patterns.Length > 0)
            {
                var names = facts.AlbumNames;
                var hits = 0;
                for (var i = 0; i < names.Count; i++)
                {
                    hits += AlbumHits(names[i]) ? 1 : 0;
                }

                if (hits > 0)
                {
                    albums = new string[hits];
                    hits = 0;
                    for (var i = 0; i < names.Count; i++)
                    {
                        if (AlbumHits(names[i]))
                        {
                            albums[hits++] = names[i];
                        }
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

/// <summary>An album-name pattern (as given to the regex engine) that ran out of time on one album name.</summary>
/// <param name="Pattern">The pattern after translation from Python's dialect.</param>
/// <param name="AlbumName">The album name it was matched against.</param>
/// <param name="Timeout">The per-match bound it exceeded.</param>
public sealed record PatternTimeout(string Pattern, string AlbumName, TimeSpan Timeout);
