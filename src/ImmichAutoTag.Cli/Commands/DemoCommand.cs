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
        var undo = new Option<bool>("--undo")
        {
            Description = "Then undo the run (a dry run first), undo the undo, and compare the library with how it was before each.",
        };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Plan only: write plan.txt and the reports, change nothing in the sample library.",
        };
        var clipFolder = new Option<string?>("--clip-model-folder")
        {
            Description = "Also label the sample photos with CLIP style labels (red, green, blue) from a model in Immich's cache layout: " +
                "the cache root (holding clip/<name>/), its clip/ folder or the model folder. A small one: " +
                "'dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --clip --write-model DIR'.",
            HelpName = "DIR",
        };
        var clipModel = new Option<string?>("--clip-model")
        {
            Description = $"The model's folder name under clip/ (default: the only model there, else {ClipConfig.DefaultModelName}).",
            HelpName = "NAME",
        };
        var command = new Command(
            "demo",
            "Run the engine on a built-in sample library (in memory, no server needed) and show where the reports are.")
        {
            output, verbose, undo, dryRun, clipFolder, clipModel,
        };
        command.SetAction((parse, ct) => ExecuteAsync(
            context,
            new DemoOptions(parse.GetValue(output), parse.GetValue(verbose), parse.GetValue(undo), parse.GetValue(dryRun), parse.GetValue(clipFolder), parse.GetValue(clipModel)),
            ct));
        return command;
    }

    private sealed record DemoOptions(string? Output, bool Verbose, bool Undo, bool DryRun, string? ClipModelFolder, string? ClipModel);

    private static async Task<int> ExecuteAsync(CliContext context, DemoOptions demo, CancellationToken ct)
    {
        var (output, verbose, undo) = (demo.Output, demo.Verbose, demo.Undo);
        if (undo && demo.DryRun)
        {
            await context.Err.WriteLineAsync("error: --undo undoes the demo's run, so it needs a real run: leave out --dry-run.").ConfigureAwait(false);
            return (int)RunExitCode.Usage;
        }

        var seeded = DemoLibrary.Create();
        await context.Out.WriteLineAsync(
            $"Demo library: {seeded.Assets} assets and {seeded.Albums} albums in a sample Immich kept in memory (report links use {DemoLibrary.ServerUrl})").ConfigureAwait(false);

        // The demo's own server and key win over anything the user's environment says.
        var yaml = DemoLibrary.ConfigYaml + $"\nserver:\n  url: {DemoLibrary.ServerUrl}\n  api_key: demo\n";
        if (demo.ClipModelFolder is { } clipFolder)
        {
            yaml += DemoLibrary.ClipYaml(Path.GetFullPath(clipFolder), demo.ClipModel ?? DemoLibrary.ClipModelName(Path.GetFullPath(clipFolder)));
        }

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
                context, new LogSettings(verbose), Locations.OutputRoot(output, context), state.FullName, demo.DryRun, new DemoConnectionFactory(seeded.Library));
            var before = seeded.Library.Describe();
            var report = await services.GetRequiredService<AutoTagRunService>().ExecuteAsync(Composition.Request(context, config, demo.DryRun, "demo"), ct).ConfigureAwait(false);

            if (!undo || report.Code != RunExitCode.Success || report.Status.OutputFolder is not { } runFolder)
            {
                return await ExplainAsync(context, (int)report.Code).ConfigureAwait(false);
            }

            return await UndoRoundTripAsync(context, verbose, output, state.FullName, seeded.Library, config, before, runFolder, ct).ConfigureAwait(false);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    /// <summary>Undo of the demo run (dry run, then for real), then undo of the undo, each compared with the library before it.</summary>
    private static async Task<int> UndoRoundTripAsync(
        CliContext context, bool verbose, string? output, string state, SampleImmich library, AutoTagConfig config, IReadOnlyList<string> before, string runFolder, CancellationToken ct)
    {
        var after = library.Describe();
        async Task<(int Code, string? Folder)> UndoAsync(string folder, bool dryRun)
        {
            await using var services = Composition.Build(context, new LogSettings(verbose), Locations.OutputRoot(output, context), state, dryRun, new DemoConnectionFactory(library));
            var changes = Infrastructure.Reports.ChangeLog.Read(Infrastructure.Reports.ChangeLog.FileOf(folder, Locations.OutputRoot(output, context)));
            var known = Directory.GetDirectories(Locations.OutputRoot(output, context)).ToHashSet(StringComparer.Ordinal);
            var code = await UndoCommand.ExecuteAsync(services, config, Path.GetFileName(folder), changes, dryRun, ct).ConfigureAwait(false);
            return (code, Directory.GetDirectories(Locations.OutputRoot(output, context)).FirstOrDefault(d => !known.Contains(d)));
        }

        async Task<bool> CompareAsync(string what, IReadOnlyList<string> expected)
        {
            var now = library.Describe();
            var differ = now.Except(expected, StringComparer.Ordinal).Count() + expected.Except(now, StringComparer.Ordinal).Count();
            await context.Out.WriteLineAsync(differ == 0
                ? $"Library {what}: equal ({now.Count} assets and albums compared by date, tags, albums and shares)."
                : $"Library {what}: {differ} line(s) differ.").ConfigureAwait(false);
            return differ == 0;
        }

        await context.Out.WriteLineAsync($"Library after the run: {after.Except(before, StringComparer.Ordinal).Count()} of {after.Count} asset and album lines changed. Undo, dry run first:").ConfigureAwait(false);
        var (dryCode, _) = await UndoAsync(runFolder, dryRun: true).ConfigureAwait(false);
        var unchanged = await CompareAsync("after the dry-run undo, compared with after the run", after).ConfigureAwait(false);
        var (undoCode, undoFolder) = await UndoAsync(runFolder, dryRun: false).ConfigureAwait(false);
        var restored = await CompareAsync("after the undo, compared with before the run", before).ConfigureAwait(false);
        if (undoFolder is null || dryCode != 0 || undoCode != 0)
        {
            return undoCode != 0 ? undoCode : (int)RunExitCode.Failure;
        }

        await context.Out.WriteLineAsync($"Undo of the undo ({Path.GetFileName(undoFolder)}):").ConfigureAwait(false);
        var (againCode, _) = await UndoAsync(undoFolder, dryRun: false).ConfigureAwait(false);
        var redone = await CompareAsync("after undoing the undo, compared with after the run", after).ConfigureAwait(false);
        return againCode != 0 ? againCode : unchanged && restored && redone ? (int)RunExitCode.Success : (int)RunExitCode.Failure;
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
