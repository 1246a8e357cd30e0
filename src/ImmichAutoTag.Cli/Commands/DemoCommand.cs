using System.CommandLine;
using ImmichAutoTag.Cli.Demo;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>Shows the tool working without an Immich server: a built-in sample library kept in memory.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var output = new Option<string?>("--output", "-o")
        {
            Description = $"Folder for the run's output folder (default: ./{Locations.DefaultOutputFolder}).",
            HelpName = "DIR",
        };
        var verbose = CommonOptions.Verbose();
        var command = new Command(
            "demo",
            "Run the engine on a built-in sample library (in memory, no server needed) and show where the reports are.")
        {
            output, verbose,
        };
        command.SetAction((parse, ct) => ExecuteAsync(context, parse.GetValue(output), parse.GetValue(verbose), ct));
        return command;
    }

    private static async Task<int> ExecuteAsync(CliContext context, string? output, bool verbose, CancellationToken ct)
    {
        var seeded = DemoLibrary.Create();
        await context.Out.WriteLineAsync(
            $"Demo library: {seeded.Assets} assets and {seeded.Albums} albums in a sample Immich kept in memory (report links use {DemoLibrary.ServerUrl})").ConfigureAwait(false);

        // The demo's own server and key win over anything the user's environment says.
        var yaml = DemoLibrary.ConfigYaml + $"\nserver:\n  url: {DemoLibrary.ServerUrl}\n  api_key: demo\n";
        var loaded = ConfigLoader.LoadYaml(yaml, "demo-config.yaml", _ => null);
        if (!loaded.IsValid)
        {
            foreach (var error in loaded.Errors)
            {
                await context.Err.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            }

            return (int)RunExitCode.Failure;
        }

        var config = loaded.Config!; // non-null: IsValid checked above

        // The demo keeps its state (run lock, status, queue marker) apart, so it never disturbs a real daemon.
        var state = Directory.CreateTempSubdirectory("immich-autotag-demo-");
        try
        {
            await using var services = Composition.Build(
                context, new LogSettings(verbose), Locations.OutputRoot(output, context), state.FullName, dryRun: false, new DemoConnectionFactory(seeded.Library));
            var report = await services.GetRequiredService<AutoTagRunService>().ExecuteAsync(Composition.Request(context, config, dryRun: false, "demo"), ct).ConfigureAwait(false);
            return await ExplainAsync(context, (int)report.Code).ConfigureAwait(false);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static async Task<int> ExplainAsync(CliContext context, int code)
    {
        if (code == (int)RunExitCode.Success)
        {
            await context.Out.WriteLineAsync(
                "The links in the report point at a made-up address; against your own server they " +
                "open the tags in Immich. Next: set IMMICH_URL and IMMICH_API_KEY and try 'immich-autotag run --dry-run' " +
                "(built-in default rules), or write your own rules with 'immich-autotag config init'.").ConfigureAwait(false);
        }

        return code;
    }
}

/// <summary>Every run of the demo talks to the one sample library kept in memory.</summary>
internal sealed class DemoConnectionFactory(IImmichConnection library) : IImmichConnectionFactory
{
    public IImmichConnection Connect(AutoTagConfig config, ILoggerFactory loggerFactory) => library;
}
