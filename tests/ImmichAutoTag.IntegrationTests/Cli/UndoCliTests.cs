using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.IntegrationTests.Engine;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// `immich-autotag undo RUN_ID` through the whole CLI against the fake over HTTP: a run that tags, creates, empties and
/// deletes albums, repairs a date and changes album shares is undone (library equal to before), the undo is undone
/// (library equal to after the run), targets the user changed since are left alone and reported, and a dry-run undo
/// sends no write.
/// </summary>
public sealed class UndoCliTests() : FeatureRunTestBase("- album_name_patterns: ['^\\d{4}-\\d{2}-\\d{2} ']\n- tag_names: [meme]", null)
{
    private const string TempDay = "2019-07-04-autotag-temp-unclassified";
    private const string StaleTemp = "2019-07-01-autotag-temp-unclassified";

    private Guid _stray;
    private Guid _meme;
    private Guid _whatsApp;
    private Guid _family;
    private Guid _bob;
    private Guid _carol;
    private Guid _dave;

    /// <summary>A library on which one run makes every kind of change undo reverts.</summary>
    private string Seed()
    {
        _stray = Asset("stray.jpg");
        _meme = Asset("meme.jpg");
        Tag("meme", _meme);
        Tag(Unknown, _meme);
        Server.State.AddAlbum(User, StaleTemp, [_meme]);
        _whatsApp = Asset("WhatsApp Image 2020-06-17 at 9.15.00 PM.jpeg", new DateTimeOffset(2020, 6, 25, 8, 0, 0, TimeSpan.Zero));
        Server.State.AddAlbum(User, "2020-06-17 Party", [_whatsApp]);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [Asset("beach.jpg")]);
        _bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        _carol = Server.State.AddUser("Carol", "carol@example.com").Id;
        _dave = Server.State.AddUser("Dave", "dave@example.com").Id;
        _family = Server.State.AddAlbum(User, "2018-01-01 family", [Asset("family.jpg", T0.AddDays(-500))]).Id;
        Server.State.ShareAlbum(_family, _carol, "editor");
        Server.State.ShareAlbum(_family, _dave, "viewer");
        return Config("""
            create_album_from_date_if_missing: true
            duplicate_processing:
              date_correction:
                enabled: true
                extraction_timezone: UTC
            album_permissions:
              enabled: true
              user_groups:
                - {name: fam, members: [bob@example.com, carol@example.com]}
              selection_rules:
                - {name: share-family, keyword: family, groups: [fam], access: view}
            """);
    }

    /// <summary>The key owner's library in words: each asset's date, tags and albums; each album's shares. Ids of albums are left out (a re-created album has a new one).</summary>
    private string Library()
    {
        var state = Server.State;
        var tagPaths = state.Tags.ToDictionary(t => t.Id, t => t.Value);
        var albums = state.Albums.Where(a => a.OwnerId == User).ToList();
        var sb = new StringBuilder();
        foreach (var asset in state.Assets.Where(a => a.OwnerId == User).OrderBy(a => a.OriginalFileName, StringComparer.Ordinal))
        {
            var tags = state.DirectTagIdsOf(asset.Id).Select(id => tagPaths[id]).Order(StringComparer.Ordinal);
            var inAlbums = albums.Where(a => state.AlbumAssetIds(a.Id).Contains(asset.Id)).Select(a => a.Name).Order(StringComparer.Ordinal);
            sb.Append(CultureInfo.InvariantCulture, $"{asset.OriginalFileName} | {asset.FileCreatedAt.UtcDateTime:O} | tags {string.Join(", ", tags)} | albums {string.Join(", ", inAlbums)}\n");
        }

        var users = new Dictionary<Guid, string> { [_bob] = "bob", [_carol] = "carol", [_dave] = "dave" };
        foreach (var album in albums.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            var shares = state.AlbumSharedWith(album.Id).Select(kv => $"{users.GetValueOrDefault(kv.Key, kv.Key.ToString())}:{kv.Value}").Order(StringComparer.Ordinal);
            sb.Append(CultureInfo.InvariantCulture, $"album {album.Name} | shared {string.Join(", ", shares)}\n");
        }

        return sb.ToString();
    }

    private static string OnlyRunId(CliHarness cli, string output) => Path.GetFileName(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single());

    private static List<JsonElement> Changes(CliHarness cli, string output) =>
        File.ReadAllLines(Path.Combine(cli.Root, output, OnlyRunId(cli, output), "changes.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToList();

    [Fact]
    public async Task Undo_of_a_date_repair_gives_the_photo_its_own_offset_and_wall_clock_back()
    {
        // Y11: the old date was recorded in UTC, so the undo moved a 08:00 (+02:00) photo to 06:00 (+00:00).
        var shot = Asset("IMG_20190704_153012.jpg", new DateTimeOffset(2021, 1, 1, 8, 0, 0, TimeSpan.FromHours(2)));
        Server.State.AddAlbum(User, "2019-07-04 Trip", [shot]);
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config("""
            duplicate_processing:
              date_correction:
                enabled: true
                extraction_timezone: UTC
            """));

        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        Server.State.Assets.Single(a => a.Id == shot).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 4, 15, 30, 12, TimeSpan.FromHours(2)));
        Changes(cli, "run").Single(c => c.GetProperty("kind").GetString() == "UPDATE_ASSET_DATE")
            .GetProperty("old_value").GetString().Should().StartWith("2021-01-01T08:00:00").And.EndWith("+02:00");

        var undo = await cli.RunAsync("undo", OnlyRunId(cli, "run"), "--yes", "--config", config, "--output", "run");

        undo.ExitCode.Should().Be(0, undo.ToString());
        var asset = Server.State.Assets.Single(a => a.Id == shot);
        asset.FileCreatedAt.Should().Be(new DateTimeOffset(2021, 1, 1, 6, 0, 0, TimeSpan.Zero));
        asset.LocalDateTime.Should().Be(new DateTime(2021, 1, 1, 8, 0, 0, DateTimeKind.Unspecified), "the wall clock the photo had, in its own offset");
    }

    [Fact]
    public async Task Undo_restores_the_library_and_undoing_the_undo_restores_the_run()
    {
        var yaml = Seed();
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(yaml);
        var before = Library();

        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var after = Library();
        after.Should().NotBe(before);
        var kinds = Changes(cli, "run").Select(c => c.GetProperty("kind").GetString()).ToHashSet();
        kinds.Should().Contain(["ADD_TAG_TO_ASSET", "REMOVE_TAG_FROM_ASSET", "CREATE_ALBUM", "ASSIGN_ASSET_TO_ALBUM", "REMOVE_ASSET_FROM_ALBUM", "DELETE_ALBUM", "UPDATE_ASSET_DATE", "ALBUM_PERMISSION_SHARED", "ALBUM_PERMISSION_ROLE_CHANGED", "ALBUM_PERMISSION_REMOVED"], "the run makes every kind of change undo reverts");
        Changes(cli, "run").Where(c => c.GetProperty("kind").GetString()!.StartsWith("ALBUM_PERMISSION", StringComparison.Ordinal))
            .Should().OnlyContain(c => c.GetProperty("user_id").GetString() != null, "a sharing change records its user");
        var runId = OnlyRunId(cli, "run");

        // A dry-run undo first: it prints the plan and sends no write.
        Server.Requests.Clear();
        var dry = await cli.RunAsync("undo", runId, "--config", config, "--output", "run");
        dry.ExitCode.Should().Be(0, dry.ToString());
        Server.Requests.WriteCount.Should().Be(0, "an undo without --yes is a dry run");
        dry.Out.Should().Contain("would revert: remove tag 'autotag_output_unknown' from stray.jpg")
            .And.Contain($"would revert: delete album '{TempDay}'")
            .And.Contain($"would revert: create album '{StaleTemp}' again with 1 asset(s)")
            .And.Contain("would revert: set the date of WhatsApp Image 2020-06-17 at 9.15.00 PM.jpeg back to 2020-06-25T08:00:00.000+00:00")
            .And.Contain("would revert: stop sharing album '2018-01-01 family' with bob@example.com")
            .And.Contain("would revert: make carol@example.com editor of album '2018-01-01 family' again")
            .And.Contain("would revert: share album '2018-01-01 family' with dave@example.com (viewer) again")
            .And.Contain($"Nothing was changed. Run 'immich-autotag undo {runId} --config {config} --output run --yes' to revert.", "the hint repeats where the undo looked (W2)");
        Library().Should().Be(after);

        Server.Requests.Clear();
        var undo = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo");
        undo.ExitCode.Should().Be(0, undo.ToString());
        Library().Should().Be(before, undo.ToString());
        undo.Out.Should().Contain("0 left alone");
        var undoId = OnlyRunId(cli, "undo");

        var again = await cli.RunAsync("undo", Path.Combine(cli.Root, "undo", undoId), "--yes", "--config", config, "--output", "undo2");
        again.ExitCode.Should().Be(0, again.ToString());
        Library().Should().Be(after, again.ToString());
    }

    [Fact]
    public async Task Additions_an_undo_took_away_are_no_corrections_and_the_undo_shows_in_status()
    {
        var stray = Asset("stray.jpg");
        using var cli = new CliHarness().WithStateFolder();

        // Opted in so that the status tag is remembered as an addition: the undo's removal must still not count.
        var config = cli.WriteConfig(Config("corrections:\n  include_status_tags: true"));
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        HasTag(stray, Unknown).Should().BeTrue();
        var undo = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", OnlyRunId(cli, "run")), "--yes", "--config", config, "--output", "undo");
        undo.ExitCode.Should().Be(0, undo.ToString());
        HasTag(stray, Unknown).Should().BeFalse();

        var next = await cli.RunAsync("run", "--config", config, "--output", "next");
        next.ExitCode.Should().Be(0, next.ToString());
        next.Out.Should().NotContain("Your corrections", "the undo's removal was the tool's own");
        HasTag(stray, Unknown).Should().BeTrue("the next run plans the addition again");

        var status = await cli.RunAsync("status");
        status.ExitCode.Should().Be(0, status.ToString());
        status.Out.Should().Contain($"last undo: {OnlyRunId(cli, "undo")} success (exit 0)")
            .And.Contain($"last run: {OnlyRunId(cli, "next")} success");
    }

    [Fact]
    public async Task Targets_changed_since_the_run_are_left_alone_and_reported()
    {
        var yaml = Seed();
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(yaml);
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var runId = OnlyRunId(cli, "run");

        // The user moves on: untags the stray by hand, puts an asset of their own in the new temporary album, tags the
        // meme as unknown again and makes Bob an editor.
        Server.State.UntagAsset(Server.State.FindTag(Unknown)!.Id, _stray);
        var temp = Server.State.Albums.Single(a => a.Name == TempDay);
        var own = Asset("mine.jpg");
        Server.State.AddAlbumAssets(temp.Id, own);
        Server.State.TagAsset(Server.State.FindTag(Unknown)!.Id, _meme);
        Server.State.ShareAlbum(_family, _bob, "editor");
        var moved = Library();

        var undo = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo");

        undo.ExitCode.Should().Be(0, undo.ToString());
        (undo.Out + undo.Err).Should().NotContain("Left alone:", "each moved-on change is printed once, as a 'left alone:' line (W2)");
        undo.Out.Should().Contain("left alone: tag 'autotag_output_unknown' added to stray.jpg: tag 'autotag_output_unknown' is no longer on the asset")
            .And.Contain($"left alone: album '{TempDay}' created: album '{TempDay}' holds 1 asset(s) the run did not put in; kept")
            .And.Contain("left alone: tag 'autotag_output_unknown' removed from meme.jpg: the asset carries tag 'autotag_output_unknown' again")
            .And.Contain("left alone: album '2018-01-01 family' shared with bob@example.com viewer: bob@example.com's role in album '2018-01-01 family' changed since");
        var plan = await File.ReadAllTextAsync(Path.Combine(cli.Root, "undo", OnlyRunId(cli, "undo"), "plan.txt"));
        plan.Should().Contain("left alone | tag 'autotag_output_unknown' added to stray.jpg | tag 'autotag_output_unknown' is no longer on the asset");
        Server.State.AlbumAssetIds(temp.Id).Should().BeEquivalentTo([own], "the run's asset is taken out, the user's stays, the album is kept");
        Server.State.FindTag(Unknown).Should().NotBeNull();
        Server.State.DirectTagIdsOf(_meme).Should().Contain(Server.State.FindTag(Unknown)!.Id, "the user's own re-tagging is left alone");
        Server.State.AlbumSharedWith(_family)[_bob].Should().Be("editor", "the user's role change is left alone");
        Server.State.AlbumSharedWith(_family).Should().ContainKey(_dave, "the rest is reverted");
        Server.State.Albums.Should().Contain(a => a.Name == StaleTemp);
        moved.Should().NotBe(Library());
    }

    [Fact]
    public async Task A_large_undo_prints_counts_and_the_first_lines_and_leaves_the_full_list_to_its_plan()
    {
        var count = UndoService.ConsoleLines + 7;
        for (var i = 0; i < count; i++)
        {
            Asset($"loose_{i:D2}.jpg");
        }

        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config());
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var runId = OnlyRunId(cli, "run");

        var dry = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--config", config, "--output", "undo");

        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain($"would revert: {count} tag additions");
        var lines = dry.Out.Split('\n');
        lines.Count(l => l.StartsWith("would revert: remove tag", StringComparison.Ordinal)).Should().Be(UndoService.ConsoleLines);
        dry.Out.Should().Contain($"… and {count - UndoService.ConsoleLines} more to revert (every one is in ");
        var plan = await File.ReadAllLinesAsync(Path.Combine(cli.Root, "undo", OnlyRunId(cli, "undo"), "plan.txt"));
        plan.Count(l => l.StartsWith("revert | ", StringComparison.Ordinal)).Should().Be(count, "plan.txt lists every one");
    }

    /// <summary>Writes other than the queue pauses recorded so far (a request is recorded once it is served).</summary>
    private int ServedWrites() => Server.Requests.All.Count(r => r.IsWrite && r.OperationId != "updateQueue");

    [Fact]
    public async Task An_undo_stopped_mid_way_says_what_was_and_was_not_reverted_and_the_same_undo_again_finishes_it()
    {
        var yaml = Seed();
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(yaml);
        var before = Library();
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var runId = OnlyRunId(cli, "run");
        var after = Library();

        // Ctrl-C once the first revert was written: the request being served is finished, none is started after it.
        using var stop = new CancellationTokenSource();
        Server.Requests.Clear();
        Server.BeforeServe = _ =>
        {
            if (ServedWrites() >= 1)
            {
                stop.Cancel();
            }
        };
        var stopped = await cli.RunAsync(stop.Token, "undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo");
        Server.BeforeServe = null;

        stopped.ExitCode.Should().Be((int)RunExitCode.Cancelled, stopped.ToString());
        var summary = System.Text.RegularExpressions.Regex.Match(stopped.Out, $@"Undo of run {runId} interrupted \(a stop request\): (\d+) of (\d+) revert\(s\) done, (\d+) not done");
        summary.Success.Should().BeTrue(stopped.ToString());
        var (done, planned, notDone) = (int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture));
        done.Should().BeGreaterThan(0, stopped.ToString());
        notDone.Should().BeGreaterThan(0, stopped.ToString());
        (done + notDone).Should().Be(planned);
        stopped.Out.Should().Contain($"Run 'immich-autotag undo {Path.Combine(cli.Root, "run", runId)} --config {config} --output undo --yes' again to revert the rest");
        var plan = await File.ReadAllLinesAsync(Path.Combine(cli.Root, "undo", OnlyRunId(cli, "undo"), "plan.txt"));
        plan.Should().Contain(l => l.StartsWith("# Undo of run " + runId + " interrupted", StringComparison.Ordinal));
        plan.Count(l => l.StartsWith("not done | ", StringComparison.Ordinal)).Should().Be(notDone, "plan.txt lists every revert the server did not get");
        Library().Should().NotBe(before).And.NotBe(after, "part of the run was reverted");

        var rest = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo2");

        rest.ExitCode.Should().Be(0, rest.ToString());
        rest.Out.Should().NotContain("interrupted");
        Library().Should().Be(before, "the same undo again reverts the rest " + rest);
    }

    [Fact]
    public async Task An_undo_that_loses_the_server_mid_way_stops_with_4_and_a_summary_and_the_same_undo_again_finishes_it()
    {
        var yaml = Seed();
        using var cli = new CliHarness().WithStateFolder()
            .WithConnection(o => o with { Timeout = TimeSpan.FromSeconds(3), RetryBaseDelay = TimeSpan.FromMilliseconds(20) });
        var config = cli.WriteConfig(yaml);
        var before = Library();
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var runId = OnlyRunId(cli, "run");

        // The server goes down while it holds the undo's second write.
        var writes = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Faults.HangWhere(
            (method, path, body) => new RecordedRequest("", method, path, body, 0).IsWrite && !path.Contains("/queues", StringComparison.Ordinal) && Interlocked.Increment(ref writes) == 2,
            _ => held.TrySetResult());
        var undo = cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo");
        if (await Task.WhenAny(held.Task, undo) == undo)
        {
            Assert.Fail("the undo ended before its second write: " + await undo);
        }

        await Server.StopListeningAsync();
        Server.Faults.Clear();
        var stopped = await undo;
        await Server.ListenAgainAsync();

        stopped.ExitCode.Should().Be((int)RunExitCode.ServerUnreachable, stopped.ToString());
        stopped.Out.Should().Contain($"Undo of run {runId} interrupted (the server stopped answering or refused the key): ");
        stopped.Err.Should().Contain("The undo stopped: ").And.Contain($"run 'immich-autotag undo {Path.Combine(cli.Root, "run", runId)} --config {config} --output undo --yes' again once the server answers");
        stopped.Out.Should().NotContain("   at ", "a server that went away is one error line, not stack traces");
        (await File.ReadAllLinesAsync(Path.Combine(cli.Root, "undo", OnlyRunId(cli, "undo"), "plan.txt"))).Should().Contain(l => l.StartsWith("not done | ", StringComparison.Ordinal));

        var rest = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo2");

        rest.ExitCode.Should().Be(0, rest.ToString());
        Library().Should().Be(before, "the same undo again reverts the rest " + rest);
    }

    [Fact]
    public async Task Names_with_pipes_are_escaped_in_the_undos_plan_but_not_on_the_console_and_line_breaks_in_both()
    {
        var broken = Asset("new\nline\ttab.jpg");
        var piped = Asset("weird | name | with pipes.jpg");
        Asset("plain.jpg");
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config());
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        HasTag(broken, Unknown).Should().BeTrue();

        // The user untags one of them: its line is a "left alone" one.
        Server.State.UntagAsset(Server.State.FindTag(Unknown)!.Id, piped);
        var dry = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", OnlyRunId(cli, "run")), "--config", config, "--output", "undo");

        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain("would revert: remove tag 'autotag_output_unknown' from new\\nline\\ttab.jpg\n")
            .And.Contain("left alone: tag 'autotag_output_unknown' added to weird | name | with pipes.jpg: ", "a console sentence shows a name as it is, save a line break")
            .And.NotContain("new\nline").And.NotContain("weird \\| name");
        var plan = await File.ReadAllLinesAsync(Path.Combine(cli.Root, "undo", OnlyRunId(cli, "undo"), "plan.txt"));
        plan.Where(l => !l.StartsWith('#')).Should().HaveCount(3, "one line per recorded change")
            .And.OnlyContain(l => System.Text.RegularExpressions.Regex.Split(l, @"(?<!\\) \| ").Length == 3, "three fields per line: " + string.Join("\n", plan));
        plan.Should().Contain("revert | tag 'autotag_output_unknown' added to new\\nline\\ttab.jpg | remove tag 'autotag_output_unknown' from new\\nline\\ttab.jpg");
        plan.Should().Contain(l => l.StartsWith("left alone | tag 'autotag_output_unknown' added to weird \\| name \\| with pipes.jpg | ", StringComparison.Ordinal), "plan.txt keeps its fields apart");
    }

    [Fact]
    public async Task An_undo_is_refused_at_once_while_another_run_holds_the_lock_and_sends_nothing()
    {
        var yaml = Seed();
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(yaml);
        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        var runId = OnlyRunId(cli, "run");
        var state = Path.Combine(cli.Root, "state");
        var after = Library();
        Server.Requests.Clear();

        CliResult refused;
        using (ProcessLock.TryAcquire(state, ProcessLock.RunLockFile).Should().NotBeNull().And.Subject as ProcessLock)
        {
            refused = await cli.RunAsync("undo", Path.Combine(cli.Root, "run", runId), "--yes", "--config", config, "--output", "undo");
        }

        refused.ExitCode.Should().Be((int)RunExitCode.Busy, refused.ToString());
        refused.Err.Should().Contain("another immich-autotag run is in progress").And.Contain("nothing was undone").And.Contain(Path.Combine(state, "run.lock"));
        Server.Requests.Total.Should().Be(0, "a refused undo sends nothing");
        Directory.Exists(Path.Combine(cli.Root, "undo")).Should().BeFalse("a refused undo creates no output folder");
        Library().Should().Be(after);
    }

    [Fact]
    public async Task An_unknown_run_id_is_a_usage_error_that_says_where_it_looked_and_sends_nothing()
    {
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config());
        Server.Requests.Clear();

        var result = await cli.RunAsync("undo", "20991231_000000_PID1", "--yes", "--config", config, "--output", "nowhere");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Err.Should().Contain("no run '20991231_000000_PID1' in " + Path.Combine(cli.Root, "nowhere"));
        Server.Requests.Total.Should().Be(0);
    }

    [Fact]
    public async Task A_damaged_changes_file_names_its_line_and_sends_nothing()
    {
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config());
        var folder = Directory.CreateDirectory(Path.Combine(cli.Root, "logs", "20260101_000000_PID7")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "changes.jsonl"), "{\"time\":\"2026-01-01T00:00:00Z\",\"asset_id\":\"" + Guid.NewGuid() + "\",\"file_name\":\"a.jpg\",\"tag\":\"x\",\"action\":\"added\",\"kind\":\"ADD_TAG_TO_ASSET\"}\n{\"time\":\"2026-01-01T00:00:00Z\",\"kind\":\"FLY_TO_MOON\"}\n");
        Server.Requests.Clear();

        var result = await cli.RunAsync("undo", "20260101_000000_PID7", "--yes", "--config", config, "--output", "logs");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Err.Should().Contain(Path.Combine(folder, "changes.jsonl") + ":2: unknown change kind 'FLY_TO_MOON'");
        Server.Requests.Total.Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public async Task A_run_that_recorded_no_change_has_nothing_to_undo_and_nothing_is_sent_or_written(string changes)
    {
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config());
        var logs = Path.Combine(cli.Root, "logs");
        var folder = Directory.CreateDirectory(Path.Combine(logs, "20260101_000000_PID8")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "changes.jsonl"), changes);
        Server.Requests.Clear();

        var result = await cli.RunAsync("undo", "20260101_000000_PID8", "--yes", "--config", config, "--output", "logs");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("Nothing to undo: run '20260101_000000_PID8' recorded no change");
        Server.Requests.Total.Should().Be(0);
        Directory.GetDirectories(logs).Should().ContainSingle("no undo run folder is made for nothing");
    }
}
