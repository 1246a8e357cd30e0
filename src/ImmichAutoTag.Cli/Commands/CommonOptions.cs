using System.CommandLine;

namespace ImmichAutoTag.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string?> Config() => new("--config", "-c")
    {
        Description = "Config file (YAML). Default: $IMMICH_AUTOTAG_CONFIG, then " +
            "$XDG_CONFIG_HOME/immich_autotag/config.yaml, then ~/.immich_autotag/config.yaml.",
        HelpName = "FILE",
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Log debug details (and stack traces of unexpected errors).",
    };
}
