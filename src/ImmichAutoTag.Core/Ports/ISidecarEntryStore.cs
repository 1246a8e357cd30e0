namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// One tag entry the tool wrote into an asset's XMP sidecar (in <c>digiKam:TagsList</c>, <c>lr:hierarchicalSubject</c>
/// and, as its leaf, <c>dc:subject</c>): the tool's own entry, which it may take out again. Every other entry of a
/// sidecar belongs to the user or another program and is never touched.
/// </summary>
/// <param name="AssetId">The asset (Immich <c>id</c>).</param>
/// <param name="TagName">The tag's full path (<c>a/b/c</c>).</param>
/// <param name="Sidecar">The sidecar file as the tool saw it when it wrote the entry (through <c>sidecars.path_mappings</c>).</param>
/// <param name="FileName">The asset's original file name, for reports.</param>
/// <param name="WrittenAt">When the tool wrote the entry (UTC).</param>
public sealed record SidecarEntry(Guid AssetId, string TagName, string Sidecar, string FileName, DateTimeOffset WrittenAt);

/// <summary>
/// Keeps the <see cref="SidecarEntry"/>s the tool wrote, per server and user (the scope), so a later run can take out
/// the ones it no longer wants (<c>sidecars</c> switched off, <c>sidecars.suggestions</c> off, a removal the user made).
/// </summary>
public interface ISidecarEntryStore
{
    /// <summary>The scope's entries, ordered by asset id and tag.</summary>
    Task<IReadOnlyList<SidecarEntry>> LoadAsync(string scope, CancellationToken ct);

    /// <summary>Replaces the scope's entries with <paramref name="entries"/>.</summary>
    Task SaveAsync(string scope, IReadOnlyList<SidecarEntry> entries, CancellationToken ct);
}
