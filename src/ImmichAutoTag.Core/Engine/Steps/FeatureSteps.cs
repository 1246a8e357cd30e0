using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The registry of a run's feature steps, in planning order. A new feature registers here with its config
/// section and the reads it needs; the engine reads the union of the enabled steps' needs, then lets each enabled
/// step plan its changes into the run's one change list (<see cref="IFeatureStep.Plan"/>).
/// </summary>
public static class FeatureSteps
{
    /// <summary>The steps of a run over <paramref name="config"/>, and the output tags the classification step owns.</summary>
    /// <param name="classifier">The compiled classification rules (their tag entries are read).</param>
    /// <param name="isSyncTag">Which tag paths tag ↔ album sync owns (its prefix).</param>
    public static (IReadOnlyList<IFeatureStep> Steps, OutputTags Outputs) For(AutoTagConfig config, RunOptions options, RuleClassifier classifier, Func<string, bool> isSyncTag)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(isSyncTag);

        var duplicates = config.DuplicateProcessing;
        var duplicateSteps = new IFeatureStep[]
        {
            new FeatureStep(
                "date_repair",
                "duplicate_processing.date_correction",
                duplicates.DateCorrection.Enabled,
                new ReadNeeds { Duplicates = options.DuplicateDetection && duplicates.DateCorrection.Enabled }),
            new FeatureStep(
                "duplicates",
                "duplicate_processing",
                true,
                new ReadNeeds
                {
                    // Copies, album propagation and conflict tags all judge groups by their classification.
                    Duplicates = options.DuplicateDetection
                        && (config.Classification.Rules.Count > 0
                            || !string.IsNullOrWhiteSpace(duplicates.AutotagClassificationConflict)
                            || !string.IsNullOrWhiteSpace(duplicates.AutotagClassificationConflictPrefix)
                            || !string.IsNullOrWhiteSpace(duplicates.AutotagAlbumConflict)),
                }),
        };

        // The duplicate conflict tags are output tags only when duplicates are read at all.
        var outputs = OutputTags.From(config, duplicateSteps.Any(s => s.Enabled && s.Reads.Duplicates));
        IFeatureStep[] steps =
        [
            new FeatureStep("tag_album_sync", "tag_album_sync", config.TagAlbumSync.Enabled, new ReadNeeds { OwnsTag = isSyncTag }),
            new FeatureStep(
                "filters",
                "filters",
                config.Filters.FilterIn.Count + config.Filters.FilterOut.Count > 0,
                new ReadNeeds { TagNames = RunPlanner.FilterTagNames(config.Filters) }),
            new FeatureStep(
                "conversions",
                "conversions",
                config.Conversions.Enabled,

                // Conversions read their source tags and must see who already carries a destination tag.
                new ReadNeeds { TagNames = Conversions.TagNames(config.Conversions).ToHashSet(StringComparer.Ordinal) }),
            new FeatureStep(
                "classification",
                "classification",
                true,
                new ReadNeeds { TagNames = classifier.TagNames, OwnedTagPaths = outputs.Enabled, OwnsTag = outputs.IsOutputTag }),
            .. duplicateSteps,
            new FeatureStep("folder_albums", "album_detection_from_folders", config.AlbumDetectionFromFolders.Enabled, ReadNeeds.None),
            new FeatureStep("temporary_albums", "create_album_from_date_if_missing", true, ReadNeeds.None),
            new FeatureStep("album_date_check", "album_date_consistency", config.AlbumDateConsistency.Enabled, ReadNeeds.None),
            // Before sharing: albums the workflows create are shared in the same run.
            new Workflows.WorkflowStep(config.Workflows),
            new AlbumSharingStep(config.AlbumPermissions),
            new ClipFeatureStep(config.Clip),
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
