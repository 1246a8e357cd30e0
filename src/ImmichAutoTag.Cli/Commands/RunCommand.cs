using System.CommandLine;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var options = RunOptionSet.Create();
        var command = new Command("run", "Classify every asset and keep the autotag_output_* tags right, in one pass.");
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var loaded = await ConfigResolution.LoadAsync(parse.GetValue(options.Config), context).ConfigureAwait(false);
            if (loaded is null)
            {
                return (int)ExitCode.ConfigInvalid;
            }

            var request = new RunRequest(
                loaded,
                parse.GetValue(options.DryRun),
                Locations.OutputRoot(parse.GetValue(options.Output), context),
                Locations.StateFolder(parse.GetValue(options.State), context),
                options.Logs(parse));
            var report = await RunUseCase.ExecuteAsync(context, request, ct).ConfigureAwait(false);
            return (int)report.Code;
        });
        return command;
    }
}

/// <param name="OutputRoot">Absolute folder that receives one folder per run.</param>
/// <param name="StateFolder">Absolute folder of the run lock and status.json.</param>
/// <param name="Trigger">Who started the run ("run", "daemon" or "demo"), for status.json.</param>
/// <param name="Connect">The library to run on; null: the Immich server of the config, over HTTP.</param>
internal sealed record RunRequest(
    AutoTagConfig Config,
    bool DryRun,
    string OutputRoot,
    string StateFolder,
    LogSettings Logs,
    string Trigger = "run",
    Func<Microsoft.Extensions.Logging.ILoggerFactory, IImmichConnection>? Connect = null);
