using System.Globalization;
using System.Text.RegularExpressions;

namespace ImmichAutoTag.Core.Dates;

/// <summary>How much of a date a source tells: a day only (e.g. WhatsApp IMG-…-WA names) or a time to the second.</summary>
public enum DatePrecision
{
    Day,
    Second,
}

/// <summary>A wall-clock date read from a name; <see cref="IsUtc"/> when the naming scheme is known to use UTC.</summary>
public sealed record NameDate(DateTime WallClock, DatePrecision Precision, string Pattern, bool IsUtc);

/// <summary>
/// Dates in the file and folder names phones, cameras, messengers, screenshot tools and cloud exports produce.
/// Pure: no clock, no zone database beyond the one passed in. Names that look like a date but are not one
/// (impossible months, years outside 1990..maxYear, digit runs glued to other digits, 12-hour clocks with an
/// hour above 12) yield nothing rather than a guess. Names with a date but no time yield nothing either, except
/// WhatsApp's <c>IMG-YYYYMMDD-WA</c> scheme, whose day is the day the message arrived.
/// </summary>
public static class FileNameDates
{
    public const int MinYear = 1990;

    // Fixed patterns of bounded quantifiers run in linear time on a name; a wall-clock time-out would only fire
    // when the machine is starved, and then the same name would get a date on one run and none on the next.
    private static readonly TimeSpan Timeout = Regex.InfiniteMatchTimeout;

    // A 12-hour marker as written after the seconds: "9.15.00 PM", macOS's "9.41.07\u202FPM" (narrow no-break
    // space), "9.15.00PM". Lower case occurs in some locales' exports.
    private const string Meridiem = @"(?:[ \u00A0\u202F]?(?<ap>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?";

    // Words macOS puts between the date and the time of a screenshot or screen recording, per UI language.
    private const string TimeConnector = @"(?:at|um|à|a las|a les|alle|om|kl\.?|às|o)";

    // Most specific first: the first pattern that yields a valid date wins.
    private static readonly (string Name, Regex Regex, DatePrecision Precision, bool Utc)[] Patterns =
    [
        // Pixel names carry UTC time (PXL_20230704_153012345).
        ("pixel", Make(@"PXL_(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})_(?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})\d{3}(?!\d)"), DatePrecision.Second, true),

        // OneDrive's iOS camera upload names files by the capture instant in UTC (20190704_140000000_iOS.jpg).
        ("onedrive", Make(@"(?<!\d)(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})_(?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})\d{3}_iOS(?![A-Za-z])"), DatePrecision.Second, true),

        // WeChat saves media as mmexport/wx_camera_ + Unix time in milliseconds.
        ("epoch", Make(@"(?:mmexport|wx_camera_)(?<ms>\d{13})(?!\d)"), DatePrecision.Second, true),
        ("whatsapp", Make(@"WhatsApp (?:Image|Video|Audio|Document|GIF) (?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2}) at (?<h>\d{1,2})\.(?<mi>\d{2})\.(?<s>\d{2})(?!\d)" + Meridiem), DatePrecision.Second, false),
        ("whatsapp", Make(@"(?<![A-Za-z0-9])(?:IMG|VID|AUD|PTT|DOC|STK)[-_]?(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[-_]WA\d+"), DatePrecision.Day, false),

        // macOS screenshots and screen recordings in any UI language: "Screenshot 2024-03-05 at 9.41.07 PM",
        // "Bildschirmfoto 2024-03-05 um 21.41.07"; the date, a connector word, then H.MM.SS.
        ("macos", Make(@"(?<!\d)(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2}) " + TimeConnector + @" (?<h>\d{1,2})[.:](?<mi>\d{2})[.:](?<s>\d{2})(?!\d)" + Meridiem), DatePrecision.Second, false),

        // Windows 11 Snipping Tool: "Screenshot 2024-03-05 214107", "Screen Recording 2024-03-05 214107".
        ("screenshot", Make(@"Screen(?:shot| Recording) (?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2}) (?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("screenshot", Make(@"Screenshot[_ -](?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[-_](?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("screenshot", Make(@"Screenshot[_ -](?:from )?(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[-_ ](?<h>\d{2})[-_.](?<mi>\d{2})[-_.](?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("signal", Make(@"signal-(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})-(?<h>\d{2})-?(?<mi>\d{2})-?(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),

        // Windows Camera app: WIN_20190704_10_00_00_Pro.jpg.
        ("windows-camera", Make(@"WIN_(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})_(?<h>\d{2})_(?<mi>\d{2})_(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("camera", Make(@"(?<!\d)(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[_-](?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?:\d{3})?(?!\d)"), DatePrecision.Second, false),

        // One digit run: OPPO/realme/OnePlus IMG20230704153012, DJI_20230704153012_0001, Steam 20190704100000_1,
        // Pixel bursts BURST20190704100000123, Nintendo Switch 2019070410000000-<hex>.
        ("compact", Make(@"(?<!\d)(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})(?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?:\d{2,3})?(?!\d)"), DatePrecision.Second, false),
        ("dashed", Make(@"(?<!\d)(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[ _T.-](?<h>\d{2})[-_.:](?<mi>\d{2})[-_.:](?<s>\d{2})(?!\d)" + Meridiem), DatePrecision.Second, false),
    ];

    /// <summary>The first credible date in <paramref name="name"/>, or null.</summary>
    /// <param name="maxYear">Latest credible year (the caller passes next year).</param>
    public static NameDate? Parse(string name, int maxYear)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (patternName, regex, precision, utc) in Patterns)
        {
            Match match;
            try
            {
                match = regex.Match(name);
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological name is not worth a date; never a reason to fail the run.
                return null;
            }

            for (; match.Success; match = match.NextMatch())
            {
                if (Build(match, precision, maxYear) is { } wallClock)
                {
                    return new NameDate(wallClock, precision, patternName, utc);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The instant a name date stands for, reading its wall clock in <paramref name="zone"/> unless it is UTC.
    /// A wall clock the zone skips (DST gap) is read with the offset in force before the gap, as a clock not
    /// yet moved forward shows it; one the zone shows twice (DST overlap) is read as the first occurrence, so
    /// "oldest wins" never picks an instant later than the photo could have been taken.
    /// </summary>
    public static DateTimeOffset ToInstant(NameDate date, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(date);
        ArgumentNullException.ThrowIfNull(zone);
        var local = DateTime.SpecifyKind(date.WallClock, DateTimeKind.Unspecified);
        return date.IsUtc ? new DateTimeOffset(local, TimeSpan.Zero) : InZone(local, zone);
    }

    /// <summary>A wall clock read in a zone, with the gap and overlap rules of <see cref="ToInstant"/>.</summary>
    public static DateTimeOffset InZone(DateTime wallClock, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local))
        {
            // Transitions are months apart: twelve hours earlier is safely before the gap.
            offset = zone.GetUtcOffset(local.AddHours(-12));
        }
        else if (zone.IsAmbiguousTime(local))
        {
            offset = zone.GetAmbiguousTimeOffsets(local).Max();
        }
        else
        {
            offset = zone.GetUtcOffset(local);
        }

        return new DateTimeOffset(local, offset);
    }

    private static DateTime? Build(Match m, DatePrecision precision, int maxYear)
    {
        if (m.Groups["ms"].Success)
        {
            var ms = long.Parse(m.Groups["ms"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
            var utc = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
            return utc.Year < MinYear || utc.Year > maxYear
                ? null
                : new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, utc.Second, DateTimeKind.Unspecified);
        }

        var y = Int(m, "y");
        var mo = Int(m, "mo");
        var d = Int(m, "d");
        if (y < MinYear || y > maxYear || mo is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, mo))
        {
            return null;
        }

        if (precision == DatePrecision.Day)
        {
            return new DateTime(y, mo, d, 0, 0, 0, DateTimeKind.Unspecified);
        }

        var h = Int(m, "h");
        var mi = Int(m, "mi");
        var s = Int(m, "s");
        if (m.Groups["ap"].Success)
        {
            // 12-hour clock: 12 AM is midnight, 12 PM noon; "0 PM" or "13 PM" is no time.
            if (h is < 1 or > 12)
            {
                return null;
            }

            var pm = m.Groups["ap"].ValueSpan[0] is 'P' or 'p';
            h = (h % 12) + (pm ? 12 : 0);
        }

        if (h > 23 || mi > 59 || s > 59)
        {
            return null;
        }

        return new DateTime(y, mo, d, h, mi, s, DateTimeKind.Unspecified);
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);

    private static Regex Make(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture, Timeout);
}
