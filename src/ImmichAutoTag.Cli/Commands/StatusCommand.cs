using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports.Html;
using ImmichAutoTag.Infrastructure.Runtime;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>
/// Reads status.json for people and health checks (the cron image's HEALTHCHECK). Healthy means: a
/// status exists and the last run did not fail outright. A partial failure stays healthy, since the
/// next run retries it and restarting the container would not help; except one that needs the user (an outside
/// service refused its key), which stays unhealthy until a run ends without it.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var state = CommonOptions.State();
        var command = new Command("status", "Show the last runs from the state folder; exit 0 when healthy, 1 when not (for health checks).")
        {
            state,
        };
        command.SetAction(async (parse, _) =>
        {
            var folder = Locations.StateFolder(parse.GetValue(state), context);
            var path = Path.Combine(folder, StatusFile.FileName);
            var status = StatusFile.Read(path);
            if (status is null)
            {
                await context.Err.WriteLineAsync($"unhealthy: no status at {path} (no run has started with this state folder yet)").ConfigureAwait(false);
                return (int)RunExitCode.Failure;
            }

            var inv = CultureInfo.InvariantCulture;
            if (status.Daemon is { } d)
            {
                await context.Out.WriteLineAsync(string.Create(inv, $"daemon: pid {d.Pid}, {d.State}, {d.Schedule}, next run {d.NextRunAt?.ToString("O", inv) ?? "-"}")).ConfigureAwait(false);
            }

            if (status.Current is { } c)
            {
                await context.Out.WriteLineAsync(string.Create(inv, $"running: {c.RunId} since {c.StartedAt:O}")).ConfigureAwait(false);
            }

            foreach (var (label, run) in new[] { ("last run", status.LastRun), ("last success", status.LastSuccess), ("last undo", status.LastUndo) })
            {
                if (run is not null)
                {
                    await context.Out.WriteLineAsync(string.Create(inv, $"{label}: {run.RunId ?? "-"} {run.Outcome.ToString().ToLowerInvariant()} (exit {run.ExitCode}), {run.StartedAt:O} to {run.FinishedAt:O}{(run.Message is null ? string.Empty : ": " + run.Message)}")).ConfigureAwait(false);
                }
            }

            await WriteHistoryAsync(context, folder).ConfigureAwait(false);
            // A refused service key does not heal with the next run: report it until a run ends without it.
            var healthy = status.LastRun is not { Outcome: RunOutcome.Failed } && status.LastRun?.NeedsAttention is null;
            await context.Out.WriteLineAsync(healthy ? "healthy" : status.LastRun?.NeedsAttention is { } attention ? $"unhealthy: {attention}" : "unhealthy: the last run failed").ConfigureAwait(false);
            return (int)(healthy ? RunExitCode.Success : RunExitCode.Failure);
        });
        return command;
    }

    /// <summary>The trend of the last runs from state.db; a missing or unreadable file only leaves it out.</summary>
    private static async Task WriteHistoryAsync(CliContext context, string stateFolder)
    {
        var database = Path.Combine(stateFolder, SqliteRunStateStore.FileName);
        if (!File.Exists(database))
        {
            return;
        }

        try
        {
            var history = await SqliteRunHistoryStore.InFolder(stateFolder).RecentAsync(HistoryTrend.Runs, server: null, CancellationToken.None).ConfigureAwait(false);
            await context.Out.WriteAsync(HistoryTrend.Render(history)).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            await context.Err.WriteLineAsync($"warning: cannot read the run history in {database}: {e.Message}").ConfigureAwait(false);
        }
    }
}
