using ImmichAutoTag.Cli.Daemon;

namespace ImmichAutoTag.Tests.Deploy;

/// <summary>The daemon's "next run" words: never a time in the past (a run on start or a loop's next run is due now).</summary>
public sealed class DaemonNextRunTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 13, 56, 3, TimeSpan.Zero);

    [Fact]
    public void A_next_run_that_is_due_is_now_not_a_past_time()
    {
        DaemonRunner.DescribeNext(Now.AddSeconds(-1), Now).Should().Be("now");
        DaemonRunner.DescribeNext(Now, Now).Should().Be("now");
    }

    [Fact]
    public void A_future_next_run_is_its_local_time_and_none_is_a_dash()
    {
        var later = Now.AddMinutes(30);
        DaemonRunner.DescribeNext(later, Now).Should().Be("at " + later.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture));
        DaemonRunner.DescribeNext(null, Now).Should().Be("-");
    }
}
