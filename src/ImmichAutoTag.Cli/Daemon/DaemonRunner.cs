using ImmichAutoTag.Cli.Commands;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Runtime;
using Microsoft.Extensions.Logging;
using Quartz;

namespace ImmichAutoTag.Cli.Daemon;

/// <summary>What one firing of the schedule does: the run service `run` calls, with the daemon's bookkeeping around it.</summary>
internal sealed class DaemonRunner(CliContext context, DaemonSettings settings, AutoTagRunService service, StatusFile status, ILogger logger, CancellationToken stopping)
{
    private int _runs;
    private int _active;
    private int _interrupted;
    private string _schedule = settings.Timing.Description;

    public int Runs => Volatile.Read(ref _runs);

    /// <summary>Whether a firing is running now (a stop request then waits for its current write).</summary>
    public bool Running => Volatile.Read(ref _active) > 0;

    /// <summary>True when a stop request cut a run short (the daemon then exits 130 instead of 0).</summary>
    public bool InterruptedRun => Volatile.Read(ref _interrupted) != 0;

    public async Task RunOnceAsync(IScheduler? scheduler, CancellationToken jobToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(jobToken, stopping);
        var ct = linked.Token;
        if (ct.IsCancellationRequested)
        {
            return;
        }

        Interlocked.Increment(ref _active);
        try
        {
            // Read per run, so a config edit applies at the next run without restarting the container.
            var config = await ConfigResolution.LoadAsync(settings.ConfigPath, context).ConfigureAwait(false);
            RunReport report;
            if (config is null)
            {
                report = new RunReport(RunExitCode.ConfigInvalid, new RunStatus
                {
                    Pid = Environment.ProcessId,
                    Trigger = "daemon",
                    StartedAt = DateTimeOffset.UtcNow,
                    FinishedAt = DateTimeOffset.UtcNow,
                    Outcome = RunOutcome.Failed,
                    ExitCode = (int)RunExitCode.ConfigInvalid,
                    Message = "the config is invalid; nothing was sent to the server",
                });
                status.RunFinished(report.Status);
            }
            else
            {
                report = await service.ExecuteAsync(Composition.Request(context, config, settings.DryRun, "daemon"), ct).ConfigureAwait(false);
                if (report.Code == RunExitCode.Busy)
                {
                    // The use case did not touch status.json (it never got the lock): record the skip here.
                    status.RunFinished(report.Status);
                }
            }

            Interlocked.Increment(ref _runs);
            if (report.Code == RunExitCode.Cancelled)
            {
                Interlocked.Exchange(ref _interrupted, 1);
            }

            if (config is not null && scheduler is not null && settings.Timing.FollowsConfig)
            {
                await FollowScheduleAsync(scheduler, config.Schedule).ConfigureAwait(false);
            }

            // A loop's trigger measures its pause from the job's completion, which Quartz records only after this
            // method returns: until then its next fire time is the one just used, so the loop's is computed here.
            var next = scheduler is null ? null
                : settings.Timing.Loop is { } pause ? DateTimeOffset.UtcNow + pause
                : await NextRunAsync(scheduler).ConfigureAwait(false);
            var schedule = _schedule;
            status.Update(s => s with { Daemon = s.Daemon is null ? null : s.Daemon with { State = "idle", NextRunAt = next, Schedule = schedule } });
            var outcome = StatusFile.OutcomeName(report.Status.Outcome);
            if (report.Status.RunId is { } runId)
            {
                logger.LogInformation("Run {RunId} ended: {Outcome:l} (exit {Code}); next run {Next:l}", runId, outcome, (int)report.Code, DescribeNext(next, DateTimeOffset.UtcNow));
            }
            else
            {
                // No run folder: the run never started (an invalid config, or another run held the lock).
                logger.LogInformation("No run started: {Reason:l} ({Outcome:l}, exit {Code}); next run {Next:l}", report.Status.Message ?? outcome, outcome, (int)report.Code, DescribeNext(next, DateTimeOffset.UtcNow));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failed run must not stop the schedule; the next firing tries again.
            logger.LogError(e, "The scheduled run failed unexpectedly");
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>
    /// Applies an edited <c>schedule:</c> (read with the config before each run) from the next firing on, when the
    /// schedule came from the config and not from --schedule or CRON_SCHEDULE. An unusable value keeps the old one
    /// (the config check refuses it before it gets here).
    /// </summary>
    private async Task FollowScheduleAsync(IScheduler scheduler, string? configured)
    {
        var wanted = DaemonCommand.Normalize(configured ?? CronSchedule.Default);
        if (wanted == _schedule || !CronSchedule.TryParse(wanted, out var cron, out _))
        {
            return;
        }

        var trigger = TriggerBuilder.Create()
            .ForJob(DaemonHost.JobKey)
            .WithIdentity(DaemonHost.TriggerKey)
            .WithSchedule(CronScheduleBuilder.Create(cron!).WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing))
            .Build();
        await scheduler.RescheduleJob(DaemonHost.TriggerKey, trigger, CancellationToken.None).ConfigureAwait(false);
        logger.LogInformation("Schedule changed in the config: now {New} (was {Old})", wanted, _schedule);
        _schedule = wanted;
    }

    /// <summary>
    /// "at 2026-11-30 02:00:00 +01:00", or "now" when the next firing is not in the future (a run on start comes due
    /// while the line is written); "-" when there is none.
    /// </summary>
    public static string DescribeNext(DateTimeOffset? next, DateTimeOffset now) => next switch
    {
        null => "-",
        { } at when at <= now => "now",
        { } at => "at " + at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static async Task<DateTimeOffset?> NextRunAsync(IScheduler scheduler)
    {
        try
        {
            var trigger = await scheduler.GetTrigger(DaemonHost.TriggerKey, CancellationToken.None).ConfigureAwait(false);
            return trigger?.NextFireTimeUtc;
        }
        catch (SchedulerException)
        {
            // A stop shuts the scheduler down while the last run winds up: there is no next run then.
            return null;
        }
    }
}

/// <summary>The Quartz job. [DisallowConcurrentExecution]: a firing that comes due during a run waits for it.</summary>
[DisallowConcurrentExecution]
internal sealed class AutoTagJob(DaemonRunner runner) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await runner.RunOnceAsync(context.Scheduler, cancellationToken).ConfigureAwait(false);
    }
}
