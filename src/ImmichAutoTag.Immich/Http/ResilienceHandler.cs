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
    private static readonly ResiliencePropertyKey<string> OperationKey = new("immich.operation");

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
                    var operation = args.Context.Properties.GetValue(OperationKey, "an Immich call");
                    logger.LogWarning("Retrying {Operation} after {Reason} (retry {Attempt}, waiting {DelayMs:F0} ms)", operation, reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);

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
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(OperationKey, operation?.OperationId ?? $"{request.Method} {request.RequestUri!.AbsolutePath}");
        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Handler.SendInnerAsync(state.Request, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Handler: this, Request: request)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);
}
