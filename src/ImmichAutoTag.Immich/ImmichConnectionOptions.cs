namespace ImmichAutoTag.Immich;

/// <summary>How to reach one Immich server. <see cref="ServerUrl"/> is the server base; the API lives under "api/".</summary>
public sealed record ImmichConnectionOptions(Uri ServerUrl, string ApiKey)
{
    /// <summary>Per attempt, not per call: a retried call may take up to (MaxRetries + 1) × Timeout plus back-off.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries of idempotent calls after a transient failure; 0 turns retries off.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First back-off delay; it doubles on each further retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The transport at the bottom of the handler chain (tests, proxies). The gateway takes ownership of it.</summary>
    public HttpMessageHandler? InnerHandler { get; init; }

    // The compiler-generated ToString would print the API key into any log that formats the options.
    public override string ToString() =>
        $"ImmichConnectionOptions {{ ServerUrl = {ImmichUrls.Redact(ServerUrl)}, Timeout = {Timeout}, MaxRetries = {MaxRetries}, RetryBaseDelay = {RetryBaseDelay} }}";
}
