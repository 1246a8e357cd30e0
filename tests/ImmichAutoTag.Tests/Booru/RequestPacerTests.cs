using ImmichAutoTag.Infrastructure.Booru;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Booru;

/// <summary>Pacing on a clock that moves only when the test says: no wall-clock waits, no timing assertions.</summary>
public sealed class RequestPacerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_burst_goes_at_once_then_one_request_per_gap()
    {
        var clock = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(clock, TimeSpan.FromSeconds(5), burst: 2);

        await pacer.WaitAsync(CancellationToken.None);
        await pacer.WaitAsync(CancellationToken.None);
        var third = pacer.WaitAsync(CancellationToken.None).AsTask();

        third.IsCompleted.Should().BeFalse("the burst of two is spent and the clock has not moved");
        clock.Advance(TimeSpan.FromSeconds(4.9));
        third.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await third;

        var fourth = pacer.WaitAsync(CancellationToken.None).AsTask();
        fourth.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(5));
        await fourth;
    }

    [Fact]
    public async Task Idle_time_refills_the_burst_but_no_more()
    {
        var clock = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(clock, TimeSpan.FromSeconds(1), burst: 3);
        for (var i = 0; i < 3; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
        }

        clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 3; i++)
        {
            pacer.WaitAsync(CancellationToken.None).AsTask().IsCompleted.Should().BeTrue();
        }

        pacer.WaitAsync(CancellationToken.None).AsTask().IsCompleted.Should().BeFalse("an hour idle refills three tokens, not 3600");
    }

    [Fact]
    public async Task A_hold_delays_every_request_until_it_ends()
    {
        var clock = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(clock, TimeSpan.FromSeconds(1), burst: 5);
        pacer.HoldFor(TimeSpan.FromSeconds(30));

        var waiting = pacer.WaitAsync(CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(29));
        waiting.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(1));
        await waiting;
    }

    [Fact]
    public async Task Repacing_slower_drops_the_saved_tokens()
    {
        var clock = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(clock, TimeSpan.FromSeconds(1), burst: 4);
        pacer.Repace(TimeSpan.FromSeconds(10), 1);

        pacer.Gap.Should().Be(TimeSpan.FromSeconds(10));
        var first = pacer.WaitAsync(CancellationToken.None).AsTask();
        first.IsCompleted.Should().BeFalse("a slower pace starts with an empty bucket");
        clock.Advance(TimeSpan.FromSeconds(10));
        await first;
        var second = pacer.WaitAsync(CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(9));
        second.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(1));
        await second;
    }

    [Fact]
    public async Task A_cancelled_wait_throws()
    {
        var clock = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(clock, TimeSpan.FromSeconds(10));
        await pacer.WaitAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var waiting = pacer.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
