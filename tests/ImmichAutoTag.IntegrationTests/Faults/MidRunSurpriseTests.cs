using System.Text.Json;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// Issue 18, item 6: what happens to a run when, during its apply, the API key is revoked, or the server goes down for a
/// restart or an upgrade. The run stops writing at once (it does not fail one bulk call after another), writes its reports
/// listing what was applied, ends with the documented exit code (5: key rejected, 4: no answer) and leaves the queue
/// marker when it could not resume the queues; the next run resumes them before any other write and converges.
/// </summary>
public sealed class MidRunSurpriseTests
{
    /// <summary>The apply's write at which the surprise comes: after the queues are paused and some albums were created.</summary>
    private const int SurpriseAtWrite = 6;

    [Fact]
    public async Task A_key_revoked_mid_apply_stops_the_run_with_5_and_the_next_run_with_a_new_key_resumes_the_queues_and_converges()
    {
        var clean = await FaultMatrixTests.CleanSnapshotAsync();
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var writes = 0;
        library.Server.BeforeServe = _ =>
        {
            var last = library.Server.Requests.All.Count(r => r.IsWrite);
            if (last + 1 == SurpriseAtWrite && Interlocked.Exchange(ref writes, 1) == 0)
            {
                library.Server.State.RevokeApiKey(library.Key);
            }
        };

        var stopped = await cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()), "--output", "stopped");
        library.Server.BeforeServe = null;

        stopped.ExitCode.Should().Be((int)RunExitCode.AuthenticationFailed, stopped.ToString());
        stopped.Err.Should().Contain("rejected the API key").And.Contain("The run stopped");
        FaultMatrixTests.LastRunExitCode(cli).Should().Be(5);
        var history = await ImmichAutoTag.Infrastructure.SqliteRunHistoryStore.InFolder(Path.Combine(cli.Root, "state")).RecentAsync(1, scope: null, CancellationToken.None);
        history.Should().ContainSingle().Which.Outcome.Should().Be("failed", "Y7: the history row says what status.json says, not partial_failure");
        var rejected = library.Server.Requests.All.Where(r => r.StatusCode == 401).ToList();
        rejected.Where(r => r.IsWrite && r.OperationId != "updateQueue").Should().ContainSingle("no write is started after the first one the server rejected");
        AppliedAlbumsExist(cli, "stopped", library).Should().BeGreaterThan(0, "the report lists the albums created before the key was revoked");
        library.Server.State.IsQueuePaused("sidecar").Should().BeTrue("the queues could not be resumed with a revoked key");

        var newKey = library.Server.State.AddApiKey(library.User, "all");
        var nextConfig = cli.WriteConfig(library.Config().Replace(library.Key, newKey, StringComparison.Ordinal), "next.yaml");
        library.Server.Requests.Clear();
        var next = await cli.RunAsync("run", "--config", nextConfig, "--output", "next");

        next.ExitCode.Should().Be(0, next.ToString());
        FirstWriteResumesAQueue(library);
        library.Snapshot().Should().Be(clean);
        library.DoubledAlbums().Should().BeEmpty();
    }

    [Theory]
    [InlineData("3.1.0")]
    [InlineData("3.2.0")]
    [InlineData("4.0.0")]
    public async Task A_server_restarted_or_upgraded_mid_apply_stops_the_run_with_4_and_the_next_run_resumes_the_queues_and_converges(string versionAfter)
    {
        var clean = await FaultMatrixTests.CleanSnapshotAsync();
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var writes = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        library.Server.Faults.HangWhere(
            (method, path, body) => new RecordedRequest("", method, path, body, 0).IsWrite && Interlocked.Increment(ref writes) == SurpriseAtWrite,
            _ => held.TrySetResult());

        var run = cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()), "--output", "stopped");
        if (await Task.WhenAny(held.Task, run) == run)
        {
            Assert.Fail("the run ended before its write #" + SurpriseAtWrite + ": " + await run);
        }

        // Down: the held request's connection is cut and new connections are refused until the run has ended.
        await library.Server.StopListeningAsync();
        library.Server.Faults.Clear();
        var stopped = await run;
        library.Server.State.ServerVersion = versionAfter;
        await library.Server.ListenAgainAsync();

        stopped.ExitCode.Should().Be((int)RunExitCode.ServerUnreachable, stopped.ToString());
        stopped.Err.Should().Contain("did not answer").And.Contain("The run stopped");
        FaultMatrixTests.LastRunExitCode(cli).Should().Be(4);
        AppliedAlbumsExist(cli, "stopped", library).Should().BeGreaterThan(0, "the report lists the albums created before the server went down");
        Directory.GetFiles(Path.Combine(cli.Root, "state"), "*queue*").Should().NotBeEmpty("the queues could not be resumed while the server was down");

        library.Server.Requests.Clear();
        var next = await cli.RunAsync("run", "--config", cli.WriteConfig(library.Config(), "next.yaml"), "--output", "next", "-v");

        next.ExitCode.Should().Be(0, next.ToString());
        next.ToString().Should().Contain($"Immich {versionAfter}");
        if (versionAfter.StartsWith('4'))
        {
            next.ToString().Should().Contain("newer than the 3.x API");
        }

        FirstWriteResumesAQueue(library);
        library.Snapshot().Should().Be(clean);
        library.DoubledAlbums().Should().BeEmpty();
        library.Server.State.DuplicateAlbumCreations.Should().Be(0);
    }

    [Fact]
    public async Task A_server_down_at_the_output_tag_creation_stops_the_run_with_4_one_error_line_and_reports()
    {
        // The first write after the queue pauses is the output tags' upsert (PUT /api/tags).
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        library.Server.Faults.HangWhere((method, path, _) => method == "PUT" && path.TrimEnd('/').EndsWith("/tags", StringComparison.Ordinal), _ => held.TrySetResult());

        var run = cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()), "--output", "stopped");
        if (await Task.WhenAny(held.Task, run) == run)
        {
            Assert.Fail("the run ended before it created its output tags: " + await run);
        }

        await library.Server.StopListeningAsync();
        library.Server.Faults.Clear();
        var stopped = await run;
        await library.Server.ListenAgainAsync();

        stopped.ExitCode.Should().Be((int)RunExitCode.ServerUnreachable, stopped.ToString());
        stopped.Err.Should().Contain("did not answer").And.Contain("The run stopped");
        stopped.Out.Should().NotContain("   at ", "a server that went away is one error line, not stack traces");
        FaultMatrixTests.LastRunExitCode(cli).Should().Be(4);
        var folder = Directory.GetDirectories(Path.Combine(cli.Root, "stopped")).Single();
        File.Exists(Path.Combine(folder, "modification_report.txt")).Should().BeTrue("the reports say what was (not) applied");
        File.Exists(Path.Combine(folder, "plan.txt")).Should().BeTrue();
    }

    [Fact]
    public async Task A_server_gone_after_the_writes_while_the_run_waits_for_its_queues_ends_with_4_and_changes_jsonl()
    {
        // The wait for Immich's write-back reads the queues after the last write; the server goes away right then.
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = library.Server.Requests;
        library.Server.Faults.HangWhere(
            (method, path, _) => method == "GET" && path.TrimEnd('/').EndsWith("/queues", StringComparison.Ordinal)
                && log.All.Any(r => r.IsWrite && r.Method == "PUT" && r.Path.Contains("/tags/assets", StringComparison.Ordinal)),
            _ => held.TrySetResult());

        var run = cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()), "--output", "stopped");
        if (await Task.WhenAny(held.Task, run) == run)
        {
            Assert.Fail("the run ended before it waited for its queues: " + await run);
        }

        await library.Server.StopListeningAsync();
        library.Server.Faults.Clear();
        var stopped = await run;
        await library.Server.ListenAgainAsync();

        stopped.ExitCode.Should().Be((int)RunExitCode.ServerUnreachable, stopped.ToString());
        var folder = Directory.GetDirectories(Path.Combine(cli.Root, "stopped")).Single();
        File.Exists(Path.Combine(folder, "modification_report.txt")).Should().BeTrue(stopped.ToString());
        File.ReadAllLines(Path.Combine(folder, "changes.jsonl")).Should().NotBeEmpty("what was applied is recorded, so undo can revert it");
    }

    [Fact]
    public async Task A_server_rolled_back_mid_apply_to_an_unsupported_version_is_refused_by_the_next_run_with_7_and_no_write()
    {
        await using var library = await FaultLibrary.StartAsync();
        using var cli = FaultMatrixTests.Harness();
        var writes = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        library.Server.Faults.HangWhere(
            (method, path, body) => new RecordedRequest("", method, path, body, 0).IsWrite && Interlocked.Increment(ref writes) == SurpriseAtWrite,
            _ => held.TrySetResult());
        var config = cli.WriteConfig(library.Config());
        var run = cli.RunAsync("run", "--config", config);
        await Task.WhenAny(held.Task, run);
        await library.Server.StopListeningAsync();
        library.Server.Faults.Clear();
        (await run).ExitCode.Should().Be((int)RunExitCode.ServerUnreachable);
        library.Server.State.ServerVersion = "2.5.6";
        await library.Server.ListenAgainAsync();

        library.Server.Requests.Clear();
        var next = await cli.RunAsync("run", "--config", config);

        next.ExitCode.Should().Be((int)RunExitCode.ServerError, next.ToString());
        next.Err.Should().Contain("2.5.6");
        library.Server.Requests.WriteCount.Should().Be(0, "an unsupported server is not written to, not even to resume queues");
    }

    private static void FirstWriteResumesAQueue(FaultLibrary library)
    {
        var firstWrite = library.Server.Requests.All.First(r => r.IsWrite && r.StatusCode != 0);
        firstWrite.OperationId.Should().Be("updateQueue");
        firstWrite.Body.Should().Contain("\"isPaused\":false", "the queues the stopped run left paused are resumed before anything else is written");
    }

    /// <summary>The albums the run's changes.jsonl says it created; each must exist on the server. Returns their number.</summary>
    private static int AppliedAlbumsExist(CliHarness cli, string output, FaultLibrary library)
    {
        var folder = Directory.GetDirectories(Path.Combine(cli.Root, output)).Single();
        var created = File.ReadAllLines(Path.Combine(folder, "changes.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(c => c.GetProperty("kind").GetString() == "CREATE_ALBUM")
            .Select(c => c.GetProperty("album_name").GetString())
            .ToList();
        created.Should().OnlyContain(name => library.Server.State.Albums.Any(a => a.Name == name));
        File.ReadAllText(Path.Combine(folder, "modification_report.txt")).Should().Contain("kind=CREATE_ALBUM");
        return created.Count;
    }
}
