using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
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
}

/// <summary>
/// Turns a library snapshot into one plan: records the assets' planning state (<see cref="AssetPlanning"/>) as a run
/// fact, lets every enabled step plan in registration order (filters → conversions → classification → date repair →
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
    /// <param name="snapshot">The library as the steps see it (after tag ↔ album sync's planned changes).</param>
    /// <param name="steps">The run's steps; the enabled ones plan, in this order.</param>
    /// <param name="context">What every step plans from (the library as read, the users, the run's facts).</param>
    /// <param name="planned">The view of the changes planned so far that a step gets as <see cref="StepContext.Planned"/>.</param>
    public PlanningResult Plan(
        LibrarySnapshot snapshot,
        IReadOnlyList<DuplicateGroup>? duplicates,
        IReadOnlyList<IFeatureStep> steps,
        StepContext context,
        Func<ChangeList, ChangeList> planned,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        var state = new AssetPlanning(config, classifier, outputs, options, now, reportError, snapshot, duplicates, progress, ct);
        context.Facts.Set(state);

        var changes = new List<PlannedChange>();
        var stepPlans = new List<StepPlan>();
        var owned = new List<OwnedTagPlan>();
        ChangeList? view = null;
        foreach (var step in steps.Where(s => s.Enabled))
        {
            view ??= planned(new ChangeList(changes));
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
        var result = new TagPlan(new ChangeList([.. changes, .. tagChanges]), statuses)
        {
            Notes = state.Notes,
        };
        return new PlanningResult(result, evaluations, state.Assets.Count, state.Partner, state.ExcludedByVisibility, state.ExcludedByFilters, state.Groups.Count)
        {
            DuplicateCopies = state.DuplicateCopies,
            PropagatedAssets = state.Propagated,
            MotionParts = state.MotionParts,
            StepPlans = stepPlans,
        };
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
        // so a 100k library does not build 100k equal sets. An asset that wants more gets its own copy below.
        var byStatus = new Dictionary<ClassificationStatus, HashSet<string>>();
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

            // Made only for the few assets a step other than classification tags: a rerun allocates none.
            Dictionary<string, ChangeReason>? reasons = null;
            if (state.Wanted.TryGetValue(f.Asset.Id, out var wanted))
            {
                foreach (var (tag, reason) in wanted)
                {
                    if (!desired.Contains(tag))
                    {
                        desired = ReferenceEquals(desired, shared) ? new HashSet<string>(shared, StringComparer.Ordinal) : desired;
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
                StepOwnedTags(owned[i], f, ref desired, shared, ref reasons);
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
    /// the set shared by every asset of a status); an asset the step leaves alone keeps the step's tags it has. Each of
    /// the step's tags added or removed gets the step's reason.
    /// </summary>
    private static void StepOwnedTags(OwnedTagPlan owned, PlannedAsset f, ref HashSet<string> desired, HashSet<string> shared, ref Dictionary<string, ChangeReason>? reasons)
    {
        var id = f.Asset.Id;
        List<string>? actual = null;
        foreach (var t in f.OriginalTags)
        {
            if (owned.Owns(t.Value))
            {
                (actual ??= []).Add(t.Value);
            }
        }

        var wanted = owned.DesiredFor(id) ?? (IReadOnlyCollection<string>?)actual ?? [];
        List<string>? changed = null;
        foreach (var tag in wanted)
        {
            if (!owned.Owns(tag))
            {
                continue;
            }

            if (!desired.Contains(tag))
            {
                desired = ReferenceEquals(desired, shared) ? new HashSet<string>(shared, StringComparer.Ordinal) : desired;
                desired.Add(tag);
            }

            if (actual is null || !actual.Contains(tag, StringComparer.Ordinal))
            {
                (changed ??= []).Add(tag);
            }
        }

        if (actual is not null)
        {
            foreach (var tag in actual)
            {
                if (!desired.Contains(tag))
                {
                    (changed ??= []).Add(tag);
                }
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
