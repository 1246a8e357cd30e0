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
    /// <param name="clipModelCheck">Also look for the CLIP model a run would open (`validate`); its problem is an error at its key.</param>
    public static async Task<AutoTagConfig?> LoadAsync(string? explicitPath, CliContext context, Func<ClipConfig, ClipModelProblem?>? clipModelCheck = null)
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

        if (location.Path is null && ResolvePath(explicitPath, context) is { } givenPath)
        {
            // --config names one file: "looked in" lists and the built-in rules do not apply to it.
            var what = Directory.Exists(givenPath) ? "is a folder, not a config file" : "does not exist";
            await context.Err.WriteLineAsync($"error: --config {givenPath} {what}.").ConfigureAwait(false);
            if (location.Note is { } sibling)
            {
                await context.Err.WriteLineAsync($"note: {sibling}").ConfigureAwait(false);
            }

            if (!Directory.Exists(givenPath))
            {
                await context.Err.WriteLineAsync($"Write one there with 'immich-autotag config init {Quote(givenPath)}' (a commented example).").ConfigureAwait(false);
            }
            else
            {
                await context.Err.WriteLineAsync($"Write one in it with 'immich-autotag config init {Quote(Path.Combine(givenPath, "config.yaml"))}' (a commented example) and pass that file.").ConfigureAwait(false);
            }

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

        return await CheckAsync(ConfigLoader.LoadFile(location.Path, context.Environment, ScheduleProblem, clipModelCheck), location.Path, context).ConfigureAwait(false);
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

        return result.Config;
    }

    /// <summary>Why a config's <c>schedule</c> value is refused by the daemon's cron parser, or null.</summary>
    private static string? ScheduleProblem(string schedule) =>
        Daemon.CronSchedule.TryParse(schedule, out _, out var error) ? null : error;

    private static bool HasServerEnvironment(CliContext context) =>
        !string.IsNullOrWhiteSpace(context.Environment("IMMICH_URL")) && !string.IsNullOrWhiteSpace(context.Environment("IMMICH_API_KEY"));

    private static string? ResolvePath(string? path, CliContext context) =>
        path is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(context.WorkingDirectory, path));

    /// <summary>A path as the user would type it in a shell: quoted when it holds a space or a quote.</summary>
    internal static string Quote(string path) =>
        path.IndexOfAny([' ', '\'', '"', '$', '`']) < 0 ? path : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
