using System.Diagnostics;
using System.Text;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// The real CLI as a separate OS process (the built immich-autotag.dll under the dotnet host), for what
/// in-process tests cannot show: OS file locks between processes, and signals.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Lock _gate = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Out
    {
        get
        {
            lock (_gate)
            {
                return _out.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_gate)
            {
                return _err.ToString();
            }
        }
    }

    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = CliDll();
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing from the developer's own environment may leak in (config, state, log settings).
        foreach (var name in new[] { "IMMICH_URL", "IMMICH_API_KEY", "IMMICH_AUTOTAG_CONFIG", "IMMICH_AUTOTAG_STATE", "IMMICH_AUTOTAG_OUTPUT", "IMMICH_AUTOTAG_LOG_LEVEL", "IMMICH_AUTOTAG_LOG_FORMAT", "CRON_SCHEDULE", "XDG_STATE_HOME", "XDG_CONFIG_HOME" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._out, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._err, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>
    /// The CLI's own build output, not the copy beside the tests: the test project also references the
    /// ASP.NET Core framework (for the fake server), so its copy lacks assemblies the CLI ships itself.
    /// </summary>
    private static string CliDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ImmichAutoTag.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("ImmichAutoTag.sln not found above " + testBin), "src", "ImmichAutoTag.Cli", "bin", configuration, framework, "immich-autotag.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first: the CLI is not at " + dll, dll);
    }

    /// <summary>SIGTERM, as `docker stop` sends it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to clean up (no finally, no lock release of its own).</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <returns>The exit code, or null when the process was still running after the time-out.</returns>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public override string ToString() => $"pid {Id}\n--- stdout\n{Out}\n--- stderr\n{Err}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }
}
