using System.Globalization;
using System.Net;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>What every booru client shares: the named HttpClients, their retry pipeline, error mapping and scrubbing.</summary>
internal static class BooruHttp
{
    /// <summary>The IHttpClientFactory name of a service's client.</summary>
    public static string ClientName(BooruService service) => "booru-" + service.ToString().ToLowerInvariant();

    /// <summary>
    /// Retries with exponential back-off and jitter after 5xx, 408, attempt time-outs and connection failures, waiting
    /// at least the service's <c>Retry-After</c>; then the per-attempt time-out. 429 is left to the caller: it is a quota
    /// fact (SauceNAO's windows) the booru step must learn, not a blip to hide.
    /// </summary>
    public static void AddRetries(ResiliencePipelineBuilder<HttpResponseMessage> builder, BooruRetryOptions options, BooruService service, ILogger logger)
    {
        // Time-outs and back-off concern real sockets: they stay on the system clock even when pacing runs on a virtual one.
        builder.TimeProvider = TimeProvider.System;
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.BaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutRejectedException } => true,
                    { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout || (int)response.StatusCode >= 500,
                    _ => false,
                }),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception is { } ex ? ex.GetType().Name : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    logger.LogWarning("Retrying a {Service} request after {Reason} (retry {Attempt}, waiting {DelayMs:F0} ms)", service, reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        // Inside the retries, so it counts attempts: a service that does not answer (connection refused, reset, time-outs)
        // several times in a row opens the breaker and the next attempt fails at once with BrokenCircuitException,
        // which SendAsync reports as BooruFailure.Unreachable and the booru step stops the source for the run.
        // Answers, even 5xx ones, are not counted: they are the retries' and the quota's business.
        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 1.0,
            MinimumThroughput = Math.Max(2, options.BreakAfterFailures),
            SamplingDuration = options.BreakSamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException),
            OnOpened = args =>
            {
                logger.LogDebug("{Service}: circuit breaker opened for {BreakMs:F0} ms after {Failures} failed attempts in a row", service, args.BreakDuration.TotalMilliseconds, options.BreakAfterFailures);
                return default;
            },
        });
        builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.AttemptTimeout });
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads the whole answer. Connection failures and time-outs that outlived the
    /// retries become <see cref="BooruFailure.Unavailable"/>, an open circuit breaker (the service did not answer
    /// several attempts in a row) <see cref="BooruFailure.Unreachable"/>; the caller's cancellation stays an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(
        HttpClient client, HttpRequestMessage request, BooruSource source, string what, CancellationToken ct)
    {
        try
        {
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return (response, body);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException ex)
        {
            var site = request.RequestUri is { } uri ? Core.Configuration.UrlRedaction.Redact(new Uri(uri.GetLeftPart(UriPartial.Authority) + "/")).AbsoluteUri : "(unknown URL)";
            var why = ex.InnerException is { } inner ? $"{inner.GetType().Name}: {inner.Message}" : "no answer";
            throw new BooruException(source, BooruFailure.Unreachable, $"{source} at {site} did not answer several attempts in a row ({why})", inner: null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or IOException)
        {
            throw new BooruException(source, BooruFailure.Unavailable, $"{source} did not answer {what}: {ex.GetType().Name}.", inner: null);
        }
    }

    /// <summary>True when the answer is an HTML page (a Cloudflare challenge, an error page) rather than the JSON asked for.</summary>
    public static bool IsHtml(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        if (response.Content.Headers.ContentType?.MediaType is { } type && type.Contains("html", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var trimmed = body.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'<';
    }

    /// <summary>The wait a 429 or 503 asks for (<c>Retry-After</c> in seconds or as a date), if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider clock)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter.Date is { } date ? (date - clock.GetUtcNow()) is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero : null;
    }

    /// <summary>
    /// <paramref name="text"/> with every secret replaced by <c>***</c>, cut to <paramref name="max"/> characters: a
    /// service's error text may echo what it was sent, and messages end up in logs and reports.
    /// </summary>
    public static string Scrub(string? text, IReadOnlyList<string> secrets, int max = 300)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        foreach (var secret in secrets)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(secret);
            if (escaped != secret)
            {
                text = text.Replace(escaped, "***", StringComparison.Ordinal);
            }
        }

        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
    }

    /// <summary>HTTP status as "HTTP 404".</summary>
    public static string Status(HttpResponseMessage response) => string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}");
}
