using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// The <c>clip:</c> feature as a run step: it reads the tags its asset rules look at and the thumbnails of assets not
/// embedded yet; while preparing it scores the selected assets (<see cref="ClipLabelStep"/>) and records the
/// <see cref="ClipLabels"/> as a run fact (later steps gate on the scores, reports show them); it plans one owned
/// label tag per asset below <c>clip.tag_root</c>, with the score as the reason.
/// </summary>
/// <param name="config">The <c>clip:</c> section.</param>
/// <param name="filters">The run's <c>filters:</c>; assets they leave out are never encoded (their thumbnails are not read).</param>
/// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain tag entries of the asset rules do not match tags below them.</param>
public sealed class ClipFeatureStep(ClipConfig config, FiltersConfig? filters = null, ToolTagRoots? toolTags = null) : IFeatureStep
{
    /// <summary>The step's name (the <see cref="ChangeReason.Step"/> of its label changes).</summary>
    public const string StepName = "clip_labels";

    /// <inheritdoc />
    public string Name => StepName;

    /// <inheritdoc />
    public string ConfigSection => "clip";

    /// <inheritdoc />
    public bool Enabled => config.Enabled;

    /// <summary>Label tags are owned below the tag root; the asset rules read their tags; thumbnails feed the model.</summary>
    public ReadNeeds Reads { get; } = new() { TagNames = ClipLabelStep.TagNames(config), OwnsTag = ClipLabelStep.OwnsTag(config), Thumbnails = true };

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The run was composed without the CLIP runtime (<see cref="RunOptions.Clip"/>).</exception>
    /// <exception cref="ClipUnavailableException">The model cannot be opened (nothing was changed).</exception>
    public async Task PrepareAsync(StepPrepareContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.Options.Clip ?? throw new InvalidOperationException("clip.enabled is true but the run was composed without the CLIP runtime (RunOptions.Clip).");
        var labels = await new ClipLabelStep(config, services, context.Gateway, context.Logger, filters, toolTags).RunAsync(context.Snapshot, context.Options, ct).ConfigureAwait(false);
        context.Facts.Set(labels);
    }

    /// <inheritdoc />
    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return string.IsNullOrWhiteSpace(config.TagRoot) || context.Facts.Get<ClipLabels>() is not { } labels
            ? StepPlan.None
            : StepPlan.None with { OwnedTags = new LabelTags(labels) };
    }

    /// <summary>
    /// One label tag per scored asset (the decision rule's label, or none); an asset that could not be scored keeps
    /// the label tags it has; an asset the step did not select carries none.
    /// </summary>
    private sealed class LabelTags(ClipLabels labels) : OwnedTagPlan(StepName)
    {
        public override bool Owns(string path) => path.Length > labels.TagRoot.Length + 1 && labels.IsLabelTag(path);

        public override IReadOnlyCollection<string>? DesiredFor(Guid assetId)
        {
            if (labels.Failures.ContainsKey(assetId))
            {
                return null;
            }

            return labels.DesiredTag(assetId) is { } tag ? [tag] : [];
        }

        public override ChangeReason ReasonFor(Guid assetId, string path) => new(StepName, labels.Reason(assetId) ?? "label");
    }
}
