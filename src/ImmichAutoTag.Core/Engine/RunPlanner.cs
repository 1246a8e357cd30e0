using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using System.Runtime.CompilerServices;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>What evaluating the gathered library produced: the plan, the verdicts and the counts behind them.</summary>
internal sealed record PlanningResult(
    TagPlan Plan,
    IReadOnlyList<AssetEvaluation> Evaluations,
    int Owned,
    int Partner,
    int ExcludedByVisibility,
    int ExcludedByFilters,
    int DuplicateGroups)
{
    /// <summary>Tag paths copied to an asset from its duplicates (asset id → paths).</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<string>> DuplicateCopies { get; init; } = new Dictionary<Guid, IReadOnlyList<string>>();

    /// <summary>Assets planned into the rule album their duplicates are in.</summary>
    public IReadOnlySet<Guid> PropagatedAssets { get; init; } = new HashSet<Guid>();

    /// <summary>Own hidden video halves of Live/Motion Photos: never classified on their own.</summary>
    public int MotionParts { get; init; }

    /// <summary>Each enabled step's plan, in registration order (their notes join the run's after the held changes are taken out).</summary>
    public IReadOnlyList<StepPlan> StepPlans { get; init; } = [];

    /// <summary>How many planning passes the run took to settle (1: the plan changes nothing a step reads, as on a rerun; see <see cref="RunPlanner.Plan"/>).</summary>
    public int Passes { get; init; } = 1;
}

/// <summary>
/// Turns a library snapshot into one plan: lets the steps that plan ahead (<see cref="IFeatureStep.PlanAhead"/>,
/// tag ↔ album sync) present the library as their changes will leave it, records the assets' planning state
/// (<see cref="AssetPlanning"/>) on that library as a run fact, lets every enabled step plan in registration order (filters → conversions → classification → date repair →
/// duplicates → folder albums → temporary albums → album date check → sharing → enrichment), each on the state the
/// earlier ones left, then diffs the output tags and every step's owned tags with what each asset carries. Every
/// decision uses the state the library will have after the apply, so the next run's evaluation finds nothing to do.
/// </summary>
internal sealed class RunPlanner(
    AutoTagConfig config,
    RuleClassifier classifier,
    OutputTags outputs,
    RunOptions options,
    DateTimeOffset now,
    Action<EngineError> reportError)
{
    /// <summary>
    /// At most this many planning passes per run: the first on the library as read, each further one on the library as
    /// the plan so far leaves it (<see cref="Plan"/>).
    /// </summary>
    public const int MaxPasses = 4;

    /// <summary>
    /// The run's correction memory (null: none). Its refusals are asked by the steps while they plan, and each pass's
    /// plan is filtered by it before the next pass plans on the library as that plan leaves it: an addition the user
    /// took away again never counts towards an asset's classification or status tags.
    /// </summary>
    public Corrections.CorrectionRun? Corrections { get; init; }

    /// <summary>
    /// Plans the run to its fixed point: pass 1 plans on the library as read; when it changes anything, the steps plan
    /// again on the library as that plan leaves it (<see cref="PlannedLibrary"/>), so a step that plans before another
    /// (classification before the workflows, tag ↔ album sync before conversions and workflows) sees the other's
    /// changes in the same run; what a further pass plans is composed into the plan, until a pass changes nothing
    /// (at most <see cref="MaxPasses"/>). A rerun of a settled library plans nothing in pass 1 and needs no other.
    /// </summary>
    /// <param name="steps">The run's steps; the enabled ones plan ahead (<see cref="IFeatureStep.PlanAhead"/>), then plan, in this order.</param>
    /// <param name="context">What every step plans from (the library as read, the users, the run's facts).</param>
    public PlanningResult Plan(
        IReadOnlyList<DuplicateGroup>? duplicates,
        IReadOnlyList<IFeatureStep> steps,
        StepContext context,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var first = PlanOnce(duplicates, steps, context, progress, ct);
        if (!first.Plan.HasChanges)
        {
            return first;
        }

        var read = context.Snapshot;
        var facts = context.Facts;
        var firstWorkflows = facts.Get<Workflows.WorkflowOutcome>();
        var changes = first.Plan.Changes;
        var last = first;
        var passes = 1;
        var notes = new List<PlanNote>(first.Plan.Notes);
        var stepNotes = first.StepPlans.SelectMany(p => p.Notes).ToList();
        var copies = first.DuplicateCopies.ToDictionary(kv => kv.Key, kv => kv.Value);
        var propagated = new HashSet<Guid>(first.PropagatedAssets);
        while (passes < MaxPasses)
        {
            ct.ThrowIfCancellationRequested();
            var planned = PlannedLibrary.Apply(read, duplicates, changes);
            var next = PlanOnce(planned.Duplicates, steps, context with { Snapshot = planned.Library }, null, ct);
            passes++;
            last = next;
            notes.AddRange(next.Plan.Notes);
            stepNotes.AddRange(next.StepPlans.SelectMany(p => p.Notes));
            foreach (var (id, paths) in next.DuplicateCopies)
            {
                copies[id] = copies.TryGetValue(id, out var had) ? [.. had.Union(paths, StringComparer.Ordinal)] : paths;
            }

            propagated.UnionWith(next.PropagatedAssets);
            if (!next.Plan.HasChanges)
            {
                break;
            }

            var composed = PlannedLibrary.Compose(read, changes, next.Plan.Changes, planned);
            var settled = PlannedLibrary.SameChanges(composed, changes);
            changes = composed;
            if (settled)
            {
                break;
            }
        }

        if (firstWorkflows is not null && facts.Get<Workflows.WorkflowOutcome>() is { } lastWorkflows && !ReferenceEquals(firstWorkflows, lastWorkflows))
        {
            facts.Set(Workflows.WorkflowOutcome.Across(firstWorkflows, lastWorkflows));
        }

        // Counts are those of the library as read (a later pass may find an archived asset out of scope); the
        // evaluations are the last pass's verdicts, with the assets only the first pass judged.
        var judged = last.Evaluations.Select(e => e.Asset.Id).ToHashSet();
        var evaluations = last.Evaluations.Concat(first.Evaluations.Where(e => !judged.Contains(e.Asset.Id))).ToList();
        var noteList = DistinctNotes(notes);
        var stepNoteList = DistinctNotes(stepNotes);
        return first with
        {
            Plan = last.Plan with { Changes = changes, Notes = noteList },
            Evaluations = evaluations,
            DuplicateCopies = copies,
            PropagatedAssets = propagated,
            StepPlans = stepNoteList.Count == 0 ? [] : [new StepPlan([], stepNoteList)],
            Passes = passes,
        };
    }

    /// <summary>Notes of several passes, each message once (in the order first given).</summary>
    private static List<PlanNote> DistinctNotes(List<PlanNote> notes)
    {
        var seen = new HashSet<(PlanNoteKind, Guid, string)>();
        return [.. notes.Where(n => seen.Add((n.Kind, n.AssetId, n.Message)))];
    }

    /// <summary>One planning pass over <paramref name="context"/>'s library.</summary>
    private PlanningResult PlanOnce(
        IReadOnlyList<DuplicateGroup>? duplicates,
        IReadOnlyList<IFeatureStep> steps,
        StepContext context,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        // Steps that plan ahead (tag ↔ album sync): the others plan on the library as their changes will leave it.
        var snapshot = context.Snapshot;
        var ahead = new List<PlannedAhead>();
        foreach (var step in steps.Where(s => s.Enabled))
        {
            if (step.PlanAhead(context with { Snapshot = snapshot }) is { } planned)
            {
                ahead.Add(planned);
                snapshot = planned.Library;
            }
        }

        var state = new AssetPlanning(config, classifier, outputs, options, now, reportError, snapshot, duplicates, progress, ct, Corrections is { } corrections ? corrections.Refuses : null);
        context.Facts.Set(state);

        var changes = new List<PlannedChange>();
        var stepPlans = new List<StepPlan>();
        var owned = new List<OwnedTagPlan>();
        ChangeList? view = null;
        foreach (var step in steps.Where(s => s.Enabled))
        {
            view ??= ahead.Count == 0 ? new ChangeList(changes) : Fold(ahead, new TagPlan(new ChangeList(changes), NoStatuses)).Changes;
            var plan = step.Plan(context with { Planned = view });
            stepPlans.Add(plan);
            if (plan.Changes.Count > 0)
            {
                changes.AddRange(plan.Changes);
                view = null;
            }

            if (plan.OwnedTags is { } tags)
            {
                owned.Add(tags);
            }
        }

        var (targets, statuses, evaluations) = TagTargets(state, owned);
        ReportTimedOutPatterns(state);

        // One list for every step's changes; the appliers group it by kind.
        var tagOutputs = owned.Count == 0 ? outputs : outputs with { StepOwned = path => OwnedByAny(owned, path) };
        var tagChanges = TagPlanner.Plan(targets, tagOutputs, snapshot.Tags, statuses).Changes;
        var result = Fold(ahead, new TagPlan(new ChangeList([.. changes, .. tagChanges]), statuses)
        {
            Notes = state.Notes,
        });

        // What a step planned without asking (a workflow's album or tag, the sync's) goes before a later pass sees it;
        // a pass that planned only such additions changes nothing, so a rerun still takes one pass.
        result = Corrections?.LeaveOut(result, config.Clip) ?? result;
        return new PlanningResult(result, evaluations, state.Assets.Count, state.Partner, state.ExcludedByVisibility, state.ExcludedByFilters, state.Groups.Count)
        {
            DuplicateCopies = state.DuplicateCopies,
            PropagatedAssets = state.Propagated,
            MotionParts = state.MotionParts,
            StepPlans = stepPlans,
        };
    }

    private static readonly IReadOnlyDictionary<Guid, ClassificationStatus> NoStatuses = new Dictionary<Guid, ClassificationStatus>();

    /// <summary>Folds what the steps planned ahead into <paramref name="plan"/>, in their order.</summary>
    private static TagPlan Fold(List<PlannedAhead> ahead, TagPlan plan)
    {
        foreach (var a in ahead)
        {
            plan = a.Fold(plan);
        }

        return plan;
    }

    /// <summary>
    /// The owned tags each in-scope asset should carry (its status's output tag, what the steps want on it: duplicate
    /// conflicts, album date mismatch, folder detection conflict, each step's owned tags) with the tags copied to or
    /// dropped from it; motion parts keep none of the tool's tags.
    /// </summary>
    private (List<TagTarget> Targets, Dictionary<Guid, ClassificationStatus> Statuses, List<AssetEvaluation> Evaluations) TagTargets(AssetPlanning state, List<OwnedTagPlan> owned)
    {
        var facts = state.Assets;
        var targets = new List<TagTarget>(facts.Count);
        var statuses = new Dictionary<Guid, ClassificationStatus>(facts.Count);
        var evaluations = new List<AssetEvaluation>(facts.Count);

        // Most assets want exactly their status tag: they share one set per status (never changed once built),
        // so a 100k library does not build 100k equal sets. An asset that wants more gets its own copy below, or a
        // set shared with every asset whose status set and step wishes are the same (SharedSets).
        var byStatus = new Dictionary<ClassificationStatus, HashSet<string>>();
        var sharedSets = new Dictionary<SharedSetKey, HashSet<string>>();
        foreach (var f in facts.Values)
        {
            if (!f.InScope || f.Classification is not { } classification)
            {
                continue;
            }

            if (!byStatus.TryGetValue(classification.Status, out var shared))
            {
                shared = new HashSet<string>(outputs.DesiredFor(classification.Status), StringComparer.Ordinal);
                byStatus[classification.Status] = shared;
            }

            var desired = shared;
            var isShared = true;

            // Made only for the few assets a step other than classification tags: a rerun allocates none.
            Dictionary<string, ChangeReason>? reasons = null;
            if (state.Wanted.TryGetValue(f.Asset.Id, out var wanted))
            {
                foreach (var (tag, reason) in wanted)
                {
                    if (!desired.Contains(tag))
                    {
                        desired = isShared ? new HashSet<string>(desired, StringComparer.Ordinal) : desired;
                        isShared = false;
                        desired.Add(tag);
                    }

                    (reasons ??= new(StringComparer.Ordinal))[tag] = reason;
                }
            }

            var copied = state.Copies.TryGetValue(f.Asset.Id, out var c) ? c : [];
            var dropped = state.Drops.TryGetValue(f.Asset.Id, out var d) ? d : [];
            CopyReasons(state, f.Asset.Id, copied, dropped, ref reasons);
            for (var i = 0; i < owned.Count; i++)
            {
                StepOwnedTags(owned[i], f, ref desired, ref isShared, sharedSets, ref reasons);
            }

            targets.Add(new TagTarget(f.Asset.Id, f.OriginalTags, desired, copied)
            {
                Drops = dropped,
                Reasons = reasons,
            });
            statuses[f.Asset.Id] = classification.Status;
            evaluations.Add(new AssetEvaluation(f.Asset, AlbumNames(f.Albums), f.Tags, classification));
        }

        var none = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in facts.Values)
        {
            if (f.IsMotionPart && f.InScope)
            {
                targets.Add(new TagTarget(f.Asset.Id, f.OriginalTags, none, []));
            }
        }

        return (targets, statuses, evaluations);
    }

    /// <summary>Tags copied from a duplicate are the duplicates step's; the other copies and every drop are a conversion's.</summary>
    private static void CopyReasons(AssetPlanning state, Guid assetId, IReadOnlyList<string> copied, IReadOnlyList<Tag> dropped, ref Dictionary<string, ChangeReason>? reasons)
    {
        foreach (var path in copied)
        {
            var fromDuplicate = state.DuplicateCopies.TryGetValue(assetId, out var paths) && paths.Contains(path, StringComparer.Ordinal);
            (reasons ??= new(StringComparer.Ordinal))[path] = fromDuplicate ? DuplicatesStep.CopiedFromDuplicateReason : Conversions.TagReason;
        }

        foreach (var tag in dropped)
        {
            (reasons ??= new(StringComparer.Ordinal))[tag.Value] = Conversions.TagReason;
        }
    }

    /// <summary>
    /// Adds the tags <paramref name="owned"/> wants on the asset to <paramref name="desired"/> (copied first when it is
    /// <paramref name="isShared"/>, a set other assets use too); an asset the step leaves alone keeps the step's tags it
    /// has. Each of the step's tags added or removed gets the step's reason.
    /// </summary>
    /// <remarks>
    /// Runs for every in-scope asset and step, so it allocates nothing for an asset whose tags are right: the step's
    /// tags it carries are looked up in place, and when the step gives the same wish list instance to many assets
    /// (<see cref="OwnedTagPlan.SharesDesiredCollections"/>) those with the same set so far share the resulting set
    /// (<paramref name="sharedSets"/>) instead of each copying it.
    /// </remarks>
    private static void StepOwnedTags(OwnedTagPlan owned, PlannedAsset f, ref HashSet<string> desired, ref bool isShared, Dictionary<SharedSetKey, HashSet<string>> sharedSets, ref Dictionary<string, ChangeReason>? reasons)
    {
        var id = f.Asset.Id;
        var actual = f.OriginalTags;
        var wanted = owned.DesiredFor(id);
        if (wanted is null)
        {
            // Left alone: the step's tags the asset carries stay wanted, and nothing changes.
            for (var i = 0; i < actual.Count; i++)
            {
                var tag = actual[i].Value;
                if (owned.Owns(tag) && !desired.Contains(tag))
                {
                    Add(ref desired, ref isShared, tag);
                }
            }

            return;
        }

        if (isShared && owned.SharesDesiredCollections)
        {
            var key = new SharedSetKey(desired, wanted);
            if (!sharedSets.TryGetValue(key, out var joined))
            {
                joined = desired;
                foreach (var tag in wanted)
                {
                    if (owned.Owns(tag) && !joined.Contains(tag))
                    {
                        joined = ReferenceEquals(joined, desired) ? new HashSet<string>(desired, StringComparer.Ordinal) : joined;
                        joined.Add(tag);
                    }
                }

                sharedSets[key] = joined;
            }

            desired = joined;
        }
        else
        {
            foreach (var tag in wanted)
            {
                if (owned.Owns(tag) && !desired.Contains(tag))
                {
                    Add(ref desired, ref isShared, tag);
                }
            }
        }

        List<string>? changed = null;
        if (wanted is IReadOnlyList<string> list)
        {
            // Indexed: this runs for every asset a step judged, and a foreach over the interface allocates an enumerator.
            for (var i = 0; i < list.Count; i++)
            {
                if (owned.Owns(list[i]) && !Carries(actual, list[i]))
                {
                    (changed ??= []).Add(list[i]);
                }
            }
        }
        else
        {
            foreach (var tag in wanted)
            {
                if (owned.Owns(tag) && !Carries(actual, tag))
                {
                    (changed ??= []).Add(tag);
                }
            }
        }

        for (var i = 0; i < actual.Count; i++)
        {
            var tag = actual[i].Value;
            if (owned.Owns(tag) && !desired.Contains(tag))
            {
                (changed ??= []).Add(tag);
            }
        }

        if (changed is null)
        {
            return;
        }

        reasons ??= new(StringComparer.Ordinal);
        foreach (var t in changed)
        {
            reasons[t] = owned.ReasonFor(id, t);
        }

        static void Add(ref HashSet<string> desired, ref bool isShared, string tag)
        {
            if (isShared)
            {
                desired = new HashSet<string>(desired, StringComparer.Ordinal);
                isShared = false;
            }

            desired.Add(tag);
        }
    }

    private static bool Carries(IReadOnlyList<Tag> tags, string path)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i].Value, path, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A desired set shared by several assets and a step's wish list instance, compared by reference: the key of a set built from both.</summary>
    private readonly struct SharedSetKey(HashSet<string> desired, IReadOnlyCollection<string> wanted) : IEquatable<SharedSetKey>
    {
        private readonly HashSet<string> _desired = desired;
        private readonly IReadOnlyCollection<string> _wanted = wanted;

        public bool Equals(SharedSetKey other) => ReferenceEquals(_desired, other._desired) && ReferenceEquals(_wanted, other._wanted);

        public override bool Equals(object? obj) => obj is SharedSetKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(_desired), RuntimeHelpers.GetHashCode(_wanted));
    }

    private static bool OwnedByAny(List<OwnedTagPlan> owned, string path)
    {
        for (var i = 0; i < owned.Count; i++)
        {
            if (owned[i].Owns(path))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One error per pattern that ran out of time, naming the album and the assets it left unchanged.</summary>
    private void ReportTimedOutPatterns(AssetPlanning state)
    {
        var snapshot = state.Snapshot;
        foreach (var t in classifier.TimedOut.Concat(state.FilterIn?.TimedOut ?? []).Concat(state.FilterOut?.TimedOut ?? []).Distinct())
        {
            var members = snapshot.Assets.Where(a => state.TimedOutAssets.Contains(a.Id) && snapshot.AlbumsOf(a.Id).Any(al => string.Equals(al.Name, t.AlbumName, StringComparison.Ordinal))).Select(a => a.Id).ToList();
            reportError(new EngineError(
                EngineErrorKind.Classify,
                $"Album pattern '{t.Pattern}' ran longer than its time-out ({t.Timeout.TotalMilliseconds:0.###} ms) on album '{t.AlbumName}' (it needs the backtracking engine: look-arounds, backreferences or atomic groups); that album was not matched by it and its assets were left unchanged",
                members,
                [],
                now));
        }
    }

    private static string[] AlbumNames(IReadOnlyList<Album> albums)
    {
        if (albums.Count == 0)
        {
            return [];
        }

        var names = new string[albums.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = albums[i].Name;
        }

        return names;
    }
}
