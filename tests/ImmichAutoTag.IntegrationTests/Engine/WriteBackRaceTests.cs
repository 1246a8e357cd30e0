using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Runs against the fake with Immich's sidecar write-back race on: tag changes must stick, with the queues
/// paused, with waves when the key may not pause them, and after a run that was cancelled or died.
/// </summary>
public sealed class WriteBackRaceTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private const string Conflict = "autotag_output_conflict";
    private static readonly string[] RunPermissions = ["user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset"];

    private FakeImmichServer _server = null!;
    private Guid _user;
    private readonly DateTimeOffset _t0 = new(2021, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string ConfigYaml(Uri url, string key) => $"""
        server:
          url: {url}
          api_key: {key}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}-\d{"{2}"}']
        """;

    /// <summary>
    /// A library a first run must touch twice per asset for most assets: stale output tags left by an
    /// earlier tool, so a conflict needs "add conflict" and "remove unknown", and some assets need two removals.
    /// </summary>
    private sealed record Library(Guid[] NowConflict, Guid[] NowClassified, Guid[] Fresh, Guid[] BothStale)
    {
        public int ExpectedSecondWaveChanges => NowConflict.Length + BothStale.Length;
    }

    private static Library Seed(FakeImmichState state, Guid user, DateTimeOffset t0, int scale = 1)
    {
        Guid Add(string name, int i) => state.AddAsset(user, $"{name}_{i}.jpg", t0.AddMinutes(i)).Id;
        var nowConflict = Enumerable.Range(0, 5 * scale).Select(i => Add("CONFLICT", i)).ToArray();
        var nowClassified = Enumerable.Range(0, 4 * scale).Select(i => Add("EVENT", 100_000 + i)).ToArray();
        var fresh = Enumerable.Range(0, 3 * scale).Select(i => Add("LOOSE", 200_000 + i)).ToArray();
        var bothStale = Enumerable.Range(0, 2 * scale).Select(i => Add("BOTH", 300_000 + i)).ToArray();
        state.AddAlbum(user, "2021-03 Trip", nowConflict.Concat(nowClassified).Concat(bothStale));
        state.AddAlbum(user, "2021-04 Party", nowConflict);
        var unknown = state.UpsertTag(Unknown);
        var conflict = state.UpsertTag(Conflict);
        foreach (var id in nowConflict.Concat(nowClassified).Concat(bothStale))
        {
            state.TagAsset(unknown.Id, id);
        }

        foreach (var id in bothStale)
        {
            state.TagAsset(conflict.Id, id);
        }

        return new Library(nowConflict, nowClassified, fresh, bothStale);
    }

    private string[] OutputTagsOf(Guid asset)
    {
        var ids = _server.State.DirectTagIdsOf(asset);
        return [.. _server.State.Tags.Where(t => ids.Contains(t.Id)).Select(t => t.Value).Order(StringComparer.Ordinal)];
    }

    private void ShouldBeExactlyAsPlanned(Library lib)
    {
        lib.NowConflict.Should().OnlyContain(a => OutputTagsOf(a).SequenceEqual(new[] { Conflict }));
        lib.Fresh.Should().OnlyContain(a => OutputTagsOf(a).SequenceEqual(new[] { Unknown }));
        lib.NowClassified.Concat(lib.BothStale).Should().OnlyContain(a => OutputTagsOf(a).Length == 0);
    }

    private static string Stats(CliHarness cli)
    {
        var runDir = Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last();
        return File.ReadAllText(Path.Combine(runDir, "run_statistics.yaml"));
    }

    private void ShouldLeaveNoQueuePaused(CliHarness cli)
    {
        _server.State.IsQueuePaused("sidecar").Should().BeFalse();
        _server.State.IsQueuePaused("metadataExtraction").Should().BeFalse();
        var state = Path.Combine(cli.Root, "state");
        (Directory.Exists(state) ? Directory.GetFiles(state, "queues-paused-*.json") : []).Should().BeEmpty("the marker goes once the queues run again");
    }

    private static CliHarness Cli(string key, string? settleSeconds = null) =>
        new CliHarness()
            .WithEnv("IMMICH_AUTOTAG_STATE", null)
            .WithEnv("XDG_STATE_HOME", null)
            .WithEnv("IMMICH_AUTOTAG_SETTLE_SECONDS", settleSeconds)
            .WithEnv("IMMICH_API_KEY", key)
            .WithStateFolder();

    [Fact]
    public async Task With_queue_permissions_the_queues_are_paused_the_first_run_sticks_and_the_second_plans_nothing()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        var first = await cli.RunAsync("run", "--config", config);

        first.ExitCode.Should().Be(0, first.ToString());
        ShouldBeExactlyAsPlanned(lib);
        _server.State.RevertedWriteBacks.Should().Be(0, "nothing lands while the queues are paused");
        ShouldLeaveNoQueuePaused(cli);
        _server.Requests.Count("updateQueue").Should().Be(4, "pause and resume sidecar and metadataExtraction");
        Stats(cli).Should().Contain("  mode: paused_queues").And.Contain("  reverted_and_reapplied: 0").And.Contain("  still_wrong: 0");

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config);

        second.ExitCode.Should().Be(0, second.ToString());
        second.Out.Should().Contain("Changes: 0 tag link(s) added, 0 removed");
        _server.Requests.WriteCount.Should().Be(0, "nothing to change, so the queues are not touched either");
    }

    [Fact]
    public async Task Without_queue_update_the_run_writes_in_waves_that_wait_for_idle_queues_and_converges()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, [.. RunPermissions, "queue.read"]));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        var first = await cli.RunAsync("run", "--config", config);

        first.ExitCode.Should().Be(0, first.ToString());
        ShouldBeExactlyAsPlanned(lib);
        _server.State.RevertedWriteBacks.Should().Be(0);
        _server.Requests.Count("updateQueue").Should().Be(1, "the one refused pause attempt");
        // Wave 1: every addition and the first removal of assets without one; wave 2: the remaining removals.
        first.Out.Should().Contain("Warning: tags were written in 2 wave(s) because the API key cannot pause Immich's queues (queue.update)");
        first.Err.Should().Contain("lacks queue.update").And.Contain("waves");
        Stats(cli).Should().Contain("  mode: waves_until_idle").And.Contain("  waves: 2").And.Contain("fallback_reason:");

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config);
        second.ExitCode.Should().Be(0, second.ToString());
        _server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_non_admin_key_with_the_queue_permissions_is_told_the_queues_are_admin_only_not_to_grant_what_it_has()
    {
        var bob = _server.State.AddUser("Bob", "bob@example.com", isAdmin: false).Id;
        var lib = Seed(_server.State, bob, _t0);
        using var cli = Cli(_server.State.AddApiKey(bob, [.. RunPermissions, "queue.read", "queue.update"]));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        var first = await cli.RunAsync("run", "--config", config);

        first.ExitCode.Should().Be(0, first.ToString());
        ShouldBeExactlyAsPlanned(lib);
        _server.Requests.Count("updateQueue").Should().Be(0, "the queues could not even be read");
        first.Out.Should().Contain("because the API key's user is not an Immich admin, and Immich serves its queues to admin users only");
        (first.Out + first.Err).Should().NotContain("lacks the permission 'queue.read'").And.NotContain("Grant queue.read");
        first.Err.Should().Contain("A key of an admin user with queue.read and queue.update");
        Stats(cli).Should().Contain("  mode: waves_observed");
    }

    [Fact]
    public async Task Without_any_queue_permission_waves_watch_the_touched_assets_and_converge()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, RunPermissions));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        var first = await cli.RunAsync("run", "--config", config);

        first.ExitCode.Should().Be(0, first.ToString());
        ShouldBeExactlyAsPlanned(lib);
        _server.State.RevertedWriteBacks.Should().Be(0, "each wave waited until the touched assets showed the write-back");
        _server.Requests.Count("updateQueue").Should().Be(0);
        Stats(cli).Should().Contain("  mode: waves_observed").And.Contain("queue.read");

        _server.Requests.Clear();
        (await cli.RunAsync("run", "--config", config)).ExitCode.Should().Be(0);
        _server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task Queues_left_paused_by_a_run_that_died_are_resumed_before_the_next_run_reads_anything()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        // What a process killed mid-apply leaves behind: both queues paused and its marker.
        _server.State.SetQueuePaused("sidecar", true);
        _server.State.SetQueuePaused("metadataExtraction", true);
        var marker = new FileQueuePauseMarker(Path.Combine(cli.Root, "state"), StateScope.Of(_user), _server.BaseUrl, TimeProvider.System);
        await marker.WriteAsync(["sidecar", "metadataExtraction"], CancellationToken.None);

        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        ShouldLeaveNoQueuePaused(cli);
        ShouldBeExactlyAsPlanned(lib);
        var ops = _server.Requests.All.Select(r => r.OperationId).ToList();
        ops.IndexOf("updateQueue").Should().BeLessThan(ops.IndexOf("searchAssets"));
        Stats(cli).Should().Contain("queues_resumed_from_earlier_run: [\"sidecar\", \"metadataExtraction\"]")
            .And.Contain("queues_paused_by_others: []");
    }

    /// <summary>
    /// W9 addendum: the marker follows the state scope (the user id), not the URL. An older version's marker, named
    /// after another spelling of the same server's URL, is still this state folder's: the queues are resumed.
    /// </summary>
    [Fact]
    public async Task A_marker_an_older_version_left_under_another_url_spelling_is_found_and_the_queues_are_resumed()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));
        _server.State.SetQueuePaused("sidecar", true);
        _server.State.SetQueuePaused("metadataExtraction", true);
        var other = new UriBuilder(_server.BaseUrl) { Host = "localhost" }.Uri;
        var state = Directory.CreateDirectory(Path.Combine(cli.Root, "state")).FullName;
        var legacy = Path.Combine(state, FileQueuePauseMarker.LegacyFileName(other));
        await File.WriteAllTextAsync(legacy, $$"""{"queues":["sidecar","metadataExtraction"],"server":"{{other}}","paused_at":"2026-11-30T21:00:00+00:00","pid":1}""");

        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().NotContain("are paused, and not by a run with this state folder");
        ShouldLeaveNoQueuePaused(cli);
        File.Exists(legacy).Should().BeFalse("the old marker is cleared with the queues it named");
        ShouldBeExactlyAsPlanned(lib);
        Stats(cli).Should().Contain("queues_resumed_from_earlier_run: [\"sidecar\", \"metadataExtraction\"]");
    }

    [Fact]
    public async Task Queues_paused_without_this_state_folders_marker_are_warned_about_with_the_fix_and_not_claimed_in_the_statistics()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));

        // A run with another state folder died mid-apply: the queues are paused, the marker lies in that other folder.
        _server.State.SetQueuePaused("sidecar", true);
        _server.State.SetQueuePaused("metadataExtraction", true);

        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        ShouldBeExactlyAsPlanned(lib);
        var warnings = (result.Out + result.Err).Split('\n').Where(l => l.Contains("are paused, and not by a run with this state folder", StringComparison.Ordinal)).ToList();
        warnings.Should().ContainSingle("said once per run").Which.Should().Contain("sidecar").And.Contain("metadataExtraction")
            .And.Contain("Administration > Job Queues").And.Contain("one state folder per Immich server");
        Stats(cli).Should().Contain("queues_paused_by_this_run: []")
            .And.Contain("queues_paused_by_others: [\"sidecar\", \"metadataExtraction\"]");
        _server.Requests.Count("updateQueue").Should().Be(0, "another run may still be writing: its pause is not ours to lift");
    }

    [Fact]
    public async Task A_dry_run_reports_a_stale_queue_marker_and_leaves_it_the_next_real_run_resumes_the_queues()
    {
        var lib = Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));
        _server.State.SetQueuePaused("sidecar", true);
        _server.State.SetQueuePaused("metadataExtraction", true);
        var marker = new FileQueuePauseMarker(Path.Combine(cli.Root, "state"), StateScope.Of(_user), _server.BaseUrl, TimeProvider.System);
        await marker.WriteAsync(["sidecar", "metadataExtraction"], CancellationToken.None);

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config);

        dry.ExitCode.Should().Be(0, dry.ToString());
        _server.Requests.WriteCount.Should().Be(0, "a dry run sends no write request, not even to resume queues");
        _server.Requests.Count("updateQueue").Should().Be(0);
        File.Exists(marker.FilePath).Should().BeTrue("only a real run resumes the queues and removes the marker");
        _server.State.IsQueuePaused("sidecar").Should().BeTrue();
        _server.State.IsQueuePaused("metadataExtraction").Should().BeTrue();
        dry.Out.Should().Contain("an earlier run paused the Immich queues sidecar, metadataExtraction");
        Stats(cli).Should().Contain("queues_left_paused_by_earlier_run: [\"sidecar\", \"metadataExtraction\"]")
            .And.Contain("queues_resumed_from_earlier_run: []");

        _server.Requests.Clear();
        var real = await cli.RunAsync("run", "--config", config);

        real.ExitCode.Should().Be(0, real.ToString());
        ShouldLeaveNoQueuePaused(cli);
        ShouldBeExactlyAsPlanned(lib);
        Stats(cli).Should().Contain("queues_resumed_from_earlier_run: [\"sidecar\", \"metadataExtraction\"]")
            .And.Contain("queues_left_paused_by_earlier_run: []");
    }

    [Fact]
    public async Task A_run_cancelled_mid_apply_resumes_the_queues_it_paused()
    {
        Seed(_server.State, _user, _t0);
        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var config = cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env"));
        // A write already sent is allowed to finish (a chunk is applied whole or not at all), so the delay is
        // short: the stop lands while the write is in flight, and nothing after it is started.
        _server.Faults.Delay("bulkTagAssets", TimeSpan.FromSeconds(2));
        using var cts = new CancellationTokenSource();

        var run = cli.RunAsync(cts.Token, "run", "--config", config);
        while (!_server.State.IsQueuePaused("metadataExtraction") && !run.IsCompleted)
        {
            await Task.Delay(20);
        }

        await cts.CancelAsync();
        var result = await run;

        result.ExitCode.Should().Be(130, result.ToString());
        ShouldLeaveNoQueuePaused(cli);
    }

    [Fact]
    public async Task Changes_the_server_reverted_are_found_by_tag_searches_and_re_applied()
    {
        // The race made deterministic: one virtual clock for the fake and the engine, a 10 s write-back and
        // a 6 s bound on watching for it, so the second wave lands inside the first one's window.
        var clock = new VirtualClock(_t0);
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock, SidecarDelay = TimeSpan.FromSeconds(10) });
        var user = server.State.AddUser("Bob", "bob@example.com").Id;
        var lib = Seed(server.State, user, _t0);
        var key = server.State.AddApiKey(user, RunPermissions);

        var result = await RunEngineAsync(server, key, clock, new RunOptions { MaxWriteBackWait = TimeSpan.FromSeconds(6) });

        result.WriteMode.Should().Be(WriteMode.WavesObserved);
        server.State.RevertedWriteBacks.Should().Be(lib.ExpectedSecondWaveChanges, "each second-wave asset was reverted once");
        result.RevertedAndReapplied.Should().Be(lib.ExpectedSecondWaveChanges);
        result.StillWrong.Should().BeEmpty();
        server.Requests.Count("getAssetInfo").Should().Be(0, "verification reads tag searches, not assets");
        clock.Advance(TimeSpan.FromMinutes(1));
        lib.NowConflict.Should().OnlyContain(a => server.State.DirectTagIdsOf(a).SetEquals(new[] { server.State.FindTag(Conflict)!.Id }));
        lib.BothStale.Concat(lib.NowClassified).Should().OnlyContain(a => server.State.DirectTagIdsOf(a).Count == 0);
    }

    [Fact]
    public async Task Changes_still_reverted_after_the_last_round_are_reported_with_links()
    {
        var clock = new VirtualClock(_t0);
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock, SidecarDelay = TimeSpan.FromSeconds(10) });
        var user = server.State.AddUser("Bob", "bob@example.com").Id;
        var lib = Seed(server.State, user, _t0);
        var key = server.State.AddApiKey(user, RunPermissions);

        var result = await RunEngineAsync(server, key, clock, new RunOptions { MaxWriteBackWait = TimeSpan.FromSeconds(6), MaxReapplyRounds = 0 });

        result.StillWrong.Should().HaveCount(lib.ExpectedSecondWaveChanges);
        result.RevertedAndReapplied.Should().Be(0);
        var report = ReportWriter.ModificationReport(server.BaseUrl, result).Split('\n');
        report.Where(l => l.Contains("REVERTED_BY_SERVER", StringComparison.Ordinal)).Should().HaveCount(lib.ExpectedSecondWaveChanges)
            .And.OnlyContain(l => l.Contains($"asset_link={server.BaseUrl}photos/", StringComparison.Ordinal));
        ReportWriter.Statistics("r", server.BaseUrl, result, new Dictionary<string, long>(), 0)
            .Should().Contain($"  still_wrong: {lib.ExpectedSecondWaveChanges}\n");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_back_slower_than_the_old_fixed_wait_is_waited_for_with_or_without_queue_access(bool admin)
    {
        // A 40 s write-back: the fixed 15 s wait keys without queue access used to get would let the second wave
        // land inside the first one's window, and its revert would come after the run ended.
        var clock = new VirtualClock(_t0);
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock, SidecarDelay = TimeSpan.FromSeconds(40) });
        if (!admin)
        {
            server.State.AddUser("Admin", "admin@example.com");
        }

        var user = server.State.AddUser("Bob", "bob@example.com").Id;
        var lib = Seed(server.State, user, _t0);
        var key = server.State.AddApiKey(user, [.. RunPermissions, "queue.read"]);

        var result = await RunEngineAsync(server, key, clock, new RunOptions());

        result.WriteMode.Should().Be(admin ? WriteMode.WavesUntilIdle : WriteMode.WavesObserved);
        server.Requests.Count("getQueues").Should().BeGreaterThan(0);
        if (!admin)
        {
            result.WriteFallbackReason.Should().Contain("not an Immich admin", "Y1: the key has queue.read; Immich refuses non-admins");
        }

        server.State.RevertedWriteBacks.Should().Be(0, "each wave waited for the previous one's write-back");
        result.StillWrong.Should().BeEmpty();
        result.RevertedAndReapplied.Should().Be(0);

        // Nothing lands after the run that would undo it.
        clock.Advance(TimeSpan.FromMinutes(10));
        server.State.PendingWriteBacks.Should().Be(0);
        server.State.RevertedWriteBacks.Should().Be(0);
        lib.NowConflict.Should().OnlyContain(a => server.State.DirectTagIdsOf(a).SetEquals(new[] { server.State.FindTag(Conflict)!.Id }));
        lib.BothStale.Concat(lib.NowClassified).Should().OnlyContain(a => server.State.DirectTagIdsOf(a).Count == 0);
    }

    [Fact]
    public async Task Untagging_every_asset_of_a_tag_removes_the_links_and_never_deletes_the_tag()
    {
        var lib = Seed(_server.State, _user, _t0);
        foreach (var id in lib.Fresh)
        {
            _server.State.AddAlbumAssets(_server.State.Albums.Single(a => a.Name == "2021-03 Trip").Id, id);
        }

        using var cli = Cli(_server.State.AddApiKey(_user, "all"));
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(ConfigYaml(_server.BaseUrl, "from-env")));

        result.ExitCode.Should().Be(0, result.ToString());
        _server.Requests.Count("deleteTag").Should().Be(0);
        _server.State.FindTag(Unknown).Should().NotBeNull("an unused output tag stays; its assets were untagged one by one");
        lib.Fresh.Concat(lib.NowClassified).Should().OnlyContain(a => OutputTagsOf(a).Length == 0);
    }

    internal static async Task<RunResult> RunEngineAsync(FakeImmichServer server, string key, TimeProvider clock, RunOptions options)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(server.BaseUrl, key));
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(server.BaseUrl, key),
            Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [ImmichAutoTag.Config.PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
        };
        return await new AutoTagEngine(gateway, clock, NullLogger<AutoTagEngine>.Instance).RunAsync(config, options, CancellationToken.None);
    }
}
