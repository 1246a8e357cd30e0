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
/// Dates in the file and folder names phones, cameras and messengers produce. Pure: no clock, no zone
/// database beyond the one passed in. Names that look like a date but are not one (impossible months,
/// years outside 1990..maxYear, digit runs glued to other digits) yield nothing rather than a guess.
/// </summary>
public static class FileNameDates
{
    public const int MinYear = 1990;

    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(200);

    // Most specific first: the first pattern that yields a valid date wins.
    private static readonly (string Name, Regex Regex, DatePrecision Precision, bool Utc)[] Patterns =
    [
        // Pixel names carry UTC time (PXL_20230704_153012345).
        ("pixel", Make(@"PXL_(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})_(?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})\d{3}(?!\d)"), DatePrecision.Second, true),
        ("whatsapp", Make(@"WhatsApp (?:Image|Video) (?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2}) at (?<h>\d{1,2})\.(?<mi>\d{2})\.(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("whatsapp", Make(@"(?<![A-Za-z0-9])(?:IMG|VID|AUD|PTT|DOC|STK)[-_]?(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[-_]WA\d+"), DatePrecision.Day, false),
        ("screenshot", Make(@"Screenshot[_ -](?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[-_](?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("screenshot", Make(@"Screenshot[_ -](?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[-_ ](?:at )?(?<h>\d{2})[-_.](?<mi>\d{2})[-_.](?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("signal", Make(@"signal-(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})-(?<h>\d{2})-?(?<mi>\d{2})-?(?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
        ("camera", Make(@"(?<!\d)(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})[_-](?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})(?:\d{3})?(?!\d)"), DatePrecision.Second, false),
        ("dashed", Make(@"(?<!\d)(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[ _T.-](?<h>\d{2})[-_.:](?<mi>\d{2})[-_.:](?<s>\d{2})(?!\d)"), DatePrecision.Second, false),
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

    /// <summary>The instant a name date stands for, reading its wall clock in <paramref name="zone"/> unless it is UTC.</summary>
    public static DateTimeOffset ToInstant(NameDate date, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(date);
        ArgumentNullException.ThrowIfNull(zone);
        if (date.IsUtc)
        {
            return new DateTimeOffset(DateTime.SpecifyKind(date.WallClock, DateTimeKind.Unspecified), TimeSpan.Zero);
        }

        // In a DST gap or overlap GetUtcOffset picks the standard offset: a bounded, predictable choice.
        var local = DateTime.SpecifyKind(date.WallClock, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static DateTime? Build(Match m, DatePrecision precision, int maxYear)
    {
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
