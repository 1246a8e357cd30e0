using ImmichAutoTag.Cli.Daemon;

namespace ImmichAutoTag.Tests.Deploy;

public sealed class CronScheduleTests
{
    // A Wednesday, in UTC so the expectations do not depend on the machine's zone.
    private static readonly DateTimeOffset Wednesday = new(2026, 3, 4, 10, 30, 0, TimeSpan.Zero);

    private static DateTimeOffset Next(string schedule)
    {
        CronSchedule.TryParse(schedule, out var cron, out var error).Should().BeTrue(error);
        return cron!.WithTimeZone(TimeZoneInfo.Utc).GetNextValidTimeAfter(Wednesday)!.Value;
    }

    [Theory]
    [InlineData("0 2 * * *", "2026-03-05T02:00:00")]          // standard cron: tomorrow 02:00
    [InlineData("*/15 * * * *", "2026-03-04T10:45:00")]
    [InlineData("0 9 * * 0", "2026-03-08T09:00:00")]          // crontab Sunday is 0 ...
    [InlineData("0 9 * * 7", "2026-03-08T09:00:00")]          // ... and 7
    [InlineData("0 9 * * 1-5", "2026-03-05T09:00:00")]        // weekdays
    [InlineData("0 0 1 * *", "2026-04-01T00:00:00")]
    [InlineData("*/2 * * * * ?", "2026-03-04T10:30:02")]      // Quartz, with seconds
    [InlineData("0 0 3 ? * MON", "2026-03-09T03:00:00")]
    [InlineData("  0   2 * * *  ", "2026-03-05T02:00:00")]    // spacing as typed in a YAML file or env var
    public void Standard_and_Quartz_cron_fire_when_expected(string schedule, string expectedUtc)
    {
        Next(schedule).Should().Be(DateTimeOffset.Parse(expectedUtc + "Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("0 25 * * *")]
    [InlineData("61 * * * *")]
    [InlineData("0 2 * *")]
    [InlineData("every night")]
    [InlineData("")]
    [InlineData("0 0 2 * * * * *")]
    [InlineData("99 * * * *")]                                  // Quartz alone would fire every minute
    [InlineData("0 24 * * *")]
    [InlineData("0 2 0 * *")]
    [InlineData("0 2 * 13 *")]
    [InlineData("0 2 * * 8")]
    [InlineData("5-70 * * * *")]
    [InlineData("*/0 * * * *")]
    [InlineData("0 99 * * * ?")]
    [InlineData("0 0 31 2 *")]                                  // 31 February: never fires
    public void Bad_schedules_are_refused_with_the_text_quoted(string schedule)
    {
        CronSchedule.TryParse(schedule, out var cron, out var error).Should().BeFalse();
        cron.Should().BeNull();
        error.Should().StartWith($"invalid schedule '{schedule}'");
    }

    [Fact]
    public void The_default_is_nightly_at_two()
    {
        Next(CronSchedule.Default).Should().Be(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero));
    }
}
