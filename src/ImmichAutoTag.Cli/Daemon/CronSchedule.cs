using Quartz;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>
/// Schedules are written as standard 5-field cron (what users know from crontab and upstream's
/// CRON_SCHEDULE) or as Quartz cron with a seconds field (6 or 7 fields, for sub-minute schedules).
/// </summary>
internal static class CronSchedule
{
    /// <summary>Every night at 02:00.</summary>
    public const string Default = "0 2 * * *";

    /// <summary>Parses a schedule; on failure <paramref name="error"/> says what is wrong in one line.</summary>
    public static bool TryParse(string text, out CronExpression? expression, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        expression = null;
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var format = fields.Length switch
        {
            5 => CronFormat.Unix,
            6 or 7 => CronFormat.Quartz,
            _ => (CronFormat?)null,
        };
        if (format is null)
        {
            error = $"invalid schedule '{text}': expected 5 cron fields (minute hour day month weekday), " +
                "or 6-7 Quartz fields starting with seconds";
            return false;
        }

        if (OutOfRange(fields, format.Value) is { } range)
        {
            error = $"invalid schedule '{text}': {range}";
            return false;
        }

        CronExpression parsed;
        try
        {
            // Unix format: Sunday is 0 or 7 and both day fields may be '*', as in crontab.
            parsed = CronExpression.Parse(string.Join(' ', fields), format.Value);
        }
        catch (FormatException e)
        {
            error = $"invalid schedule '{text}': {e.Message}";
            return false;
        }

        // Quartz refuses to start a trigger that can never fire (31 February); say so here, with the text.
        if (parsed.GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null)
        {
            error = $"invalid schedule '{text}': it never fires (no such date)";
            return false;
        }

        expression = parsed;
        error = null;
        return true;
    }

    // Quartz 4's Unix-format parser wraps some out-of-range numbers (a minute of 99 fires every minute) instead of
    // refusing them, so the numbers of each field are checked against crontab's ranges first. Names (MON, JAN), L, W,
    // # and ? are left to the parser.
    private static readonly (string Name, int Min, int Max)[] UnixFields =
        [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)];

    private static readonly (string Name, int Min, int Max)[] QuartzFields =
        [("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 1, 7), ("year", 1970, 2199)];

    private static string? OutOfRange(string[] fields, CronFormat format)
    {
        var ranges = format == CronFormat.Unix ? UnixFields : QuartzFields;
        for (var i = 0; i < fields.Length; i++)
        {
            var (name, min, max) = ranges[i];
            foreach (var part in fields[i].Split(','))
            {
                var slash = part.IndexOf('/', StringComparison.Ordinal);
                var values = slash < 0 ? part : part[..slash];
                if (slash >= 0 && (!int.TryParse(part[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var step) || step < 1 || step > max))
                {
                    return $"the {name} step in '{part}' must be a number from 1 to {max}";
                }

                foreach (var value in values.Split('-'))
                {
                    if (int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) && (number < min || number > max))
                    {
                        return $"{number} is not a valid {name} ({min}-{max})";
                    }
                }
            }
        }

        return null;
    }
}
