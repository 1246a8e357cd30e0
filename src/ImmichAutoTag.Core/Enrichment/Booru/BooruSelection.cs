using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>What the booru step reads of the CLIP step's outcome (the CLIP step's labels, or a test's table).</summary>
public interface IIllustrationScores
{
    /// <summary>The CLIP probability (0–1) of <paramref name="label"/> for the asset; null when the asset was not scored.</summary>
    double? Probability(Guid assetId, string label);

    /// <summary>The label the CLIP step chose for the asset; null when none (not scored, or below its decision rule).</summary>
    string? Label(Guid assetId);
}

/// <summary>The CLIP step's labels seen as <see cref="IIllustrationScores"/>.</summary>
public sealed class ClipIllustrationScores(Clip.ClipLabels labels) : IIllustrationScores
{
    /// <inheritdoc />
    public double? Probability(Guid assetId, string label) => labels.Probability(assetId, label);

    /// <inheritdoc />
    public string? Label(Guid assetId) => labels.Scores.TryGetValue(assetId, out var r) ? r.Label : null;
}

/// <summary>An asset the booru step looks up, with the value that orders the queue.</summary>
/// <param name="Asset">The asset.</param>
/// <param name="Checksum">Immich's checksum of its original (the cache key).</param>
/// <param name="Value">Its highest CLIP probability among <c>booru.assets.clip_labels</c> (0–1), 0 without CLIP.</param>
public sealed record BooruCandidateAsset(Asset Asset, string Checksum, double Value);

/// <summary>
/// Which assets the booru step looks up, highest value first: own assets the run may change (visibility as
/// classification), of a selected media type, with a checksum, never a hidden Live/Motion Photo video half; selected
/// by a <c>booru.assets.rules</c> rule or by the CLIP gate (a <c>clip_labels</c> probability of at least
/// <c>clip_min_percent</c>), and not labelled as one of <c>clip_exclude_labels</c> (photos). The CLIP gate never
/// selects a camera photo (EXIF make or model present, Immich's <c>exifInfo.make</c>/<c>model</c>): a zero-shot label
/// is wrong for a share of personal photos, and each such mistake would send a private picture to a third party;
/// only a rule selects one.
/// </summary>
public static class BooruSelection
{
    /// <summary>The selected assets of <paramref name="snapshot"/>, ordered by value (then newest upload first, then id).</summary>
    /// <param name="config">The <c>booru:</c> section.</param>
    /// <param name="snapshot">The run's library.</param>
    /// <param name="options">The run's options (archived and hidden assets).</param>
    /// <param name="clip">The CLIP step's labels; null when it is off.</param>
    /// <param name="filters">The run's <c>filters:</c>: an asset filter_in leaves out of focus, or filter_out matches,
    /// is never selected, so nothing of it (original, thumbnail) goes to a third-party service.</param>
    /// <param name="toolTags">The run's enrichment roots (<see cref="ToolTagRoots.Of"/>): plain tag entries do not match tags below them.</param>
    public static IReadOnlyList<BooruCandidateAsset> Select(BooruConfig config, LibrarySnapshot snapshot, RunOptions options, IIllustrationScores? clip, FiltersConfig? filters = null, ToolTagRoots? toolTags = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var rules = config.Rules.Count > 0 ? RuleClassifier.Compile(config.Rules, toolTags) : null;
        var filterIn = filters is { FilterIn.Count: > 0 } ? RuleClassifier.Compile(filters.FilterIn, toolTags) : null;
        var filterOut = filters is { FilterOut.Count: > 0 } ? RuleClassifier.Compile(filters.FilterOut, toolTags) : null;
        var videoHalves = snapshot.Assets.Where(a => a.LivePhotoVideoId is not null).Select(a => a.LivePhotoVideoId!.Value).ToHashSet();
        var types = config.MediaTypes.Select(t => t.ToLowerInvariant() switch { "video" => AssetType.Video, _ => AssetType.Image }).ToHashSet();
        var exclude = config.ClipExcludeLabels.ToHashSet(StringComparer.Ordinal);
        var gate = config.ClipMinPercent / 100.0;
        var selected = new List<BooruCandidateAsset>();
        foreach (var asset in snapshot.Assets)
        {
            if (asset.OwnerId != snapshot.User.Id
                || asset.Checksum is not { Length: > 0 } checksum
                || !types.Contains(asset.Type)
                || (asset.Visibility == AssetVisibility.Hidden && videoHalves.Contains(asset.Id))
                || (!options.IncludeArchived && (asset.IsArchived || asset.Visibility == AssetVisibility.Archive))
                || (!options.IncludeHidden && asset.Visibility == AssetVisibility.Hidden)
                || (filterIn is not null && !MatchesRule(filterIn, snapshot, asset))
                || MatchesRule(filterOut, snapshot, asset, onTimeout: true))
            {
                continue;
            }

            var value = 0.0;
            var byClip = false;
            if (clip is not null)
            {
                if (clip.Label(asset.Id) is { } label && exclude.Contains(label))
                {
                    continue;
                }

                foreach (var l in config.ClipLabels)
                {
                    value = Math.Max(value, clip.Probability(asset.Id, l) ?? 0);
                }

                byClip = value > 0 && value >= gate;
            }

            if (!MatchesRule(rules, snapshot, asset) && (!byClip || IsCameraPhoto(asset)))
            {
                continue;
            }

            selected.Add(new BooruCandidateAsset(asset, checksum, value));
        }

        return [.. selected.OrderByDescending(c => c.Value).ThenByDescending(c => NewestAt(c.Asset)).ThenBy(c => c.Asset.Id)];
    }

    /// <summary>
    /// "Newest" for the queue: the upload to Immich (<see cref="Asset.UploadedAt"/>, Immich's <c>createdAt</c>), or the
    /// file's creation date when the upload time is not known.
    /// </summary>
    public static DateTimeOffset NewestAt(Asset asset)
    {
        ArgumentNullException.ThrowIfNull(asset);
        return asset.UploadedAt ?? asset.FileCreatedAt;
    }

    /// <summary>Whether the file names the camera that took it (EXIF Make or Model): a photo, whatever CLIP thinks of it.</summary>
    private static bool IsCameraPhoto(Asset asset) => !string.IsNullOrWhiteSpace(asset.CameraMake) || !string.IsNullOrWhiteSpace(asset.CameraModel);

    /// <param name="onTimeout">The answer when a pattern times out: a filter_out that cannot tell keeps the asset out.</param>
    private static bool MatchesRule(RuleClassifier? rules, LibrarySnapshot snapshot, Asset asset, bool onTimeout = false)
    {
        if (rules is null)
        {
            return false;
        }

        var facts = new AssetFacts(asset.Id, snapshot.TagsOf(asset.Id), snapshot.AlbumsOf(asset.Id).Select(a => a.Name).ToList());
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
