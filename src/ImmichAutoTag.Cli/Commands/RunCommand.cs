using System.CommandLine;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
            var logs = options.Logs(parse);
            AutoTagConfig? loaded;
            var (lines, writer) = Logging.PlainLines(context, logs);
            using (writer)
            {
                loaded = await ConfigResolution.LoadAsync(parse.GetValue(options.Config), lines).ConfigureAwait(false);
            }

            if (loaded is null)
            {
                return (int)RunExitCode.ConfigInvalid;
            }

            var dryRun = parse.GetValue(options.DryRun);
            await using var services = Composition.Build(
                context,
                logs,
                Locations.OutputRoot(parse.GetValue(options.Output), context),
                Locations.StateFolder(parse.GetValue(options.State), context),
                dryRun);
            var report = await services.GetRequiredService<AutoTagRunService>().ExecuteAsync(Composition.Request(context, loaded, dryRun, "run"), ct).ConfigureAwait(false);
            return (int)report.Code;
        });
        return command;
    }
}
