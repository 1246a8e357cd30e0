namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// What the previous successful run left for the next one to decide whether anything changed.
/// </summary>
/// <param name="Watermark">Assets updated after this instant (minus a clock-skew margin) count as changed.</param>
/// <param name="LastFullPassAt">When the last full pass (a complete walk of the library) started.</param>
/// <param name="Fingerprint">Digest of albums (id, name, asset count), tags and the effective config.</param>
public sealed record IncrementalState(DateTimeOffset Watermark, DateTimeOffset LastFullPassAt, string Fingerprint);

/// <summary>Keeps <see cref="IncrementalState"/> between runs, per server and user (the scope).</summary>
public interface IRunStateStore
{
    Task<IncrementalState?> LoadAsync(string scope, CancellationToken ct);

    Task SaveAsync(string scope, IncrementalState state, CancellationToken ct);

    /// <summary>
    /// Checks that the store can be read at all, before a run sends anything: a damaged state database would
    /// otherwise fail the run half-way. Stores with nothing to check do nothing.
    /// </summary>
    /// <exception cref="Application.StateDamagedException">The state database is damaged or not a state file.</exception>
    Task CheckReadableAsync(CancellationToken ct) => Task.CompletedTask;
}
