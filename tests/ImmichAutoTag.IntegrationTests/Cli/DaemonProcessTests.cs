using ImmichAutoTag.Cli;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>The daemon as users run it: a separate process, stopped with SIGTERM.</summary>
public sealed class DaemonProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private FakeImmichServer _server = null!;
    private string _key = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        var user = _server.State.AddUser("Alice", "alice@example.com");
        _key = _server.State.AddApiKey(user.Id, "all");
        var album = _server.State.AddAlbum(user.Id, "2019-07 Beach");
        for (var i = 0; i < 4; i++)
        {
            // Dated inside the album's month, so the album-date check has nothing to flag.
            var asset = _server.State.AddAsset(user.Id, $"IMG_{i}.jpg", new DateTimeOffset(2019, 7, 1 + i, 12, 0, 0, TimeSpan.Zero));
            if (i % 2 == 0)
            {
                _server.State.AddAlbumAssets(album.Id, asset.Id);
            }
        }

        _root = Directory.CreateTempSubdirectory("immich-autotag-daemon-").FullName;
        File.WriteAllText(Path.Combine(_root, "config.yaml"), $"""
            server:
              url: {_server.BaseUrl}
            enable_album_name_strip: true
            classification:
              rules:
                - album_name_patterns: ['^\d{"{4}"}']
            """);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private string State => Path.Combine(_root, "state");

    private CliProcess StartDaemon(params string[] extra) => CliProcess.Start(
        _root,
        new Dictionary<string, string> { ["IMMICH_API_KEY"] = _key, ["HOME"] = _root },
        ["daemon", "--config", "config.yaml", "--state", State, "--output", "logs", .. extra]);

    [Fact]
    public async Task Daemon_runs_on_its_schedule_one_run_at_a_time_and_stops_cleanly_on_SIGTERM()
    {
        // Given: a schedule every 2 seconds, and a first run held up for longer than that, so a firing
        // comes due while it is still running.
        _server.Faults.Delay("searchAssets", TimeSpan.FromSeconds(3), times: 1);
        using var daemon = StartDaemon("--schedule", "*/2 * * * * ?");

        // When: two runs have completed
        var status = await WaitForAsync(() => ReadStatus() is { RecentRuns.Count: >= 2 } s ? s : null, daemon);
        daemon.Terminate();
        var exit = await daemon.WaitForExitAsync(Patience);

        // Then: a clean stop, runs strictly one after the other, each in its own output folder
        exit.Should().NotBeNull(daemon.ToString());
        var final = ReadStatus()!;
        var runs = final.RecentRuns.OrderBy(r => r.StartedAt).ToList();
        if (exit == (int)RunExitCode.Cancelled)
        {
            runs[^1].Outcome.Should().Be(RunOutcome.Cancelled, "130 means the stop interrupted a run");
        }
        else
        {
            exit.Should().Be(0, daemon.ToString());
        }

        final.Current.Should().BeNull("no run may be left open");
        final.Daemon!.State.Should().Be("stopped");
        runs.Should().HaveCountGreaterThanOrEqualTo(2);
        for (var i = 1; i < runs.Count; i++)
        {
            runs[i].StartedAt.Should().BeOnOrAfter(runs[i - 1].FinishedAt!.Value, "runs must never overlap");
        }

        runs.Select(r => r.OutputFolder).Should().OnlyHaveUniqueItems();
        runs.Should().AllSatisfy(r => Directory.Exists(r.OutputFolder).Should().BeTrue());
        runs.Take(2).Should().AllSatisfy(r => r.Outcome.Should().Be(RunOutcome.Success, daemon.ToString()));
        runs[0].Counters!.TagsAdded.Should().Be(2, "the two assets in no album get the unknown tag");
        runs[1].Counters!.WriteRequests.Should().Be(0, "a second run right after the first sends no write");
        status.RecentRuns.Should().NotBeEmpty();
        _server.Requests.Count("searchAssets").Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_state_folder_exits_at_once_with_a_clear_message()
    {
        using var first = StartDaemon("--schedule", "0 2 * * *");
        await WaitForAsync(() => ReadStatus()?.Daemon, first);

        using var second = StartDaemon("--schedule", "0 2 * * *");
        var exit = await second.WaitForExitAsync(Patience);

        exit.Should().Be((int)RunExitCode.Busy, second.ToString());
        second.Err.Should().Contain("already running").And.Contain(State);
        first.HasExited.Should().BeFalse("the first daemon keeps running");
        first.Terminate();
        (await first.WaitForExitAsync(Patience)).Should().Be(0, first.ToString());
        _server.Requests.WriteCount.Should().Be(0, "neither daemon ran: the schedule is nightly");
    }

    private StatusDocument? ReadStatus() => StatusFile.Read(Path.Combine(State, StatusFile.FileName));

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, CliProcess process)
        where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
            {
                return value;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException("The daemon exited early.\n" + process);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Gave up waiting for the daemon.\n" + process);
    }
}
