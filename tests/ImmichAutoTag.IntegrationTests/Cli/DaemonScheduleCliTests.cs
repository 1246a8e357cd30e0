using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Which schedule the daemon follows, and that it says so (W10).</summary>
public sealed class DaemonScheduleCliTests : IAsyncLifetime
{
    private CliLibrary _library = null!;

    public async Task InitializeAsync() => _library = await CliLibrary.StartAsync();

    public async Task DisposeAsync() => await _library.DisposeAsync();

    private string Config(string schedule) => $"""
        server:
          url: {_library.Server.BaseUrl}
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        schedule: "{schedule}"
        """;

    private static async Task WaitForAsync(string state, Func<StatusDocument, bool> done, Task daemon)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(StatusFile.Read(Path.Combine(state, StatusFile.FileName)) is { } s && done(s)) && DateTime.UtcNow < deadline && !daemon.IsCompleted)
        {
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_daemon_names_the_schedule_it_follows_and_the_config_schedule_it_ignores()
    {
        using var cli = _library.Cli(url: false).WithEnv("CRON_SCHEDULE", "0 2 * * *");
        var state = Path.Combine(cli.Root, "state");
        using var stop = new CancellationTokenSource();
        var daemon = cli.RunAsync(stop.Token, "daemon", "-c", cli.WriteConfig(Config("*/30 * * * *")), "--state", state);

        await WaitForAsync(state, s => s.Daemon is { State: "idle" }, daemon);
        await stop.CancelAsync();
        var result = await daemon;

        result.ExitCode.Should().Be(0, result.ToString());
        var log = result.Out + result.Err;
        log.Should().Contain("Daemon started (schedule 0 2 * * * from CRON_SCHEDULE")
            .And.Contain("The config's schedule '*/30 * * * *' is not used: CRON_SCHEDULE '0 2 * * *' wins")
            .And.Contain("Stop requested; no run in progress, stopping", "W6: an idle daemon has no run to wait for")
            .And.NotContain("waiting for");
        _library.Server.Requests.WriteCount.Should().Be(0, "no firing came");
    }

    [Fact]
    public async Task A_run_that_ends_with_a_partial_failure_is_logged_as_status_json_spells_it()
    {
        // X6: the daemon logged "partialfailure" while status.json and the history say "partial_failure".
        _library.Server.Faults.FailWhere("bulkTagAssets", 400, _ => true);
        using var cli = _library.Cli(url: false);
        var state = Path.Combine(cli.Root, "state");
        using var stop = new CancellationTokenSource();
        var daemon = cli.RunAsync(stop.Token, "daemon", "-c", cli.WriteConfig(Config("*/1 * * * * ?")), "--state", state);

        await WaitForAsync(state, s => s.RecentRuns.Count >= 1, daemon);
        await stop.CancelAsync();
        var result = await daemon;

        var log = result.Out + result.Err;
        log.Should().Contain("ended: partial_failure (exit 8)", result.ToString()).And.NotContain("partialfailure");
    }

    [Fact]
    public async Task An_edited_schedule_in_the_config_applies_from_the_next_run_on()
    {
        using var cli = _library.Cli(url: false);
        var state = Path.Combine(cli.Root, "state");
        var config = cli.WriteConfig(Config("*/1 * * * * ?"));
        using var stop = new CancellationTokenSource();
        var daemon = cli.RunAsync(stop.Token, "daemon", "-c", config, "--state", state);

        // Every second until the edit: the run after it reads the new schedule and the daemon follows it.
        await WaitForAsync(state, s => s.RecentRuns.Count >= 1, daemon);
        cli.WriteConfig(Config("0 30 4 * * ?"));
        await WaitForAsync(state, s => s.Daemon is { Schedule: "0 30 4 * * ?" }, daemon);
        var status = StatusFile.Read(Path.Combine(state, StatusFile.FileName))!;
        await stop.CancelAsync();
        var result = await daemon;

        result.ExitCode.Should().Be(0, result.ToString());
        status.Daemon!.Schedule.Should().Be("0 30 4 * * ?", result.ToString());
        status.Daemon.NextRunAt!.Value.ToLocalTime().TimeOfDay.Should().Be(new TimeSpan(4, 30, 0));
        (result.Out + result.Err).Should().Contain("Daemon started (schedule */1 * * * * ? from the config's schedule")
            .And.Contain("Schedule changed in the config: now 0 30 4 * * ? (was */1 * * * * ?)");
    }
}
