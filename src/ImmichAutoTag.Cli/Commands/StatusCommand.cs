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
/// run finished (or a daemon waits for its first one), the last run did not fail outright, and the last runs did not
/// all end with a partial failure. One partial failure stays healthy, since the next run retries it. An outside
/// service that refused its key keeps the status unhealthy until a run ends without it.
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
                await context.Err.WriteLineAsync(File.Exists(path)
                    ? $"unhealthy: {path} is not readable (damaged or not a status file); move it aside: the next run writes a new one"
                    : $"unhealthy: no status at {path} (no run has started with this state folder yet)").ConfigureAwait(false);
                return (int)RunExitCode.Failure;
            }

            var inv = CultureInfo.InvariantCulture;
            if (status.Daemon is { } d)
            {
                await context.Out.WriteLineAsync(string.Create(inv, $"daemon: pid {d.Pid}, {d.State}, {d.Schedule}, next run {d.NextRunAt?.ToString("O", inv) ?? "-"}")).ConfigureAwait(false);
            }

            string? dead = null;
            if (status.Current is { } c)
            {
                if (StatusFile.IsAlive(c) is false)
                {
                    dead = string.Create(inv, $"run {c.RunId ?? "-"} died: process {c.Pid} is not running (killed or crashed); the next run records it as failed");
                }

                await context.Out.WriteLineAsync(string.Create(inv, $"running: {c.RunId} since {c.StartedAt:O}{(dead is null ? string.Empty : $" (process {c.Pid} is gone)")}")).ConfigureAwait(false);
            }

            foreach (var (label, run) in new[] { ("last run", status.LastRun), ("last success", status.LastSuccess), ("last dry run", status.LastDryRun), ("last undo", status.LastUndo) })
            {
                if (run is not null)
                {
                    var dry = run.DryRun && label != "last dry run" ? " (dry run)" : string.Empty;
                    await context.Out.WriteLineAsync(string.Create(inv, $"{label}: {run.RunId ?? "-"}{dry} {StatusFile.OutcomeName(run.Outcome)} (exit {run.ExitCode?.ToString(inv) ?? "-"}), {run.StartedAt:O} to {run.FinishedAt?.ToString("O", inv) ?? "-"}{(run.Message is null ? string.Empty : ": " + run.Message)}")).ConfigureAwait(false);
                }
            }

            var damaged = await WriteHistoryAsync(context, folder, [.. status.RecentRuns.Where(r => r.EndedWithoutResult == true)]).ConfigureAwait(false);
            var problem = damaged ?? dead ?? Health(status);
            await context.Out.WriteLineAsync(problem is null ? "healthy" : "unhealthy: " + problem).ConfigureAwait(false);
            return (int)(problem is null ? RunExitCode.Success : RunExitCode.Failure);
        });
        return command;
    }

    /// <summary>Partial failures (exit 8) in a row after which the state is unhealthy: the next run is not fixing them.</summary>
    public const int PartialFailuresInARow = 3;

    /// <summary>
    /// Why the state is unhealthy; null when healthy. Unhealthy: the last run failed; the last
    /// <see cref="PartialFailuresInARow"/> runs all ended with a partial failure; or no run finished yet and no daemon
    /// is waiting for its first one. Real runs are judged; dry runs only while no real run has finished (a daemon or
    /// a container that only dry-runs), since a dry run writes nothing and cannot show whether writes succeed.
    /// </summary>
    internal static string? Health(StatusDocument status)
    {
        // Undos are no scheduled runs: health judges the runs only.
        var realRuns = status.RecentRuns.Where(r => r.Trigger != "undo" && !r.DryRun).ToList();
        var judgeDryRuns = status.LastRun is null or { DryRun: true } && realRuns.Count == 0;
        var last = judgeDryRuns ? status.LastDryRun ?? status.LastRun : status.LastRun is { DryRun: false } real ? real : realRuns[^1];
        if (last is null)
        {
            return status.Current is not null || status.Daemon is { State: not "stopped" }
                ? null
                : "no run has finished with this state folder yet";
        }

        var which = judgeDryRuns ? "dry run" : "run";
        if (last.Outcome == RunOutcome.Failed)
        {
            return $"the last {which} failed";
        }

        // A refused service key does not heal with the next run: report it until a run ends without it.
        if (last.NeedsAttention is { } attention)
        {
            return attention;
        }

        var runs = status.RecentRuns.Where(r => r.Trigger != "undo" && r.DryRun == judgeDryRuns).TakeLast(PartialFailuresInARow).ToList();
        return runs.Count == PartialFailuresInARow && runs.TrueForAll(r => r.Outcome == RunOutcome.PartialFailure)
            ? string.Create(CultureInfo.InvariantCulture, $"the last {PartialFailuresInARow} runs ended with a partial failure (exit 8): see their {RunFiles.ModificationReport}")
            : null;
    }

    /// <summary>
    /// The trend of the last runs from state.db; a missing file only leaves it out. Returns the problem when state.db
    /// is damaged (every run would stop on it), else null. <paramref name="died"/> (runs whose process died, which left
    /// no row in state.db) are shown among them as failed.
    /// </summary>
    private static async Task<string?> WriteHistoryAsync(CliContext context, string stateFolder, IReadOnlyList<RunStatus> died)
    {
        var database = Path.Combine(stateFolder, SqliteRunStateStore.FileName);
        if (!File.Exists(database))
        {
            if (died.Count > 0)
            {
                await context.Out.WriteAsync(HistoryTrend.Render([], died)).ConfigureAwait(false);
            }

            return null;
        }

        try
        {
            await SqliteRunStateStore.InFolder(stateFolder).CheckReadableAsync(CancellationToken.None).ConfigureAwait(false);
            var history = await SqliteRunHistoryStore.InFolder(stateFolder).RecentAsync(HistoryTrend.Runs, scope: null, CancellationToken.None).ConfigureAwait(false);
            await context.Out.WriteAsync(HistoryTrend.Render(history, died)).ConfigureAwait(false);
        }
        catch (StateDamagedException e)
        {
            return e.Message;
        }
        catch (DbException e)
        {
            await context.Err.WriteLineAsync($"warning: cannot read the run history in {database}: {e.Message}").ConfigureAwait(false);
        }

        return null;
    }
}
