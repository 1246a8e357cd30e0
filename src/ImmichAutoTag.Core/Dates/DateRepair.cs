using System.Globalization;

namespace ImmichAutoTag.Core.Dates;

public enum DateSourceKind
{
    /// <summary>The asset's own file name.</summary>
    FileName,

    /// <summary>A folder name in the asset's original path.</summary>
    Path,

    /// <summary>A duplicate's file or folder name.</summary>
    DuplicateName,

    /// <summary>A duplicate's capture instant as Immich holds it.</summary>
    DuplicateDate,
}

/// <summary>One credible date for an asset, and where it came from (for the report).</summary>
/// <param name="Instant">The capture instant the source stands for.</param>
/// <param name="Precision">Whether the source tells a time or only a day.</param>
/// <param name="Source">The kind of source.</param>
/// <param name="Origin">The name or asset it was read from, for the report.</param>
public sealed record DateCandidate(DateTimeOffset Instant, DatePrecision Precision, DateSourceKind Source, string Origin)
{
    /// <summary>The zone whose wall clock the source shows: its calendar day is the day in that zone.</summary>
    public TimeZoneInfo Zone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The calendar day of <see cref="Instant"/> in <see cref="Zone"/>.</summary>
    public DateOnly LocalDay => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Instant, Zone).DateTime);
}

public enum DateVerdict
{
    Keep,
    Repair,

    /// <summary>A candidate is older but the evidence is not clear enough to act; reported, not written.</summary>
    Ambiguous,
}

public sealed record DateDecision(DateVerdict Verdict, DateCandidate? Candidate, string? Reason);

/// <summary>
/// "Oldest credible date wins", with upstream's thresholds: an older candidate is written when the current
/// date is more than 1.1 days later, or when the candidate has a time and falls on the same calendar day.
/// Everything else that is older is ambiguous (typically a day-only name date on the day before, which a
/// time zone can explain) and is reported instead of thrown, unlike upstream.
/// </summary>
public static class DateRepair
{
    public static readonly TimeSpan Threshold = TimeSpan.FromDays(1.1);

    /// <summary>Differences below this are serialisation noise (milliseconds), not a wrong date.</summary>
    private static readonly TimeSpan Noise = TimeSpan.FromSeconds(1);

    /// <summary>Decides with the current date's calendar day taken in <paramref name="zone"/>.</summary>
    public static DateDecision Decide(DateTimeOffset current, IEnumerable<DateCandidate> candidates, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return Decide(current, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(current, zone).DateTime), candidates);
    }

    /// <summary>
    /// Decides for an asset whose capture instant is <paramref name="current"/> (Immich's fileCreatedAt) and whose
    /// local calendar day is <paramref name="currentDay"/> (the date part of Immich's localDateTime). A candidate
    /// is on "the same day" when its own local day (<see cref="DateCandidate.LocalDay"/>) is that day.
    /// </summary>
    public static DateDecision Decide(DateTimeOffset current, DateOnly currentDay, IEnumerable<DateCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var oldest = candidates
            .OrderBy(c => c.Instant)
            .ThenByDescending(c => c.Precision)
            .FirstOrDefault();
        if (oldest is null || current - oldest.Instant < Noise)
        {
            return new DateDecision(DateVerdict.Keep, null, null);
        }

        var delta = current - oldest.Instant;
        if (delta > Threshold)
        {
            return new DateDecision(DateVerdict.Repair, oldest, null);
        }

        var sameDay = currentDay == oldest.LocalDay;
        if (sameDay)
        {
            // A day-only candidate tells nothing the current time does not; a timed one is more precise.
            return oldest.Precision == DatePrecision.Second
                ? new DateDecision(DateVerdict.Repair, oldest, null)
                : new DateDecision(DateVerdict.Keep, null, null);
        }

        return new DateDecision(
            DateVerdict.Ambiguous,
            oldest,
            string.Create(CultureInfo.InvariantCulture, $"{oldest.Source} date {Format(oldest.Instant, oldest.Zone)} is {delta.TotalHours:0.#} h older than {current.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} (local day {currentDay:yyyy-MM-dd}) but on another day"));
    }

    /// <summary>
    /// Days a lost or reset clock reports: the Unix epoch (a file time of 0, what Immich shows for an asset without a
    /// date), the Mac (1904) and FAT/DOS (1980) epochs, the GPS epoch (1980-01-06) and 2000-01-01, where many cameras
    /// restart after a battery change.
    /// </summary>
    private static readonly DateOnly[] ResetDays =
    [
        new(1904, 1, 1), new(1970, 1, 1), new(1980, 1, 1), new(1980, 1, 6), new(2000, 1, 1),
    ];

    /// <summary>
    /// Whether <paramref name="instant"/> is the midnight starting one of the reset days (<see cref="ResetDays"/>), in
    /// UTC or in <paramref name="zone"/>, or lies before 1900: a value a clock that lost its time gives, not a capture
    /// date. A duplicate with such a date would otherwise win "oldest date wins" against every real copy.
    /// </summary>
    public static bool IsLostClock(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (instant.UtcDateTime.Year < 1900)
        {
            return true;
        }

        return IsResetMidnight(instant.UtcDateTime) || IsResetMidnight(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

        static bool IsResetMidnight(DateTime wallClock) =>
            wallClock.TimeOfDay == TimeSpan.Zero && Array.IndexOf(ResetDays, DateOnly.FromDateTime(wallClock)) >= 0;
    }

    /// <summary>The dateTimeOriginal value to send: the wall clock in <paramref name="zone"/> with its offset.</summary>
    public static string Format(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
    }
}
