using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Classification;

/// <summary>
/// The tag roots below which the enrichment steps write the tool's own guesses: CLIP labels below
/// <c>clip.tag_root</c> (by default <c>autotag_clip/style</c>) and booru tags below <c>booru.tag_root</c> (by default
/// <c>booru</c>). A rule entry written as a plain name (compared with a tag's leaf, upstream's way) never matches a tag
/// below these roots: a CLIP label <c>autotag_clip/style/meme</c> is the model's guess, not the user's <c>meme</c> tag,
/// and treating it as one would classify, filter, convert and copy between duplicates by a guess, one run late, and
/// make the steps undo each other's work on every run. An entry written as the full path still matches the tag: that
/// is an explicit choice.
/// </summary>
public sealed class ToolTagRoots
{
    private readonly string[] _prefixes;

    private ToolTagRoots(IEnumerable<string> roots) =>
        _prefixes = [.. roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r.Trim('/') + "/").Distinct(StringComparer.Ordinal)];

    /// <summary>No roots: every tag is compared by its leaf as upstream does (for rule sets outside a run's config).</summary>
    public static ToolTagRoots None { get; } = new([]);

    /// <summary>
    /// The roots of <paramref name="config"/>: <c>clip.tag_root</c> when CLIP is on, and always the default CLIP root
    /// (labels a run with CLIP wrote stay on the assets after it is switched off, and the <c>autotag_</c> prefix is the
    /// tool's); <c>booru.tag_root</c> when booru is on (with booru off, a user tag tree named like the root is the user's).
    /// </summary>
    public static ToolTagRoots Of(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var roots = new List<string> { ClipConfig.DefaultTagRoot };
        if (config.Clip.Enabled)
        {
            roots.Add(config.Clip.TagRoot);
        }

        if (config.Booru.Enabled)
        {
            roots.Add(config.Booru.TagRoot);
        }

        return new ToolTagRoots(roots);
    }

    /// <summary>The roots as written (without a trailing '/'), for messages.</summary>
    public IReadOnlyList<string> Roots => [.. _prefixes.Select(p => p[..^1])];

    /// <summary>Whether <paramref name="path"/> (Immich's tag <c>value</c>, e.g. <c>autotag_clip/style/meme</c>) lies below one of the roots.</summary>
    public bool Covers(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var prefix in _prefixes)
        {
            if (path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
