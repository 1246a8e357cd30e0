namespace ImmichAutoTag.Cli;

/// <summary>Where the tool keeps what must outlive a run (for now: the "queues paused by us" marker).</summary>
internal static class StateFolder
{
    public const string EnvState = "IMMICH_AUTOTAG_STATE";

    /// <summary>IMMICH_AUTOTAG_STATE, else $XDG_STATE_HOME/immich_autotag, else ~/.local/state/immich_autotag.</summary>
    public static string Resolve(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var explicitPath = context.Environment(EnvState);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath, context.WorkingDirectory);
        }

        // The XDG spec says a relative value is invalid and must be ignored.
        var xdg = context.Environment("XDG_STATE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "immich_autotag");
        }

        return Path.Combine(context.Home, ".local", "state", "immich_autotag");
    }
}
