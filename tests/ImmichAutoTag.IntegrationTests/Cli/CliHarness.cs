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

    public CliHarness WithEnv(string name, string? value)
    {
        _env[name] = value;
        return this;
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <param name="ct">What Ctrl-C / SIGTERM would cancel in the real process.</param>
    public async Task<CliResult> RunAsync(CancellationToken ct, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, name => _env.GetValueOrDefault(name), Home, Root);
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
