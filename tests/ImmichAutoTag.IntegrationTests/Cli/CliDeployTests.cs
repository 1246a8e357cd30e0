using System.Text.Json;
using ImmichAutoTag.Cli;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>What running unattended relies on: the run lock, status.json, folders from the environment, JSON logs, schedules.</summary>
public sealed class CliDeployTests : IAsyncLifetime
{
    private FakeImmichServer _server = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        var user = _server.State.AddUser("Alice", "alice@example.com");
        _key = _server.State.AddApiKey(user.Id, "all");
        _server.State.AddAsset(user.Id, "a.jpg", DateTimeOffset.UnixEpoch.AddDays(1));
        _server.State.AddAsset(user.Id, "b.jpg", DateTimeOffset.UnixEpoch.AddDays(2));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config(string? extra = null) => $"""
        server:
          url: {_server.BaseUrl}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        {extra}
        """;

    [Fact]
    public async Task Run_is_refused_at_once_while_another_run_holds_the_lock_and_works_after()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig(Config());
        var state = Path.Combine(cli.Root, "state");

        CliResult refused;
        using (ProcessLock.TryAcquire(state, ProcessLock.RunLockFile).Should().NotBeNull().And.Subject as ProcessLock)
        {
            refused = await cli.RunAsync("run", "-c", config, "--state", state);
        }

        refused.ExitCode.Should().Be((int)RunExitCode.Busy, refused.ToString());
        refused.Err.Should().Contain("another immich-autotag run is in progress").And.Contain(Path.Combine(state, "run.lock"));
        _server.Requests.Total.Should().Be(0, "a refused run sends nothing");
        Directory.Exists(Path.Combine(cli.Root, "logs")).Should().BeFalse("a refused run creates no output folder");

        var after = await cli.RunAsync("run", "-c", config, "--state", state);
        after.ExitCode.Should().Be(0, after.ToString());
    }

    [Fact]
    public async Task Run_records_its_outcome_and_counters_in_status_json()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var state = Path.Combine(cli.Root, "state");

        var result = await cli.RunAsync("run", "-c", cli.WriteConfig(Config()), "--state", state);

        result.ExitCode.Should().Be(0, result.ToString());
        var status = StatusFile.Read(Path.Combine(state, StatusFile.FileName))!;
        status.Current.Should().BeNull();
        var last = status.LastRun!;
        last.Outcome.Should().Be(RunOutcome.Success);
        last.ExitCode.Should().Be(0);
        last.Trigger.Should().Be("run");
        last.FinishedAt.Should().BeOnOrAfter(last.StartedAt);
        // Six writes: the tag upsert, one bulk tag call, and pausing then resuming two Immich queues.
        last.Counters.Should().BeEquivalentTo(new RunCounters(2, 2, 2, 0, 2, 0, 0, last.Counters!.Requests, 6));
        Directory.Exists(last.OutputFolder).Should().BeTrue();
        status.LastSuccess.Should().BeEquivalentTo(last);

        // snake_case keys, for health checks written in shell (jq) or anything else
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(state, StatusFile.FileName)));
        json.RootElement.GetProperty("last_run").GetProperty("outcome").GetString().Should().Be("success");
    }

    [Fact]
    public async Task Output_and_state_folders_come_from_the_environment_as_in_the_container_images()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var output = Path.Combine(cli.Root, "var-logs");
        var state = Path.Combine(cli.Root, "var-state");
        cli.WithEnv(Locations.OutputVariable, output).WithEnv(Locations.StateVariable, state);

        var result = await cli.RunAsync("run", "-c", cli.WriteConfig(Config()));

        result.ExitCode.Should().Be(0, result.ToString());
        Directory.GetDirectories(output).Should().ContainSingle();
        File.Exists(Path.Combine(state, StatusFile.FileName)).Should().BeTrue();
        Directory.Exists(Path.Combine(cli.Root, "logs")).Should().BeFalse();
    }

    [Fact]
    public async Task Without_flags_or_variables_the_state_lives_in_the_XDG_state_folder()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "-c", cli.WriteConfig(Config()));

        result.ExitCode.Should().Be(0, result.ToString());
        File.Exists(Path.Combine(cli.Home, ".local", "state", "immich_autotag", StatusFile.FileName)).Should().BeTrue();
    }

    [Theory]
    [InlineData("--log-format", "json", null)]
    [InlineData(null, null, "json")]
    public async Task Json_log_format_writes_one_json_object_per_console_line(string? flag, string? value, string? env)
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv(Logging.FormatVariable, env);
        string[] args = flag is null ? ["run", "-c", cli.WriteConfig(Config())] : ["run", "-c", cli.WriteConfig(Config()), flag, value!];

        var result = await cli.RunAsync(args);

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().NotBeEmpty();
        lines.Should().AllSatisfy(line =>
        {
            using var doc = JsonDocument.Parse(line);
            doc.RootElement.GetProperty("Level").GetString().Should().NotBeNullOrEmpty();
            doc.RootElement.GetProperty("RenderedMessage").GetString().Should().NotBeNull();
        });
        result.Err.Should().NotContain(_key);
        lines.Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("RenderedMessage").GetString();
        }).Should().Contain(m => m!.StartsWith("Run 20", StringComparison.Ordinal), "X6: text values are shown as they are, not wrapped in quotes (was: Run \"2026…\")");

        // W6: the closing summary on standard output is JSON too (a container's log collector reads both streams).
        var summary = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        summary.Should().NotBeEmpty();
        summary.Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("RenderedMessage").GetString();
        }).Should().Contain(m => m!.StartsWith("Assets seen: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_log_format_writes_refusals_and_config_errors_as_json_objects_at_error_level()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig(Config());
        var state = Path.Combine(cli.Root, "state");

        CliResult refused, daemonRefused;
        using (ProcessLock.TryAcquire(state, ProcessLock.RunLockFile).Should().NotBeNull().And.Subject as ProcessLock)
        {
            refused = await cli.RunAsync("run", "-c", config, "--state", state, "--log-format", "json");
        }

        using (ProcessLock.TryAcquire(state, ProcessLock.DaemonLockFile).Should().NotBeNull().And.Subject as ProcessLock)
        {
            daemonRefused = await cli.RunAsync("daemon", "-c", config, "--state", state, "--loop", "60", "--log-format", "json");
        }

        var broken = await cli.RunAsync("run", "-c", cli.WriteConfig("server:\n  url: [\n"), "--log-format", "json");
        var badSchedule = await cli.RunAsync("daemon", "-c", config, "--schedule", "every night", "--log-format", "json");

        refused.ExitCode.Should().Be((int)RunExitCode.Busy, refused.ToString());
        daemonRefused.ExitCode.Should().Be((int)RunExitCode.Busy, daemonRefused.ToString());
        broken.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, broken.ToString());
        badSchedule.ExitCode.Should().Be(2, badSchedule.ToString());
        ErrorMessages(refused).Should().Contain(m => m.StartsWith("another immich-autotag run is in progress", StringComparison.Ordinal));
        ErrorMessages(daemonRefused).Should().Contain(m => m.StartsWith("an immich-autotag daemon is already running", StringComparison.Ordinal));
        ErrorMessages(broken).Should().NotBeEmpty();
        ErrorMessages(badSchedule).Should().Contain(m => m.Contains("invalid schedule", StringComparison.Ordinal));
        _server.Requests.Total.Should().Be(0);

        // Every line of standard error parses as one JSON object (Y2: a plain "error: …" line broke log collectors).
        static List<string> ErrorMessages(CliResult result) =>
            [.. result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
            {
                using var doc = JsonDocument.Parse(line);
                return (Level: doc.RootElement.GetProperty("Level").GetString(), Message: doc.RootElement.GetProperty("RenderedMessage").GetString()!);
            }).Where(e => e.Level == "Error").Select(e => e.Message)];
    }

    [Fact]
    public async Task Log_level_flag_quiets_the_console()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "-c", cli.WriteConfig(Config()), "--log-level", "error");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Err.Should().NotContain("INF]");
    }

    [Theory]
    [InlineData("--schedule", "0 25 * * *", null, 2)]
    [InlineData("--schedule", "every night", null, 2)]
    [InlineData(null, null, "61 * * * *", 3)]
    public async Task A_bad_schedule_stops_the_daemon_before_it_starts(string? flag, string? value, string? env, int code)
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("CRON_SCHEDULE", env);
        string[] args = flag is null
            ? ["daemon", "-c", cli.WriteConfig(Config())]
            : ["daemon", "-c", cli.WriteConfig(Config()), flag, value!];

        var result = await cli.RunAsync(args);

        result.ExitCode.Should().Be(code, result.ToString());
        result.Err.Should().Contain("invalid schedule").And.Contain(flag ?? "CRON_SCHEDULE");
        _server.Requests.Total.Should().Be(0);
    }

    [Fact]
    public async Task Loop_and_schedule_exclude_each_other()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("daemon", "-c", cli.WriteConfig(Config()), "--loop", "5", "--schedule", "0 2 * * *");

        result.ExitCode.Should().Be((int)RunExitCode.Usage, result.ToString());
    }

    [Fact]
    public async Task Validate_reports_an_impossible_schedule_in_the_config()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig(Config("schedule: '0 2 32 2 *'"));

        var result = await cli.RunAsync("validate", "-c", config);

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain(config).And.Contain("schedule");
    }

    [Fact]
    public async Task Daemon_in_loop_mode_runs_repeatedly_and_returns_0_when_stopped_between_runs()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var state = Path.Combine(cli.Root, "state");
        using var stop = new CancellationTokenSource();
        var daemon = cli.RunAsync(stop.Token, "daemon", "-c", cli.WriteConfig(Config()), "--loop", "1", "--state", state);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (StatusFile.Read(Path.Combine(state, StatusFile.FileName)) is not { RecentRuns.Count: >= 2, Current: null } && DateTime.UtcNow < deadline && !daemon.IsCompleted)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        var result = await daemon;

        result.ExitCode.Should().BeOneOf([0, 130], result.ToString());
        var status = StatusFile.Read(Path.Combine(state, StatusFile.FileName))!;
        status.RecentRuns.Should().HaveCountGreaterThanOrEqualTo(2);
        status.RecentRuns.Take(2).Should().AllSatisfy(r => r.Outcome.Should().Be(RunOutcome.Success));
        status.RecentRuns.Skip(1).Should().AllSatisfy(r => r.Counters?.WriteRequests.Should().Be(0));
        status.Daemon!.State.Should().Be("stopped");
        _server.Requests.WriteCount.Should().Be(6, "the first run creates the tag, tags both assets and pauses then resumes two Immich queues; the loop's later runs write nothing");
        var log = result.Out + result.Err;
        log.Should().Contain("ended: success (exit 0); next run at ", "a loop's next run comes one pause after the run ended: " + log);
        log.Should().NotMatchRegex(@"ended: [^\n]*next run now", "the loop's next run is a pause away, not due when the run ends (only the start's first run is due now)");
    }

    [Fact]
    public async Task Status_is_unhealthy_without_runs_healthy_after_a_good_run_and_unhealthy_after_a_failed_one()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var state = Path.Combine(cli.Root, "state");

        var before = await cli.RunAsync("status", "--state", state);
        await cli.RunAsync("run", "-c", cli.WriteConfig(Config()), "--state", state);
        var good = await cli.RunAsync("status", "--state", state);
        cli.WithEnv("IMMICH_API_KEY", "wrong-key");
        await cli.RunAsync("run", "-c", cli.WriteConfig(Config()), "--state", state);
        var bad = await cli.RunAsync("status", "--state", state);

        before.ExitCode.Should().Be(1, before.ToString());
        good.ExitCode.Should().Be(0, good.ToString());
        good.Out.Should().Contain("last run:").And.Contain("success").And.Contain("healthy");
        bad.ExitCode.Should().Be(1, bad.ToString());
        bad.Out.Should().Contain("failed").And.Contain("last success:");
    }

    [Fact]
    public async Task Status_is_unhealthy_for_an_empty_or_damaged_file_and_after_partial_failures_in_a_row()
    {
        using var cli = new CliHarness();
        var state = Directory.CreateDirectory(Path.Combine(cli.Root, "state")).FullName;
        var path = Path.Combine(state, StatusFile.FileName);

        await File.WriteAllTextAsync(path, "{}");
        var empty = await cli.RunAsync("status", "--state", state);
        empty.ExitCode.Should().Be(1, empty.ToString());
        empty.Out.Should().Contain("unhealthy: no run has finished with this state folder yet");

        await File.WriteAllTextAsync(path, "{\"daemon\": 5, ");
        var damaged = await cli.RunAsync("status", "--state", state);
        damaged.ExitCode.Should().Be(1, damaged.ToString());
        damaged.Err.Should().Contain($"{path} is not readable").And.NotContain("no run has started");

        File.Delete(path);
        var file = new StatusFile(state);
        file.Update(s => s with { Daemon = new DaemonStatus(1, DateTimeOffset.UtcNow, "0 2 * * *", "idle", DateTimeOffset.UtcNow.AddHours(3)) });
        (await cli.RunAsync("status", "--state", state)).ExitCode.Should().Be(0, "a daemon waits for its first run");

        RunStatus Run(RunOutcome outcome, string trigger = "daemon") => new() { RunId = "r", Pid = 1, Trigger = trigger, StartedAt = DateTimeOffset.UtcNow, FinishedAt = DateTimeOffset.UtcNow, Outcome = outcome, ExitCode = outcome == RunOutcome.Success ? 0 : 8 };
        file.RunFinished(Run(RunOutcome.PartialFailure));
        file.RunFinished(Run(RunOutcome.PartialFailure));
        file.UndoFinished(Run(RunOutcome.Success, "undo"));
        (await cli.RunAsync("status", "--state", state)).ExitCode.Should().Be(0, "two partial failures in a row: the next run may still fix them");
        file.RunFinished(Run(RunOutcome.PartialFailure));
        var three = await cli.RunAsync("status", "--state", state);
        three.ExitCode.Should().Be(1, three.ToString());
        three.Out.Should().Contain("unhealthy: the last 3 runs ended with a partial failure (exit 8)");
        file.RunFinished(Run(RunOutcome.Success));
        (await cli.RunAsync("status", "--state", state)).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Status_judges_real_runs_a_dry_run_neither_heals_nor_breaks_them_and_is_shown_as_one()
    {
        using var cli = new CliHarness();
        var state = Directory.CreateDirectory(Path.Combine(cli.Root, "state")).FullName;
        var file = new StatusFile(state);
        RunStatus Run(RunOutcome outcome, bool dryRun) => new()
        {
            RunId = dryRun ? "dry" : "real", Pid = 1, Trigger = "run", StartedAt = DateTimeOffset.UtcNow, FinishedAt = DateTimeOffset.UtcNow,
            Outcome = outcome, ExitCode = outcome switch { RunOutcome.Success => 0, RunOutcome.PartialFailure => 8, _ => 3 }, DryRun = dryRun,
        };

        // A container that only dry-runs is judged by its dry runs.
        file.RunFinished(Run(RunOutcome.Success, dryRun: true));
        var onlyDry = await cli.RunAsync("status", "--state", state);
        onlyDry.ExitCode.Should().Be(0, onlyDry.ToString());
        onlyDry.Out.Should().Contain("last dry run: dry success (exit 0)").And.NotContain("last run:");

        for (var i = 0; i < 3; i++)
        {
            file.RunFinished(Run(RunOutcome.PartialFailure, dryRun: false));
        }

        file.RunFinished(Run(RunOutcome.Success, dryRun: true));
        var healedByDryRun = await cli.RunAsync("status", "--state", state);
        healedByDryRun.ExitCode.Should().Be(1, "a dry run writes nothing, so it cannot show the failing writes were fixed: " + healedByDryRun);
        healedByDryRun.Out.Should().Contain("unhealthy: the last 3 runs ended with a partial failure").And.Contain("last run: real partial_failure (exit 8)");

        file.RunFinished(Run(RunOutcome.Success, dryRun: false));
        file.RunFinished(Run(RunOutcome.Failed, dryRun: true));
        var brokenByDryRun = await cli.RunAsync("status", "--state", state);
        brokenByDryRun.ExitCode.Should().Be(0, "a failed dry run (e.g. a config being edited) says nothing about the real runs: " + brokenByDryRun);
        brokenByDryRun.Out.Should().Contain("last dry run: dry failed (exit 3)").And.Contain("last success: real success (exit 0)");
    }
}
