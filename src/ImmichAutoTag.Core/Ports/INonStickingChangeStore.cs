using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// A tag change Immich accepted and then reverted in every verification round of a run, e.g. on an external library
/// mounted read-only, where Immich cannot write the XMP sidecar and its metadata re-read brings back the file's tags.
/// </summary>
/// <param name="AssetId">The asset (Immich <c>id</c>).</param>
/// <param name="LibraryId">The asset's external library (Immich <c>libraryId</c>); null for an uploaded asset.</param>
/// <param name="Kind"><see cref="ChangeKind.Added"/> or <see cref="ChangeKind.Removed"/>.</param>
/// <param name="TagName">The tag's full path.</param>
/// <param name="FileName">The asset's original file name, for reports.</param>
/// <param name="Checksum">The asset's <c>checksum</c> when the change was last tried: a different one means the file changed.</param>
/// <param name="FirstSeen">When a run first found the change reverted after its last re-apply round (UTC).</param>
/// <param name="LastSeen">When a run last tried the change and found it reverted (UTC).</param>
/// <param name="Runs">Consecutive runs that tried the change and found it reverted in every round.</param>
public sealed record NonStickingChange(
    Guid AssetId,
    Guid? LibraryId,
    ChangeKind Kind,
    string TagName,
    string FileName,
    string? Checksum,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    int Runs)
{
    /// <summary>Runs after which a change counts as "does not stick" and is no longer retried on every run.</summary>
    public const int RunsToConfirm = 2;

    /// <summary>Reverted in every round of <see cref="RunsToConfirm"/> runs in a row: the server will not keep it.</summary>
    public bool DoesNotStick => Runs >= RunsToConfirm;
}

/// <summary>
/// Keeps <see cref="NonStickingChange"/>s between runs, per server and user (the scope), so a change Immich never
/// keeps is not re-applied (and re-verified) on every run.
/// </summary>
public interface INonStickingChangeStore
{
    /// <summary>The scope's records, ordered by asset id, kind and tag.</summary>
    Task<IReadOnlyList<NonStickingChange>> LoadAsync(string scope, CancellationToken ct);

    /// <summary>Replaces the scope's records with <paramref name="changes"/>.</summary>
    Task SaveAsync(string scope, IReadOnlyList<NonStickingChange> changes, CancellationToken ct);
}
