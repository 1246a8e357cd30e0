using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>The run use case: gather the library, classify every own asset, plan the output tags, apply the plan.</summary>
public sealed class AutoTagEngine(IImmichGateway gateway, TimeProvider time, ILogger<AutoTagEngine> logger)
{
    private const int ProgressInterval = 1000;

    /// <summary>
    /// One full run. Read failures (<see cref="ImmichException"/>) end the run by propagating, since no plan
    /// can be trusted without the whole library; write failures are collected in <see cref="RunResult.Errors"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An album pattern is not a valid regex (config validation should have caught it).</exception>
    public async Task<RunResult> RunAsync(AutoTagConfig config, RunOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkSize, 1);

        var startedAt = time.GetUtcNow();
        var failFast = config.Performance.FailFastOnAssetErrors;

        // Compile first: a broken rule should fail before a single request is sent.
        var classifier = RuleClassifier.Compile(config.Classification.Rules, options.RegexTimeout);
        var outputs = OutputTags.From(config.Classification);

        var snapshot = await new LibraryGatherer(gateway, logger)
            .GatherAsync(classifier.TagNames, outputs.Enabled, options.Progress, ct);
        var userId = snapshot.User.Id;

        var errors = new List<EngineError>();
        var evaluations = new List<AssetEvaluation>();
        int owned = 0, partner = 0, excluded = 0;
        for (var i = 0; i < snapshot.Assets.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var asset = snapshot.Assets[i];
            if (asset.OwnerId != userId)
            {
                partner++;
                continue;
            }

            owned++;
            if (!Included(asset, options))
            {
                excluded++;
                continue;
            }

            var albums = snapshot.AlbumsOf(asset.Id).Select(a => a.Name).ToList();
            var tags = snapshot.TagsOf(asset.Id);
            try
            {
                var classification = classifier.Classify(new AssetFacts(asset.Id, tags, albums));
                evaluations.Add(new AssetEvaluation(asset, albums, tags, classification));
            }
            catch (RegexMatchTimeoutException ex)
            {
                // The asset keeps its tags: a verdict from a half-evaluated rule set would be a guess.
                errors.Add(new EngineError(EngineErrorKind.Classify, $"Album pattern '{ex.Pattern}' timed out on '{ex.Input}'", [asset.Id], [], time.GetUtcNow()));
                logger.LogWarning("Skipping asset {AssetId}: album pattern {Pattern} timed out", asset.Id, ex.Pattern);
                if (failFast)
                {
                    break;
                }
            }

            // Classifying is fast; a report per asset would flood a console renderer on large libraries.
            if ((i + 1) % ProgressInterval == 0)
            {
                options.Progress?.Report(new EngineProgress(EnginePhase.Evaluate, i + 1, snapshot.Assets.Count));
            }
        }

        options.Progress?.Report(new EngineProgress(EnginePhase.Evaluate, snapshot.Assets.Count, snapshot.Assets.Count));

        var plan = TagPlanner.Plan(evaluations, outputs, snapshot.Tags, userId);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Plan: {Create} tags to create, {Add} additions, {Remove} removals{DryRun}",
                plan.TagsToCreate.Count,
                plan.AdditionCount,
                plan.RemovalCount,
                options.DryRun ? " (dry run)" : string.Empty);
        }

        var aborted = failFast && errors.Count > 0;
        IReadOnlyList<AppliedChange> changes = [];
        var cancelled = false;
        if (!options.DryRun && !aborted && plan.HasChanges)
        {
            var outcome = await new PlanApplier(gateway, time, logger).ApplyAsync(
                plan,
                snapshot.Assets.ToDictionary(a => a.Id),
                snapshot.Tags,
                options.ChunkSize,
                failFast,
                options.Progress,
                ct);
            changes = outcome.Changes;
            errors.AddRange(outcome.Errors);
            aborted = outcome.Aborted;
            cancelled = outcome.Cancelled;
        }

        return new RunResult
        {
            StartedAt = startedAt,
            FinishedAt = time.GetUtcNow(),
            User = snapshot.User,
            DryRun = options.DryRun,
            Assets = new AssetCounts(
                snapshot.Assets.Count,
                Enum.GetValues<AssetType>().ToDictionary(t => t, t => snapshot.Assets.Count(a => a.Type == t)),
                owned,
                partner,
                excluded,
                evaluations.Count),
            AlbumCount = snapshot.Albums.Count,
            TagCount = snapshot.Tags.Count,
            AmbiguousAssetsResolved = snapshot.AmbiguousAssetsResolved,
            StatusCounts = plan.StatusCounts,
            Plan = plan,
            Evaluations = evaluations,
            AppliedChanges = changes,
            Errors = errors,
            Aborted = aborted,
            Cancelled = cancelled,
            OutputTagCounts = CountOutputTags(snapshot, outputs, changes),
        };
    }

    private static bool Included(Asset asset, RunOptions options) =>
        (options.IncludeArchived || (!asset.IsArchived && asset.Visibility != AssetVisibility.Archive))
        && (options.IncludeHidden || asset.Visibility != AssetVisibility.Hidden);

    private static Dictionary<string, int> CountOutputTags(LibrarySnapshot snapshot, OutputTags outputs, IReadOnlyList<AppliedChange> changes)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var path in outputs.Enabled)
        {
            var before = snapshot.Assets.Count(a => snapshot.TagsOf(a.Id).Any(t => string.Equals(t.Value, path, StringComparison.Ordinal)));
            var added = changes.Count(c => c.Kind == ChangeKind.Added && string.Equals(c.TagName, path, StringComparison.Ordinal));
            var removed = changes.Count(c => c.Kind == ChangeKind.Removed && string.Equals(c.TagName, path, StringComparison.Ordinal));
            counts[path] = before + added - removed;
        }

        return counts;
    }
}
