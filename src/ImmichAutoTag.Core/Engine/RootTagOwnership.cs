using System.Globalization;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Who owns a tag below a step's tag root (<c>booru.tag_root</c>, <c>clip.tag_root</c>), or a tag a workflow rule
/// adds (<c>workflows.rules[].then.add_tags</c>, which may name a tag the user already has): the tool owns a link
/// (asset, tag) only when it added it itself (recorded in <see cref="IRootTagLinkStore"/>). A planned removal of any
/// other such link — a tree the user had before pointing a root at it (digiKam's <c>People/Alice</c>), a tag the user
/// added there later, or the user's own links of a tag a workflow also adds — is taken out of the plan and reported.
/// Without a store every such tag is the tool's, as before.
/// </summary>
public static class RootTagOwnership
{
    /// <summary>The roots of the enabled steps that own every tag below them.</summary>
    public static IReadOnlyList<string> Roots(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var roots = new List<string>();
        if (config.Booru.Enabled)
        {
            roots.Add(config.Booru.TagRoot);
        }

        if (config.Clip.Enabled)
        {
            roots.Add(config.Clip.TagRoot);
        }

        if (config.Workflows.Enabled)
        {
            // A workflow tag is its own root: the tag itself (and nothing below it) is guarded.
            roots.AddRange(config.Workflows.Rules.SelectMany(r => r.Then.AddTags).Select(t => t.Trim().Trim('/')).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal));
        }

        return roots;
    }

    /// <summary>
    /// <see cref="Roots(AutoTagConfig)"/> plus the retired workflow tags (<see cref="RetiredWorkflowTags"/>): the tool's
    /// links of those are still its own to remove, the user's links of them are still left alone.
    /// </summary>
    public static IReadOnlyList<string> Roots(AutoTagConfig config, IReadOnlyCollection<string> retired)
    {
        ArgumentNullException.ThrowIfNull(retired);
        var roots = Roots(config);
        return retired.Count == 0 ? roots : [.. roots, .. retired.Where(r => !roots.Contains(r, StringComparer.Ordinal))];
    }

    /// <summary>
    /// The tags a workflow rule added (recorded in <paramref name="links"/>) that no rule adds any more: the rule was
    /// renamed, changed or deleted. Every recorded link lies below a root; one below neither the CLIP nor the booru
    /// root (as configured, or their defaults) was a workflow's tag. Empty while <c>workflows.enabled</c> is false:
    /// switched off, the workflows change nothing, like the CLIP and booru steps when off.
    /// </summary>
    /// <returns>Full tag paths, ordinal order.</returns>
    public static IReadOnlyList<string> RetiredWorkflowTags(AutoTagConfig config, IReadOnlySet<(Guid AssetId, string TagPath)> links)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(links);
        if (!config.Workflows.Enabled || links.Count == 0)
        {
            return [];
        }

        string[] stepRoots = [config.Clip.TagRoot, ClipConfig.DefaultTagRoot, config.Booru.TagRoot, BooruConfig.DefaultTagRoot];
        var current = config.Workflows.Rules.SelectMany(r => r.Then.AddTags).Select(t => t.Trim().Trim('/')).ToHashSet(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (asset, path) in links)
        {
            // Most links share a few paths: each path is judged once. A link without an asset is no workflow's: it
            // marks a tag the tool created for another feature (a status tag).
            if (!Corrections.StatusTagGuard.IsMarker(asset) && seen.Add(path) && !current.Contains(path) && RootOf(stepRoots, path) is null)
            {
                paths.Add(path);
            }
        }

        return [.. paths.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The recorded links the library no longer has: the asset was read but does not carry the tag (the user took it
    /// off, or deleted the tag). The tool forgets them, so a link the user puts back by hand later is the user's own
    /// and never removed by the tool. Only tags whose holders the run read (<paramref name="read"/>) are judged, and
    /// only assets it read; the status-tag markers (<see cref="Corrections.StatusTagGuard.IsMarker"/>) are never forgotten.
    /// </summary>
    /// <param name="links">The recorded links (<see cref="IRootTagLinkStore.LoadAsync"/>).</param>
    /// <param name="snapshot">The library as read this run.</param>
    /// <param name="read">Whether the run read every holder of a tag path (the steps' owned tags).</param>
    public static IReadOnlyList<(Guid AssetId, string TagPath)> Vanished(IReadOnlySet<(Guid AssetId, string TagPath)> links, LibrarySnapshot snapshot, Func<string, bool> read)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(read);
        if (links.Count == 0)
        {
            return [];
        }

        HashSet<Guid>? assets = null;
        var judged = new Dictionary<string, bool>(StringComparer.Ordinal);
        List<(Guid, string)>? vanished = null;
        foreach (var (asset, path) in links)
        {
            if (Corrections.StatusTagGuard.IsMarker(asset))
            {
                continue;
            }

            if (!judged.TryGetValue(path, out var isRead))
            {
                isRead = read(path);
                judged[path] = isRead;
            }

            if (!isRead || Carries(snapshot.TagsOf(asset), path))
            {
                continue;
            }

            if (assets is null)
            {
                assets = new HashSet<Guid>(snapshot.Assets.Count);
                foreach (var a in snapshot.Assets)
                {
                    assets.Add(a.Id);
                }
            }

            if (assets.Contains(asset))
            {
                (vanished ??= []).Add((asset, path));
            }
        }

        return vanished ?? [];

        static bool Carries(IReadOnlyList<Domain.Tag> tags, string path)
        {
            for (var i = 0; i < tags.Count; i++)
            {
                if (string.Equals(tags[i].Value, path, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The root <paramref name="path"/> is or lies below, or null.</summary>
    public static string? RootOf(IReadOnlyList<string> roots, string path)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(path);
        foreach (var root in roots)
        {
            if (string.Equals(path, root, StringComparison.Ordinal)
                || (path.Length > root.Length + 1 && path.StartsWith(root, StringComparison.Ordinal) && path[root.Length] == '/'))
            {
                return root;
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="plan"/> without the removals of links below a root the tool did not add, and those removals.
    /// </summary>
    public static (TagPlan Plan, IReadOnlyList<RemoveTag> LeftAlone) Guard(TagPlan plan, IReadOnlyList<string> roots, IReadOnlySet<(Guid AssetId, string TagPath)> added)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(added);
        if (roots.Count == 0)
        {
            return (plan, []);
        }

        var leftAlone = plan.Changes.OfKind<RemoveTag>()
            .Where(r => RootOf(roots, r.TagPath) is not null && !added.Contains((r.AssetId, r.TagPath)))
            .ToList();
        if (leftAlone.Count == 0)
        {
            return (plan, []);
        }

        var drop = leftAlone.ToHashSet();
        return (plan with { Changes = plan.Changes.Without(c => c is RemoveTag r && drop.Contains(r)) }, leftAlone);
    }

    /// <summary>One warning per root: how many of the user's links below it are left alone, with a few examples.</summary>
    public static void Warn(IReadOnlyList<RemoveTag> leftAlone, IReadOnlyList<string> roots, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(leftAlone);
        ArgumentNullException.ThrowIfNull(logger);
        foreach (var group in leftAlone.GroupBy(r => RootOf(roots, r.TagPath)!))
        {
            var examples = string.Join(", ", group.Select(r => r.TagPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(5));
            logger.LogWarning(
                "The tag root '{Root}' holds {Count} tag link(s) the tool did not add (e.g. {Examples}): they are left alone. Only tags the tool added below its root (or as a workflow's tag) are ever removed; choose a root or workflow tag of its own to keep its tags apart from yours",
                group.Key,
                group.Count().ToString(CultureInfo.InvariantCulture),
                examples);
        }
    }

    /// <summary>The links below a root that the run added (and Immich kept) and removed.</summary>
    public static (List<(Guid, string)> Added, List<(Guid, string)> Removed) Changes(IReadOnlyList<AppliedChange> applied, IReadOnlyList<AppliedChange> stillWrong, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(stillWrong);
        var reverted = stillWrong.Select(c => (c.AssetId, c.Kind, c.TagName)).ToHashSet();
        var kept = applied.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed && RootOf(roots, c.TagName) is not null && !reverted.Contains((c.AssetId, c.Kind, c.TagName))).ToList();
        return (
            [.. kept.Where(c => c.Kind == ChangeKind.Added).Select(c => (c.AssetId, c.TagName)).Distinct()],
            [.. kept.Where(c => c.Kind == ChangeKind.Removed).Select(c => (c.AssetId, c.TagName)).Distinct()]);
    }
}
