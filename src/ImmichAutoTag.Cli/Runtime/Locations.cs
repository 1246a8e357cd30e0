namespace ImmichAutoTag.Cli.Runtime;

/// <summary>
/// Where runs write their output folders and where state between runs (lock, status) lives. Flags win,
/// then environment variables (the container images set them), then per-user defaults.
/// </summary>
internal static class Locations
{
    public const string OutputVariable = "IMMICH_AUTOTAG_OUTPUT";
    public const string StateVariable = "IMMICH_AUTOTAG_STATE";
    public const string DefaultOutputFolder = "logs";
    public const string StateFolderName = "immich_autotag";

    /// <summary>Absolute output root: --output, $IMMICH_AUTOTAG_OUTPUT, else ./logs.</summary>
    public static string OutputRoot(string? flag, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var chosen = NonEmpty(flag) ?? NonEmpty(context.Environment(OutputVariable)) ?? DefaultOutputFolder;
        return Path.GetFullPath(Path.Combine(context.WorkingDirectory, chosen));
    }

    /// <summary>Absolute state folder: --state, $IMMICH_AUTOTAG_STATE, $XDG_STATE_HOME/immich_autotag, ~/.local/state/immich_autotag.</summary>
    public static string StateFolder(string? flag, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var chosen = NonEmpty(flag) ?? NonEmpty(context.Environment(StateVariable));
        if (chosen is null)
        {
            // XDG says a relative XDG_STATE_HOME is invalid and must be ignored.
            var xdg = NonEmpty(context.Environment("XDG_STATE_HOME"));
            var baseDir = xdg is not null && Path.IsPathRooted(xdg) ? xdg : Path.Combine(context.Home, ".local", "state");
            chosen = Path.Combine(baseDir, StateFolderName);
        }

        return Path.GetFullPath(Path.Combine(context.WorkingDirectory, chosen));
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
