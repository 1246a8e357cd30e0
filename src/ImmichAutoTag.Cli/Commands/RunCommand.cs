using System.CommandLine;
using System.Globalization;
using ImmichAutoTag.Cli.Output;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;
using ImmichAutoTag.Immich;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Cli.Commands;

internal static class RunCommand
{
    public const string DefaultOutputFolder = "logs";

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
            Description = $"Folder for the per-run output folders (default: ./{DefaultOutputFolder}).",
            HelpName = "DIR",
        };
        var command = new Command("run", "Classify every asset and keep the autotag_output_* tags right, in one pass.")
        {
            config, dryRun, output, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = await ConfigResolution.LoadAsync(parse.GetValue(config), context).ConfigureAwait(false);
            if (loaded is null)
            {
                return (int)ExitCode.ConfigInvalid;
            }

            var request = new RunRequest(loaded, parse.GetValue(dryRun), parse.GetValue(output), parse.GetValue(verbose));
            return await ExecuteAsync(context, request, ct).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> ExecuteAsync(CliContext context, RunRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var config = request.Config;
        var time = TimeProvider.System;
        var outputRoot = Path.GetFullPath(Path.Combine(context.WorkingDirectory, request.OutputRoot ?? DefaultOutputFolder));
        var folder = RunFolder.Create(outputRoot, time.GetLocalNow(), Environment.ProcessId);
        await File.WriteAllTextAsync(folder.File(RunFolder.ConfigDumpFile), ConfigWriter.ToRedactedYaml(config), ct).ConfigureAwait(false);

        using var loggerFactory = Logging.Create(context, request.Verbose, folder.File(RunFolder.LogFile));
        var logger = loggerFactory.CreateLogger("immich-autotag");
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(config.Server.Url, config.Server.ApiKey), loggerFactory);
        var progress = new ProgressReporter(context.Err, context.Interactive, time);
        try
        {
            logger.LogInformation("Run {RunId} (dry run: {DryRun}); output in {Folder}", folder.RunId, request.DryRun, folder.Path);

            // A dry run writes nothing, so it should work with a read-only key too.
            var needed = request.DryRun
                ? ImmichPermissions.ForRun.Where(p => p.Permission is not (ImmichPermissions.TagCreate or ImmichPermissions.TagAsset)).ToList()
                : ImmichPermissions.ForRun;
            if (!request.DryRun && config.DuplicateProcessing.DateCorrection.Enabled)
            {
                // The user asked for date repair explicitly, so a key that cannot do it is an error, not a skip.
                needed = [.. needed, new PermissionNeed(ImmichPermissions.AssetUpdate, "repair asset dates (PUT /assets), as duplicate_processing.date_correction.enabled asks")];
            }

            var preflight = await ServerPreflight.CheckAsync(gateway, needed, ct).ConfigureAwait(false);
            foreach (var warning in preflight.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            logger.LogInformation("Connected to Immich {Version} at {Url:l} as {User}", preflight.Version, gateway.ServerUrl, preflight.User.Email);

            // Duplicates and album propagation are extras: without the permission or the server feature the
            // run still keeps the main output tags right, and says what it skipped.
            var granted = preflight.ApiKey.Permissions;
            var canReadDuplicates = ImmichPermissions.Missing(granted, [new PermissionNeed(ImmichPermissions.DuplicateRead, string.Empty)]).Count == 0;
            var canAddToAlbums = request.DryRun || ImmichPermissions.Missing(granted, [new PermissionNeed(ImmichPermissions.AlbumAssetCreate, string.Empty)]).Count == 0;
            if (!preflight.Features.DuplicateDetection)
            {
                logger.LogWarning("The server's duplicate detection is off: duplicate tags, album propagation and date repair from duplicates are skipped");
            }
            else if (!canReadDuplicates)
            {
                logger.LogWarning("The API key lacks 'duplicate.read': duplicate tags, album propagation and date repair from duplicates are skipped");
            }

            if (!canAddToAlbums)
            {
                logger.LogWarning("The API key lacks 'albumAsset.create': assets are not added to their duplicates' album");
            }

            var recommended = ImmichPermissions.Missing(preflight.ApiKey.Permissions, ImmichPermissions.RecommendedForRun);
            if (!request.DryRun && recommended.Count > 0)
            {
                logger.LogWarning(
                    "The API key lacks {Permissions}: tag changes will be written in slower waves instead of with Immich's sidecar queues paused (see README, API key)",
                    string.Join(", ", recommended.Select(p => p.Permission)));
            }

            var engine = new AutoTagEngine(gateway, time, loggerFactory.CreateLogger<AutoTagEngine>());
            var options = new RunOptions
            {
                DryRun = request.DryRun,
                Progress = progress,
                DuplicateDetection = preflight.Features.DuplicateDetection && canReadDuplicates,
                AlbumPropagation = canAddToAlbums,
                QueuePauseMarker = new FileQueuePauseMarker(StateFolder.Resolve(context), config.Server.Url, time),
                SettleDelay = SettleDelay(context) ?? new RunOptions().SettleDelay,
            };
            var result = await engine.RunAsync(config, options, ct).ConfigureAwait(false);
            progress.Complete();

            await ReportWriter.WriteAllAsync(folder, config, result, gateway.Snapshot(), gateway.WriteRequests, ct).ConfigureAwait(false);
            await WriteSummaryAsync(context.Out, folder, result, gateway).ConfigureAwait(false);
            foreach (var error in result.Errors)
            {
                logger.LogWarning("{Kind}: {Message} ({Assets} assets)", error.Kind, error.Message, error.AssetIds.Count);
            }

            return (int)(result.Errors.Count > 0 || result.StillWrong.Count > 0 ? ExitCode.PartialFailure : ExitCode.Success);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Handled here: System.CommandLine turns an escaping cancellation into exit code 1, not 130.
            progress.Complete();
            await context.Err.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return (int)ExitCode.Cancelled;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Complete();
            var (code, message) = ErrorTranslator.Translate(e);
            await context.Err.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            logger.LogDebug(e, "Run failed");
            return (int)code;
        }
    }

    /// <summary>IMMICH_AUTOTAG_SETTLE_SECONDS: the wait between write waves when the key cannot read the queues.</summary>
    private static TimeSpan? SettleDelay(CliContext context) =>
        double.TryParse(context.Environment("IMMICH_AUTOTAG_SETTLE_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static async Task WriteSummaryAsync(TextWriter output, RunFolder folder, RunResult result, ImmichGateway metrics)
    {
        var inv = CultureInfo.InvariantCulture;
        var a = result.Assets;
        var types = string.Join(", ", a.ByType.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToString().ToLowerInvariant()}"));
        await output.WriteLineAsync(string.Create(inv, $"Assets seen: {a.Total} ({a.Owned} owned, {a.PartnerSkipped} from partners){(types.Length > 0 ? ": " + types : string.Empty)}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Classified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Classified)}, unclassified: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Unclassified)}, conflict: {result.StatusCounts.GetValueOrDefault(ClassificationStatus.Conflict)}")).ConfigureAwait(false);
        var plan = result.Plan;
        if (result.DryRun)
        {
            await output.WriteLineAsync(string.Create(inv, $"Dry run: would create {plan.TagsToCreate.Count} tag(s), add {plan.AdditionCount} and remove {plan.RemovalCount} tag link(s); nothing was sent. Plan: {folder.File(RunFolder.PlanFile)}")).ConfigureAwait(false);
            if (plan.AlbumAdditionCount > 0 || plan.DateUpdates.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Dry run: would also add {plan.AlbumAdditionCount} asset(s) to albums and repair {plan.DateUpdates.Count} date(s).")).ConfigureAwait(false);
            }
        }
        else
        {
            var added = result.AppliedChanges.Count(c => c.Kind == ChangeKind.Added);
            var removed = result.AppliedChanges.Count(c => c.Kind == ChangeKind.Removed);
            await output.WriteLineAsync(string.Create(inv, $"Changes: {added} tag link(s) added, {removed} removed, {result.Errors.Count} error(s).")).ConfigureAwait(false);
            var albums = result.AppliedChanges.Count(c => c.Kind == ChangeKind.AddedToAlbum);
            var dates = result.AppliedChanges.Count(c => c.Kind == ChangeKind.DateUpdated);
            if (albums > 0 || dates > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Also: {albums} asset(s) added to albums, {dates} date(s) repaired.")).ConfigureAwait(false);
            }

            if (result.RevertedAndReapplied > 0 || result.StillWrong.Count > 0)
            {
                await output.WriteLineAsync(string.Create(inv, $"Immich reverted changes: {result.RevertedAndReapplied} re-applied, {result.StillWrong.Count} still wrong (listed in {folder.File(RunFolder.ModificationReportFile)}).")).ConfigureAwait(false);
            }

            if (result.WriteFallbackReason is { } reason)
            {
                await output.WriteLineAsync(string.Create(inv, $"Warning: tags were written in {result.WriteWaves} wave(s) because {reason}.")).ConfigureAwait(false);
            }
        }

        var requests = metrics.Snapshot();
        await output.WriteLineAsync(string.Create(inv, $"Requests: {requests.Values.Sum()} ({metrics.WriteRequests} writes): {string.Join(", ", requests.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv, $"Review links: {folder.File(RunFolder.LinksFile)}")).ConfigureAwait(false);
    }
}

internal sealed record RunRequest(AutoTagConfig Config, bool DryRun, string? OutputRoot, bool Verbose);
