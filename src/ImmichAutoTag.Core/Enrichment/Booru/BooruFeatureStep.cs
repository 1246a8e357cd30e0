using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>
/// The <c>booru:</c> feature as a run step. While preparing it selects the assets (rules, and the CLIP labels when the
/// CLIP step ran before it), looks them up (<see cref="BooruEnricher"/>) and records the <see cref="BooruTags"/> as a
/// run fact (workflow rules and reports read it). It plans the tags below <c>booru.tag_root</c> and the review tag as
/// owned tags: each accepted asset gets exactly its post's tags, with the source and similarity as the reason.
/// </summary>
/// <param name="config">The <c>booru:</c> section.</param>
/// <param name="filters">The run's <c>filters:</c>; assets they leave out are never looked up.</param>
/// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain tag entries of the asset rules do not match tags below them.</param>
/// <param name="clipOn">Whether the CLIP step runs: its gate selects assets, and the walk then reads EXIF so that camera photos stay out (<see cref="BooruSelection"/>).</param>
public sealed class BooruFeatureStep(BooruConfig config, FiltersConfig? filters = null, ToolTagRoots? toolTags = null, bool clipOn = false) : IFeatureStep
{
    /// <summary>The step's name (the <see cref="ChangeReason.Step"/> of its tag changes).</summary>
    public const string StepName = "booru_tags";

    /// <inheritdoc />
    public string Name => StepName;

    /// <inheritdoc />
    public string ConfigSection => "booru";

    /// <inheritdoc />
    public bool Enabled => config.Enabled;

    /// <summary>The rules' tags; the step's own tags (below the root, and the review tag); thumbnails for the searches.</summary>
    public ReadNeeds Reads { get; } = new()
    {
        TagNames = config.Rules.SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal),
        OwnedTagPaths = config.ReviewTag is { } review ? [review] : [],
        OwnsTag = path => Owns(config, path),
        Thumbnails = true,
        Exif = clipOn && config.ClipLabels.Count > 0,
    };

    /// <summary>Whether a tag path is the step's: below <see cref="BooruConfig.TagRoot"/>, or the review tag.</summary>
    public static bool Owns(BooruConfig config, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        return path is not null
            && ((path.Length > config.TagRoot.Length + 1 && path.StartsWith(config.TagRoot + "/", StringComparison.Ordinal))
                || string.Equals(path, config.ReviewTag, StringComparison.Ordinal));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The run was composed without the booru runtime (<see cref="RunOptions.Booru"/>).</exception>
    public async Task PrepareAsync(StepPrepareContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.Options.Booru ?? throw new InvalidOperationException("booru.enabled is true but the run was composed without the booru runtime (RunOptions.Booru).");
        var clip = context.Facts.Get<ClipLabels>() is { } labels ? new ClipIllustrationScores(labels) : null;
        var selected = BooruSelection.Select(config, context.Snapshot, context.Options, clip, filters, toolTags);
        var scope = StateScope.Of(context.Snapshot.User.Id);
        var lookups = !context.Options.DryRun || config.DryRunLookups;
        var tags = await new BooruEnricher(config, services, context.Gateway, context.Time, context.Logger, lookups).RunAsync(selected, scope, ct).ConfigureAwait(false);
        context.Facts.Set(tags);
    }

    /// <inheritdoc />
    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Facts.Get<BooruTags>() is { } tags ? StepPlan.None with { OwnedTags = new Wishes(config, tags) } : StepPlan.None;
    }

    /// <summary>What each looked-up asset should carry (see <see cref="BooruTags.DesiredFor"/>); pending and unselected assets keep theirs.</summary>
    private sealed class Wishes(BooruConfig config, BooruTags tags) : OwnedTagPlan(StepName)
    {
        public override bool Owns(string path) => BooruFeatureStep.Owns(config, path);

        public override IReadOnlyCollection<string>? DesiredFor(Guid assetId) => tags.DesiredFor(assetId)?.Desired;

        public override ChangeReason ReasonFor(Guid assetId, string path) =>
            new(StepName, tags.DesiredFor(assetId)?.Reason ?? "booru: not looked up this run");
    }
}
