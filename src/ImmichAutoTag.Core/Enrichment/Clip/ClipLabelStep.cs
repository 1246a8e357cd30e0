using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// The <c>clip:</c> feature step's computing part: selects the assets to label, opens the model, embeds the label set,
/// and scores every selected asset through <see cref="ClipLabelPipeline"/> (stored embeddings first, then thumbnails
/// downloaded while the model runs). The planner turns the result into owned label tags.
/// </summary>
/// <param name="config">The <c>clip:</c> section.</param>
/// <param name="services">Model and stores.</param>
/// <param name="gateway">Reads thumbnails.</param>
/// <param name="logger">Progress and failures.</param>
/// <param name="filters">The run's <c>filters:</c>: an asset filter_in leaves out of focus, or filter_out matches, is never selected.</param>
/// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain tag entries do not match tags below them.</param>
public sealed class ClipLabelStep(ClipConfig config, ClipServices services, IImmichGateway gateway, ILogger logger, FiltersConfig? filters = null, ToolTagRoots? toolTags = null)
{
    /// <summary>The tag entries <c>clip.assets.rules</c> look at (the gatherer reads their holders).</summary>
    public static IReadOnlySet<string> TagNames(ClipConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Rules.SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Assets not scored that are named one by one in the log; the rest are counted.</summary>
    private const int MaxFailuresLogged = 20;

    /// <summary>Whether a path is one of the step's label tags (below <see cref="ClipConfig.TagRoot"/>).</summary>
    public static Func<string, bool> OwnsTag(ClipConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var prefix = config.TagRoot + "/";
        return path => path.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>Scores the selected assets of <paramref name="snapshot"/>.</summary>
    /// <exception cref="ClipUnavailableException">The model cannot be opened (nothing was changed).</exception>
    /// <exception cref="ClipLabelSetException">The label set cannot be used with the model: the message names the label and prompt (nothing was changed).</exception>
    public async Task<ClipLabels> RunAsync(LibrarySnapshot snapshot, RunOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var selected = Select(snapshot, options);
        using var model = services.Models.Open(config, logger);
        var labels = config.Labels.Select(l => new ClipLabel(l.Name, l.Prompts)).ToList();
        foreach (var warning in ClipPromptChecks.TooLong(labels, model.MeasurePrompt))
        {
            logger.LogWarning("{Warning:l}", warning);
        }

        var prompts = await ClipPromptEmbeddings.EmbedAsync(labels, model.Text, services.TextStore, ct).ConfigureAwait(false);
        logger.LogInformation("CLIP {Model}: label prompts: {Encoded} encoded, {Reused} stored embedding(s) reused", model.Model, prompts.Encoded, prompts.Reused);
        ZeroShotClassifier classifier;
        try
        {
            classifier = new ZeroShotClassifier(labels, prompts.PerLabel, new ZeroShotDecisionRule(config.MinProbabilityPercent / 100.0, config.MinMarginPercent / 100.0));
        }
        catch (ArgumentException e)
        {
            // The label set as configured does not work with this model (labels whose prompts cancel out, a repeated
            // label): a config problem, reported before anything is written.
            throw new ClipLabelSetException($"clip.labels: {e.Message.Replace(" (Parameter 'labels')", string.Empty, StringComparison.Ordinal).Replace(" (Parameter 'promptEmbeddings')", string.Empty, StringComparison.Ordinal)}", e);
        }

        var pipeline = new ClipLabelPipeline(model.Images, services.Store, classifier, new ClipPipelineOptions(config.BatchSize, PrepareWorkers: 1, Lanes: config.Threads));
        var result = await pipeline.RunAsync(selected, (id, token) => gateway.GetThumbnailAsync(id, "thumbnail", token), ct).ConfigureAwait(false);
        var outcome = new ClipLabels(model.Model, config.TagRoot, classifier.Labels, selected.Select(a => a.AssetId).ToList(), result);
        if (logger.IsEnabled(LogLevel.Information) && result.Encoded == 0)
        {
            // Nothing went through the model: no download, decode or model times to break down.
            logger.LogInformation(
                "CLIP {Model}: {Selected} assets selected, 0 encoded, {Reused} stored embeddings reused, {Failed} not scored; labels: {Counts} ({Seconds:0.0} s)",
                model.Model,
                selected.Count,
                result.Reused,
                result.Failures.Count,
                string.Join(", ", outcome.Counts().Select(c => $"{c.Label} {c.Assets}")),
                result.Times.Total.TotalSeconds);
        }
        else if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "CLIP {Model}: {Selected} assets selected, {Encoded} encoded, {Reused} stored embeddings reused, {Failed} not scored; labels: {Counts} ({Seconds:0.0} s; download {Download:0.0} s summed over downloads; summed over {Lanes} lane(s): decode + preprocess {Prepare:0.0} s, model {Inference:0.0} s, waiting for thumbnails {Waiting:0.0} s)",
                model.Model,
                selected.Count,
                result.Encoded,
                result.Reused,
                result.Failures.Count,
                string.Join(", ", outcome.Counts().Select(c => $"{c.Label} {c.Assets}")),
                result.Times.Total.TotalSeconds,
                result.Times.Download.TotalSeconds,
                config.Threads,
                result.Times.Prepare.TotalSeconds,
                result.Times.Inference.TotalSeconds,
                result.Times.WaitingForThumbnails.TotalSeconds);
        }

        if (result.Failures.Count > 0)
        {
            // Named as the plan names assets (file name and web link), so the user can open the one that failed.
            var names = snapshot.Assets.Where(a => result.Failures.ContainsKey(a.Id)).ToDictionary(a => a.Id, a => a.OriginalFileName);
            var web = gateway.ServerUrl.AbsoluteUri.TrimEnd('/');
            foreach (var (id, reason) in result.Failures.OrderBy(f => names.GetValueOrDefault(f.Key), StringComparer.Ordinal).Take(MaxFailuresLogged))
            {
                logger.LogWarning("CLIP: asset {FileName:l} ({Link:l}) not scored: {Reason:l}", names.GetValueOrDefault(id, "?"), $"{web}/photos/{id}", reason);
            }

            if (result.Failures.Count > MaxFailuresLogged)
            {
                logger.LogWarning("CLIP: {More} more asset(s) not scored (the first {Shown} are listed above)", result.Failures.Count - MaxFailuresLogged, MaxFailuresLogged);
            }
        }

        return outcome;
    }

    /// <summary>
    /// Own assets the run may change (visibility as classification), of a selected media type, with a checksum, and
    /// matched by <c>clip.assets.rules</c> when there are any. Hidden Live/Motion Photo video halves are never labelled.
    /// </summary>
    internal List<ClipAsset> Select(LibrarySnapshot snapshot, RunOptions options)
    {
        var rules = config.Rules.Count > 0 ? RuleClassifier.Compile(config.Rules, toolTags) : null;
        var filterIn = filters is { FilterIn.Count: > 0 } ? RuleClassifier.Compile(filters.FilterIn, toolTags) : null;
        var filterOut = filters is { FilterOut.Count: > 0 } ? RuleClassifier.Compile(filters.FilterOut, toolTags) : null;
        var videoHalves = snapshot.Assets.Where(a => a.LivePhotoVideoId is not null).Select(a => a.LivePhotoVideoId!.Value).ToHashSet();
        var types = config.MediaTypes.Select(t => t.ToLowerInvariant() switch { "video" => AssetType.Video, _ => AssetType.Image }).ToHashSet();
        var selected = new List<ClipAsset>();
        foreach (var asset in snapshot.Assets)
        {
            if (asset.OwnerId != snapshot.User.Id
                || asset.Checksum is not { Length: > 0 } checksum
                || !types.Contains(asset.Type)
                || (asset.Visibility == AssetVisibility.Hidden && videoHalves.Contains(asset.Id))
                || (!options.IncludeArchived && (asset.IsArchived || asset.Visibility == AssetVisibility.Archive))
                || (!options.IncludeHidden && asset.Visibility == AssetVisibility.Hidden))
            {
                continue;
            }

            var facts = (rules ?? filterIn ?? filterOut) is null ? null
                : new AssetFacts(asset.Id, snapshot.TagsOf(asset.Id), snapshot.AlbumsOf(asset.Id).Select(a => a.Name).ToList());
            if ((filterIn is not null && !Matches(filterIn, facts!, onTimeout: false))
                || (filterOut is not null && Matches(filterOut, facts!, onTimeout: true))
                || (rules is not null && !Matches(rules, facts!, onTimeout: false)))
            {
                continue;
            }

            selected.Add(new ClipAsset(asset.Id, checksum));
        }

        return selected;
    }

    /// <param name="onTimeout">The answer when a pattern times out: a filter_out that cannot tell keeps the asset out.</param>
    private static bool Matches(RuleClassifier rules, AssetFacts facts, bool onTimeout)
    {
        try
        {
            return rules.Classify(facts).Matches.Count > 0;
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return onTimeout;
        }
    }
}
