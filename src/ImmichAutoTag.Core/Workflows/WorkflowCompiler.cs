using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Enrichment.Booru;
using NRules;
using NRules.RuleModel;
using NRules.RuleModel.Builders;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// Turns <c>workflows.rules</c> into an NRules rule set with the rule model builders: one rule per workflow rule, one
/// pattern over <see cref="WorkflowFact"/> with one alpha condition per key of the top-level <c>when</c> map (NRules
/// shares equal conditions between rules), collected (NRules' <c>Collect</c> aggregate) into the facts the rule holds
/// for, and an action that records the rule on each of them. The session factory is compiled once and kept (<c>Shared</c>);
/// <see cref="Fire"/> inserts the run's facts and fires.
/// <para>
/// Collecting makes a rule one activation per run instead of one per asset it holds for: NRules' per-activation
/// bookkeeping (a tuple, an agenda entry, an action call) cost about twice the CPU and memory of the rest of the
/// session on a large library, and the outcome is the same (the order the rules fired in is not used: the planner
/// orders them by priority and place).
/// </para>
/// <para>
/// The same condition expressions are also compiled into one plain delegate that says whether any rule could fire for
/// a fact. Only those facts go into the NRules session: most assets of a large library match no rule, and NRules'
/// working memory (alpha memories, tuples, activations) costs far more per fact than the delegate does. A fact left
/// out is one for which no rule fires, so the outcome is the same.
/// </para>
/// </summary>
public sealed class WorkflowCompiler
{
    private const string FactName = "asset";
    private const string MatchesName = "assets";

    private static readonly MethodInfo FireAllMethod = typeof(WorkflowFact).GetMethod(nameof(WorkflowFact.FireAll))!; // non-null: a public method of ours

    private readonly ISessionFactory _factory;
    private readonly Func<WorkflowFact, bool> _anyRuleHolds;

    private WorkflowCompiler(ISessionFactory factory, IReadOnlyList<IRuleDefinition> definitions, Func<WorkflowFact, bool> anyRuleHolds)
    {
        _factory = factory;
        Definitions = definitions;
        _anyRuleHolds = anyRuleHolds;
    }

    /// <summary>How many distinct costly condition tests (patterns, tag look-ups) a fact remembers the result of (<see cref="WorkflowFact.Remember"/>).</summary>
    internal int RememberedTests { get; private init; }

    /// <summary>The NRules rule definitions, in <c>workflows.rules</c> order.</summary>
    public IReadOnlyList<IRuleDefinition> Definitions { get; }

    /// <summary>Builds and compiles the rule set of <paramref name="config"/>.</summary>
    /// <param name="config">The <c>workflows:</c> section.</param>
    /// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): a plain <c>tags:</c> entry does not match a CLIP label or booru tag below them; null for none.</param>
    /// <exception cref="ArgumentException">A condition the config loader should have refused (an unknown media type, rating or status, a bad date).</exception>
    public static WorkflowCompiler Compile(WorkflowsConfig config, ToolTagRoots? toolTags = null) => Compile(config, toolTags, remember: true);

    /// <param name="remember">False: every condition test is made each time it is asked (tests compare the outcome with the remembered one).</param>
    internal static WorkflowCompiler Compile(WorkflowsConfig config, ToolTagRoots? toolTags, bool remember)
    {
        ArgumentNullException.ThrowIfNull(config);
        var roots = toolTags ?? ToolTagRoots.None;
        var slots = new Slots(remember ? Slots.Capacity : 0);
        var definitions = new List<IRuleDefinition>(config.Rules.Count);
        for (var i = 0; i < config.Rules.Count; i++)
        {
            definitions.Add(Build(config.Rules[i], i, roots, slots));
        }

        var factory = new RuleCompiler().Compile(definitions);
        return new WorkflowCompiler(factory, definitions, AnyRuleHolds(config, roots, slots)) { RememberedTests = slots.Count };
    }

    private static readonly Lock SharedLock = new();
    private static (string Key, WorkflowCompiler Compiled)? _shared;

    /// <summary>
    /// The rule set of <paramref name="config"/> as <see cref="Compile(WorkflowsConfig, ToolTagRoots?)"/> builds it, kept
    /// for the process: a daemon plans with the same rules run after run, and building the rule set, compiling its
    /// expressions and the JIT compiling those would otherwise be paid on every run. The last rule set is kept under a key written from every value of the section (<see cref="KeyOf"/>):
    /// any change to the rules, however small, compiles anew. A session factory serves concurrent sessions, and a
    /// compiled rule set keeps no state between <see cref="Fire(IReadOnlyCollection{WorkflowFact}, CancellationToken)"/> calls.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Compile(WorkflowsConfig, ToolTagRoots?)"/>.</exception>
    public static WorkflowCompiler Shared(WorkflowsConfig config, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var key = KeyOf(config, toolTags ?? ToolTagRoots.None);
        lock (SharedLock)
        {
            if (_shared is { } kept && string.Equals(kept.Key, key, StringComparison.Ordinal))
            {
                return kept.Compiled;
            }
        }

        var compiled = Compile(config, toolTags);
        lock (SharedLock)
        {
            _shared = (key, compiled);
        }

        return compiled;
    }

    /// <summary>
    /// Every value of <paramref name="config"/> (each public property of its records, at any depth, in name order;
    /// a pattern by its text, .NET source, options and time-out) and the tool's tag roots, as one text: equal texts
    /// compile to the same rule set. Read by reflection, so a condition key added later is part of it unasked.
    /// </summary>
    internal static string KeyOf(WorkflowsConfig config, ToolTagRoots roots)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(roots);
        var text = new System.Text.StringBuilder();
        Append(text, roots.Roots);
        Append(text, config);
        return text.ToString();

        static void Append(System.Text.StringBuilder text, object? value)
        {
            switch (value)
            {
                case null:
                    text.Append('~');
                    break;
                case string s:
                    // Length first: no text can be read as two others.
                    text.Append(CultureInfo.InvariantCulture, $"\"{s.Length}:").Append(s);
                    break;
                case CompiledPattern p:
                    text.Append('/');
                    Append(text, p.Written);
                    Append(text, p.Source);
                    Append(text, p.Regex.ToString());
                    text.Append(CultureInfo.InvariantCulture, $"{(int)p.Regex.Options},{p.Regex.MatchTimeout.Ticks}");
                    break;
                case bool or int or long or double or decimal or Enum or DateOnly or DateTimeOffset or TimeSpan:
                    text.Append(CultureInfo.InvariantCulture, $"{value}");
                    break;
                case System.Collections.IEnumerable items:
                    text.Append('[');
                    foreach (var item in items)
                    {
                        Append(text, item);
                        text.Append(',');
                    }

                    text.Append(']');
                    break;
                default:
                    text.Append('{').Append(value.GetType().FullName).Append(':');
                    foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        text.Append(property.Name).Append('=');
                        Append(text, property.GetValue(value));
                        text.Append(';');
                    }

                    text.Append('}');
                    break;
            }
        }
    }

    /// <summary>
    /// Inserts those of <paramref name="facts"/> some rule's condition holds for into a new session and fires every
    /// rule whose condition holds.
    /// </summary>
    /// <returns>How many facts went into the session.</returns>
    public int Fire(IReadOnlyCollection<WorkflowFact> facts, CancellationToken ct) => Fire(facts, preFilter: true, ct);

    /// <param name="preFilter">False: every fact goes into the session (tests compare the outcome with the pre-filtered one).</param>
    internal int Fire(IReadOnlyCollection<WorkflowFact> facts, bool preFilter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var candidates = new List<WorkflowFact>();
        foreach (var fact in facts)
        {
            if (!preFilter || _anyRuleHolds(fact))
            {
                candidates.Add(fact);
            }
        }

        if (candidates.Count == 0)
        {
            return 0;
        }

        var session = _factory.CreateSession();
        session.InsertAll(candidates);
        session.Fire(ct);
        return candidates.Count;
    }

    /// <summary>Whether some rule's whole condition holds for <paramref name="fact"/> (OR over the rules of the AND of each rule's conditions).</summary>
    private static Func<WorkflowFact, bool> AnyRuleHolds(WorkflowsConfig config, ToolTagRoots roots, Slots slots)
    {
        var fact = Expression.Parameter(typeof(WorkflowFact), FactName);
        var body = Or(config.Rules.Select(r => And(Conditions(r.When, fact, roots, slots))));
        return Expression.Lambda<Func<WorkflowFact, bool>>(body, fact).Compile();
    }

    private static IRuleDefinition Build(WorkflowRuleConfig rule, int index, ToolTagRoots roots, Slots slots)
    {
        var builder = new RuleBuilder();
        builder.Name(rule.Name);
        builder.Priority(rule.Priority);
        var matches = builder.LeftHandSide().Pattern(typeof(IEnumerable<WorkflowFact>), MatchesName);
        var collect = matches.Aggregate();
        collect.Collect();
        var pattern = collect.Pattern(typeof(WorkflowFact), FactName);
        var fact = pattern.Declaration.ToParameterExpression();
        foreach (var condition in Conditions(rule.When, fact, roots, slots))
        {
            pattern.Condition(Expression.Lambda(condition, fact));
        }

        var context = Expression.Parameter(typeof(IContext), "ctx");
        var facts = matches.Declaration.ToParameterExpression();
        var action = Expression.Call(FireAllMethod, facts, Expression.Constant(index));
        builder.RightHandSide().Action(Expression.Lambda(action, context, facts));
        return builder.Build();
    }

    /// <summary>One expression per key written in <paramref name="c"/>; all of them must hold.</summary>
    private static List<Expression> Conditions(WorkflowConditionConfig c, ParameterExpression f, ToolTagRoots roots, Slots slots)
    {
        var list = new List<Expression>();
        var asset = Expression.Property(f, nameof(WorkflowFact.Asset));
        if (c.AlbumNamePatterns.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.InAlbum), f, Expression.Constant(c.AlbumNamePatterns.ToArray())), f, nameof(WorkflowFact.InAlbum), Patterns(c.AlbumNamePatterns)));
        }

        if (c.Tags.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.HasTag), f, Expression.Constant(c.Tags.ToArray()), Expression.Constant(roots)), f, nameof(WorkflowFact.HasTag), c.Tags));
        }

        if (c.MediaTypes.Count > 0)
        {
            var type = Expression.Property(asset, nameof(Asset.Type));
            list.Add(Or(c.MediaTypes.Select(t => (Expression)Expression.Equal(type, Expression.Constant(MediaType(t))))));
        }

        var day = Expression.Property(f, nameof(WorkflowFact.LocalDay));
        if (c.TakenFrom is { } from)
        {
            list.Add(Expression.GreaterThanOrEqual(day, Expression.Constant(Day(from))));
        }

        if (c.TakenTo is { } to)
        {
            list.Add(Expression.LessThanOrEqual(day, Expression.Constant(Day(to))));
        }

        if (c.FileNamePatterns.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.FileNameMatches), f, Expression.Constant(c.FileNamePatterns.ToArray())), f, nameof(WorkflowFact.FileNameMatches), Patterns(c.FileNamePatterns)));
        }

        if (c.FolderPatterns.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.FolderMatches), f, Expression.Constant(c.FolderPatterns.ToArray())), f, nameof(WorkflowFact.FolderMatches), Patterns(c.FolderPatterns)));
        }

        if (c.CameraMakePatterns.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.CameraMakeMatches), f, Expression.Constant(c.CameraMakePatterns.ToArray())), f, nameof(WorkflowFact.CameraMakeMatches), Patterns(c.CameraMakePatterns)));
        }

        if (c.CameraModelPatterns.Count > 0)
        {
            list.Add(slots.Remembered(Call(nameof(WorkflowFact.CameraModelMatches), f, Expression.Constant(c.CameraModelPatterns.ToArray())), f, nameof(WorkflowFact.CameraModelMatches), Patterns(c.CameraModelPatterns)));
        }

        if (c.Favorite is { } favorite)
        {
            list.Add(Expression.Equal(Expression.Property(asset, nameof(Asset.IsFavorite)), Expression.Constant(favorite)));
        }

        if (c.Archived is { } archived)
        {
            list.Add(Expression.Equal(Call(nameof(WorkflowFact.IsArchived), f), Expression.Constant(archived)));
        }

        var duplicates = Expression.Property(f, nameof(WorkflowFact.DuplicateCount));
        if (c.InDuplicateGroup is { } inGroup)
        {
            list.Add(inGroup ? Expression.GreaterThan(duplicates, Expression.Constant(1)) : Expression.LessThanOrEqual(duplicates, Expression.Constant(1)));
        }

        if (c.MinDuplicates is { } min)
        {
            list.Add(Expression.GreaterThanOrEqual(duplicates, Expression.Constant(min)));
        }

        if (c.Classification.Count > 0)
        {
            var status = Expression.Property(f, nameof(WorkflowFact.Status));
            list.Add(Or(c.Classification.Select(s => (Expression)Expression.Equal(status, Expression.Constant(Status(s), typeof(ClassificationStatus?))))));
        }

        if (c.ClipLabel is { } clip)
        {
            list.Add(Call(
                nameof(WorkflowFact.ClipScore),
                f,
                Expression.Constant(clip.Label),
                Expression.Constant((clip.MinPercent ?? 0) / 100.0),
                Expression.Constant((clip.MaxPercent ?? 100) / 100.0)));
        }

        if (c.Booru is { } booru)
        {
            list.AddRange(BooruConditions(booru, f));
        }

        if (c.All.Count > 0)
        {
            list.Add(And(c.All.Select(a => And(Conditions(a, f, roots, slots)))));
        }

        if (c.Any.Count > 0)
        {
            list.Add(Or(c.Any.Select(a => And(Conditions(a, f, roots, slots)))));
        }

        if (c.Not is { } not)
        {
            list.Add(Expression.Not(And(Conditions(not, f, roots, slots))));
        }

        return list;
    }

    private static IEnumerable<Expression> BooruConditions(WorkflowBooruConditionConfig b, ParameterExpression f)
    {
        // A booru condition with no key still asks for a match (accepted, or candidates to review): every key then narrows it.
        var verdicts = b.Verdicts.Count > 0 ? b.Verdicts.Select(Verdict).Distinct().ToArray() : [BooruVerdict.Accepted, BooruVerdict.Review];
        yield return Call(nameof(WorkflowFact.BooruVerdictIs), f, Expression.Constant(verdicts));
        if (b.Ratings.Count > 0)
        {
            yield return Call(nameof(WorkflowFact.BooruRated), f, Expression.Constant(b.Ratings.Select(Rating).ToArray()));
        }

        foreach (var (kind, names) in new[] { (BooruTagKind.Character, b.Characters), (BooruTagKind.Copyright, b.Copyrights), (BooruTagKind.Artist, b.Artists) })
        {
            if (names.Count > 0)
            {
                yield return Call(nameof(WorkflowFact.BooruHas), f, Expression.Constant(kind), Expression.Constant(names.ToArray()));
            }
        }

        if (b.MinSimilarity is not null || b.MaxSimilarity is not null)
        {
            yield return Call(nameof(WorkflowFact.BooruSimilarity), f, Expression.Constant((double)(b.MinSimilarity ?? 0)), Expression.Constant((double)(b.MaxSimilarity ?? 100)));
        }
    }

    /// <summary>What an equal pattern test is known by: each pattern's .NET source and options (its time-out is the section's).</summary>
    private static IEnumerable<string> Patterns(IReadOnlyList<CompiledPattern> patterns) =>
        patterns.Select(p => $"{(int)p.Regex.Options}:{p.Regex}");

    /// <summary>
    /// Numbers the costly condition tests (pattern matches, tag look-ups) by what they test, so equal tests in the
    /// pre-check and in any rule share one number and the fact remembers the result (<see cref="WorkflowFact.Remember"/>):
    /// each is made once per fact. A fact remembers 64 tests; further ones are made each time they are asked.
    /// </summary>
    private sealed class Slots(int capacity)
    {
        /// <summary>As many tests as a fact has bits to remember them in.</summary>
        public const int Capacity = 64;

        private static readonly MethodInfo IsKnownMethod = typeof(WorkflowFact).GetMethod(nameof(WorkflowFact.IsKnown))!; // non-null: public methods of ours
        private static readonly MethodInfo KnownMethod = typeof(WorkflowFact).GetMethod(nameof(WorkflowFact.Known))!;
        private static readonly MethodInfo RememberMethod = typeof(WorkflowFact).GetMethod(nameof(WorkflowFact.Remember))!;

        private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);

        public int Count => _numbers.Count;

        /// <summary><paramref name="test"/> answered from the fact's memory when made before, else made and remembered.</summary>
        /// <param name="kind">The helper's name.</param>
        /// <param name="arguments">What the test is given, as text (two tests with the same kind and arguments give the same answer).</param>
        public Expression Remembered(Expression test, ParameterExpression fact, string kind, IEnumerable<string> arguments)
        {
            var key = string.Join('\u0001', arguments.Prepend(kind));
            if (!_numbers.TryGetValue(key, out var slot))
            {
                if (_numbers.Count == capacity)
                {
                    return test;
                }

                slot = _numbers.Count;
                _numbers[key] = slot;
            }

            var number = Expression.Constant(slot);
            return Expression.Condition(
                Expression.Call(IsKnownMethod, fact, number),
                Expression.Call(KnownMethod, fact, number),
                Expression.Call(RememberMethod, fact, number, test));
        }
    }

    private static MethodCallExpression Call(string method, params Expression[] args) =>
        Expression.Call(typeof(WorkflowFact).GetMethod(method, BindingFlags.Public | BindingFlags.Static)!, args); // non-null: our own helpers, named by nameof

    /// <summary>AND of <paramref name="parts"/>; true when there are none (an empty condition holds for every asset).</summary>
    private static Expression And(IEnumerable<Expression> parts) =>
        parts.Aggregate((Expression?)null, (acc, e) => acc is null ? e : Expression.AndAlso(acc, e)) ?? Expression.Constant(true);

    private static Expression Or(IEnumerable<Expression> parts) =>
        parts.Aggregate((Expression?)null, (acc, e) => acc is null ? e : Expression.OrElse(acc, e)) ?? Expression.Constant(false);

    /// <summary>An Immich asset type as written in config (image, video, audio, other).</summary>
    public static AssetType MediaType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "image" => AssetType.Image,
        "video" => AssetType.Video,
        "audio" => AssetType.Audio,
        "other" => AssetType.Other,
        _ => throw new ArgumentException($"unknown media type '{text}'", nameof(text)),
    };

    /// <summary>A classification status as written in config (classified, unclassified, conflict).</summary>
    public static ClassificationStatus Status(string text) => text.Trim().ToLowerInvariant() switch
    {
        "classified" => ClassificationStatus.Classified,
        "unclassified" => ClassificationStatus.Unclassified,
        "conflict" => ClassificationStatus.Conflict,
        _ => throw new ArgumentException($"unknown classification status '{text}'", nameof(text)),
    };

    /// <summary>A booru verdict as written in config (accepted, review, not_found).</summary>
    public static BooruVerdict Verdict(string text) => text.Trim().ToLowerInvariant() switch
    {
        "accepted" => BooruVerdict.Accepted,
        "review" => BooruVerdict.Review,
        "not_found" => BooruVerdict.NotFound,
        _ => throw new ArgumentException($"unknown booru verdict '{text}'", nameof(text)),
    };

    /// <summary>A booru rating as written in config (general, sensitive, questionable, explicit, or g/s/q/e).</summary>
    public static BooruRating Rating(string text) => text.Trim().ToLowerInvariant() switch
    {
        "general" or "g" => BooruRating.General,
        "sensitive" or "s" => BooruRating.Sensitive,
        "questionable" or "q" => BooruRating.Questionable,
        "explicit" or "e" => BooruRating.Explicit,
        _ => throw new ArgumentException($"unknown booru rating '{text}'", nameof(text)),
    };

    /// <summary>A day written as YYYY-MM-DD.</summary>
    public static DateOnly Day(string text) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new ArgumentException($"'{text}' is not a day written as YYYY-MM-DD", nameof(text));
}
