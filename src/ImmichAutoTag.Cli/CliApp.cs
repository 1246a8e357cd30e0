using System.CommandLine;
using ImmichAutoTag.Cli.Commands;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Cli;

/// <summary>The command tree. Program.Main and the in-process CLI tests both enter here.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);

        var root = Build(context);
        var parsed = root.Parse(args);
        // Program.Main turns Ctrl-C and SIGTERM into the cancellation token itself. System.CommandLine's own handling
        // would also end the process 2 s after the signal, cutting off a cancelled run while it writes its reports.
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Err, ProcessTerminationTimeout = null };
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await context.Err.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync("Run 'immich-autotag --help' for usage.").ConfigureAwait(false);
            return (int)RunExitCode.Usage;
        }

        if (parsed.CommandResult.Command.Name is "run" or "daemon" or "undo" && EnvironmentErrors(context) is { Count: > 0 } wrong)
        {
            foreach (var error in wrong)
            {
                await context.Err.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            }

            return (int)RunExitCode.ConfigInvalid;
        }

        try
        {
            return await parsed.InvokeAsync(invocation, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await context.Err.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return (int)RunExitCode.Cancelled;
        }
    }

    /// <summary>
    /// The environment variables the commands read as settings, checked before anything runs: a value the tool cannot use
    /// is an error naming the variable and the values it takes (not silently the default).
    /// </summary>
    private static List<string> EnvironmentErrors(CliContext context)
    {
        var errors = new List<string>();
        void OneOf(string variable, string[] allowed)
        {
            if (context.Environment(variable)?.Trim() is { Length: > 0 } value && !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{variable}='{value}' is not one of {string.Join(", ", allowed)}");
            }
        }

        OneOf(Logging.LevelVariable, [.. Logging.Levels, "trace", "info", "warn"]);
        OneOf(Logging.FormatVariable, Logging.Formats);
        if (context.Environment(Composition.SettleVariable)?.Trim() is { Length: > 0 } settle
            && !(double.TryParse(settle, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= Composition.MaxSettleSeconds))
        {
            errors.Add($"{Composition.SettleVariable}='{settle}' is not a number of seconds from 0 to {Composition.MaxSettleSeconds}");
        }

        return errors;
    }

    private static RootCommand Build(CliContext context)
    {
        var root = new RootCommand(
            "immich-autotag: keeps autotag_output_* tags on an Immich library true to your classification rules.");
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(DaemonCommand.Create(context));
        root.Subcommands.Add(StatusCommand.Create(context));
        root.Subcommands.Add(ValidateCommand.Create(context));
        root.Subcommands.Add(ConfigCommand.Create(context));
        root.Subcommands.Add(UndoCommand.Create(context));
        root.Subcommands.Add(DemoCommand.Create(context));

        // The built-in action prints the entry assembly's version, which is the test host's in-process.
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Action = new PrintVersionAction(context);
        }

        return root;
    }

    /// <summary>The product version, e.g. "0.1.0" (without the source revision suffix).</summary>
    public static string Version
    {
        get
        {
            var informational = typeof(CliApp).Assembly
                .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
                .FirstOrDefault()?.InformationalVersion;
            return informational?.Split('+')[0] ?? typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }
    }

    private sealed class PrintVersionAction(CliContext context) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            context.Out.WriteLine(Version);
            return (int)RunExitCode.Success;
        }
    }
}
