using System.CommandLine;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var config = CommonOptions.Config();
        var command = new Command("validate", "Check a config file and exit: all errors at once, with file:line:column and key.")
        {
            config,
        };
        command.SetAction(async (parse, _) =>
        {
            var loaded = await ConfigResolution.LoadAsync(parse.GetValue(config), context).ConfigureAwait(false);
            if (loaded is null)
            {
                return (int)RunExitCode.ConfigInvalid;
            }

            await context.Out.WriteLineAsync(
                $"Read {loaded.SourcePath}: valid ({loaded.Classification.Rules.Count} classification rule(s), server {Core.Configuration.UrlRedaction.Redact(loaded.Server.Url)}).")
                .ConfigureAwait(false);
            return (int)RunExitCode.Success;
        });
        return command;
    }
}
