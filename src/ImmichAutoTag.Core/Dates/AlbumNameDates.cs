using System.Globalization;
using System.Text.RegularExpressions;

namespace ImmichAutoTag.Core.Dates;

/// <summary>The period an album name's date prefix stands for: a whole year, month or day.</summary>
public sealed record AlbumPeriod(DateOnly First, DateOnly Last)
{
    /// <summary>Whole days from <paramref name="date"/> to the nearest day of the period; 0 inside it.</summary>
    public int DaysOutside(DateOnly date) =>
        date < First ? First.DayNumber - date.DayNumber
        : date > Last ? date.DayNumber - Last.DayNumber
        : 0;
}

/// <summary>
/// Album names that start with YYYY, YYYY-MM or YYYY-MM-DD. Unlike upstream (which compares with the 1st
/// of January or of the month), a year or month album covers its whole period.
/// </summary>
public static class AlbumNameDates
{
    private static readonly Regex Prefix = new(
        @"\A(?<y>\d{4})(?:-(?<m>\d{2})(?:-(?<d>\d{2}))?)?(?!\d)",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        // A fixed, anchored pattern runs in linear time; a wall-clock time-out only fires on a starved machine.
        Regex.InfiniteMatchTimeout);

    /// <summary>The period, or null when the name has no valid date prefix (e.g. "2019-13 x", "20190704 x").</summary>
    public static AlbumPeriod? Parse(string albumName)
    {
        ArgumentNullException.ThrowIfNull(albumName);
        var m = Prefix.Match(albumName);
        if (!m.Success)
        {
            return null;
        }

        var y = Int(m, "y");
        if (y < 1)
        {
            return null;
        }

        if (!m.Groups["m"].Success)
        {
            return new AlbumPeriod(new DateOnly(y, 1, 1), new DateOnly(y, 12, 31));
        }

        var mo = Int(m, "m");
        if (mo is < 1 or > 12)
        {
            return null;
        }

        if (!m.Groups["d"].Success)
        {
            return new AlbumPeriod(new DateOnly(y, mo, 1), new DateOnly(y, mo, DateTime.DaysInMonth(y, mo)));
        }

        var d = Int(m, "d");
        if (d < 1 || d > DateTime.DaysInMonth(y, mo))
        {
            return null;
        }

        var day = new DateOnly(y, mo, d);
        return new AlbumPeriod(day, day);
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
}
