namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// A persisted note "these Immich queues were paused by this tool". It is written before a queue is paused
/// and cleared once every queue is resumed, so a run that finds it knows an earlier process died while
/// Immich's write-back jobs were held and resumes them first.
/// </summary>
public interface IQueuePauseMarker
{
    /// <summary>Queue names an earlier run paused and did not resume; empty when there is no marker.</summary>
    Task<IReadOnlyList<string>> ReadAsync(CancellationToken ct);

    Task WriteAsync(IReadOnlyList<string> queueNames, CancellationToken ct);

    Task ClearAsync(CancellationToken ct);
}

/// <summary>A marker that lives as long as the process: enough for tests and embedders without a state folder.</summary>
public sealed class InMemoryQueuePauseMarker : IQueuePauseMarker
{
    private IReadOnlyList<string> _queues = [];

    public Task<IReadOnlyList<string>> ReadAsync(CancellationToken ct) => Task.FromResult(_queues);

    public Task WriteAsync(IReadOnlyList<string> queueNames, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queueNames);
        _queues = [.. queueNames];
        return Task.CompletedTask;
    }

    public Task ClearAsync(CancellationToken ct)
    {
        _queues = [];
        return Task.CompletedTask;
    }
}
