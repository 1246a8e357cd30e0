using System.Diagnostics;
using System.Text.Json;

namespace ImmichAutoTag.Benchmarks;

/// <summary>The parent's handle on the <see cref="FakeHost"/> child: start it, ask it things, read its CPU time.</summary>
internal sealed class FakeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private FakeProcess(Process process, HostReady ready)
    {
        _process = process;
        Ready = ready;
    }

    public HostReady Ready { get; }

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<FakeProcess> StartAsync(int assets, int seed, CancellationToken ct)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };

        // Under dotnet-trace the benchmark inherits a diagnostic port; the fake must not wait on it (or be traced).
        info.Environment.Remove("DOTNET_DiagnosticPorts");

        // Started as `dotnet ImmichAutoTag.Benchmarks.dll`, the host needs the assembly path first.
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(FakeProcess).Assembly.Location);
        }

        info.ArgumentList.Add(FakeHost.Flag);
        info.ArgumentList.Add(assets.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(info) ?? throw new InvalidOperationException("The fake server process did not start.");
        var line = await process.StandardOutput.ReadLineAsync(ct)
            ?? throw new InvalidOperationException("The fake server process exited before it was ready.");
        return new FakeProcess(process, Parse<HostReady>(line));
    }

    public async Task<T> AskAsync<T>(string command, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        var line = await _process.StandardOutput.ReadLineAsync(ct)
            ?? throw new InvalidOperationException($"The fake server process ended while answering '{command}'.");
        return Parse<T>(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("quit");
            await _process.StandardInput.FlushAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static T Parse<T>(string line)
    {
        if (line.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The fake server process answered: {line}");
        }

        return JsonSerializer.Deserialize<T>(line, Wire.Options)
            ?? throw new InvalidOperationException($"Unreadable answer from the fake server process: {line}");
    }
}
