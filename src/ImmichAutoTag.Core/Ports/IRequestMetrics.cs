namespace ImmichAutoTag.Core.Ports;

/// <summary>Requests sent to Immich so far, per operationId, for run statistics and benchmarks.</summary>
public interface IRequestMetrics
{
    /// <summary>A copy of the counters: operationId → requests sent (retries included).</summary>
    IReadOnlyDictionary<string, long> Snapshot();

    /// <summary>Requests that change server state (everything but reads and searches).</summary>
    long WriteRequests { get; }
}
