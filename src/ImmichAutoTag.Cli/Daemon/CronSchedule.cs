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

        try
        {
            // Unix format: Sunday is 0 or 7 and both day fields may be '*', as in crontab.
            expression = CronExpression.Parse(string.Join(' ', fields), format.Value);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            error = $"invalid schedule '{text}': {e.Message}";
            return false;
        }
    }
}
