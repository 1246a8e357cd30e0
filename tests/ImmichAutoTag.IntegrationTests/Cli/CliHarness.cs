using ImmichAutoTag.Cli;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Runs the real CLI in-process with its own environment, home folder and captured output.</summary>
internal sealed class CliHarness : IDisposable
{
    private readonly Dictionary<string, string?> _env = new(StringComparer.Ordinal);

    public CliHarness()
    {
        Root = Directory.CreateTempSubdirectory("immich-autotag-cli-").FullName;
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
    }

    public string Root { get; }

    public string Home { get; }

    public string WriteConfig(string yaml, string name = "config.yaml")
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Adjusts every Immich connection of the runs (shorter time-outs and back-off for fault-injected runs).</summary>
    public CliHarness WithConnection(Func<ImmichAutoTag.Immich.ImmichConnectionOptions, ImmichAutoTag.Immich.ImmichConnectionOptions> configure)
    {
        _connection = configure;
        return this;
    }

    private Func<ImmichAutoTag.Immich.ImmichConnectionOptions, ImmichAutoTag.Immich.ImmichConnectionOptions>? _connection;

    public CliHarness WithEnv(string name, string? value)
    {
        _env[name] = value;
        return this;
    }

    /// <summary>Keeps the run's state (the paused-queues marker) in <c>Root/state</c>.</summary>
    public CliHarness WithStateFolder() => WithEnv("IMMICH_AUTOTAG_STATE", Path.Combine(Root, "state"));

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs with a token the test may cancel, as Ctrl-C or SIGTERM would.</summary>
    public async Task<CliResult> RunAsync(CancellationToken ct, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, name => _env.GetValueOrDefault(name), Home, Root) { Connection = _connection };
        var code = await CliApp.RunAsync(args, context, ct);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}
