using ImmichAutoTag.Config;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>
/// The environment variables the daemon reads besides the config: <c>CRON_SCHEDULE</c> (its schedule, which wins over
/// the config's) and <c>TZ</c> (the zone the schedule runs in). `validate` checks both, so a container's settings can be
/// checked before it is started; the daemon refuses to start on either.
/// </summary>
internal static class DaemonEnvironment
{
    /// <summary>The variable upstream's cron container reads; the cron image sets it.</summary>
    public const string ScheduleVariable = "CRON_SCHEDULE";

    /// <summary>The POSIX time zone variable; .NET reads it for the local zone.</summary>
    public const string TimeZoneVariable = "TZ";

    /// <summary>Why <c>CRON_SCHEDULE</c> is refused, or null when it is unset, empty or valid.</summary>
    public static string? ScheduleProblem(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment(ScheduleVariable) is { } text && !string.IsNullOrWhiteSpace(text) && !CronSchedule.TryParse(text, out _, out var error)
            ? $"{ScheduleVariable} (environment): {error}"
            : null;
    }

    /// <summary>
    /// Why <c>TZ</c> is refused, or null when it is unset, empty or a zone this system knows. .NET does not fail on an
    /// unknown zone: it silently uses UTC, so a typo would move every scheduled run by hours without a word.
    /// </summary>
    public static string? TimeZoneProblem(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment(TimeZoneVariable) is { } tz && !string.IsNullOrWhiteSpace(tz) && TimeZones.Problem(tz, fromEnvironment: true) is { } problem
            ? $"{TimeZoneVariable} (environment): {problem}; the schedule would run in UTC. Set {TimeZoneVariable} to a zone id of the system's time zone database, or leave it unset for UTC"
            : null;
    }
}
