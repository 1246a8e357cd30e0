using System.CommandLine;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>
/// `immich-autotag undo RUN_ID [--yes]`: reverts a run from its changes.jsonl. Without <c>--yes</c> it is a dry run: it
/// prints what it would revert and what it would leave alone, and sends no write. A preview by default, not a prompt:
/// the same command behaves the same in a terminal, a script and a container, and never waits for an answer.
/// </summary>
internal static class UndoCommand
{
    public static Command Create(CliContext context)
    {
        var runId = new Argument<string>("RUN_ID")
        {
            Description = "The run to undo: its id (the name of its folder under the output folder, e.g. 20261130_054500_PID42) or the path of its run folder.",
        };
        var yes = new Option<bool>("--yes", "-y")
        {
            Description = "Revert for real. Without it the undo is a dry run: it prints what it would revert and changes nothing.",
        };
        var options = RunOptionSet.Create();
        var command = new Command("undo", "Revert a run's changes from its changes.jsonl (a dry run unless --yes is given).") { runId, yes };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var dryRun = parse.GetValue(options.DryRun) || !parse.GetValue(yes);
            var outputRoot = Locations.OutputRoot(parse.GetValue(options.Output), context);
            var id = parse.GetValue(runId)!; // non-null: a required argument
            if (string.IsNullOrWhiteSpace(id))
            {
                await context.Err.WriteLineAsync($"error: undo needs a RUN_ID: the name of a run folder in {outputRoot}, or the path of one").ConfigureAwait(false);
                return (int)RunExitCode.Usage;
            }

            IReadOnlyList<Core.Engine.AppliedChange> changes;
            try
            {
                changes = ChangeLog.Read(ChangeLog.FileOf(id, outputRoot));
            }
            catch (ChangeLogException e)
            {
                await context.Err.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return (int)RunExitCode.Usage;
            }

            if (changes.Count == 0)
            {
                // A dry run (an undo's too) or a run that changed nothing records an empty changes.jsonl: nothing to revert, no server to ask.
                await context.Out.WriteLineAsync($"Nothing to undo: run '{id}' recorded no change (a dry run, or a run that changed nothing).").ConfigureAwait(false);
                return (int)RunExitCode.Success;
            }

            var loaded = await ConfigResolution.LoadAsync(parse.GetValue(options.Config), context).ConfigureAwait(false);
            if (loaded is null)
            {
                return (int)RunExitCode.ConfigInvalid;
            }

            await using var services = Composition.Build(
                context,
                options.Logs(parse),
                outputRoot,
                Locations.StateFolder(parse.GetValue(options.State), context),
                dryRun);
            // The hints repeat where this undo looked and wrote, so the command they print reaches the same run and server.
            var command = new List<string> { "immich-autotag", "undo", ConfigResolution.Quote(id) };
            foreach (var (name, value) in new[] { ("--config", parse.GetValue(options.Config)), ("--output", parse.GetValue(options.Output)), ("--state", parse.GetValue(options.State)) })
            {
                if (value is { Length: > 0 })
                {
                    command.Add($"{name} {ConfigResolution.Quote(value)}");
                }
            }

            command.Add("--yes");
            var request = new UndoRequest(loaded, Path.GetFileName(id.TrimEnd('/', '\\')), changes, dryRun) { Command = string.Join(' ', command) };
            return await ExecuteAsync(services, request, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the undo service of <paramref name="services"/> (the demo passes its own, on its in-memory library).</summary>
    public static async Task<int> ExecuteAsync(IServiceProvider services, AutoTagConfig config, string runId, IReadOnlyList<Core.Engine.AppliedChange> changes, bool dryRun, CancellationToken ct) =>
        await ExecuteAsync(services, new UndoRequest(config, runId, changes, dryRun), ct).ConfigureAwait(false);

    private static async Task<int> ExecuteAsync(IServiceProvider services, UndoRequest request, CancellationToken ct)
    {
        var code = await services.GetRequiredService<UndoService>().ExecuteAsync(request, ct).ConfigureAwait(false);
        return (int)code;
    }
}
