using Quartz;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>When the daemon runs: a cron schedule, or a loop with a pause after each run.</summary>
internal sealed record DaemonTiming(CronExpression? Cron, string Description, TimeSpan? Loop, bool RunOnStart);

/// <param name="ConfigPath">--config as given; the config is read again before every run so edits apply without a restart.</param>
internal sealed record DaemonSettings(
    string? ConfigPath,
    DaemonTiming Timing,
    bool DryRun,
    string OutputRoot,
    string StateFolder,
    LogSettings Logs);
