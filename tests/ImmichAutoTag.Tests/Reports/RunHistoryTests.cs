using ImmichAutoTag.Cli.Demo;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports.Html;

namespace ImmichAutoTag.Tests.Reports;

public sealed class RunHistoryTests : IDisposable
{
    private static readonly Uri ServerA = new("https://photos.example.com/");
    private static readonly Uri ServerB = new("http://nas.local:2283/");
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("immich-autotag-history-");

    public void Dispose() => _folder.Delete(recursive: true);

    private const string UserA = "0b6c8c56-1d3e-4a8e-9d55-6a1f2f0d0a01";
    private const string UserB = "0b6c8c56-1d3e-4a8e-9d55-6a1f2f0d0b02";

    [Fact]
    public async Task History_keeps_runs_in_order_per_state_scope_with_their_counts()
    {
        var store = SqliteRunHistoryStore.InFolder(_folder.FullName);
        for (var i = 0; i < 5; i++)
        {
            await store.AppendAsync(Entry($"a{i}", ServerA, unclassified: 100 - (i * 10), dryRun: i == 4), CancellationToken.None);
            await store.AppendAsync(Entry($"b{i}", ServerB, unclassified: i), CancellationToken.None);
        }

        var a = await store.RecentAsync(3, UserA, CancellationToken.None);
        a.Select(e => e.RunId).Should().Equal("a2", "a3", "a4");
        a.Select(e => e.Count(RunHistoryEntry.Unclassified)).Should().Equal(80, 70, 60);
        a[^1].DryRun.Should().BeTrue();
        a[0].Count("output_tag:autotag_output_unknown").Should().Be(80);
        a[0].Count("booru_matches").Should().Be(0, "a count an older run did not record reads as 0");
        a[0].Duration.Should().Be(TimeSpan.FromSeconds(42));

        var all = await store.RecentAsync(100, null, CancellationToken.None);
        all.Should().HaveCount(10);
        all[^1].RunId.Should().Be("b4");
    }

    [Fact]
    public async Task History_sits_beside_the_incremental_state_in_one_database()
    {
        var state = SqliteRunStateStore.InFolder(_folder.FullName);
        await state.SaveAsync("scope", new IncrementalState(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "f"), CancellationToken.None);
        var history = SqliteRunHistoryStore.InFolder(_folder.FullName);
        await history.AppendAsync(Entry("r1", ServerA, 5), CancellationToken.None);

        (await state.LoadAsync("scope", CancellationToken.None)).Should().NotBeNull();
        (await history.RecentAsync(10, UserA, CancellationToken.None)).Should().ContainSingle();
        Directory.GetFiles(_folder.FullName).Select(Path.GetFileName).Should().Equal(SqliteRunStateStore.FileName);
    }

    /// <summary>
    /// Item 4 of the W9 follow-up: the history follows the state scope (user id), not the URL, so the same server under
    /// another URL spelling keeps one trend; rows an older version wrote (no scope column) are adopted.
    /// </summary>
    [Fact]
    public async Task The_same_user_under_another_url_keeps_one_history_and_an_older_table_is_adopted()
    {
        var path = Path.Combine(_folder.FullName, SqliteRunStateStore.FileName);
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE run_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, server TEXT NOT NULL,
                  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, dry_run INTEGER NOT NULL, outcome TEXT NOT NULL, counts TEXT NOT NULL);
                INSERT INTO run_history (run_id, server, started_at, finished_at, dry_run, outcome, counts)
                VALUES ('r0', 'http://127.0.0.1:2283/', '2026-01-01T02:00:00.0000000+00:00', '2026-01-01T02:00:42.0000000+00:00', 0, 'success', '{"unclassified":7}');
                """;
            await create.ExecuteNonQueryAsync();
        }

        var store = SqliteRunHistoryStore.InFolder(_folder.FullName);
        await store.AppendAsync(Entry("r1", ServerA, 5) with { Scope = UserA }, CancellationToken.None);
        await store.AppendAsync(Entry("r2", ServerB, 4) with { Scope = UserA }, CancellationToken.None);

        var mine = await store.RecentAsync(10, UserA, CancellationToken.None);
        mine.Select(e => e.RunId).Should().Equal("r0", "r1", "r2");
        mine[0].Count(RunHistoryEntry.Unclassified).Should().Be(7);
        (await store.RecentAsync(10, UserB, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public void Trend_shows_each_run_with_its_change_and_the_direction_over_all()
    {
        var text = HistoryTrend.Render([Entry("r1", ServerA, 120, conflict: 3), Entry("r2", ServerA, 90, conflict: 3), Entry("r3", ServerA, 95, conflict: 1)]);

        text.Should().Contain("history (last 3 run(s)");
        text.Should().Contain(" 90 (-30)").And.Contain(" 95 (+5)").And.Contain("3 (±0)").And.Contain("1 (-2)");
        text.Should().EndWith("trend over 3 runs: unclassified down, 120 -> 95, conflict down, 3 -> 1\n");
        HistoryTrend.Render([]).Should().Be("history: no run recorded yet\n");
    }

    [Fact]
    public void A_run_that_died_is_a_failed_row_by_its_start_without_figures_and_the_changes_skip_it()
    {
        var r1 = Entry("r1", ServerA, 120);
        var r3 = Entry("r3", ServerA, 95);
        var died = new ImmichAutoTag.Core.Application.RunStatus
        {
            RunId = "r2", Pid = 4242, Trigger = "run", StartedAt = r1.StartedAt.AddDays(1), Outcome = ImmichAutoTag.Core.Application.RunOutcome.Failed, EndedWithoutResult = true,
        };

        var lines = HistoryTrend.Render([r1, r3], [died]).Split('\n');

        lines[0].Should().StartWith("history (last 3 run(s)");
        lines[2].Should().StartWith("  r1 ");
        lines[3].Should().StartWith("  r2 ").And.EndWith("  failed (ended without a result: process 4242 killed or crashed)").And.NotContainAny("120", "95");
        lines[4].Should().StartWith("  r3 ").And.Contain(" 95 (-25)", "the change is taken from the last run with figures");
        lines[5].Should().Be("trend over 2 runs: unclassified down, 120 -> 95, conflict unchanged, 0 -> 0");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1 }, "data:image/jpeg;base64,")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 4, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P', 0 }, "data:image/webp;base64,")]
    [InlineData(new byte[] { (byte)'<', (byte)'s', (byte)'v', (byte)'g' }, null)]
    [InlineData(new byte[] { }, null)]
    public void Thumbnails_become_data_uris_only_for_known_image_types(byte[] bytes, string? prefix)
    {
        var uri = Thumbnails.DataUri(bytes);
        if (prefix is null)
        {
            uri.Should().BeNull();
        }
        else
        {
            uri.Should().Be(prefix + Convert.ToBase64String(bytes));
        }
    }

    [Fact]
    public void Demo_thumbnails_are_webps_of_the_stated_size_different_per_asset()
    {
        var id = Guid.NewGuid();
        var a = DemoThumbnails.WebP(id);
        var b = DemoThumbnails.WebP(Guid.NewGuid());

        Thumbnails.DataUri(a).Should().StartWith("data:image/webp;base64,");
        using var decoded = NetVips.Image.NewFromBuffer(a);
        decoded.Width.Should().Be(DemoThumbnails.Width);
        decoded.Height.Should().Be(DemoThumbnails.Height);
        decoded.Bands.Should().Be(3);
        a.Should().NotEqual(b);
        DemoThumbnails.WebP(id).Should().Equal(a, "the same asset has the same thumbnail in every run");
    }

    [Fact]
    public void A_server_url_with_credentials_loses_them_before_any_report()
    {
        HtmlReportStep.WithoutUserInfo(new Uri("https://me:secret@photos.example.com/")).AbsoluteUri.Should().Be("https://photos.example.com/");
        HtmlReportStep.WithoutUserInfo(ServerA).Should().BeSameAs(ServerA);
    }

    private static RunHistoryEntry Entry(string id, Uri server, long unclassified, long conflict = 0, bool dryRun = false)
    {
        var start = new DateTimeOffset(2026, 1, 1, 2, 0, 0, TimeSpan.Zero).AddDays(id[^1] - '0');
        return new RunHistoryEntry(id, server, start, start.AddSeconds(42), dryRun, "success", new Dictionary<string, long>
        {
            [RunHistoryEntry.Unclassified] = unclassified,
            [RunHistoryEntry.Conflict] = conflict,
            ["output_tag:autotag_output_unknown"] = unclassified,
        })
        {
            Scope = server == ServerA ? UserA : UserB,
        };
    }
}
