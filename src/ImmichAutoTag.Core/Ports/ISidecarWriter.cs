namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// The tool's tag changes for one asset's XMP sidecar.
/// </summary>
/// <param name="AssetId">The asset (Immich <c>id</c>), for reports.</param>
/// <param name="OriginalFile">The asset's original file as the tool sees it (mapped from Immich's <c>originalPath</c>); never written.</param>
/// <param name="Add">Full tag paths (<c>a/b/c</c>) the sidecar must carry.</param>
/// <param name="Remove">Full tag paths of the tool's own tags the sidecar must no longer carry.</param>
/// <param name="Seed">
/// Every tag Immich shows on the asset now (full paths, from <c>GET /assets/{id}</c>): a tag property the sidecar does
/// not have yet starts with these, since Immich reads a sidecar's tag property instead of the file's own tags.
/// </param>
public sealed record SidecarEdit(Guid AssetId, string OriginalFile, IReadOnlyList<string> Add, IReadOnlyList<string> Remove, IReadOnlyList<string> Seed);

/// <summary>What a sidecar write did.</summary>
/// <param name="SidecarFile">The sidecar written or found up to date; null when the write failed before one was chosen.</param>
/// <param name="Changed">Whether the file was (re)written; false when it already said what the edit asks.</param>
/// <param name="Error">Why the sidecar could not be written (unreadable XMP, no permission, original missing); null on success.</param>
public sealed record SidecarWriteResult(string? SidecarFile, bool Changed, string? Error)
{
    /// <summary>
    /// Whether the sidecar file did not exist before this write: Immich cannot have it on record yet (only its sidecar
    /// check, or its own write-back to that path, records one), so <c>refresh-metadata</c> may not read it.
    /// </summary>
    public bool Created { get; init; }
}

/// <summary>
/// Writes the tool's tags into an asset's XMP sidecar next to its original, merging into an existing sidecar without
/// losing what other programs put there, atomically (a temporary file renamed over the old one). The original is
/// never opened for writing.
/// </summary>
public interface ISidecarWriter
{
    /// <summary>Applies <paramref name="edit"/>; never throws for a file problem (see <see cref="SidecarWriteResult.Error"/>).</summary>
    Task<SidecarWriteResult> WriteAsync(SidecarEdit edit, CancellationToken ct);

    /// <summary>The sidecar a write for <paramref name="originalFile"/> would go to (only looks at the files; a dry run lists it).</summary>
    string SidecarFor(string originalFile) => originalFile + ".xmp";
}
