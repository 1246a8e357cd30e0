using System.Collections.Concurrent;
using System.Diagnostics;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Immich.Http;

/// <summary>
/// Counts every attempt per operationId. It sits inside the retry handler so retries are counted too:
/// the numbers describe the load put on the server, not the calls the product made.
/// </summary>
internal sealed class RequestCountingHandler(Uri apiBase, ILogger logger) : DelegatingHandler, IRequestMetrics
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _writes;

    public long WriteRequests => Interlocked.Read(ref _writes);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // non-null: HttpClient always sends an absolute request URI to its handlers.
        var operation = ImmichOperations.Match(request.Method, request.RequestUri!, apiBase);
        var name = operation?.OperationId ?? $"{request.Method} {request.RequestUri!.AbsolutePath}";
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
