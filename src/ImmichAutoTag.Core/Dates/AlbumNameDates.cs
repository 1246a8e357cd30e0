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

        // Called for every album of every asset: a value match allocates nothing, and its length (4, 7 or 10)
        // says which of the pattern's parts matched, each at a fixed position.
        var length = 0;
        foreach (var match in Prefix.EnumerateMatches(albumName))
        {
            length = match.Length;
            break;
        }

        if (length == 0)
        {
            return null;
        }

        var name = albumName.AsSpan();
        var y = Int(name[..4]);
        if (y < 1)
        {
            return null;
        }

        if (length == 4)
        {
            return new AlbumPeriod(new DateOnly(y, 1, 1), new DateOnly(y, 12, 31));
        }

        var mo = Int(name[5..7]);
        if (mo is < 1 or > 12)
        {
            return null;
        }

        if (length == 7)
        {
            return new AlbumPeriod(new DateOnly(y, mo, 1), new DateOnly(y, mo, DateTime.DaysInMonth(y, mo)));
        }

        var d = Int(name[8..10]);
        if (d < 1 || d > DateTime.DaysInMonth(y, mo))
        {
            return null;
        }

        var day = new DateOnly(y, mo, d);
        return new AlbumPeriod(day, day);
    }

    private static int Int(ReadOnlySpan<char> digits) => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
}
