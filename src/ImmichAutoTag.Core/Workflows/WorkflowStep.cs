using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// <c>workflows:</c> as one feature step: it reads the tags its conditions name and the tags it adds (its own), and
/// plans after classification, on each in-scope asset's verdict and enrichment results (<see cref="WorkflowPlanner"/>).
/// </summary>
public sealed class WorkflowStep : IFeatureStep
{
    private readonly WorkflowPlanner _planner;

    public WorkflowStep(WorkflowsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _planner = new WorkflowPlanner(config);
        Enabled = config.Enabled && config.Rules.Count > 0;
        var owned = WorkflowPlanner.OwnedTags(config);
        var ownedSet = owned.ToHashSet(StringComparer.Ordinal);
        Reads = new ReadNeeds
        {
            TagNames = WorkflowPlanner.ConditionTags(config),
            OwnedTagPaths = owned,
            OwnsTag = ownedSet.Contains,
        };
    }

    public string Name => WorkflowPlanner.StepName;

    public string ConfigSection => "workflows";

    public bool Enabled { get; }

    public ReadNeeds Reads { get; }

    /// <summary>The last plan's counts and timings (null before the step planned); the benchmark prints the rule engine's share.</summary>
    public WorkflowOutcome? Outcome { get; private set; }

    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var facts = context.Facts;
        var inputs = new WorkflowInputs(
            facts.Get<ClassificationVerdicts>()?.Statuses ?? new Dictionary<Guid, ClassificationStatus>(),
            facts.Get<ClipLabels>(),
            facts.Get<BooruMatches>()?.Matches);
        var outcome = _planner.Plan(context.Snapshot, inputs, context.Planned, CancellationToken.None);
        Outcome = outcome;
        return outcome.Plan;
    }
}
