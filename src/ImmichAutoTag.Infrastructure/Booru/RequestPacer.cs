using System.Threading.RateLimiting;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// Polite pacing of one service's requests: a <see cref="TokenBucketRateLimiter"/> (<c>Burst</c> tokens, one more every
/// <c>Gap</c>) whose replenishment is driven by an injected <see cref="TimeProvider"/> instead of its own wall-clock
/// timer, plus a hold the service may impose (SauceNAO's exhausted window, a 429's <c>Retry-After</c>).
/// </summary>
/// <remarks>
/// The limiter runs with <c>AutoReplenishment = false</c>: before each attempt the tokens due since the last one are
/// added by <see cref="RateLimiter"/>'s own <c>TryReplenish</c>, counted on the injected clock, and a caller without a
/// token waits on that clock (<see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>) until the next one
/// is due. So a test advancing a fake clock, or a benchmark whose clock jumps over every wait, paces exactly as the
/// real clock would, without sleeping.
/// </remarks>
public sealed class RequestPacer : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private TokenBucketRateLimiter _bucket;
    private TimeSpan _gap;
    private int _burst;
    private DateTimeOffset _replenishedAt;
    private DateTimeOffset _heldUntil;

    /// <summary>Creates a pacer that allows <paramref name="burst"/> requests at once and one more every <paramref name="gap"/>.</summary>
    public RequestPacer(TimeProvider clock, TimeSpan gap, int burst = 1)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _gap = Positive(gap);
        _burst = Math.Max(1, burst);
        _bucket = NewBucket(_gap, _burst);
        _replenishedAt = clock.GetUtcNow();
        _heldUntil = DateTimeOffset.MinValue;
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

    /// <summary>Waits (on the injected clock) until a request may go out, and takes its token.</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = _clock.GetUtcNow();
                if (now < _heldUntil)
                {
                    wait = _heldUntil - now;
                }
                else
                {
                    CatchUp(now);
                    using var lease = _bucket.AttemptAcquire();
                    if (lease.IsAcquired)
                    {
                        return;
                    }

                    wait = _replenishedAt + _gap - now;
                }
            }

            // Another caller may take the token that comes due; then this one waits for the next.
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromTicks(1), _clock, ct);
        }
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
    /// Changes the pace (SauceNAO's <c>short_limit</c> learned from an answer). Tokens already available are dropped
    /// when the new pace is slower, so a lower limit applies from the next request on.
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
            CatchUp(now);
            var available = (int)Math.Min(_bucket.GetStatistics()?.CurrentAvailablePermits ?? 0, burst);
            var slower = gap > _gap;
            _bucket.Dispose();
            _gap = gap;
            _burst = burst;
            _bucket = NewBucket(gap, burst);
            using (_bucket.AttemptAcquire(burst))
            {
                // Start empty, then give back what was still available (nothing when the pace slowed down).
            }

            for (var i = 0; i < (slower ? 0 : available); i++)
            {
                _bucket.TryReplenish();
            }

            _replenishedAt = now;
        }
    }

    /// <summary>Releases the token bucket.</summary>
    public void Dispose() => _bucket.Dispose();

    private void CatchUp(DateTimeOffset now)
    {
        // Each TryReplenish adds one token (capped at the burst); add one per whole gap elapsed on the injected clock.
        var elapsed = now - _replenishedAt;
        if (elapsed < _gap)
        {
            return;
        }

        var due = (long)(elapsed.Ticks / _gap.Ticks);
        for (long i = 0; i < Math.Min(due, _burst); i++)
        {
            _bucket.TryReplenish();
        }

        _replenishedAt += TimeSpan.FromTicks(_gap.Ticks * due);
    }

    private static TokenBucketRateLimiter NewBucket(TimeSpan gap, int burst) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = burst,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = gap,
        AutoReplenishment = false,
        QueueLimit = 0,
    });

    private static TimeSpan Positive(TimeSpan gap) => gap > TimeSpan.Zero ? gap : TimeSpan.FromTicks(1);
}
