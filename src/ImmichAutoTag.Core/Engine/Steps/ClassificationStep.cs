using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// classification: judges every own asset the run includes, as it will be after conversions (classified, unclassified
/// or conflict), and lists the duplicate groups with at least two classified members for the steps after it. Its
/// output tags (unknown, conflict) are planned by the tag diff from the verdicts; later steps that add or copy an
/// album or a tag classify the asset again.
/// </summary>
internal sealed class ClassificationStep(RuleClassifier classifier, OutputTags outputs) : IFeatureStep
{
    public string Name => "classification";

    public string ConfigSection => "classification";

    public bool Enabled => true;

    public ReadNeeds Reads { get; } = new() { TagNames = classifier.TagNames, OwnedTagPaths = outputs.Enabled, OwnsTag = outputs.IsOutputTag };

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var assets = state.Snapshot.Assets;
        for (var i = 0; i < assets.Count; i++)
        {
            state.Cancellation.ThrowIfCancellationRequested();
            if (!state.Assets.TryGetValue(assets[i].Id, out var f) || !f.Included)
            {
                continue;
            }

            if (!f.Failed)
            {
                try
                {
                    f.Classification = state.Classify(f);
                    if (classifier.AnyTimedOut && classifier.TimedOutOn(f.Albums.Select(a => a.Name)))
                    {
                        // The asset keeps its tags: a verdict without one of its albums' matches would be a guess.
                        f.Classification = null;
                        f.InScope = false;
                        state.TimedOutAssets.Add(f.Asset.Id);
                    }
                }
                catch (RegexMatchTimeoutException ex)
                {
                    state.Fail(f, ex);
                }
            }

            if ((i + 1) % 1000 == 0)
            {
                state.Progress?.Report(new EngineProgress(EnginePhase.Evaluate, i + 1, assets.Count));
            }
        }

        state.Groups = state.Duplicates is null
            ? []
            : state.Duplicates
                .Select(g => (g.DuplicateId, Members: g.Assets.Select(a => state.Assets.GetValueOrDefault(a.Id)).OfType<PlannedAsset>().Where(m => m.Classification is not null).DistinctBy(m => m.Asset.Id).ToList()))
                .Where(g => g.Members.Count >= 2)
                .ToList();
        foreach (var (id, members) in state.Groups)
        {
            foreach (var m in members)
            {
                m.Group ??= id;
            }
        }

        return StepPlan.None;
    }
}
