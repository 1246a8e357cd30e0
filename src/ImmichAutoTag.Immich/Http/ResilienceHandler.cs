using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ImmichAutoTag.Immich.Http;

/// <summary>
/// Bounds every attempt with a time-out and retries transient failures with exponential back-off, but only
/// for operations that are safe to repeat (see <see cref="ImmichOperations"/>).
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    private readonly Uri _apiBase;
    private readonly ResiliencePipeline<HttpResponseMessage> _retrying;
    private readonly ResiliencePipeline<HttpResponseMessage> _once;

    public ResilienceHandler(Uri apiBase, ImmichConnectionOptions options, ILogger logger)
    {
        _apiBase = apiBase;
        _once = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.Timeout).Build();

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception is { } ex ? ex.GetType().Name : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    logger.LogWarning("Retrying an Immich call after {Reason} (retry {Attempt}, waiting {DelayMs:F0} ms)", reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);

                    // The failed response is dropped here; only the last attempt's response reaches the caller.
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        _retrying = builder.AddTimeout(options.Timeout).Build();
    }

    internal static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // non-null: HttpClient always sends an absolute request URI to its handlers.
        var operation = ImmichOperations.Match(request.Method, request.RequestUri!, _apiBase);
        var pipeline = operation is { Idempotent: true } ? _retrying : _once;
        return await pipeline.ExecuteAsync(
            static async (state, ct) => await state.Handler.SendInnerAsync(state.Request, ct).ConfigureAwait(false),
            (Handler: this, Request: request),
            cancellationToken).ConfigureAwait(false);
    }

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);
}
