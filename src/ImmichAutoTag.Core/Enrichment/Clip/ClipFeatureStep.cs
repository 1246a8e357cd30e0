using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// The <c>clip:</c> feature as a run step: it reads the tags its asset rules look at and the thumbnails of assets not
/// embedded yet; while preparing it scores the selected assets (<see cref="ClipLabelStep"/>) and records the
/// <see cref="ClipLabels"/> as a run fact (later steps gate on the scores, reports show them); it plans one owned
/// label tag per asset below <c>clip.tag_root</c>, with the score as the reason.
/// </summary>
/// <param name="config">The <c>clip:</c> section.</param>
/// <param name="filters">The run's <c>filters:</c>; assets they leave out are never encoded (their thumbnails are not read).</param>
/// <param name="previousTagRoots">
/// Earlier <c>clip.tag_root</c> values below which the tool added labels (<see cref="ClipTagRoots.PreviousAsync"/>):
/// those tags are still the step's, never wanted, so the labels the tool added there are taken off (the run's
/// ownership guard leaves the user's own links alone).
/// </param>
/// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain tag entries of the asset rules do not match tags below them.</param>
public sealed class ClipFeatureStep(ClipConfig config, FiltersConfig? filters = null, IReadOnlyList<string>? previousTagRoots = null, ToolTagRoots? toolTags = null) : IFeatureStep
{
    private readonly IReadOnlyList<string> _previousRoots = previousTagRoots ?? [];

    /// <summary>The step's name (the <see cref="ChangeReason.Step"/> of its label changes).</summary>
    public const string StepName = "clip_labels";

    /// <inheritdoc />
    public string Name => StepName;

    /// <inheritdoc />
    public string ConfigSection => "clip";

    /// <inheritdoc />
    public bool Enabled => config.Enabled;

    /// <summary>Label tags are owned below the tag root; the asset rules read their tags; thumbnails feed the model.</summary>
    public ReadNeeds Reads { get; } = new()
    {
        TagNames = ClipLabelStep.TagNames(config),
        OwnsTag = previousTagRoots is { Count: > 0 } ? OwnsTagWith(config, previousTagRoots) : ClipLabelStep.OwnsTag(config),
        Thumbnails = true,
    };

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The run was composed without the CLIP runtime (<see cref="RunOptions.Clip"/>).</exception>
    /// <exception cref="ClipUnavailableException">The model cannot be opened (nothing was changed).</exception>
    public async Task PrepareAsync(StepPrepareContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.Options.Clip ?? throw new InvalidOperationException("clip.enabled is true but the run was composed without the CLIP runtime (RunOptions.Clip).");
        if (services.TagRoots is { } roots)
        {
            // Recorded before scoring: a later run with another root knows these labels are the tool's.
            await roots.RememberTagRootAsync(ClipTagRoots.Scope(context.Snapshot.User.Id), config.TagRoot, ct).ConfigureAwait(false);
        }

        if (_previousRoots.Count > 0)
        {
            context.Logger.LogInformation("CLIP: clip.tag_root is now '{Root:l}': the labels the tool added below {Previous:l} are taken off", config.TagRoot, string.Join(", ", _previousRoots.Select(r => $"'{r}'")));
        }

        var labels = await new ClipLabelStep(config, services, context.Gateway, context.Logger, filters, toolTags).RunAsync(context.Snapshot, context.Options, ct).ConfigureAwait(false);
        context.Facts.Set(labels);
    }

    private static Func<string, bool> OwnsTagWith(ClipConfig config, IReadOnlyList<string> previous)
    {
        var current = ClipLabelStep.OwnsTag(config);
        return path => current(path) || RootTagOwnership.RootOf(previous, path) is { } root && path.Length > root.Length;
    }

    /// <inheritdoc />
    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return string.IsNullOrWhiteSpace(config.TagRoot) || context.Facts.Get<ClipLabels>() is not { } labels
            ? StepPlan.None
            : StepPlan.None with { OwnedTags = new LabelTags(labels, _previousRoots) };
    }

    /// <summary>
    /// One label tag per scored asset (the decision rule's label, or none); an asset that could not be scored keeps
    /// the label tags it has; an asset the step did not select carries none.
    /// </summary>
    private sealed class LabelTags(ClipLabels labels, IReadOnlyList<string> previousRoots) : OwnedTagPlan(StepName)
    {
        public override bool Owns(string path) => (path.Length > labels.TagRoot.Length + 1 && labels.IsLabelTag(path)) || PreviousRoot(path) is not null;

        public override IReadOnlyCollection<string>? DesiredFor(Guid assetId)
        {
            if (labels.Failures.ContainsKey(assetId))
            {
                return null;
            }

            return labels.DesiredTag(assetId) is { } tag ? [tag] : [];
        }

        public override ChangeReason ReasonFor(Guid assetId, string path) =>
            PreviousRoot(path) is { } previous && !labels.IsLabelTag(path)
                ? new(StepName, $"label of the earlier tag root '{previous}' (clip.tag_root is now '{labels.TagRoot}')")
                : new(StepName, labels.Reason(assetId) ?? "label");

        // Below an earlier root (not the root tag itself).
        private string? PreviousRoot(string path) =>
            previousRoots.Count > 0 && RootTagOwnership.RootOf(previousRoots, path) is { } root && path.Length > root.Length ? root : null;
    }
}
