using System.Diagnostics;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>A damaged state.db (W4) and a run whose process died (W8) as the CLI reports them.</summary>
public sealed class StateHealthCliTests : IAsyncLifetime
{
    private CliLibrary _library = null!;

    public async Task InitializeAsync() => _library = await CliLibrary.StartAsync();

    public async Task DisposeAsync() => await _library.DisposeAsync();

    private static string Config(CliHarness cli) => cli.WriteConfig(CliLibrary.DateAlbumRules);

    private CliHarness Cli() => _library.Cli();

    [Theory]
    [InlineData("cut")]
    [InlineData("random")]
    public async Task A_damaged_state_database_stops_the_run_before_any_write_and_says_what_to_do(string damage)
    {
        using var cli = Cli();
        var config = Config(cli);
        var state = Path.Combine(cli.Root, "state");
        var first = await cli.RunAsync("run", "-c", config, "--state", state);
        first.ExitCode.Should().Be(0, first.ToString());
        var database = Path.Combine(state, SqliteRunStateStore.FileName);
        if (damage == "cut")
        {
            // A file cut short (power loss on a NAS volume): the header survives, later pages do not.
            var bytes = await File.ReadAllBytesAsync(database);
            bytes.Length.Should().BeGreaterThan(3 * 4096);
            await File.WriteAllBytesAsync(database, bytes[..(3 * 4096)]);
        }
        else
        {
            var random = new byte[20000];
            new Random(7).NextBytes(random);
            await File.WriteAllBytesAsync(database, random);
        }

        _library.Server.Requests.Clear();
        var run = await cli.RunAsync("run", "-c", config, "--state", state);
        var dry = await cli.RunAsync("run", "--dry-run", "-c", config, "--state", state);
        var status = await cli.RunAsync("status", "--state", state);

        run.ExitCode.Should().Be((int)RunExitCode.StateDamaged, run.ToString());
        run.Err.Should().Contain($"The state file {database} is damaged").And.Contain("Move it aside").And.Contain("correction memory")
            .And.NotContain("Unexpected error");
        dry.ExitCode.Should().Be((int)RunExitCode.StateDamaged, dry.ToString());
        _library.Server.Requests.WriteCount.Should().Be(0);
        status.ExitCode.Should().Be(1, status.ToString());
        status.Out.Should().Contain($"unhealthy: The state file {database} is damaged");

        File.Move(database, database + ".damaged");
        var after = await cli.RunAsync("run", "-c", config, "--state", state);
        after.ExitCode.Should().Be(0, "moved aside, the next run starts a new state file\n" + after);
    }

    [Fact]
    public async Task A_run_whose_process_died_is_unhealthy_and_the_next_run_records_it_as_failed()
    {
        using var cli = Cli();
        var state = Directory.CreateDirectory(Path.Combine(cli.Root, "state")).FullName;
        int deadPid;
        using (var gone = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
        {
            await gone.WaitForExitAsync();
            deadPid = gone.Id;
        }

        new StatusFile(state).RunStarted(new RunStatus { RunId = "20261130_214054_PID" + deadPid, Pid = deadPid, Trigger = "run", StartedAt = DateTimeOffset.UtcNow, Outcome = RunOutcome.Running });
        var status = await cli.RunAsync("status", "--state", state);
        var run = await cli.RunAsync("run", "-c", Config(cli), "--state", state);

        status.ExitCode.Should().Be(1, status.ToString());
        status.Out.Should().Contain($"(process {deadPid} is gone)").And.Contain($"unhealthy: run 20261130_214054_PID{deadPid} died: process {deadPid} is not running");
        run.ExitCode.Should().Be(0, run.ToString());
        var recorded = StatusFile.Read(Path.Combine(state, StatusFile.FileName))!;
        recorded.RecentRuns.Should().HaveCount(2);
        recorded.RecentRuns[0].Outcome.Should().Be(RunOutcome.Failed);
        recorded.RecentRuns[0].Message.Should().StartWith("ended without a result");
        recorded.RecentRuns[1].Outcome.Should().Be(RunOutcome.Success);
        var after = await cli.RunAsync("status", "--state", state);
        after.ExitCode.Should().Be(0, "the run after it succeeded");
        var rows = after.Out.Split('\n').SkipWhile(l => !l.StartsWith("history (", StringComparison.Ordinal)).ToList();
        rows.Should().NotBeEmpty(after.Out);
        rows[0].Should().StartWith("history (last 2 run(s)", "the dead run has no row in state.db, but the history shows it");
        rows[2].Should().StartWith($"  20261130_214054_PID{deadPid}").And.EndWith($"failed (ended without a result: process {deadPid} killed or crashed)");
        rows[3].Should().EndWith("success");
    }

    [Fact]
    public async Task A_run_in_progress_whose_process_lives_stays_healthy()
    {
        using var cli = Cli();
        var state = Directory.CreateDirectory(Path.Combine(cli.Root, "state")).FullName;
        new StatusFile(state).RunStarted(new RunStatus { RunId = "r", Pid = Environment.ProcessId, Trigger = "run", StartedAt = DateTimeOffset.UtcNow, Outcome = RunOutcome.Running });

        var status = await cli.RunAsync("status", "--state", state);

        status.ExitCode.Should().Be(0, status.ToString());
        status.Out.Should().Contain("running: r since").And.NotContain("is gone");
    }
}
