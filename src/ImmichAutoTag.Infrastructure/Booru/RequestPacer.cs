using System.Threading.RateLimiting;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// Polite pacing of one service's requests: a token bucket (<c>burst</c> tokens, one more every <c>gap</c>) counted on an
/// injected <see cref="TimeProvider"/>, plus a hold the service may impose (SauceNAO's spent window, a 429's
/// <c>Retry-After</c>). A <see cref="RateLimiter"/>, so it also plugs into Polly's rate-limiter strategy.
/// </summary>
/// <remarks>
/// Why not <see cref="TokenBucketRateLimiter"/> with <c>AutoReplenishment = false</c> driven by a clock's timer: in
/// .NET 10 its <c>TryReplenish</c> adds tokens in proportion to the <see cref="System.Diagnostics.Stopwatch"/> time since
/// the last call, so a virtual clock cannot refill it (and a fast-forwarded day would refill nothing). Here every count
/// is read from the injected clock, and a caller without a token waits on that clock
/// (<see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>): a test advancing a fake clock, or a benchmark
/// whose clock jumps over every wait, paces exactly as the real clock would, without sleeping.
/// </remarks>
public sealed class RequestPacer : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private TimeSpan _gap;
    private int _burst;
    private int _tokens;
    private DateTimeOffset _refilledAt;
    private DateTimeOffset _heldUntil = DateTimeOffset.MinValue;
    private DateTimeOffset? _idleSince;
    private long _granted;
    private long _refused;

    /// <summary>Creates a pacer that allows <paramref name="burst"/> requests at once and one more every <paramref name="gap"/>.</summary>
    public RequestPacer(TimeProvider clock, TimeSpan gap, int burst = 1)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _gap = Positive(gap);
        _burst = Math.Max(1, burst);
        _tokens = _burst;
        _refilledAt = clock.GetUtcNow();
        _idleSince = _refilledAt;
    }

    /// <summary>The gap between two requests once the burst is spent.</summary>
    public TimeSpan Gap
    {
        get
        {
            lock (_gate)
            {
                return _gap;
            }
        }
    }

    /// <inheritdoc/>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _idleSince is { } since ? _clock.GetUtcNow() - since : null;
            }
        }
    }

    /// <summary>Waits (on the injected clock) until a request may go out, and takes its token.</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        using var lease = await AcquireAsync(1, ct);
    }

    /// <summary>No request goes out before <paramref name="until"/> (a window the service says is spent); a later hold wins.</summary>
    public void HoldUntil(DateTimeOffset until)
    {
        lock (_gate)
        {
            if (until > _heldUntil)
            {
                _heldUntil = until;
            }
        }
    }

    /// <summary>No request goes out for <paramref name="delay"/> from now (see <see cref="HoldUntil"/>).</summary>
    public void HoldFor(TimeSpan delay) => HoldUntil(_clock.GetUtcNow() + delay);

    /// <summary>
    /// Changes the pace (SauceNAO's <c>short_limit</c> learned from an answer). When the pace slows down the tokens saved
    /// are dropped, so the slower pace applies from the next request on.
    /// </summary>
    public void Repace(TimeSpan gap, int burst)
    {
        gap = Positive(gap);
        burst = Math.Max(1, burst);
        lock (_gate)
        {
            if (gap == _gap && burst == _burst)
            {
                return;
            }

            var now = _clock.GetUtcNow();
            Refill(now);
            var slower = gap > _gap;
            _gap = gap;
            _burst = burst;
            _tokens = slower ? 0 : Math.Min(_tokens, burst);
            _refilledAt = now;
        }
    }

    /// <inheritdoc/>
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Refill(_clock.GetUtcNow());
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _tokens,
                CurrentQueuedCount = 0,
                TotalSuccessfulLeases = _granted,
                TotalFailedLeases = _refused,
            };
        }
    }

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            var wait = TryTake(permitCount, _clock.GetUtcNow());
            return wait is null ? Lease.Granted : new Lease(wait.Value);
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _burst);
        while (true)
        {
            TimeSpan? wait;
            lock (_gate)
            {
                wait = TryTake(permitCount, _clock.GetUtcNow());
            }

            if (wait is null)
            {
                return Lease.Granted;
            }

            // Another caller may take the token that comes due; then this one waits for the next.
            await Task.Delay(wait.Value, _clock, cancellationToken);
        }
    }

    /// <summary>Takes the tokens, or says how long until they are due (null: taken).</summary>
    private TimeSpan? TryTake(int permitCount, DateTimeOffset now)
    {
        if (now < _heldUntil)
        {
            _refused++;
            return _heldUntil - now;
        }

        Refill(now);
        if (_tokens >= permitCount)
        {
            _tokens -= permitCount;
            _granted++;
            _idleSince = _tokens == _burst ? now : null;
            return null;
        }

        _refused++;
        var missing = permitCount - _tokens;
        var due = _refilledAt + (_gap * missing) - now;
        return due > TimeSpan.Zero ? due : TimeSpan.FromTicks(1);
    }

    private void Refill(DateTimeOffset now)
    {
        if (_tokens >= _burst)
        {
            // A full bucket saves nothing more: the next token is one gap after the next request.
            _refilledAt = now;
            return;
        }

        var due = (now - _refilledAt).Ticks / _gap.Ticks;
        if (due <= 0)
        {
            return;
        }

        _tokens = (int)Math.Min(_burst, _tokens + due);
        _refilledAt = _tokens >= _burst ? now : _refilledAt + TimeSpan.FromTicks(_gap.Ticks * due);
        if (_tokens >= _burst)
        {
            _idleSince ??= now;
        }
    }

    private static TimeSpan Positive(TimeSpan gap) => gap > TimeSpan.Zero ? gap : TimeSpan.FromTicks(1);

    private sealed class Lease(TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(null);

        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
