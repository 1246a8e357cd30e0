using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The registry of a run's feature steps, in planning order. A new feature registers here (one line); the engine
/// reads the union of the enabled steps' needs, lets each enabled step prepare (<see cref="IFeatureStep.PrepareAsync"/>),
/// then plan its changes and owned tags into the run's one change list (<see cref="IFeatureStep.Plan"/>), each on
/// the state the earlier ones left.
/// </summary>
public static class FeatureSteps
{
    /// <summary>The steps of a run over <paramref name="config"/>, and the output tags the classification step owns.</summary>
    /// <param name="classifier">The compiled classification rules (their tag entries are read).</param>
    /// <param name="retiredWorkflowTags">Workflow tags the tool added that no rule adds any more (<see cref="RootTagOwnership.RetiredWorkflowTags"/>): the workflow step takes them off.</param>
    /// <param name="previousClipTagRoots">Earlier <c>clip.tag_root</c> values with labels the tool added (<see cref="ClipTagRoots.PreviousAsync"/>): the CLIP step takes them off.</param>
    /// <param name="retiredStatusTags">Status tags the tool created that the config no longer names (<see cref="RetiredStatusTagsStep.Retired"/>): taken off.</param>
    public static (IReadOnlyList<IFeatureStep> Steps, OutputTags Outputs) For(AutoTagConfig config, RunOptions options, RuleClassifier classifier, IReadOnlyCollection<string>? retiredWorkflowTags = null, IReadOnlyList<string>? previousClipTagRoots = null, IReadOnlyList<string>? retiredStatusTags = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(classifier);

        var dates = new DateRepairStep(config.DuplicateProcessing, options.DuplicateDetection);
        var duplicates = new DuplicatesStep(config, options);

        // The duplicate conflict tags are output tags only when duplicates are read at all.
        var outputs = OutputTags.From(config, (dates.Enabled && dates.Reads.Duplicates) || duplicates.Reads.Duplicates);
        IFeatureStep[] steps =
        [
            // Plans ahead of the others: they see the albums and tags the library will have.
            new TagAlbumSyncStep(config, options),
            new FiltersStep(config.Filters),
            new ConversionsStep(config.Conversions),
            new ClassificationStep(classifier, outputs),
            dates,
            duplicates,
            new FolderAlbumsStep(config.AlbumDetectionFromFolders),
            new TemporaryAlbumsStep(config, options.TemporaryAlbumCleanup),
            new AlbumDateCheckStep(config.AlbumDateConsistency),
            // Before sharing: albums the workflows create are shared in the same run.
            new Workflows.WorkflowStep(config.Workflows, retiredWorkflowTags, ToolTagRoots.Of(config)),
            new AlbumSharingStep(config.AlbumPermissions),
            new ClipFeatureStep(config.Clip, config.Filters, previousClipTagRoots, ToolTagRoots.Of(config)),
            new Enrichment.Booru.BooruFeatureStep(config.Booru, config.Filters, ToolTagRoots.Of(config), config.Clip.Enabled),
            new RetiredStatusTagsStep(retiredStatusTags ?? []),
            .. options.AdditionalSteps,
        ];
        return (steps, outputs);
    }

    /// <summary>What the gatherer reads for a run: the union of the enabled steps' needs.</summary>
    public static ReadNeeds Reads(IEnumerable<IFeatureStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        return ReadNeeds.Union(steps.Where(s => s.Enabled).Select(s => s.Reads));
    }
}
