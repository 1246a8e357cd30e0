using ImmichAutoTag.Core.Dates;

namespace ImmichAutoTag.Tests.Dates;

public sealed class DateRepairTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    private static DateTimeOffset At(int month, int day, int hour = 0, int minute = 0) => new(2019, month, day, hour, minute, 0, TimeSpan.Zero);

    private static DateCandidate Name(DateTimeOffset at, DatePrecision precision = DatePrecision.Second) => new(at, precision, DateSourceKind.FileName, "x.jpg");

    [Fact]
    public void An_older_candidate_more_than_1_1_days_earlier_wins()
    {
        var decision = DateRepair.Decide(At(7, 10, 12), [Name(At(7, 4, 15)), Name(At(7, 8, 9))], Utc);

        decision.Verdict.Should().Be(DateVerdict.Repair);
        decision.Candidate!.Instant.Should().Be(At(7, 4, 15));
    }

    [Fact]
    public void A_timed_candidate_earlier_on_the_same_day_wins()
    {
        DateRepair.Decide(At(7, 4, 18), [Name(At(7, 4, 9))], Utc).Verdict.Should().Be(DateVerdict.Repair);
    }

    [Fact]
    public void A_day_only_candidate_on_the_same_day_changes_nothing()
    {
        DateRepair.Decide(At(7, 4, 18), [Name(At(7, 4), DatePrecision.Day)], Utc).Verdict.Should().Be(DateVerdict.Keep);
    }

    [Fact]
    public void A_day_only_candidate_on_the_day_before_within_the_threshold_is_ambiguous_not_a_crash()
    {
        var decision = DateRepair.Decide(At(7, 5, 1), [Name(At(7, 4), DatePrecision.Day)], Utc);

        decision.Verdict.Should().Be(DateVerdict.Ambiguous);
        decision.Reason.Should().Contain("another day");
    }

    [Fact]
    public void Newer_or_equal_candidates_and_no_candidates_keep_the_date()
    {
        DateRepair.Decide(At(7, 4, 12), [Name(At(7, 9)), Name(At(7, 4, 12))], Utc).Verdict.Should().Be(DateVerdict.Keep);
        DateRepair.Decide(At(7, 4, 12), [], Utc).Verdict.Should().Be(DateVerdict.Keep);
    }

    [Fact]
    public void The_written_value_carries_the_zone_offset()
    {
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

        DateRepair.Format(new DateTimeOffset(2019, 7, 4, 13, 30, 12, TimeSpan.Zero), madrid).Should().Be("2019-07-04T15:30:12.000+02:00");
    }

    [Theory]
    [InlineData("1970-01-01T00:00:00+00:00", "UTC", true)]
    [InlineData("1969-12-31T23:00:00+00:00", "Europe/Berlin", true)]
    [InlineData("1980-01-01T00:00:00+00:00", "UTC", true)]
    [InlineData("2000-01-01T00:00:00+01:00", "Europe/Berlin", true)]
    [InlineData("1850-05-05T12:00:00+00:00", "UTC", true)]
    [InlineData("2000-01-01T00:00:30+00:00", "UTC", false)]
    [InlineData("1970-01-01T09:00:00+00:00", "UTC", false)]
    [InlineData("1970-01-02T00:00:00+00:00", "UTC", false)]
    [InlineData("2019-08-15T00:00:00+00:00", "UTC", false)]
    public void A_lost_clock_is_a_reset_day_s_midnight_in_utc_or_the_zone_or_a_date_before_1900(string instant, string zone, bool lost)
    {
        DateRepair.IsLostClock(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture), TimeZoneInfo.FindSystemTimeZoneById(zone))
            .Should().Be(lost);
    }
}
