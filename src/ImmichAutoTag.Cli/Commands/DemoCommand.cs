using System.CommandLine;
using ImmichAutoTag.Cli.Demo;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Config;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>Shows the tool working without an Immich server: a built-in sample library on loopback.</summary>
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
            "Start a sample Immich library on 127.0.0.1, run the engine against it and show where the reports are.")
        {
            output, verbose,
        };
        command.SetAction((parse, ct) => ExecuteAsync(context, parse.GetValue(output), parse.GetValue(verbose), ct));
        return command;
    }

    private static async Task<int> ExecuteAsync(CliContext context, string? output, bool verbose, CancellationToken ct)
    {
        await using var server = await FakeImmichServer.StartAsync(ct: ct).ConfigureAwait(false);
        var seeded = DemoLibrary.Seed(server.State);
        server.State.PngThumbnails = DemoThumbnails.Png;
        await context.Out.WriteLineAsync(
            $"Demo library: {seeded.Assets} assets and {seeded.Albums} albums on a sample server at {server.BaseUrl}").ConfigureAwait(false);

        var yaml = DemoLibrary.ConfigYaml + $"\nserver:\n  url: {server.BaseUrl}\n  api_key: {seeded.ApiKey}\n";

        // The demo's own server and key win over anything the user's environment says.
        var loaded = ConfigLoader.LoadYaml(yaml, "demo-config.yaml", _ => null);
        if (!loaded.IsValid)
        {
            foreach (var error in loaded.Errors)
            {
                await context.Err.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            }

            return (int)ExitCode.Failure;
        }

        var config = loaded.Config!; // non-null: IsValid checked above

        // The demo keeps its state (run lock, status, queue marker) apart, so it never disturbs a real daemon.
        var state = Directory.CreateTempSubdirectory("immich-autotag-demo-");
        try
        {
            var request = new RunRequest(config, DryRun: false, Locations.OutputRoot(output, context), state.FullName, new LogSettings(verbose), Trigger: "demo");
            var report = await RunUseCase.ExecuteAsync(context, request, ct).ConfigureAwait(false);
            return await ExplainAsync(context, (int)report.Code).ConfigureAwait(false);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static async Task<int> ExplainAsync(CliContext context, int code)
    {
        if (code == (int)ExitCode.Success)
        {
            await context.Out.WriteLineAsync(
                "The links in the report point at the sample server, which stops now; against your own server they " +
                "open the tags in Immich. Next: copy rules/config.example.yaml, set IMMICH_URL and IMMICH_API_KEY, " +
                "and try 'immich-autotag run --dry-run'.").ConfigureAwait(false);
        }

        return code;
    }
}
