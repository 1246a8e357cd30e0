using System.CommandLine;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Cli.Commands;

/// <summary>`config init [FILE|FOLDER]`: writes the commented example config (rules/config.example.yaml, built into the tool).</summary>
internal static class ConfigCommand
{
    /// <summary>The manifest name of the embedded example (see the project file).</summary>
    public const string ExampleResource = "config.example.yaml";

    /// <summary>The file name written into a folder given as FILE.</summary>
    public const string DefaultFileName = "config.yaml";

    public static Command Create(CliContext context)
    {
        var file = new Argument<string?>("FILE")
        {
            Description = $"Where to write it: a file, or a folder to write {DefaultFileName} into (default: ${ConfigLocator.EnvConfig} if set, else the user config file ~/.config/immich_autotag/config.yaml, where runs look first).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var force = new Option<bool>("--force") { Description = "Overwrite the file if it exists." };
        var init = new Command("init", "Write the commented example config, every key explained, to edit.") { file, force };
        init.SetAction((parse, ct) => InitAsync(context, parse.GetValue(file), parse.GetValue(force), ct));
        return new Command("config", "Work with config files.") { init };
    }

    /// <summary>The example config's text, as shipped.</summary>
    public static string ExampleYaml()
    {
        using var stream = typeof(ConfigCommand).Assembly.GetManifestResourceStream(ExampleResource)
            ?? throw new InvalidOperationException($"the build did not embed {ExampleResource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<int> InitAsync(CliContext context, string? file, bool force, CancellationToken ct)
    {
        var target = file is { Length: > 0 }
            ? Path.GetFullPath(Path.Combine(context.WorkingDirectory, file))
            : ConfigLocator.Locate(null, context.Environment, context.Home).Searched[0];
        if (Directory.Exists(target) || (file is { Length: > 0 } && Path.EndsInDirectorySeparator(file)))
        {
            // A folder (say the /config volume): the example goes into it under the name runs look for there.
            target = Path.Combine(target, DefaultFileName);
        }

        if (File.Exists(target) && !force)
        {
            await context.Err.WriteLineAsync($"error: {target} already exists; nothing was written (--force overwrites it).").ConfigureAwait(false);
            return (int)RunExitCode.Usage;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!); // non-null: a full path has a directory
            await File.WriteAllTextAsync(target, ExampleYaml(), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await context.Err.WriteLineAsync($"error: cannot write {target}: {e.Message}").ConfigureAwait(false);
            return (int)RunExitCode.Failure;
        }

        await context.Out.WriteLineAsync(
            $"Wrote {target}. Edit its rules and server (or set IMMICH_URL and IMMICH_API_KEY), then check it with 'immich-autotag validate --config {target}'.").ConfigureAwait(false);
        return (int)RunExitCode.Success;
    }
}
