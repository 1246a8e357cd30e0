using Quartz;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>When the daemon runs: a cron schedule, or a loop with a pause after each run.</summary>
/// <param name="Source">
/// Where the schedule came from: <c>--loop</c>, <c>--schedule</c>, <c>CRON_SCHEDULE</c>, <c>the config's schedule</c>
/// or <c>the default</c>; the last two follow edits of the config between runs.
/// </param>
/// <param name="Note">Why another setting lost (the config's schedule set but overridden), logged at start; null when none did.</param>
internal sealed record DaemonTiming(CronExpression? Cron, string Description, TimeSpan? Loop, bool RunOnStart, string Source = "--loop", string? Note = null)
{
    /// <summary>The source when the config's <c>schedule:</c> decided.</summary>
    public const string FromConfig = "the config's schedule";

    /// <summary>The source when nothing set a schedule.</summary>
    public const string FromDefault = "the default";

    /// <summary>True when the schedule comes from the config (or its absence), so an edit of <c>schedule:</c> applies.</summary>
    public bool FollowsConfig => Source is FromConfig or FromDefault;
}

/// <param name="ConfigPath">--config as given; the config is read again before every run so edits apply without a restart.</param>
internal sealed record DaemonSettings(
    string? ConfigPath,
    DaemonTiming Timing,
    bool DryRun,
    string OutputRoot,
    string StateFolder,
    LogSettings Logs);
