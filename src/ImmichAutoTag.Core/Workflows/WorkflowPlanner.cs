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
/// <param name="Fired">Rule matches (one per rule and asset whose condition held).</param>
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
}

/// <summary>
/// Plans the workflow rules' actions. The rules are compiled into NRules (<see cref="WorkflowCompiler"/>) and fired
/// over one fact per asset the run may change; what the fired rules ask for is then resolved per asset:
/// <list type="number">
/// <item>Fired rules are ordered by <c>priority</c> (highest first), then by their place in <c>workflows.rules</c>.</item>
/// <item>Tags: the first rule in that order that adds or removes a tag decides it. Tags the workflows add are the
/// tool's own (<see cref="StepPlan.OwnedTags"/>): an asset that carries one no fired rule adds any more loses it, so a
/// changed rule converges.</item>
/// <item>Albums: every fired rule's albums are joined (adding never conflicts); an asset already in an album of
/// that name is left alone.</item>
/// <item>Favourite and archive: the first rule in that order that sets the flag decides; no fired rule, no change.</item>
/// </list>
/// Every change carries the deciding rule's name as its reason (<c>workflows: rule 'name'</c>).
/// </summary>
public sealed class WorkflowPlanner
{
    /// <summary>The step's name in reports and <see cref="ChangeReason.Step"/>.</summary>
    public const string StepName = "workflows";

    private readonly WorkflowsConfig _config;
    private readonly HashSet<string> _owned;
    private readonly ChangeReason[] _reasons;
    private readonly Comparison<int> _byPriority;

    // Compiled on the first plan and kept: a daemon plans with the same rules run after run.
    private WorkflowCompiler? _compiled;
    private static readonly ChangeReason NoLongerWanted = new(StepName, "no workflow rule adds it any more");

    /// <param name="retired">Workflow tags the tool added that no rule adds any more: owned too, wanted on no asset (taken off).</param>
    public WorkflowPlanner(WorkflowsConfig config, IReadOnlyCollection<string>? retired = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _owned = OwnedTags(config).Concat(retired ?? []).ToHashSet(StringComparer.Ordinal);
        _reasons = config.Rules.Select(r => new ChangeReason(StepName, $"rule '{r.Name}'")).ToArray();
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
    public WorkflowOutcome Plan(LibrarySnapshot snapshot, WorkflowInputs inputs, ChangeList planned, CancellationToken ct)
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
        var compiled = _compiled ??= WorkflowCompiler.Compile(_config);
        compile.Stop();

        var facts = Facts(snapshot, inputs);
        var engine = Stopwatch.StartNew();
        var inserted = compiled.Fire(facts, ct);
        engine.Stop();

        var changes = new List<PlannedChange>();
        var notes = new List<PlanNote>();
        var tags = new WorkflowTags(this, facts.Count);
        var albumWishes = new Dictionary<string, List<(Guid Asset, ChangeReason Reason)>>(StringComparer.Ordinal);
        var fired = 0;
        var order = new List<int>();
        List<(Asset, IReadOnlyList<CompiledPattern>)>? timedOut = null;
        foreach (var fact in facts)
        {
            fired += fact.Fired.Count;
            if (fact.TimedOut is { } patterns)
            {
                // Not decided: the asset keeps its workflow tags, albums and flags as they are (DesiredFor is null).
                (timedOut ??= []).Add((fact.Asset, patterns));
                continue;
            }

            order.Clear();
            order.AddRange(fact.Fired);
            if (order.Count > 1)
            {
                order.Sort(_byPriority);
            }

            tags.Decide(fact.Asset.Id, order);
            if (order.Count == 0)
            {
                continue;
            }

            foreach (var index in order)
            {
                foreach (var name in _config.Rules[index].Then.AddToAlbums)
                {
                    if (!fact.Albums.Any(a => string.Equals(a.Name, name, StringComparison.Ordinal)))
                    {
                        (albumWishes.TryGetValue(name, out var list) ? list : albumWishes[name] = []).Add((fact.Asset.Id, _reasons[index]));
                    }
                }
            }

            PlanFlags(fact, order, changes);
        }

        PlanAlbums(snapshot, planned, albumWishes, changes, notes);
        total.Stop();
        return new WorkflowOutcome(new StepPlan(changes, notes) { OwnedTags = _owned.Count > 0 ? tags : null }, facts.Count, fired, compile.Elapsed, engine.Elapsed, total.Elapsed, Environment.CpuUsage.TotalTime - cpu)
        {
            Inserted = inserted,
            TimedOut = timedOut ?? [],
        };
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
                : NoLongerWanted;
    }

    /// <summary>The workflow tags one set of fired rules decides (path → add or remove, deciding rule) and the paths it adds.</summary>
    private sealed record Decision(Dictionary<string, (bool Add, int Rule)> Tags, IReadOnlyCollection<string> Desired);

    private void PlanFlags(WorkflowFact fact, List<int> order, List<PlannedChange> changes)
    {
        if (!_config.AllowFavorite && !_config.AllowArchive)
        {
            return;
        }

        var asset = fact.Asset;
        if (_config.AllowFavorite && First(order, r => r.Then.Favorite) is ({ } favorite, var byRule) && asset.IsFavorite != favorite)
        {
            changes.Add(new SetFavorite(asset.Id, favorite, _reasons[byRule]));
        }

        // Hidden and locked assets are never moved: their visibility is not the timeline/archive choice.
        if (_config.AllowArchive && asset.Visibility is AssetVisibility.Timeline or AssetVisibility.Archive
            && First(order, r => r.Then.Archive) is ({ } archive, var archiveRule)
            && WorkflowFact.IsArchived(fact) != archive)
        {
            changes.Add(new SetArchived(asset.Id, archive, _reasons[archiveRule]));
        }
    }

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
