using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine.Corrections;

/// <summary>
/// A status tag the config names after a tag the user already had (<c>classification.autotag_unknown: People/Alice</c>)
/// would be taken off every asset the status does not hold for: the user's own links included. A run refuses such a
/// config before it writes anything (<see cref="StatusTagNotOwnedException"/>, exit 3).
/// <para>
/// The tool's own status tags are told apart by a record in the state folder's <c>root_tag_links</c>: the link
/// (<see cref="Guid.Empty"/>, path) means "the tool created this tag". Tags whose leaf starts with <c>autotag_</c>
/// (upstream's names, and what its Python predecessor created) are never checked, so an upstream config keeps its
/// results.
/// </para>
/// </summary>
public static class StatusTagGuard
{
    /// <summary>The marker asset id of a "the tool created this tag" record.</summary>
    public static readonly Guid CreatedMarker = Guid.Empty;

    /// <summary>
    /// The marker asset id of a "the tool created this tag, retired it and took it off every asset" record: the tag
    /// needs no reading any more, yet it is still known as the tool's, so it is not reported as a status-like tag the
    /// tool did not create (<see cref="RetiredStatusTagsStep.Unmarked"/>).
    /// </summary>
    public static readonly Guid RetiredMarker = new("00000000-0000-0000-0000-000000000001");

    /// <summary>Whether a <c>root_tag_links</c> asset id is one of the markers, not an asset.</summary>
    public static bool IsMarker(Guid assetId) => assetId == CreatedMarker || assetId == RetiredMarker;

    /// <summary>
    /// The named status tags the check applies to: those whose leaf does not start with <c>autotag_</c>. Empty for an
    /// upstream config, so a run need not load the created-tag markers for it.
    /// </summary>
    public static IReadOnlyList<(string Key, string Path)> Checked(AutoTagConfig config) =>
        [.. StatusTags.Named(config).Where(n => !n.Path[(n.Path.LastIndexOf('/') + 1)..].StartsWith("autotag_", StringComparison.Ordinal))];

    /// <summary>
    /// Throws <see cref="StatusTagNotOwnedException"/> when a named status tag existed on the server before the tool
    /// created it, is not an <c>autotag_</c> name, and <paramref name="plan"/> takes it off at least one asset.
    /// </summary>
    /// <param name="tags">The server's tags at the start of the run (GET /tags).</param>
    /// <param name="links">The scope's <c>root_tag_links</c>, holding the created-tag markers.</param>
    /// <param name="fileNames">Asset id → original file name, for the message's example.</param>
    public static void Check(AutoTagConfig config, TagPlan plan, IReadOnlyList<Tag> tags, IReadOnlySet<(Guid AssetId, string TagPath)> links, Func<Guid, string?> fileNames)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(fileNames);
        var problems = new List<string>();
        foreach (var (key, path) in Checked(config))
        {
            if (links.Contains((CreatedMarker, path)))
            {
                continue;
            }

            var tag = tags.FirstOrDefault(t => string.Equals(t.Value, path, StringComparison.Ordinal));
            if (tag is null || !plan.Removals.TryGetValue(tag.Id, out var losing) || losing.Count == 0)
            {
                continue;
            }

            var example = fileNames(losing[0]) ?? losing[0].ToString();
            problems.Add($"{key} names '{path}', a tag that was on the server before this tool created it; the run would take it off {losing.Count} asset(s) (e.g. {example}), because a status tag is kept true on every asset. Name a tag of its own (e.g. autotag_output_{key[(key.LastIndexOf('.') + 1)..].Replace("autotag_", string.Empty, StringComparison.Ordinal)}), or rename the existing tag in Immich");
        }

        if (problems.Count > 0)
        {
            throw new StatusTagNotOwnedException(string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>The markers to record after a real run: each named status tag the run created and Immich kept.</summary>
    /// <param name="created">The tag paths the run created (the plan's new tags, minus failed creations).</param>
    public static IReadOnlyList<(Guid AssetId, string TagPath)> Created(AutoTagConfig config, IEnumerable<string> created)
    {
        var named = StatusTags.Named(config).Select(n => n.Path).ToHashSet(StringComparer.Ordinal);
        return [.. created.Where(named.Contains).Distinct(StringComparer.Ordinal).Select(p => (CreatedMarker, p))];
    }
}

/// <summary>A status tag the config names is a tag the user had before the tool: the run stops before any write (exit 3).</summary>
public sealed class StatusTagNotOwnedException(string message) : Exception(message);
