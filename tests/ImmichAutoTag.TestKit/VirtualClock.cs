namespace ImmichAutoTag.TestKit;

/// <summary>
/// A clock on which every wait ends at once by moving time forward by its length. Shared by the fake and the
/// code under test, it makes "wait 6 s, then act" against "the write-back lands after 10 s" deterministic
/// and instant, whatever the machine's speed.
/// </summary>
public sealed class VirtualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new JumpTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class JumpTimer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed || dueTime == Timeout.InfiniteTimeSpan)
            {
                return !_disposed;
            }

            // One-shot semantics are all Task.Delay needs; a period is not repeated.
            clock.Advance(dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
            ThreadPool.QueueUserWorkItem(_ =>
            {
                if (!_disposed)
                {
                    callback(state);
                }
            });
            return true;
        }

        public void Dispose() => _disposed = true;

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
