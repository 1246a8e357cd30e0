using System.Collections.Concurrent;
using System.Diagnostics;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Immich.Http;

/// <summary>
/// Counts every attempt per operationId. It sits inside the retry handler so retries are counted too:
/// the numbers describe the load put on the server, not the calls the product made.
/// </summary>
internal sealed class RequestCountingHandler(ILogger logger) : DelegatingHandler, IRequestMetrics
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _writes;

    public long WriteRequests => Interlocked.Read(ref _writes);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = ImmichOperations.Of(request);
        var name = ImmichOperations.NameOf(request);
        _counts.AddOrUpdate(name, 1, static (_, n) => n + 1);
        var isWrite = operation?.IsWrite ?? request.Method != HttpMethod.Get;
        if (isWrite)
        {
            Interlocked.Increment(ref _writes);
        }

        var started = Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Immich {Operation} answered {StatusCode} in {ElapsedMs:F0} ms", name, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return response;
    }
}
