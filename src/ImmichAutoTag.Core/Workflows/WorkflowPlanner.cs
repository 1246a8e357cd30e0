using System.Diagnostics;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>What the workflow rules see besides the library: this run's verdicts and enrichment results.</summary>
/// <param name="Statuses">Classification status of every asset the run may change (the assets the rules are tested on).</param>
/// <param name="Clip">The CLIP step's scores; null when it is off.</param>
/// <param name="Booru">The booru step's results (<see cref="BooruTags.Results"/>), asset id → result; null when it is off.</param>
public sealed record WorkflowInputs(
    IReadOnlyDictionary<Guid, ClassificationStatus> Statuses,
    ClipLabels? Clip = null,
    IReadOnlyDictionary<Guid, BooruAssetResult>? Booru = null);

/// <summary>The workflow step's plan and where its time went (the benchmark prints the rule engine's share).</summary>
/// <param name="Plan">Changes (each with the rule that asked for it), notes, and the workflow tags each asset should carry (<see cref="StepPlan.OwnedTags"/>).</param>
/// <param name="Facts">Assets the rules were tested on.</param>
/// <param name="Fired">Rule matches (one per rule and asset whose condition held, over all passes; <see cref="Activations"/> counts per rule).</param>
/// <param name="Compile">Building and compiling the NRules rule set.</param>
/// <param name="Engine">Inserting the facts and firing (NRules).</param>
/// <param name="Total">The whole step, facts and resolution included (wall clock).</param>
/// <param name="Cpu">
/// The process's CPU time (user and kernel, every thread) while the step ran: on a busy machine the wall clock
/// counts other processes' turns, this does not. Nothing else of the run works while the step plans.
/// </param>
public sealed record WorkflowOutcome(StepPlan Plan, int Facts, int Fired, TimeSpan Compile, TimeSpan Engine, TimeSpan Total, TimeSpan Cpu = default)
{
    /// <summary>Facts inserted into the NRules session: those some rule's condition holds for (the others cannot fire a rule).</summary>
    public int Inserted { get; init; }

    /// <summary>Assets on which a condition pattern ran out of its time-out, with those patterns: the workflows left them unchanged.</summary>
    public IReadOnlyList<(Asset Asset, IReadOnlyList<CompiledPattern> Patterns)> TimedOut { get; init; } = [];

    /// <summary>
    /// How many passes the rules took to settle (1: no rule changed a favourite or archive flag or an album another
    /// condition could read, as on a rerun; at most <see cref="WorkflowPlanner.MaxPasses"/>).
    /// </summary>
    public int Passes { get; init; } = 1;

    /// <summary>
    /// Per rule (index in <c>workflows.rules</c>): on how many assets it acted, i.e. its condition held in the pass that
    /// decided the asset, or an action of it changed the asset in an earlier pass.
    /// </summary>
    public IReadOnlyList<int> Activations { get; init; } = [];

    /// <summary>The rules' names, in <c>workflows.rules</c> order (the same order as <see cref="Activations"/>).</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    /// <summary>Each rule's name with the number of assets it acted on (<see cref="Activations"/>), in file order.</summary>
    public IEnumerable<(string Rule, int Assets)> RuleActivations() =>
        Rules.Select((name, i) => (name, i < Activations.Count ? Activations[i] : 0));

    /// <summary>
    /// The outcome of a run that planned twice or more (the run plans again on its own plan's result): the assets
    /// tested as read (<paramref name="first"/>), per rule the larger count of the two (a rule that acted in the first
    /// plan acted, even where a later plan finds it no longer holds), the rule engine's times added up, the last plan.
    /// </summary>
    public static WorkflowOutcome Across(WorkflowOutcome first, WorkflowOutcome last)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(last);
        var activations = Enumerable.Range(0, Math.Max(first.Activations.Count, last.Activations.Count))
            .Select(i => Math.Max(i < first.Activations.Count ? first.Activations[i] : 0, i < last.Activations.Count ? last.Activations[i] : 0))
            .ToList();
        var timedOut = first.TimedOut.Concat(last.TimedOut.Where(t => !first.TimedOut.Any(f => f.Asset.Id == t.Asset.Id))).ToList();
        return last with
        {
            Facts = first.Facts,
            Fired = Math.Max(first.Fired, last.Fired),
            Compile = first.Compile + last.Compile,
            Engine = first.Engine + last.Engine,
            Total = first.Total + last.Total,
            Cpu = first.Cpu + last.Cpu,
            Inserted = Math.Max(first.Inserted, last.Inserted),
            TimedOut = timedOut,
            Passes = Math.Max(first.Passes, last.Passes),
            Activations = activations,
            Rules = first.Rules.Count >= last.Rules.Count ? first.Rules : last.Rules,
        };
    }
}

/// <summary>
/// Plans the workflow rules' actions. The rules are compiled into NRules (<see cref="WorkflowCompiler"/>) and fired
/// over one fact per asset the run may change; what the fired rules ask for is then resolved per asset:
/// <list type="number">
/// <item>Fired rules are ordered by <c>priority</c> (highest first), then by their place in <c>workflows.rules</c>.
/// A rule with an <c>archive</c> action does not count for a hidden or locked asset (its visibility is not the
/// timeline/archive choice, so the rule cannot do what it says there): none of its actions apply to it.</item>
/// <item>Tags: the first rule in that order that adds or removes a tag decides it. Tags the workflows add are the
/// tool's own (<see cref="StepPlan.OwnedTags"/>): an asset that carries one no fired rule adds any more loses it, so a
/// changed rule converges.</item>
/// <item>Albums: every fired rule's albums are joined (adding never conflicts); an asset already in an album of
/// that name is left alone.</item>
/// <item>Favourite and archive: the first rule in that order that sets the flag decides; no fired rule, no change.</item>
/// </list>
/// Every change carries the deciding rule's name as its reason (<c>workflows: rule 'name'</c>).
/// <para>
/// The rules see each other's actions: an asset whose favourite or archive flag or albums the fired rules change is
/// tested again on the state those actions leave (flags set, albums joined), until a pass changes nothing
/// (at most <see cref="MaxPasses"/>). Flags and albums stay as earlier passes left them unless a later pass changes
/// them, as they would over successive runs; the workflow tags are those of the last pass. So one run plans what
/// successive runs would converge to, and the next run plans nothing.
/// </para>
/// </summary>
public sealed class WorkflowPlanner
{
    /// <summary>The step's name in reports and <see cref="ChangeReason.Step"/>.</summary>
    public const string StepName = "workflows";

    private readonly WorkflowsConfig _config;
    private readonly HashSet<string> _owned;
    private readonly ChangeReason[] _reasons;
    private readonly Comparison<int> _byPriority;

    // Compiled on the first plan and kept (and kept for the process: WorkflowCompiler.Shared); a daemon plans with the same rules run after run.
    private WorkflowCompiler? _compiled;
    private readonly ToolTagRoots? _toolTags;
    private static readonly ChangeReason NoLongerWanted = new(StepName, "no workflow rule adds it any more");
    private readonly Dictionary<string, ChangeReason> _noLongerHolds;

    /// <param name="retired">Workflow tags the tool added that no rule adds any more: owned too, wanted on no asset (taken off).</param>
    /// <param name="toolTags">The run's enrichment roots: a plain <c>tags:</c> condition entry does not match a CLIP label or booru tag below them.</param>
    public WorkflowPlanner(WorkflowsConfig config, IReadOnlyCollection<string>? retired = null, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _toolTags = toolTags;
        _owned = OwnedTags(config).Concat(retired ?? []).ToHashSet(StringComparer.Ordinal);
        _reasons = config.Rules.Select(r => new ChangeReason(StepName, $"rule '{r.Name}'")).ToArray();

        // A tag some rule still adds, taken off an asset that rule no longer holds for, names that rule.
        _noLongerHolds = config.Rules
            .SelectMany(r => r.Then.AddTags.Select(t => (Path: TagPath(t), r.Name)))
            .GroupBy(x => x.Path, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.Select(x => $"'{x.Name}'").Distinct(StringComparer.Ordinal).ToList() is { Count: 1 } one
                    ? new ChangeReason(StepName, $"rule {one[0]} no longer holds for this asset")
                    : new ChangeReason(StepName, $"rules {string.Join(", ", g.Select(x => $"'{x.Name}'").Distinct(StringComparer.Ordinal))} no longer hold for this asset"),
                StringComparer.Ordinal);
        _byPriority = (a, b) => _config.Rules[b].Priority != _config.Rules[a].Priority ? _config.Rules[b].Priority.CompareTo(_config.Rules[a].Priority) : a.CompareTo(b);
    }

    /// <summary>Full paths of the tags the workflows add (and therefore own), in file order.</summary>
    public static IReadOnlyList<string> OwnedTags(WorkflowsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Rules.SelectMany(r => r.Then.AddTags).Select(TagPath).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Tag entries the conditions look at (leaf names, or full paths with '/'), so the gatherer reads their holders.</summary>
    public static IReadOnlySet<string> ConditionTags(WorkflowsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in config.Rules)
        {
            Collect(rule.When, names);
        }

        return names;

        static void Collect(WorkflowConditionConfig c, HashSet<string> names)
        {
            names.UnionWith(c.Tags.Select(t => t.Contains('/', StringComparison.Ordinal) ? t.Trim('/') : t));
            foreach (var inner in c.All.Concat(c.Any).Concat(c.Not is { } n ? [n] : []))
            {
                Collect(inner, names);
            }
        }
    }

    /// <summary>Whether some enabled rule looks at the camera make or model, so the asset walk must ask for EXIF data.</summary>
    public static bool NeedsExif(WorkflowsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Enabled && config.Rules.Any(r => UsesCamera(r.When));

        static bool UsesCamera(WorkflowConditionConfig c) =>
            c.CameraMakePatterns.Count > 0 || c.CameraModelPatterns.Count > 0
            || c.All.Any(UsesCamera) || c.Any.Any(UsesCamera) || (c.Not is { } n && UsesCamera(n));
    }

    /// <summary>A tag as the workflows write it: its full path without leading or trailing '/'.</summary>
    public static string TagPath(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Trim().Trim('/');
    }

    /// <summary>Fires the rules over the run's in-scope assets and plans what they ask for.</summary>
    /// <param name="snapshot">The library as read.</param>
    /// <param name="inputs">This run's verdicts and enrichment results.</param>
    /// <param name="planned">The changes the earlier steps planned (albums they create are not created twice).</param>
    /// <param name="protectedAlbum">Whether <c>filters.filter_out</c> matches an album name: such an album never receives assets (null: none is protected).</param>
    public WorkflowOutcome Plan(LibrarySnapshot snapshot, WorkflowInputs inputs, ChangeList planned, CancellationToken ct, Func<string, bool>? protectedAlbum = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(planned);
        var total = Stopwatch.StartNew();
        var cpu = Environment.CpuUsage.TotalTime;
        if (!_config.Enabled || _config.Rules.Count == 0)
        {
            // No rule left: only the retired tags the tool added are taken off the assets the run may change.
            if (!_config.Enabled || _owned.Count == 0)
            {
                return new WorkflowOutcome(StepPlan.None, 0, 0, TimeSpan.Zero, TimeSpan.Zero, total.Elapsed);
            }

            var none = new WorkflowTags(this, inputs.Statuses.Count);
            var noRule = new List<int>();
            foreach (var id in inputs.Statuses.Keys)
            {
                none.Decide(id, noRule);
            }

            return new WorkflowOutcome(StepPlan.None with { OwnedTags = none }, inputs.Statuses.Count, 0, TimeSpan.Zero, TimeSpan.Zero, total.Elapsed);
        }

        var compile = Stopwatch.StartNew();
        var compiled = _compiled ??= WorkflowCompiler.Shared(_config, _toolTags);
        compile.Stop();

        var facts = Facts(snapshot, inputs);
        var engine = Stopwatch.StartNew();
        var inserted = compiled.Fire(facts, ct);
        engine.Stop();

        var resolution = new Resolution(this, facts.Count, protectedAlbum, Joins(snapshot, planned));
        var next = new List<WorkflowFact>();
        foreach (var fact in facts)
        {
            resolution.Resolve(fact, null, next, last: false);
        }

        // Rules that read favourite, archived or album names see what the other rules' actions leave: the assets those
        // actions change are tested again on that state until nothing changes any more (a fixed point), so the run
        // plans what successive runs would converge to and the next run finds nothing to do.
        var passes = 1;
        while (next.Count > 0)
        {
            passes++;
            var again = next;
            next = [];
            engine.Start();
            inserted += compiled.Fire(again, ct);
            engine.Stop();
            foreach (var fact in again)
            {
                resolution.Resolve(fact, resolution.Pending[fact.Asset.Id], next, last: passes == MaxPasses);
            }
        }

        var changes = resolution.Changes;
        var notes = new List<PlanNote>();
        PlanAlbums(snapshot, planned, resolution.AlbumWishes, changes, notes);
        notes.AddRange(resolution.Unsettled());
        notes.AddRange(resolution.ProtectedAlbums());
        total.Stop();
        return new WorkflowOutcome(new StepPlan(changes, notes) { OwnedTags = _owned.Count > 0 ? resolution.Tags : null }, facts.Count, resolution.Fired, compile.Elapsed, engine.Elapsed, total.Elapsed, Environment.CpuUsage.TotalTime - cpu)
        {
            Inserted = inserted,
            TimedOut = resolution.TimedOut,
            Passes = passes,
            Activations = resolution.Activations,
            Rules = [.. _config.Rules.Select(r => r.Name)],
        };
    }

    /// <summary>
    /// How often the rules are tested on an asset at most: once on the asset as read, then again after each pass whose
    /// actions changed its favourite or archive flag or its albums. A rule set that still changes the asset after that
    /// (rules that switch a flag back and forth) is reported (<see cref="PlanNoteKind.WorkflowUnsettled"/>).
    /// </summary>
    public const int MaxPasses = 10;

    /// <summary>One asset whose state the rules' actions changed: the asset as read and what the passes so far decided.</summary>
    private sealed class Evaluation(WorkflowFact original)
    {
        public WorkflowFact Original { get; } = original;

        /// <summary>The rule that last changed the favourite flag (-1: none did).</summary>
        public int FavoriteRule { get; set; } = -1;

        /// <summary>The rule that last changed the archive flag (-1: none did).</summary>
        public int ArchiveRule { get; set; } = -1;

        /// <summary>Albums the rules add the asset to, with the first rule that asked, in the order asked.</summary>
        public List<(string Name, int Rule)> Albums { get; } = [];

        /// <summary>The rules whose actions changed the asset in the last pass (named when the asset does not settle).</summary>
        public SortedSet<int> Changers { get; } = [];

        /// <summary>Every rule whose actions changed the asset in some pass (counted in <see cref="WorkflowOutcome.Activations"/>).</summary>
        public HashSet<int> Acted { get; } = [];
    }

    /// <summary>The fired rules' actions, resolved per asset over the passes (<see cref="Plan"/>).</summary>
    /// <param name="joins">Whether an asset a rule adds to the album of that name joins it in this run (<see cref="Joins"/>).</param>
    private sealed class Resolution(WorkflowPlanner planner, int capacity, Func<string, bool>? protectedAlbum, Func<string, bool> joins)
    {
        private readonly List<int> _order = [];
        private readonly Dictionary<string, HashSet<Guid>> _refused = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SortedSet<string>> _refusedRules = new(StringComparer.Ordinal);
        private List<(Asset, IReadOnlyList<CompiledPattern>)>? _timedOut;
        private List<Evaluation>? _unsettled;

        public WorkflowTags Tags { get; } = new(planner, capacity);

        public List<PlannedChange> Changes { get; } = [];

        public Dictionary<string, List<(Guid Asset, ChangeReason Reason)>> AlbumWishes { get; } = new(StringComparer.Ordinal);

        /// <summary>Assets tested again in the next pass.</summary>
        public Dictionary<Guid, Evaluation> Pending { get; } = [];

        public int Fired { get; private set; }

        public int[] Activations { get; } = new int[planner._config.Rules.Count];

        public IReadOnlyList<(Asset Asset, IReadOnlyList<CompiledPattern> Patterns)> TimedOut => _timedOut ?? [];

        /// <summary>
        /// Resolves what the rules that fired for <paramref name="fact"/> ask for. When that changes the asset's
        /// favourite or archive flag or its albums, the asset as those actions leave it goes to <paramref name="next"/>
        /// (unless this is the <paramref name="last"/> pass); otherwise the asset is decided: its workflow tags by these
        /// rules, its flags and albums as every pass left them.
        /// </summary>
        public void Resolve(WorkflowFact fact, Evaluation? evaluation, List<WorkflowFact> next, bool last)
        {
            var config = planner._config;
            var id = fact.Asset.Id;
            if (fact.TimedOut is { } patterns)
            {
                // Not decided: the asset keeps its workflow tags, albums and flags as they are (DesiredFor is null).
                (_timedOut ??= []).Add((evaluation?.Original.Asset ?? fact.Asset, patterns));
                Pending.Remove(id);
                return;
            }

            var order = _order;
            order.Clear();
            order.AddRange(fact.Fired);
            if (fact.Asset.Visibility is AssetVisibility.Hidden or AssetVisibility.Locked)
            {
                // A rule that archives cannot move a hidden or locked asset, so it does not hold there at all: its tags
                // would otherwise say the asset was archived (or brought back) when it never was.
                order.RemoveAll(index => config.Rules[index].Then.Archive is not null);
            }

            if (order.Count > 1)
            {
                order.Sort(planner._byPriority);
            }

            var asset = fact.Asset;
            List<Album>? albums = null;
            evaluation?.Changers.Clear();
            if (order.Count > 0)
            {
                if (config.AllowFavorite && planner.First(order, r => r.Then.Favorite) is ({ } favorite, var favoriteRule) && asset.IsFavorite != favorite)
                {
                    evaluation ??= new Evaluation(fact);
                    evaluation.FavoriteRule = favoriteRule;
                    evaluation.Changers.Add(favoriteRule);
                    asset = asset with { IsFavorite = favorite };
                }

                // Hidden and locked assets are never moved: their visibility is not the timeline/archive choice.
                if (config.AllowArchive && asset.Visibility is AssetVisibility.Timeline or AssetVisibility.Archive
                    && planner.First(order, r => r.Then.Archive) is ({ } archive, var archiveRule)
                    && WorkflowFact.IsArchived(fact) != archive)
                {
                    evaluation ??= new Evaluation(fact);
                    evaluation.ArchiveRule = archiveRule;
                    evaluation.Changers.Add(archiveRule);
                    asset = asset with { Visibility = archive ? AssetVisibility.Archive : AssetVisibility.Timeline, IsArchived = archive };
                }

                foreach (var index in order)
                {
                    foreach (var name in config.Rules[index].Then.AddToAlbums)
                    {
                        if (!In(fact.Albums, name) && (albums is null || !In(albums, name)))
                        {
                            if (protectedAlbum is not null && protectedAlbum(name))
                            {
                                (_refused.TryGetValue(name, out var ids) ? ids : _refused[name] = []).Add(id);
                                (_refusedRules.TryGetValue(name, out var rules) ? rules : _refusedRules[name] = new(StringComparer.Ordinal)).Add(planner._reasons[index].Text);
                                continue;
                            }

                            evaluation ??= new Evaluation(fact);
                            if (!joins(name))
                            {
                                // The asset does not join this album in this run (several albums of that name, none may be
                                // created, another step creates it): the wish is kept for its note, the conditions do not see it.
                                if (!evaluation.Albums.Exists(a => string.Equals(a.Name, name, StringComparison.Ordinal)))
                                {
                                    evaluation.Albums.Add((name, index));
                                }

                                continue;
                            }

                            evaluation.Albums.Add((name, index));
                            evaluation.Changers.Add(index);
                            // Only the name counts for a condition; the album may not exist yet.
                            (albums ??= [.. fact.Albums]).Add(new Album(Guid.Empty, name, 0, null, false));
                        }
                    }
                }
            }

            var changed = evaluation is not null && evaluation.Changers.Count > 0;
            if (changed)
            {
                evaluation!.Acted.UnionWith(evaluation.Changers);
            }

            var planned = changed ? fact.Planned(asset, (IReadOnlyList<Album>?)albums ?? fact.Albums) : fact;
            if (changed && !last)
            {
                Pending[id] = evaluation!;
                next.Add(planned);
                return;
            }

            Pending.Remove(id);
            if (changed)
            {
                (_unsettled ??= []).Add(evaluation!);
            }

            Decide(planned, order, evaluation);
        }

        private void Decide(WorkflowFact fact, List<int> order, Evaluation? evaluation)
        {
            // A rule counts once per asset it acted on: in the deciding pass, or by an action of an earlier pass.
            if (evaluation is null)
            {
                Fired += order.Count;
                foreach (var index in order)
                {
                    Activations[index]++;
                }
            }
            else
            {
                evaluation.Acted.UnionWith(order);
                Fired += evaluation.Acted.Count;
                foreach (var index in evaluation.Acted)
                {
                    Activations[index]++;
                }
            }

            var id = fact.Asset.Id;
            Tags.Decide(id, order);
            if (evaluation is null)
            {
                return;
            }

            var original = evaluation.Original.Asset;
            if (fact.Asset.IsFavorite != original.IsFavorite)
            {
                Changes.Add(new SetFavorite(id, fact.Asset.IsFavorite, planner._reasons[evaluation.FavoriteRule]));
            }

            if (WorkflowFact.IsArchived(fact) != WorkflowFact.IsArchived(evaluation.Original))
            {
                Changes.Add(new SetArchived(id, WorkflowFact.IsArchived(fact), planner._reasons[evaluation.ArchiveRule]));
            }

            foreach (var (name, rule) in evaluation.Albums)
            {
                (AlbumWishes.TryGetValue(name, out var list) ? list : AlbumWishes[name] = []).Add((id, planner._reasons[rule]));
            }
        }

        /// <summary>One note per set of rules that still changed assets in the last pass, naming them and an example asset.</summary>
        public IEnumerable<PlanNote> Unsettled()
        {
            foreach (var group in (_unsettled ?? []).GroupBy(e => string.Join(", ", e.Changers.Select(i => $"'{planner._config.Rules[i].Name}'")), StringComparer.Ordinal))
            {
                var first = group.First().Original.Asset;
                yield return new PlanNote(
                    PlanNoteKind.WorkflowUnsettled,
                    first.Id,
                    $"workflows: rule(s) {group.Key} still change {group.Count()} asset(s) after {MaxPasses} passes (e.g. {first.OriginalFileName}): their actions keep switching each other's conditions (favorite, archived or an album), so each run changes those assets again");
            }
        }

        /// <summary>One note per album <c>filters.filter_out</c> protects that rules wanted to add assets to.</summary>
        public IEnumerable<PlanNote> ProtectedAlbums()
        {
            foreach (var (name, ids) in _refused.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                yield return new PlanNote(
                    PlanNoteKind.AmbiguousAlbum,
                    ids.First(),
                    $"workflows: album '{name}' matches filters.filter_out; {ids.Count} asset(s) not added ({string.Join(", ", _refusedRules[name])})",
                    name);
            }
        }

        private static bool In(IReadOnlyList<Album> albums, string name)
        {
            for (var i = 0; i < albums.Count; i++)
            {
                if (string.Equals(albums[i].Name, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One fact per asset with a verdict this run (the assets the run may change).</summary>
    private static List<WorkflowFact> Facts(LibrarySnapshot snapshot, WorkflowInputs inputs)
    {
        var duplicates = new Dictionary<Guid, int>();
        foreach (var asset in snapshot.Assets)
        {
            if (asset.DuplicateId is { } group && inputs.Statuses.ContainsKey(asset.Id))
            {
                duplicates[group] = duplicates.GetValueOrDefault(group) + 1;
            }
        }

        var facts = new List<WorkflowFact>(inputs.Statuses.Count);
        foreach (var asset in snapshot.Assets)
        {
            if (!inputs.Statuses.TryGetValue(asset.Id, out var status))
            {
                continue;
            }

            facts.Add(new WorkflowFact(asset, snapshot.AlbumsOf(asset.Id), snapshot.TagsOf(asset.Id))
            {
                Status = status,
                DuplicateCount = asset.DuplicateId is { } g ? duplicates.GetValueOrDefault(g) : 0,
                Clip = inputs.Clip is { } clip && clip.Scores.TryGetValue(asset.Id, out var score) ? score : null,
                // Pending look-ups have no say yet: the rules see no booru result until they finish.
                Booru = inputs.Booru is { } booru && booru.TryGetValue(asset.Id, out var result) && result.Verdict != BooruVerdict.Pending ? result : null,
            });
        }

        return facts;
    }

    /// <summary>
    /// The workflow tags each asset the rules were tested on should carry: per tag, the first rule (priority, then
    /// file order) that adds or removes it decides; a tag no fired rule adds is not wanted. Assets the rules were not
    /// tested on keep theirs.
    /// </summary>
    private sealed class WorkflowTags(WorkflowPlanner planner, int capacity) : OwnedTagPlan(StepName)
    {
        // Null value: tested, no rule decided a tag (most assets of a rerun): nothing allocated for them.
        private readonly Dictionary<Guid, Decision?> _decided = new(capacity);

        // Assets whose fired rules are the same set get the same decision: built once per set (a bit per rule), not per asset.
        private readonly Dictionary<ulong, Decision?> _bySet = [];

        public void Decide(Guid assetId, List<int> order)
        {
            if (order.Count == 0)
            {
                _decided[assetId] = null;
                return;
            }

            if (planner._config.Rules.Count > 64)
            {
                _decided[assetId] = Build(order);
                return;
            }

            var set = 0UL;
            foreach (var index in order)
            {
                set |= 1UL << index;
            }

            if (!_bySet.TryGetValue(set, out var decision))
            {
                decision = Build(order);
                _bySet[set] = decision;
            }

            _decided[assetId] = decision;
        }

        private Decision? Build(List<int> order)
        {
            Dictionary<string, (bool Add, int Rule)>? decided = null;
            foreach (var index in order)
            {
                var then = planner._config.Rules[index].Then;
                foreach (var tag in then.AddTags)
                {
                    (decided ??= new(StringComparer.Ordinal)).TryAdd(TagPath(tag), (true, index));
                }

                foreach (var tag in then.RemoveTags)
                {
                    (decided ??= new(StringComparer.Ordinal)).TryAdd(TagPath(tag), (false, index));
                }
            }

            return decided is null ? null : new Decision(decided, decided.Where(d => d.Value.Add).Select(d => d.Key).ToList());
        }

        public override bool Owns(string path) => planner._owned.Contains(path);

        /// <inheritdoc/>
        /// <remarks>One desired list per set of fired rules (<see cref="Decision"/>), never changed once built.</remarks>
        public override bool SharesDesiredCollections => true;

        public override IReadOnlyCollection<string>? DesiredFor(Guid assetId)
        {
            if (!_decided.TryGetValue(assetId, out var decided))
            {
                return null;
            }

            return decided is null ? [] : decided.Desired;
        }

        public override ChangeReason ReasonFor(Guid assetId, string path) =>
            _decided.TryGetValue(assetId, out var decided) && decided is not null && decided.Tags.TryGetValue(path, out var d)
                ? planner._reasons[d.Rule]
                : planner._noLongerHolds.GetValueOrDefault(path, NoLongerWanted);
    }

    /// <summary>The workflow tags one set of fired rules decides (path → add or remove, deciding rule) and the paths it adds.</summary>
    private sealed record Decision(Dictionary<string, (bool Add, int Rule)> Tags, IReadOnlyCollection<string> Desired);

    /// <summary>The first rule in <paramref name="order"/> that sets the flag <paramref name="flag"/> reads, and its index; (null, -1) when none does.</summary>
    private (bool? Value, int Rule) First(List<int> order, Func<WorkflowRuleConfig, bool?> flag)
    {
        foreach (var index in order)
        {
            if (flag(_config.Rules[index]) is { } value)
            {
                return (value, index);
            }
        }

        return (null, -1);
    }

    /// <summary>
    /// Whether the assets rules add to an album of a given name join it in this run, as <see cref="PlanAlbums"/> decides:
    /// one album of that name (of the user's, when several share it), or none and the workflows may create it.
    /// </summary>
    private Func<string, bool> Joins(LibrarySnapshot snapshot, ChangeList planned)
    {
        var byName = snapshot.Albums.ToLookup(a => a.Name, StringComparer.Ordinal);
        HashSet<string>? createdElsewhere = null;
        var known = new Dictionary<string, bool>(StringComparer.Ordinal);
        return name =>
        {
            if (!known.TryGetValue(name, out var joins))
            {
                var existing = byName[name].ToList();
                if (existing.Count > 1)
                {
                    existing = existing.Where(a => a.OwnerId == snapshot.User.Id).ToList();
                }

                createdElsewhere ??= planned.Groups.AlbumsToCreate.Select(c => c.AlbumName).ToHashSet(StringComparer.Ordinal);
                joins = existing.Count == 1 || (!byName[name].Any() && !createdElsewhere.Contains(name) && _config.CreateMissingAlbums);
                known[name] = joins;
            }

            return joins;
        };
    }

    private void PlanAlbums(
        LibrarySnapshot snapshot,
        ChangeList planned,
        Dictionary<string, List<(Guid Asset, ChangeReason Reason)>> wishes,
        List<PlannedChange> changes,
        List<PlanNote> notes)
    {
        var byName = snapshot.Albums.ToLookup(a => a.Name, StringComparer.Ordinal);
        var createdElsewhere = planned.Groups.AlbumsToCreate.Select(c => c.AlbumName).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, wanted) in wishes.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var existing = byName[name].ToList();
            if (existing.Count > 1)
            {
                existing = existing.Where(a => a.OwnerId == snapshot.User.Id).ToList();
            }

            if (existing.Count == 1)
            {
                changes.AddRange(wanted.Select(w => new AddAlbumMember(w.Asset, existing[0].Id, name, w.Reason)));
            }
            else if (existing.Count > 1 || byName[name].Any())
            {
                notes.Add(new PlanNote(PlanNoteKind.AmbiguousAlbum, wanted[0].Asset, $"workflows: several albums are named '{name}'; {wanted.Count} assets not added to any", name));
            }
            else if (createdElsewhere.Contains(name))
            {
                notes.Add(new PlanNote(PlanNoteKind.AmbiguousAlbum, wanted[0].Asset, $"workflows: album '{name}' is created by another step in this run; its {wanted.Count} assets join it on the next run", name));
            }
            else if (_config.CreateMissingAlbums)
            {
                changes.Add(new CreateAlbum(name, wanted.Select(w => w.Asset).Distinct().ToList(), wanted[0].Reason));
            }
            else
            {
                var rules = string.Join(", ", wanted.Select(w => w.Reason.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
                notes.Add(new PlanNote(PlanNoteKind.AlbumNotFound, wanted[0].Asset, $"workflows: no album is named '{name}' and workflows.create_missing_albums is false; {wanted.Count} assets not added ({rules})", name));
            }
        }
    }
}
