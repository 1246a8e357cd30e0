using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>Finds and validates the config; prints every problem at once and never reaches the server.</summary>
internal static class ConfigResolution
{
    /// <summary>
    /// The config of --config, else of the first file found (see <see cref="ConfigLocator"/>), else — when IMMICH_URL
    /// and IMMICH_API_KEY are set and no --config was given — the built-in default rules, said in one line.
    /// Null after printing the problems.
    /// </summary>
    public static async Task<AutoTagConfig?> LoadAsync(string? explicitPath, CliContext context)
    {
        var location = ConfigLocator.Locate(ResolvePath(explicitPath, context), context.Environment, context.Home);

        // The image names /config/config.yaml, whose folder always exists, so a missing file there means "no config";
        // a folder that does not exist means the name itself is wrong, and the built-in rules would hide that.
        var namedFolderMissing = explicitPath is null
            && context.Environment(ConfigLocator.EnvConfig) is { Length: > 0 } envPath
            && Path.GetDirectoryName(Path.GetFullPath(ResolvePath(envPath, context)!)) is { Length: > 0 } envFolder
            && !Directory.Exists(envFolder);
        if (location.Path is null && location.Note is null && explicitPath is null && !namedFolderMissing && HasServerEnvironment(context))
        {
            await context.Err.WriteLineAsync(
                $"No config file found ({string.Join(", ", location.Searched)}): using the built-in default rules: {BuiltInRules.Summary}. " +
                "'immich-autotag config init' writes a commented example to edit.").ConfigureAwait(false);
            return await CheckAsync(BuiltInRules.Load(context.Environment), BuiltInRules.Name, context).ConfigureAwait(false);
        }

        if (location.Path is null && ResolvePath(explicitPath, context) is { } explicitFile)
        {
            // --config names one file: say what is wrong with it rather than list places the user did not ask about.
            await context.Err.WriteLineAsync(Directory.Exists(explicitFile)
                ? $"error: --config {explicitFile} is a folder; name the config file in it (e.g. {Path.Combine(explicitFile, "config.yaml")})"
                : $"error: config file not found: {explicitFile}").ConfigureAwait(false);
            if (location.Note is { } explicitHint)
            {
                await context.Err.WriteLineAsync($"note: {explicitHint}").ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync($"Write one there with 'immich-autotag config init {explicitFile}' (a commented example to edit).").ConfigureAwait(false);
            return null;
        }

        if (location.Path is null)
        {
            await context.Err.WriteLineAsync("error: no config file found. Looked in:").ConfigureAwait(false);
            var fromEnvironment = context.Environment(ConfigLocator.EnvConfig) is { Length: > 0 } named ? ResolvePath(named, context) : null;
            foreach (var place in location.Searched)
            {
                var source = explicitPath is null && fromEnvironment is not null && string.Equals(Path.GetFullPath(place), Path.GetFullPath(fromEnvironment), StringComparison.Ordinal)
                    ? $" (named by {ConfigLocator.EnvConfig})"
                    : string.Empty;
                await context.Err.WriteLineAsync($"  - {place}{source}").ConfigureAwait(false);
            }

            if (location.Note is { } hint)
            {
                await context.Err.WriteLineAsync($"note: {hint}").ConfigureAwait(false);
            }

            if (namedFolderMissing && fromEnvironment is not null)
            {
                await context.Err.WriteLineAsync($"note: the folder of {fromEnvironment} does not exist (check {ConfigLocator.EnvConfig})").ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync(
                "Write one with 'immich-autotag config init' (a commented example), or pass --config FILE. " +
                "With IMMICH_URL and IMMICH_API_KEY set and no --config, runs use the built-in default rules.").ConfigureAwait(false);
            return null;
        }

        if (location.Note is { } note)
        {
            await context.Err.WriteLineAsync($"warning: {note}").ConfigureAwait(false);
        }

        return await CheckAsync(ConfigLoader.LoadFile(location.Path, context.Environment), location.Path, context).ConfigureAwait(false);
    }

    private static async Task<AutoTagConfig?> CheckAsync(ConfigLoadResult result, string source, CliContext context)
    {
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
                $"{result.Errors.Count} error(s) in {source}; nothing was sent to the server.").ConfigureAwait(false);
            return null;
        }

        // The loader checks the schedule's shape; its values need the daemon's cron parser.
        if (result.Config!.Schedule is { } schedule && !Daemon.CronSchedule.TryParse(schedule, out _, out var scheduleError))
        {
            await context.Err.WriteLineAsync($"error: {source}: schedule: {scheduleError}").ConfigureAwait(false);
            return null;
        }

        return result.Config;
    }

    private static bool HasServerEnvironment(CliContext context) =>
        !string.IsNullOrWhiteSpace(context.Environment("IMMICH_URL")) && !string.IsNullOrWhiteSpace(context.Environment("IMMICH_API_KEY"));

    private static string? ResolvePath(string? path, CliContext context) =>
        path is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(context.WorkingDirectory, path));
}
