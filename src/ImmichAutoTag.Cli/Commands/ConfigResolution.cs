using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>Finds and validates the config; prints every problem at once and never reaches the server.</summary>
internal static class ConfigResolution
{
    public static async Task<AutoTagConfig?> LoadAsync(string? explicitPath, CliContext context)
    {
        var location = ConfigLocator.Locate(ResolvePath(explicitPath, context), context.Environment, context.Home);
        if (location.Path is null)
        {
            await context.Err.WriteLineAsync("error: no config file found. Looked in:").ConfigureAwait(false);
            foreach (var place in location.Searched)
            {
                await context.Err.WriteLineAsync($"  - {place}").ConfigureAwait(false);
            }

            if (location.Note is { } hint)
            {
                await context.Err.WriteLineAsync($"note: {hint}").ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync(
                "Create one from rules/config.example.yaml, or pass --config FILE.").ConfigureAwait(false);
            return null;
        }

        if (location.Note is { } note)
        {
            await context.Err.WriteLineAsync($"warning: {note}").ConfigureAwait(false);
        }

        var result = ConfigLoader.LoadFile(location.Path, context.Environment);
        foreach (var warning in result.Warnings)
        {
            await context.Err.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
        }

        if (!result.IsValid)
        {
            foreach (var error in result.Errors)
            {
                await context.Err.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync(
                $"{result.Errors.Count} error(s) in {location.Path}; nothing was sent to the server.").ConfigureAwait(false);
            return null;
        }

        // The loader checks the schedule's shape; its values need the daemon's cron parser.
        if (result.Config!.Schedule is { } schedule && !Daemon.CronSchedule.TryParse(schedule, out _, out var scheduleError))
        {
            await context.Err.WriteLineAsync($"error: {location.Path}: schedule: {scheduleError}").ConfigureAwait(false);
            return null;
        }

        return result.Config;
    }

    private static string? ResolvePath(string? path, CliContext context) =>
        path is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(context.WorkingDirectory, path));
}
