using System.CommandLine;
using System.Globalization;
using ImmichAutoTag.Cli.Daemon;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Cli.Commands;

internal static class DaemonCommand
{
    /// <summary>The variable upstream's cron container reads; the cron image sets it.</summary>
    public const string ScheduleVariable = DaemonEnvironment.ScheduleVariable;

    public static Command Create(CliContext context)
    {
        var options = RunOptionSet.Create();
        var schedule = new Option<string?>("--schedule")
        {
            Description = $"When to run: 5-field cron (\"0 2 * * *\": 02:00 daily) or Quartz cron with seconds. " +
                $"Default: ${ScheduleVariable}, else the config's schedule, else \"{CronSchedule.Default}\". Local time (TZ).",
            HelpName = "CRON",
        };
        var loop = new Option<int?>("--loop")
        {
            Description = "Instead of a schedule: run now, then again SECONDS after each run ends (for editing sessions).",
            HelpName = "SECONDS",
        };
        var runOnStart = new Option<bool>("--run-on-start")
        {
            Description = "Also run once right after start-up, then follow the schedule.",
        };
        var command = new Command("daemon", "Stay running and process the library on a schedule (one run at a time; SIGTERM stops cleanly).")
        {
            schedule, loop, runOnStart,
        };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // Lines written before the daemon's logger exists: JSON objects in JSON mode, like everything after.
            var (lines, writer) = Logging.PlainLines(context, options.Logs(parse));
            using var plainLines = writer;
            if (DaemonEnvironment.TimeZoneProblem(context.Environment) is { } zone)
            {
                await lines.Err.WriteLineAsync($"error: {zone}.").ConfigureAwait(false);
                return (int)RunExitCode.ConfigInvalid;
            }

            var (timing, code) = await ResolveTimingAsync(lines, parse.GetValue(schedule), parse.GetValue(loop), parse.GetValue(runOnStart), null, withConfig: false).ConfigureAwait(false);
            if (code is not null)
            {
                return (int)code;
            }

            // Loaded now to fail fast on a bad config; each run reads it again.
            var configPath = parse.GetValue(options.Config);
            var config = await ConfigResolution.LoadAsync(configPath, lines).ConfigureAwait(false);
            if (config is null)
            {
                return (int)RunExitCode.ConfigInvalid;
            }

            if (timing is null)
            {
                (timing, code) = await ResolveTimingAsync(lines, null, null, parse.GetValue(runOnStart), config.Schedule, withConfig: true).ConfigureAwait(false);
                if (code is not null)
                {
                    return (int)code;
                }
            }
            else if (config.Schedule is { } ignored && timing.Loop is null && Normalize(ignored) != timing.Description)
            {
                // The container images used to set CRON_SCHEDULE always, so an edited `schedule:` never applied, silently.
                timing = timing with { Note = $"The config's schedule '{Normalize(ignored)}' is not used: {timing.Source} '{timing.Description}' wins (order: --schedule, CRON_SCHEDULE, the config's schedule). Unset {timing.Source} to use the config's." };
            }

            var settings = new DaemonSettings(
                configPath is null || Path.IsPathRooted(configPath) ? configPath : Path.GetFullPath(Path.Combine(context.WorkingDirectory, configPath)),
                timing!,
                parse.GetValue(options.DryRun),
                Locations.OutputRoot(parse.GetValue(options.Output), context),
                Locations.StateFolder(parse.GetValue(options.State), context),
                options.Logs(parse));
            return await DaemonHost.RunAsync(context, settings, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// --loop, else --schedule, else $CRON_SCHEDULE, else the config's schedule, else the default. Called
    /// first without the config (flag and env errors need no config) and, if nothing decided, with it.
    /// </summary>
    /// <returns>The timing, or null to ask again with the config; or an exit code: 2 for a bad flag, 3 for a bad variable.</returns>
    private static async Task<(DaemonTiming? Timing, RunExitCode? Code)> ResolveTimingAsync(
        CliContext context, string? flag, int? loop, bool runOnStart, string? fromConfig, bool withConfig)
    {
        if (loop is not null)
        {
            if (flag is not null)
            {
                await context.Err.WriteLineAsync("error: --loop and --schedule exclude each other; give one.").ConfigureAwait(false);
                return (null, RunExitCode.Usage);
            }

            if (loop < 1)
            {
                await context.Err.WriteLineAsync("error: --loop needs a number of seconds of at least 1.").ConfigureAwait(false);
                return (null, RunExitCode.Usage);
            }

            var seconds = loop.Value.ToString(CultureInfo.InvariantCulture);
            return (new DaemonTiming(null, $"loop: {seconds} s after each run", TimeSpan.FromSeconds(loop.Value), runOnStart), null);
        }

        var env = context.Environment(ScheduleVariable);
        string text, source;
        RunExitCode badCode;
        if (flag is not null)
        {
            (text, source, badCode) = (flag, "--schedule", RunExitCode.Usage);
        }
        else if (!string.IsNullOrWhiteSpace(env))
        {
            (text, source, badCode) = (env, ScheduleVariable, RunExitCode.ConfigInvalid);
        }
        else if (!withConfig)
        {
            return (null, null);
        }
        else
        {
            (text, source, badCode) = (fromConfig ?? CronSchedule.Default, "schedule", RunExitCode.ConfigInvalid);
        }

        var from = source switch
        {
            "schedule" => fromConfig is null ? DaemonTiming.FromDefault : DaemonTiming.FromConfig,
            _ => source,
        };

        if (!CronSchedule.TryParse(text, out var cron, out var error))
        {
            await context.Err.WriteLineAsync($"error: {source}: {error}").ConfigureAwait(false);
            return (null, badCode);
        }

        return (new DaemonTiming(cron, Normalize(text), null, runOnStart, from), null);
    }

    /// <summary>A cron text with its fields separated by one space, as status.json and the log show it.</summary>
    internal static string Normalize(string cron) => string.Join(' ', cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
