using Xunit.Abstractions;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// Issue 18, item 2: the real CLI process (the built immich-autotag.dll under dotnet, over loopback HTTP to the fake) is
/// killed with SIGKILL while its Nth write request is in flight — held unserved, or served with its answer held — for
/// every write of the apply. The fake holds the request and signals the test, which then kills the process: no sleep
/// decides the moment. The next run must not be blocked by the dead run's lock or status, must resume the queues the dead
/// run left paused before any other write, and must leave exactly the library a clean run leaves, nothing doubled.
/// </summary>
public sealed class KillNineTests(ITestOutputHelper output)
{
    /// <summary>Writes 1..10 of the apply (the library's clean run sends more; a test checks), each held before and after being served: 20 kill points.</summary>
    public static TheoryData<int, bool> KillPoints()
    {
        var data = new TheoryData<int, bool>();
        for (var write = 1; write <= 10; write++)
        {
            data.Add(write, false);
            data.Add(write, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task After_a_kill_9_at_a_write_the_next_run_resumes_the_queues_first_and_converges_to_the_clean_library(int write, bool served)
    {
        var clean = await FaultMatrixTests.CleanSnapshotAsync();
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var config = cli.WriteConfig(library.Config());
        var state = Path.Combine(cli.Root, "state");

        var writes = 0;
        var held = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        library.Server.Faults.HangWhere(
            (method, path, body) => new RecordedRequest("", method, path, body, 0).IsWrite && Interlocked.Increment(ref writes) == write,
            op => held.TrySetResult(op),
            served);

        using (var process = CliProcess.Start(cli.Root, new Dictionary<string, string>(), "run", "--config", config, "--state", state, "--output", Path.Combine(cli.Root, "killed")))
        {
            var exited = process.WaitForExitAsync(TimeSpan.FromMinutes(3));
            var first = await Task.WhenAny(held.Task, exited);
            first.Should().BeSameAs(held.Task, $"the run must reach its write #{write} (clean runs send more); {process}");
            process.KillHard();
        }

        library.Server.Faults.Clear();
        var killedAt = await held.Task;
        var pausedByDeadRun = Directory.GetFiles(state, "*queue*").Length > 0;
        output.WriteLine($"kill point write #{write} ({killedAt}, served: {served}): queues left paused: {pausedByDeadRun}");

        library.Server.Requests.Clear();
        var next = await cli.RunAsync("run", "--config", config, "--output", "next");
        next.ExitCode.Should().Be(0, $"killed at write #{write} ({killedAt}, served: {served}); {next}");
        FaultMatrixTests.LastRunExitCode(cli).Should().Be(0);
        if (pausedByDeadRun)
        {
            // Status 0: the dead run's held request, logged by the fake only once the kill closed its connection.
            var firstWrite = library.Server.Requests.All.First(r => r.IsWrite && r.StatusCode != 0);
            firstWrite.OperationId.Should().Be("updateQueue");
            firstWrite.Body.Should().Contain("\"isPaused\":false", "the queues the dead run paused are resumed before anything else is written");
        }

        library.Snapshot().Should().Be(clean, $"killed at write #{write} ({killedAt}, served: {served})");
        library.DoubledAlbums().Should().BeEmpty();
        library.Server.State.DuplicateAlbumCreations.Should().Be(0);
        Directory.GetFiles(state, "*queue*").Should().BeEmpty();
    }

    [Fact]
    public async Task The_clean_run_sends_more_writes_than_the_last_kill_point()
    {
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()));
        result.ExitCode.Should().Be(0, result.ToString());
        library.Server.Requests.WriteCount.Should().BeGreaterThan(10, string.Join(", ", library.Server.Requests.All.Where(r => r.IsWrite).Select(r => r.OperationId)));
    }
}
