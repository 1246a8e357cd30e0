using System.CommandLine;
using ImmichAutoTag.Cli.Runtime;

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

    public static Option<bool> DryRun() => new("--dry-run", "-n")
    {
        Description = "Plan the changes and write the plan, but send no write request to the server.",
    };

    public static Option<string?> Output() => new("--output", "-o")
    {
        Description = $"Folder for the per-run output folders (default: ${Locations.OutputVariable}, else ./{Locations.DefaultOutputFolder}).",
        HelpName = "DIR",
    };

    public static Option<string?> State() => new("--state")
    {
        Description = $"State folder: run lock and status.json (default: ${Locations.StateVariable}, else $XDG_STATE_HOME/{Locations.StateFolderName}, else ~/.local/state/{Locations.StateFolderName}).",
        HelpName = "DIR",
    };

    public static Option<string?> LogLevel()
    {
        var option = new Option<string?>("--log-level")
        {
            Description = $"Console log level (default: ${Logging.LevelVariable}, else information).",
            HelpName = "LEVEL",
        };
        option.AcceptOnlyFromAmong(Logging.Levels);
        return option;
    }

    public static Option<string?> LogFormat()
    {
        var option = new Option<string?>("--log-format")
        {
            Description = $"Console log format: text, or json (one JSON object per line, for containers). Default: ${Logging.FormatVariable}, else text.",
            HelpName = "FORMAT",
        };
        option.AcceptOnlyFromAmong(Logging.Formats);
        return option;
    }
}

/// <summary>The options `run` and `daemon` share, read back in one place.</summary>
internal sealed record RunOptionSet(
    Option<string?> Config,
    Option<bool> DryRun,
    Option<string?> Output,
    Option<string?> State,
    Option<bool> Verbose,
    Option<string?> LogLevel,
    Option<string?> LogFormat)
{
    public static RunOptionSet Create() => new(
        CommonOptions.Config(),
        CommonOptions.DryRun(),
        CommonOptions.Output(),
        CommonOptions.State(),
        CommonOptions.Verbose(),
        CommonOptions.LogLevel(),
        CommonOptions.LogFormat());

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Config, DryRun, Output, State, Verbose, LogLevel, LogFormat })
        {
            command.Options.Add(option);
        }
    }

    public LogSettings Logs(ParseResult parse) =>
        new(parse.GetValue(Verbose), parse.GetValue(LogLevel), parse.GetValue(LogFormat));
}
