using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace ImmichAutoTag.Immich.Http;

/// <summary>
/// The retry and time-out pipelines of Microsoft.Extensions.Http.Resilience, chosen per request: operations that
/// are safe to repeat (see <see cref="ImmichOperations"/>) get retries with exponential back-off, honouring
/// Retry-After on 429 and 503; the others only the per-attempt time-out.
/// </summary>
internal static class ImmichResilience
{
    /// <summary>The handler that sits at the top of the gateway's chain, above the request counter.</summary>
    public static ResilienceHandler CreateHandler(ImmichConnectionOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var timeout = new HttpTimeoutStrategyOptions { Timeout = options.Timeout };
        var onceBuilder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time ?? TimeProvider.System };
        if (options.MaxRetries > 0)
        {
            // 429 says the server did nothing with the request, so even a call that is not safe to repeat may be sent
            // again once Retry-After has passed.
            onceBuilder.AddRetry(ThrottledOnly(RetryOptions(options, logger)));
        }

        var once = onceBuilder.AddTimeout(timeout).Build();
        var retrying = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time ?? TimeProvider.System };
        if (options.MaxRetries > 0)
        {
            retrying.AddRetry(RetryOptions(options, logger));
        }

        var pipeline = retrying.AddTimeout(timeout).Build();
        return new ResilienceHandler(request => ImmichOperations.Of(request) is { Idempotent: true } ? pipeline : once);
    }

    private static HttpRetryStrategyOptions ThrottledOnly(HttpRetryStrategyOptions options)
    {
        options.ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { StatusCode: System.Net.HttpStatusCode.TooManyRequests });
        return options;
    }

    /// <summary>
    /// The retry of <see cref="ImmichGateway"/>'s calls around the reading of an answer: a body cut off after its headers
    /// arrived (an <see cref="IOException"/>, e.g. a connection reset mid-transfer) is retried with the same back-off as
    /// the HTTP pipeline. Used for idempotent operations only.
    /// </summary>
    public static ResiliencePipeline CreateBodyRetry(ImmichConnectionOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRetries <= 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<IOException>(),
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("Retrying after an answer was cut off: {Reason} (retry {Attempt})", args.Outcome.Exception?.Message, args.AttemptNumber + 1);
                    return default;
                },
            })
            .Build();
    }

    private static HttpRetryStrategyOptions RetryOptions(ImmichConnectionOptions options, ILogger logger) => new()
    {
        // The defaults handle HttpRequestException, attempt time-outs, 408, 429 and 5xx, and wait for Retry-After.
        MaxRetryAttempts = options.MaxRetries,
        Delay = options.RetryBaseDelay,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        ShouldRetryAfterHeader = true,
        OnRetry = args =>
        {
            var reason = args.Outcome.Exception is { } ex ? ex.GetType().Name : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
            var request = args.Context.GetRequestMessage();
            var operation = request is null ? "an Immich call" : ImmichOperations.NameOf(request);
            logger.LogWarning("Retrying {Operation} after {Reason} (retry {Attempt}, waiting {DelayMs:F0} ms)", operation, reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);

            // The failed response is dropped here; only the last attempt's response reaches the caller.
            args.Outcome.Result?.Dispose();
            return default;
        },
    };
}
