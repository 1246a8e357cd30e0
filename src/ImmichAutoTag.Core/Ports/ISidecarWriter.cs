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
public sealed record SidecarEdit(Guid AssetId, string OriginalFile, IReadOnlyList<string> Add, IReadOnlyList<string> Remove, IReadOnlyList<string> Seed)
{
    /// <summary>
    /// Set by an undo when the undone run created the sidecar: the file is deleted instead of written when, after the
    /// edit, it holds nothing but what the tool put there when creating it besides the run's own entries (its
    /// <see cref="SidecarCreation.Seed"/>, the original's tags then) and no other property. Immich then reads the
    /// original alone again, as before the run. Null: the sidecar is only ever edited.
    /// </summary>
    public SidecarCreation? Created { get; init; }
}

/// <summary>A sidecar a run created (it did not exist before that run's write).</summary>
/// <param name="Sidecar">The sidecar file as the tool saw it then (through <c>sidecars.path_mappings</c>).</param>
/// <param name="Seed">The tags the new sidecar was given besides the run's own: the tags Immich showed on the asset then (full paths).</param>
public sealed record SidecarCreation(string Sidecar, IReadOnlyList<string> Seed);

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

    /// <summary>
    /// Whether the write deleted the sidecar instead (an undo's edit left a sidecar the undone run created with nothing
    /// but its seed: see <see cref="SidecarEdit.Created"/>). <see cref="Changed"/> is true then.
    /// </summary>
    public bool Deleted { get; init; }
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
