using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// <c>workflows:</c> as one feature step: it reads the tags its conditions name and the tags it adds (its own), and
/// plans after classification, on each in-scope asset's verdict and the enrichment steps' run facts: the CLIP step's
/// <see cref="ClipLabels"/> and the booru step's <see cref="BooruTags"/> (<see cref="WorkflowPlanner"/>). Its tags are
/// owned tags (<see cref="StepPlan.OwnedTags"/>); albums, favourite and archive changes are planned changes.
/// </summary>
public sealed class WorkflowStep : IFeatureStep
{
    private readonly WorkflowPlanner _planner;
    private readonly WorkflowsConfig _config;

    /// <param name="retired">
    /// Tags the workflows added on earlier runs that no rule adds any more (<see cref="RootTagOwnership.RetiredWorkflowTags"/>):
    /// the step reads their holders and takes them off the assets it tests (only the links the tool added: the run's
    /// ownership guard leaves the user's own). With no rule left, the step runs for them alone.
    /// </param>
    /// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): a plain <c>tags:</c> condition entry does not match a CLIP label or booru tag below them.</param>
    public WorkflowStep(WorkflowsConfig config, IReadOnlyCollection<string>? retired = null, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        retired ??= [];
        config = WorkflowPatterns.WithTimeout(config);
        _config = config;
        _planner = new WorkflowPlanner(config, retired, toolTags);
        Enabled = config.Enabled && (config.Rules.Count > 0 || retired.Count > 0);
        var owned = WorkflowPlanner.OwnedTags(config).Concat(retired).Distinct(StringComparer.Ordinal).ToList();
        var ownedSet = owned.ToHashSet(StringComparer.Ordinal);
        Reads = new ReadNeeds
        {
            TagNames = WorkflowPlanner.ConditionTags(config),
            OwnedTagPaths = owned,
            OwnsTag = ownedSet.Contains,
            Exif = WorkflowPlanner.NeedsExif(config),
        };
    }

    public string Name => WorkflowPlanner.StepName;

    public string ConfigSection => "workflows";

    public bool Enabled { get; }

    public ReadNeeds Reads { get; }

    /// <summary>The last plan's counts and timings (null before the step planned); the benchmark prints the rule engine's share.</summary>
    public WorkflowOutcome? Outcome { get; private set; }

    /// <summary>The final verdicts of the in-scope assets, as the earlier steps (classification, duplicates, folder albums) left them.</summary>
    private static Dictionary<Guid, ClassificationStatus> Verdicts(AssetPlanning? planning)
    {
        var statuses = new Dictionary<Guid, ClassificationStatus>(planning?.Assets.Count ?? 0);
        foreach (var (id, asset) in planning?.Assets ?? [])
        {
            if (asset.InScope && asset.Classification is { } classification)
            {
                statuses[id] = classification.Status;
            }
        }

        return statuses;
    }

    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var facts = context.Facts;
        var inputs = new WorkflowInputs(
            facts.Get<ClassificationVerdicts>()?.Statuses ?? Verdicts(facts.Get<AssetPlanning>()),
            facts.Get<ClipLabels>(),
            facts.Get<BooruTags>()?.Results);
        var planning = facts.Get<AssetPlanning>();
        var outcome = _planner.Plan(context.Snapshot, inputs, context.Planned, CancellationToken.None, planning is null ? null : planning.IsFilteredAlbum);
        Outcome = outcome;
        facts.Set(outcome);
        if (outcome.TimedOut.Count > 0 && planning is not null)
        {
            // One bad asset never stops the run: each is reported (exit code 8) with the rules it was left out of.
            foreach (var (asset, patterns) in outcome.TimedOut)
            {
                var what = string.Join("; ", patterns.Select(p => $"pattern '{p.Written}' of rule {string.Join(", ", WorkflowPatterns.RulesUsing(_config, p).Select(n => $"'{n}'"))}"));
                planning.ReportError(new EngineError(
                    EngineErrorKind.Classify,
                    $"workflows: {what} ran longer than workflows.match_timeout_ms ({_config.MatchTimeoutMs} ms) on asset {asset.Id} ({asset.OriginalFileName}); the workflows left this asset unchanged",
                    [asset.Id],
                    [],
                    planning.Now));
            }
        }

        return outcome.Plan;
    }
}
