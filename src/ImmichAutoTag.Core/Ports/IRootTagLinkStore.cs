namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// The tag links (asset, full tag path) the tool itself added below its tag roots (<c>booru.tag_root</c>,
/// <c>clip.tag_root</c>), per server and user (the scope). Only these are the tool's to remove: a tag below a root that
/// the user (or another program) put there, before or after the tool started using the root, is never removed.
/// </summary>
public interface IRootTagLinkStore
{
    /// <summary>The scope's links.</summary>
    Task<IReadOnlySet<(Guid AssetId, string TagPath)>> LoadAsync(string scope, CancellationToken ct);

    /// <summary>Records <paramref name="added"/> (links the tool added and Immich kept) and forgets <paramref name="removed"/> (links it took away).</summary>
    Task UpdateAsync(string scope, IReadOnlyCollection<(Guid AssetId, string TagPath)> added, IReadOnlyCollection<(Guid AssetId, string TagPath)> removed, CancellationToken ct);
}
