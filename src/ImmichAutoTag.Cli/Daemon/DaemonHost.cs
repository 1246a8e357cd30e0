using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;
using Quartz;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>
/// The daemon: a generic host whose Quartz scheduler fires the run use case. One daemon per state
/// folder (an OS lock held for the process lifetime); runs never overlap ([DisallowConcurrentExecution]
/// in the process, the run lock across processes). A stop request (SIGTERM, Ctrl-C) lets a run in
/// progress finish its current write, write its reports, and then the process exits.
/// </summary>
internal static class DaemonHost
{
    public static readonly JobKey JobKey = new("autotag");
    public static readonly TriggerKey TriggerKey = new("autotag-schedule");

    public static async Task<int> RunAsync(CliContext context, DaemonSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ProcessLock? daemonLock;
        var (lines, writer) = Logging.PlainLines(context, settings.Logs);
        using var plainLines = writer;
        try
        {
            daemonLock = ProcessLock.TryAcquire(settings.StateFolder, ProcessLock.DaemonLockFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await lines.Err.WriteLineAsync($"error: cannot use the state folder {settings.StateFolder}: {e.Message} (choose another with --state or {Locations.StateVariable})").ConfigureAwait(false);
            return (int)RunExitCode.Failure;
        }

        if (daemonLock is null)
        {
            await lines.Err.WriteLineAsync(
                $"error: an immich-autotag daemon is already running for the state folder {settings.StateFolder} " +
                $"(it holds {Path.Combine(settings.StateFolder, ProcessLock.DaemonLockFile)}). Stop it first, or give this one its own --state.").ConfigureAwait(false);
            return (int)RunExitCode.Busy;
        }

        using (daemonLock)
        {
            using var serilog = Logging.CreateLogger(context, settings.Logs);
            using var loggerFactory = new SerilogLoggerFactory(serilog);
            var logger = loggerFactory.CreateLogger("immich-autotag.daemon");
            using var host = Build(context, settings, serilog, logger, ct);
            var status = host.Services.GetRequiredService<StatusFile>();
            var runner = host.Services.GetRequiredService<DaemonRunner>();

            await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
            var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(CancellationToken.None).ConfigureAwait(false);
            var next = await DaemonRunner.NextRunAsync(scheduler).ConfigureAwait(false);
            status.Update(s => s with { Daemon = new DaemonStatus(Environment.ProcessId, DateTimeOffset.UtcNow, settings.Timing.Description, "idle", next) });
            logger.LogInformation(
                "Daemon started (schedule {Timing} from {Source:l}{OnStart}); next run {Next:l}; state in {State}, output in {Output}",
                settings.Timing.Description,
                settings.Timing.Source,
                settings.Timing.RunOnStart ? ", and once now" : string.Empty,
                DaemonRunner.DescribeNext(next, DateTimeOffset.UtcNow),
                settings.StateFolder,
                settings.OutputRoot);

            if (settings.Timing.Note is { } note)
            {
                logger.LogWarning("{Note}", note);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (runner.Running)
                {
                    logger.LogInformation("Stop requested; waiting for the run in progress to finish its current write");
                }
                else
                {
                    logger.LogInformation("Stop requested; no run in progress, stopping");
                }
            }

            // Quartz waits for the running job (WaitForJobsToComplete), which sees the same stop token.
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            status.Update(s => s with { Daemon = s.Daemon is null ? null : s.Daemon with { State = "stopped", NextRunAt = null } });
            logger.LogInformation("Daemon stopped after {Runs} run(s)", runner.Runs);
            return (int)(runner.InterruptedRun ? RunExitCode.Cancelled : RunExitCode.Success);
        }
    }

    private static IHost Build(CliContext context, DaemonSettings settings, Serilog.ILogger serilog, Microsoft.Extensions.Logging.ILogger logger, CancellationToken stopping)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSerilog(serilog, dispose: false);

        // The same registrations as `run`: each scheduled run resolves the same service.
        builder.Services.AddRunServices(context, settings.Logs, settings.OutputRoot, settings.StateFolder, settings.DryRun);

        // The CLI's own token (Ctrl-C, SIGTERM via Program) drives shutdown, in-process tests included.
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, ExternalLifetime>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10));
        builder.Services.AddSingleton(sp => new DaemonRunner(
            context, settings, sp.GetRequiredService<AutoTagRunService>(), sp.GetRequiredService<StatusFile>(), logger, stopping));
        builder.Services.AddTransient<AutoTagJob>();
        builder.Services.AddQuartz(q =>
        {
            q.AddJob<AutoTagJob>(j => j.WithIdentity(JobKey).DisallowConcurrentExecution());
            var timing = settings.Timing;
            q.AddTrigger(t =>
            {
                t.ForJob(JobKey).WithIdentity(TriggerKey);
                if (timing.Loop is { } pause)
                {
                    // The pause counts from the end of a run; the first run starts at once.
                    t.StartNow().WithSchedule(SimpleScheduleBuilder.Create().WithInterval(pause).RepeatForever().MeasureIntervalFromCompletion(true));
                }
                else
                {
                    // A firing missed while the process was busy or asleep is dropped, not caught up.
                    t.WithSchedule(CronScheduleBuilder.Create(timing.Cron!).WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing));
                }
            });
            if (timing.RunOnStart && timing.Loop is null)
            {
                q.RunAtStartup(JobKey);
            }
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder.Build();
    }

    private sealed class ExternalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
