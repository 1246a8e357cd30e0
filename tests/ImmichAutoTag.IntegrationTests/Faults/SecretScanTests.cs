using System.Text;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Config;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// Issue 18, item 3: every artefact the tool writes — run folders, logs, status.json, state.db, config dumps, the console
/// (where exception texts go) — is scanned for every secret the runs were given: the Immich API key, a second (wrong) key,
/// the booru keys in the environment, and credentials inside the server URL (user-info and query). One temp root holds
/// everything the scenarios write; every file under it is read as bytes (SQLite included), in UTF-8 and UTF-16.
/// </summary>
public sealed class SecretScanTests
{
    private static readonly string Key = "immichSENTINELkey" + Guid.NewGuid().ToString("N");
    private static readonly string WrongKey = "wrongSENTINELkey" + Guid.NewGuid().ToString("N");
    private static readonly string SauceNao = "saucenaoSENTINEL" + Guid.NewGuid().ToString("N");
    private static readonly string Danbooru = "danbooruSENTINEL" + Guid.NewGuid().ToString("N");
    private static readonly string UrlPassword = "urlpasswordSENTINEL" + Guid.NewGuid().ToString("N");
    private static readonly string UrlQueryKey = "urlquerySENTINEL" + Guid.NewGuid().ToString("N");

    private static readonly string[] Secrets = [Key, WrongKey, SauceNao, Danbooru, UrlPassword, UrlQueryKey];

    [Fact]
    public async Task No_artefact_of_real_dry_failing_daemon_and_validate_runs_holds_a_secret()
    {
        await using var library = await FaultLibrary.StartAsync(Key);
        using var cli = FaultMatrixTests.Harness()
            .WithEnv("SAUCENAO_API_KEY", SauceNao)
            .WithEnv("DANBOORU_API_KEY", Danbooru)
            .WithEnv("IMMICH_AUTOTAG_OUTPUT", null);
        var scanned = Directory.CreateDirectory(Path.Combine(cli.Root, "scanned")).FullName;
        var state = Path.Combine(scanned, "state");
        cli.WithEnv("IMMICH_AUTOTAG_STATE", state);

        // The config file is the user's input, not an artefact: it lives outside the scanned folder.
        var config = cli.WriteConfig(library.Config());
        var port = library.Server.BaseUrl.Port;
        var withCredentialsConfig = cli.WriteConfig(library.Config($"http://autotag:{UrlPassword}@127.0.0.1:{port}/"), "credentials.yaml");
        var withQueryConfig = cli.WriteConfig(library.Config($"http://autotag:{UrlPassword}@127.0.0.1:{port}/?apiKey={UrlQueryKey}"), "query.yaml");
        var wrongKeyConfig = cli.WriteConfig(library.Config().Replace(Key, WrongKey, StringComparison.Ordinal), "wrong.yaml");
        var unreachable = cli.WriteConfig(library.Config($"http://autotag:{UrlPassword}@127.0.0.1:1/"), "unreachable.yaml");

        var results = new List<(string Name, CliResult Result)>();
        async Task Run(string name, int expected, params string[] args)
        {
            var result = await cli.RunAsync([.. args, "--output", Path.Combine(scanned, name)]);
            await File.WriteAllTextAsync(Path.Combine(scanned, $"console-{name}.txt"), result.ToString());
            result.ExitCode.Should().Be(expected, $"{name}: {result}");
            results.Add((name, result));
        }

        await Run("dry", 0, "run", "--dry-run", "--config", config, "-v");
        await Run("real", 0, "run", "--config", config, "-v");
        await Run("json-log", 0, "run", "--config", config, "--log-format", "json", "-v");
        await Run("url-credentials", 0, "run", "--config", withCredentialsConfig, "-v");

        // A key in the URL's query is a config error, whose message quotes the URL without its credentials.
        await Run("url-query", (int)RunExitCode.ConfigInvalid, "run", "--config", withQueryConfig, "-v");

        // A server error whose body echoes the key, as a proxy's error page might.
        library.Server.Faults.FailWithMessage("getAllAlbums", 502, $"bad gateway for x-api-key {Key}", times: 10);
        await Run("server-error", (int)RunExitCode.ServerError, "run", "--config", config, "-v");
        library.Server.Faults.Clear();

        await Run("wrong-key", (int)RunExitCode.AuthenticationFailed, "run", "--config", wrongKeyConfig, "-v");
        await Run("unreachable", (int)RunExitCode.ServerUnreachable, "run", "--config", unreachable, "-v");

        // A key revoked in the middle of the apply: the run stops and says so.
        await using (var revoked = await FaultLibrary.StartAsync(Key))
        {
            var writes = 0;
            revoked.Server.BeforeServe = op =>
            {
                if (op is "createAlbum" && Interlocked.Increment(ref writes) == 2)
                {
                    revoked.Server.State.RevokeApiKey(Key);
                }
            };
            await Run("revoked", (int)RunExitCode.AuthenticationFailed, "run", "--config", cli.WriteConfig(revoked.Config(), "revoked.yaml"), "-v");
        }

        // validate prints the server it read; its output is scanned like the rest.
        var validate = await cli.RunAsync("validate", "--config", withCredentialsConfig);
        await File.WriteAllTextAsync(Path.Combine(scanned, "console-validate.txt"), validate.ToString());
        validate.ExitCode.Should().Be(0, validate.ToString());

        // One daemon firing, stopped between runs.
        using (var stop = new CancellationTokenSource())
        {
            // The status file already holds an earlier scenario's last run, and the daemon reports "idle" before its
            // first run starts: wait for a finished last run in the daemon's own output folder (run ids can repeat
            // across output folders within one second of one process).
            var daemonOutput = Path.Combine(scanned, "daemon");
            var daemon = cli.RunAsync(stop.Token, "daemon", "-c", withCredentialsConfig, "--loop", "3600", "--output", daemonOutput, "-v");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!DaemonRanOnce(StatusFile.Read(Path.Combine(state, StatusFile.FileName)), daemonOutput) && DateTime.UtcNow < deadline && !daemon.IsCompleted)
            {
                await Task.Delay(50);
            }

            DaemonRanOnce(StatusFile.Read(Path.Combine(state, StatusFile.FileName)), daemonOutput).Should().BeTrue("the daemon's first run finishes and it waits for the next");
            await stop.CancelAsync();
            var stopped = await daemon;
            await File.WriteAllTextAsync(Path.Combine(scanned, "console-daemon.txt"), stopped.ToString());
            stopped.ExitCode.Should().Be(0, stopped.ToString());
        }

        var files = Directory.GetFiles(scanned, "*", SearchOption.AllDirectories);
        files.Should().Contain(f => f.EndsWith("state.db", StringComparison.Ordinal))
            .And.Contain(f => f.EndsWith("status.json", StringComparison.Ordinal))
            .And.Contain(f => f.EndsWith("user_config_dump.yaml", StringComparison.Ordinal))
            .And.Contain(f => f.EndsWith("immich_autotag_full_output.log", StringComparison.Ordinal))
            .And.Contain(f => f.EndsWith("report.html", StringComparison.Ordinal));
        var leaks = files.SelectMany(f => Find(f, Secrets).Select(s => $"{Path.GetRelativePath(scanned, f)} holds {s[..12]}…")).ToList();
        leaks.Should().BeEmpty();

        // Redaction, not silence: each place a secret would have gone shows the redacted form.
        var dump = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(scanned, "real"), "user_config_dump.yaml", SearchOption.AllDirectories).Single());
        dump.Should().Contain($"api_key: \"{ConfigWriter.Redacted}\"");
        var credentialsDump = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(scanned, "url-credentials"), "user_config_dump.yaml", SearchOption.AllDirectories).Single());
        credentialsDump.Should().Contain($"url: \"http://127.0.0.1:{port}/\"");
        Console(results, "url-credentials").Should().Contain($"http://127.0.0.1:{port}/");
        Console(results, "unreachable").Should().Contain("http://127.0.0.1:1/");
        Console(results, "url-query").Should().Contain($"http://***@127.0.0.1:{port}/?***");
        Console(results, "server-error").Should().Contain("bad gateway for x-api-key ***");
        validate.Out.Should().Contain($"server http://127.0.0.1:{port}/");
        Console(results, "revoked").Should().Contain("rejected the API key");
    }

    private static bool DaemonRanOnce(StatusDocument? status, string daemonOutput) =>
        status is { Current: null, Daemon.State: "idle", LastRun.OutputFolder: { } folder } && folder.StartsWith(daemonOutput, StringComparison.Ordinal);

    [Fact]
    public void The_scan_finds_a_secret_in_UTF8_UTF16_and_inside_binary_bytes()
    {
        var folder = Directory.CreateTempSubdirectory("immich-autotag-scan-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "a.log"), $"x-api-key: {Key}\n");
            File.WriteAllText(Path.Combine(folder.FullName, "b.txt"), $"{{\"k\":\"{SauceNao}\"}}", Encoding.Unicode);
            File.WriteAllBytes(Path.Combine(folder.FullName, "c.db"), [0, 1, 2, .. Encoding.UTF8.GetBytes(Danbooru), 0xff]);
            File.WriteAllText(Path.Combine(folder.FullName, "clean.txt"), "nothing here");

            Find(Path.Combine(folder.FullName, "a.log"), Secrets).Should().Equal(Key);
            Find(Path.Combine(folder.FullName, "b.txt"), Secrets).Should().Equal(SauceNao);
            Find(Path.Combine(folder.FullName, "c.db"), Secrets).Should().Equal(Danbooru);
            Find(Path.Combine(folder.FullName, "clean.txt"), Secrets).Should().BeEmpty();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Console(List<(string Name, CliResult Result)> results, string name) => results.Single(r => r.Name == name).Result.ToString();

    /// <summary>The secrets whose UTF-8 or UTF-16 bytes occur anywhere in the file.</summary>
    private static List<string> Find(string file, IEnumerable<string> secrets)
    {
        var bytes = File.ReadAllBytes(file);
        return secrets
            .Where(s => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(s)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(s)) >= 0)
            .ToList();
    }
}
