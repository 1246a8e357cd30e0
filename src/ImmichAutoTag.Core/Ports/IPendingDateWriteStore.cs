namespace ImmichAutoTag.Core.Ports;

/// <summary>A date write Immich accepted but had not applied when the run that sent it ended.</summary>
/// <param name="AssetId">The asset written.</param>
/// <param name="OldDate">Its fileCreatedAt before the write, as the run read it.</param>
/// <param name="NewDate">The capture instant written.</param>
/// <param name="NewValue">The dateTimeOriginal sent (wall clock with offset).</param>
/// <param name="WrittenAt">When the write was accepted (UTC).</param>
public sealed record PendingDateWrite(Guid AssetId, DateTimeOffset OldDate, DateTimeOffset NewDate, string NewValue, DateTimeOffset WrittenAt);

/// <summary>
/// Keeps <see cref="PendingDateWrite"/>s between runs, per server and user (the scope), so a run started before
/// Immich's jobs applied an earlier run's date write does not plan the same write again.
/// </summary>
public interface IPendingDateWriteStore
{
    Task<IReadOnlyList<PendingDateWrite>> LoadAsync(string scope, CancellationToken ct);

    /// <summary>Replaces the scope's pending writes with <paramref name="pending"/>.</summary>
    Task SaveAsync(string scope, IReadOnlyList<PendingDateWrite> pending, CancellationToken ct);
}
