using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine.Corrections;

/// <summary>
/// The tool's status tags: markers such as <c>autotag_output_unknown</c> that say what the tool found, which every run
/// keeps true (upstream immich-autotag's promise), as opposed to suggestions (CLIP labels, booru tags, workflow and
/// conversion outputs) that a user may reject. A status tag is one of the output tags the config names
/// (<c>classification.autotag_unknown</c>, <c>autotag_conflict</c>, the <c>duplicate_processing</c> and
/// <c>album_date_consistency</c> output tags, <c>booru.review_tag</c>) or any tag whose name starts with
/// <c>autotag_output_</c>.
/// </summary>
public static class StatusTags
{
    /// <summary>The prefix upstream gives every status tag.</summary>
    public const string Prefix = "autotag_output_";

    /// <summary>
    /// The status tags <paramref name="config"/> names, each with its config key (<c>classification.autotag_unknown</c>
    /// …); features that are off and keys set to null are left out. The conflict prefix family is not named here.
    /// </summary>
    public static IReadOnlyList<(string Key, string Path)> Named(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = config.DuplicateProcessing;
        var named = new (string Key, string? Path)[]
        {
            ("classification.autotag_unknown", config.Classification.AutotagUnknown),
            ("classification.autotag_conflict", config.Classification.AutotagConflict),
            ("duplicate_processing.autotag_album_conflict", d.AutotagAlbumConflict),
            ("duplicate_processing.autotag_classification_conflict", d.AutotagClassificationConflict),
            ("duplicate_processing.autotag_album_detection_conflict", d.AutotagAlbumDetectionConflict),
            ("album_date_consistency.autotag_album_date_mismatch", config.AlbumDateConsistency.AutotagAlbumDateMismatch),
            ("booru.review_tag", config.Booru.Enabled ? config.Booru.ReviewTag : null),
        };
        return [.. named.Where(n => !string.IsNullOrEmpty(n.Path)).Select(n => (n.Key, n.Path!))];
    }

    /// <summary>Whether a tag path (<c>a/b/c</c>) is one of <paramref name="config"/>'s status tags.</summary>
    public static Func<string, bool> Of(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = config.DuplicateProcessing;
        var named = new[]
        {
            config.Classification.AutotagUnknown, config.Classification.AutotagConflict, d.AutotagAlbumConflict,
            d.AutotagClassificationConflict, d.AutotagAlbumDetectionConflict, config.AlbumDateConsistency.AutotagAlbumDateMismatch,
            config.Booru.ReviewTag,
        }.OfType<string>().ToHashSet(StringComparer.Ordinal);
        var prefixes = new[] { d.AutotagClassificationConflictPrefix }.OfType<string>().Where(p => p.Length > 0).ToList();
        return path =>
        {
            var leaf = path[(path.LastIndexOf('/') + 1)..];
            return named.Contains(path) || leaf.StartsWith(Prefix, StringComparison.Ordinal)
                || prefixes.Exists(p => path.StartsWith(p, StringComparison.Ordinal));
        };
    }
}
