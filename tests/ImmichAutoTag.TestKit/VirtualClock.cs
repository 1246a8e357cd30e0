using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// A <see cref="FakeTimeProvider"/> on which every wait ends at once by moving time forward by its length.
/// Shared by the fake and the code under test, it makes "wait 6 s, then act" against "the write-back lands
/// after 10 s" deterministic and instant, whatever the machine's speed.
/// </summary>
/// <remarks>
/// A plain <see cref="FakeTimeProvider"/> fires a timer only when the test advances it, which needs the test to
/// know when the code under test is waiting; the engine's waits (queue polls, write-back observation) happen deep
/// inside a run. This is the one thing added here: each timer created moves the clock by its due time, on the
/// thread pool, as a real wait would have let time pass. Periodic timers are repeated by the base only when time
/// moves again. Tests that need the clock to stand still use <see cref="FakeTimeProvider"/> itself.
/// </remarks>
public sealed class VirtualClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            // Not inline: the base fires due timers inside Advance, and the caller has not finished setting up its own.
            var by = dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime;
            ThreadPool.QueueUserWorkItem(_ => Advance(by));
        }

        return timer;
    }
}
