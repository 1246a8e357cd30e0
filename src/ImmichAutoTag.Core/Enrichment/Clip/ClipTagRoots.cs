using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// Earlier <c>clip.tag_root</c> values: when the root changes, the label tags the tool added below the old one are
/// still the tool's (it recorded each link it added in the run state), so the CLIP step takes them off, as it does
/// when the label set or the model changes.
/// </summary>
public static class ClipTagRoots
{
    /// <summary>The scope the roots are recorded under: the key's user, as the run's other state (<see cref="Ports.StateScope.Of"/>).</summary>
    public static string Scope(Guid userId) => Ports.StateScope.Of(userId);

    /// <summary>
    /// The recorded roots other than the current one that still hold links the tool added (<paramref name="links"/>),
    /// and that no root of the current configuration covers (a root the booru step or a workflow now uses is
    /// theirs). Empty when CLIP is off (switched off, the step changes nothing), or without a store or links.
    /// </summary>
    /// <param name="config">The run's configuration.</param>
    /// <param name="store">Where the roots are recorded; null: none.</param>
    /// <param name="scope">The run's <see cref="Scope"/>; null: unknown.</param>
    /// <param name="links">The links the tool added below its roots (asset id, tag path); null: none recorded.</param>
    /// <returns>Roots, ordinal order.</returns>
    public static async Task<IReadOnlyList<string>> PreviousAsync(AutoTagConfig config, IClipTagRootStore? store, string? scope, IReadOnlySet<(Guid AssetId, string TagPath)>? links, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.Clip.Enabled || store is null || scope is null || links is not { Count: > 0 })
        {
            return [];
        }

        var recorded = await store.LoadTagRootsAsync(scope, ct).ConfigureAwait(false);
        var current = RootTagOwnership.Roots(config);
        var previous = recorded
            .Where(r => !string.Equals(r, config.Clip.TagRoot, StringComparison.Ordinal))
            .Where(r => RootTagOwnership.RootOf(current, r) is null && !current.Any(c => RootTagOwnership.RootOf([r], c) is not null))
            .ToList();
        if (previous.Count == 0)
        {
            return [];
        }

        // Only roots with a label the tool added still matter: the others hold nothing of the tool's.
        var holding = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (asset, path) in links)
        {
            if (!Engine.Corrections.StatusTagGuard.IsMarker(asset) && RootTagOwnership.RootOf(previous, path) is { } root && path.Length > root.Length)
            {
                holding.Add(root);
            }
        }

        return [.. holding.Order(StringComparer.Ordinal)];
    }
}
