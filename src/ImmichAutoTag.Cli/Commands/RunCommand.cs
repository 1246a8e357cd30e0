using System.CommandLine;
using System.Globalization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;
using ImmichAutoTag.Immich;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var config = CommonOptions.Config();
        var verbose = CommonOptions.Verbose();
        var dryRun = new Option<bool>("--dry-run", "-n")
        {
            Description = "Plan the changes and write the plan, but send no write request to the server.",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Folder for the per-run output folders (default: ./logs).",
            HelpName = "DIR",
        };
        var command = new Command("run", "Check the server and the API key, then walk every asset of the key's owner.")
        {
            config, dryRun, output, verbose,
        };
        command.SetAction((parse, ct) => ExecuteAsync(
            context,
            parse.GetValue(config),
            parse.GetValue(dryRun),
            parse.GetValue(output),
            parse.GetValue(verbose),
            ct));
        return command;
    }

    private static async Task<int> ExecuteAsync(
        CliContext context, string? configPath, bool dryRun, string? outputDir, bool verbose, CancellationToken ct)
    {
        var config = await ConfigResolution.LoadAsync(configPath, context).ConfigureAwait(false);
        if (config is null)
        {
            return (int)ExitCode.ConfigInvalid;
        }

        using var loggerFactory = Logging.Create(context, verbose);
        var logger = loggerFactory.CreateLogger("immich-autotag");
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(config.Server.Url, config.Server.ApiKey), loggerFactory);
        try
        {
            var preflight = await ServerPreflight.CheckAsync(gateway, ImmichPermissions.ForRun, ct).ConfigureAwait(false);
            foreach (var warning in preflight.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            logger.LogInformation(
                "Connected to Immich {Version} at {Url} as {User}{DryRun}",
                preflight.Version,
                gateway.ServerUrl,
                preflight.User.Email,
                dryRun ? " (dry run)" : string.Empty);

            var progress = new Progress<int>(seen => logger.LogDebug("Walked {Assets} assets", seen));
            var census = await LibraryCensus.RunAsync(gateway, preflight.User.Id, progress, ct).ConfigureAwait(false);
            await WriteCensusAsync(context.Out, census, gateway).ConfigureAwait(false);
            return (int)ExitCode.Success;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var (code, message) = ErrorTranslator.Translate(e);
            await context.Err.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            if (verbose || code == ExitCode.Failure)
            {
                logger.LogDebug(e, "Details");
            }

            return (int)code;
        }
    }

    private static async Task WriteCensusAsync(TextWriter output, CensusResult census, IRequestMetrics metrics)
    {
        var inv = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(inv, $"Assets seen: {census.Total} ({census.Owned} owned, {census.Partner} from partners) in {census.Pages} page(s)")).ConfigureAwait(false);
        foreach (var (type, count) in census.OwnedByType.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key))
        {
            await output.WriteLineAsync(string.Create(inv, $"  {TypeName(type)}: {count}")).ConfigureAwait(false);
        }

        var requests = metrics.Snapshot();
        await output.WriteLineAsync(string.Create(inv, $"Requests: {requests.Values.Sum()} ({string.Join(", ", requests.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))})")).ConfigureAwait(false);
    }

    private static string TypeName(AssetType type) => type switch
    {
        AssetType.Image => "images",
        AssetType.Video => "videos",
        AssetType.Audio => "audio",
        _ => "other",
    };
}
