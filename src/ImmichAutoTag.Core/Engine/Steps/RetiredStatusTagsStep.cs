using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine.Corrections;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Status tags the tool created on an earlier run (a <c>root_tag_links</c> marker, see <see cref="StatusTagGuard"/>)
/// that the config no longer names: the key was renamed (<c>autotag_unknown: autotag_output_todo</c>), set to null, or
/// its feature was switched off (<c>album_date_consistency.enabled: false</c>). Nothing would keep such a tag true any
/// more, so this step takes it off every asset the run may change. A tag without a marker (the user's own, or one the
/// Python predecessor made) is never touched.
/// </summary>
/// <param name="retired">The retired status tag paths (<see cref="Retired"/>).</param>
internal sealed class RetiredStatusTagsStep(IReadOnlyList<string> retired) : IFeatureStep
{
    private readonly HashSet<string> _retired = retired.ToHashSet(StringComparer.Ordinal);

    /// <summary>The step's name in reports (<see cref="ChangeReason.Step"/>).</summary>
    public const string StepName = "status_tags";

    public string Name => StepName;

    public string ConfigSection => "classification";

    public bool Enabled => _retired.Count > 0;

    /// <summary>Their holders are read like any owned tag's.</summary>
    public ReadNeeds Reads => new() { OwnedTagPaths = retired, OwnsTag = _retired.Contains };

    public StepPlan Plan(StepContext context) => StepPlan.None with { OwnedTags = new Removal(_retired) };

    /// <summary>
    /// The status tags the tool created (<paramref name="links"/>' markers) that <paramref name="config"/> no longer
    /// names. The booru review tag of a switched-off booru step is not retired: <c>booru.enabled: false</c> pauses the
    /// step and keeps its tags, as the other enrichment steps do.
    /// </summary>
    public static IReadOnlyList<string> Retired(AutoTagConfig config, IReadOnlySet<(Guid AssetId, string TagPath)> links)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(links);
        var named = StatusTags.Named(config).Select(n => n.Path).Append(config.Booru.ReviewTag).ToHashSet(StringComparer.Ordinal);
        return [.. links.Where(l => l.AssetId == StatusTagGuard.CreatedMarker && !named.Contains(l.TagPath)).Select(l => l.TagPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Tags on the server named like a status tag (leaf starting with <see cref="StatusTags.Prefix"/>) that the tool did
    /// not create (no <paramref name="links"/> marker), the config does not name and no step of this run owns: made by
    /// the Python predecessor, by hand, or by a run before the tool recorded the tags it creates. The tool leaves them
    /// alone on every asset; the run warns once, naming them (W3), so they do not linger unexplained.
    /// </summary>
    /// <param name="tags">The server's tags (GET /tags).</param>
    /// <param name="owned">Whether a step of this run owns a tag path (it keeps or removes that tag itself).</param>
    /// <returns>Their paths, in ordinal order.</returns>
    public static IReadOnlyList<string> Unmarked(AutoTagConfig config, IReadOnlySet<(Guid AssetId, string TagPath)> links, IReadOnlyList<Domain.Tag> tags, Func<string, bool> owned)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(owned);
        var named = StatusTags.Named(config).Select(n => n.Path).Append(config.Booru.ReviewTag).ToHashSet(StringComparer.Ordinal);
        var family = config.DuplicateProcessing.AutotagClassificationConflictPrefix is { Length: > 0 } prefix ? prefix : null;
        return [.. tags.Select(t => t.Value)
            .Where(p => p[(p.LastIndexOf('/') + 1)..].StartsWith(StatusTags.Prefix, StringComparison.Ordinal)
                && !named.Contains(p)
                && (family is null || !p.StartsWith(family, StringComparison.Ordinal))
                && !links.Contains((StatusTagGuard.CreatedMarker, p))
                && !links.Contains((StatusTagGuard.RetiredMarker, p))
                && !owned(p))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The warning for <see cref="Unmarked"/> tags: what they are and how to have them removed or kept true.</summary>
    public static string UnmarkedMessage(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return $"{paths.Count} tag(s) named like status tags were not created by this tool and the config does not name them, so the tool leaves them alone on every asset: {string.Join(", ", paths.Select(p => $"'{p}'"))}. "
            + "They may come from the Python immich-autotag, from your own hands, or from a run before this tool recorded the status tags it creates. "
            + "To take one off every asset, delete the tag in Immich (Tags page); to have the tool keep one true again, name it in the config (for example classification.autotag_unknown: <name>).";
    }

    /// <summary>Every asset the run may change should carry none of them.</summary>
    private sealed class Removal(HashSet<string> retired) : OwnedTagPlan(StepName)
    {
        private static readonly string[] None = [];

        public override bool Owns(string path) => retired.Contains(path);

        public override IReadOnlyCollection<string> DesiredFor(Guid assetId) => None;

        public override bool SharesDesiredCollections => true;

        public override ChangeReason ReasonFor(Guid assetId, string path) =>
            new(StepName, $"'{path}' is a status tag the tool created that the config no longer names (renamed, set to null or its feature switched off)");
    }
}
