using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Date repair and the album date check over HTTP against the fake: 12-hour clocks in names, photos taken while
/// travelling, the asset's local day, and date writes the server applies after it answered.
/// </summary>
public sealed class DateRunTests
{
    private const string Mismatch = "autotag_output_album_date_mismatch";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan NewYork = TimeSpan.FromHours(-4);

    private static AutoTagConfig Config(FakeImmichServer server, string key, string zone = "UTC", int thresholdDays = 180) => new()
    {
        Server = new ServerConfig(server.BaseUrl, key),
        Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [ImmichAutoTag.Config.PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
        DuplicateProcessing = new DuplicateProcessingConfig { DateCorrection = new DateCorrectionConfig { Enabled = true, ExtractionTimezone = zone } },
        AlbumDateConsistency = new AlbumDateConsistencyConfig { ThresholdDays = thresholdDays },
    };

    private static async Task<RunResult> RunAsync(FakeImmichServer server, AutoTagConfig config, string key, TimeProvider clock, RunOptions? options = null)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(server.BaseUrl, key));
        return await new AutoTagEngine(gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, options ?? new RunOptions { SettleDelay = TimeSpan.FromSeconds(5) }, CancellationToken.None);
    }

    private static async Task<(FakeImmichServer Server, Guid User, string Key, VirtualClock Clock)> StartAsync(TimeSpan? dateWriteDelay = null)
    {
        var clock = new VirtualClock(Now);
        var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock, DateWriteDelay = dateWriteDelay ?? TimeSpan.Zero });
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        return (server, user, server.State.AddApiKey(user, "all"), clock);
    }

    private static FakeAsset Asset(FakeImmichServer server, Guid id) => server.State.Assets.Single(a => a.Id == id);

    private static string? Written(RunResult result, Guid asset) =>
        result.Plan.DateUpdates.SingleOrDefault(u => u.AssetId == asset)?.NewValue;

    [Fact]
    public async Task A_12_hour_clock_in_a_whatsapp_name_is_read_as_pm()
    {
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var right = server.State.AddAsset(user, "WhatsApp Image 2020-06-16 at 9.15.00 PM.jpeg", new DateTimeOffset(2020, 6, 16, 21, 15, 0, TimeSpan.Zero)).Id;
        var wrong = server.State.AddAsset(user, "WhatsApp Image 2020-06-17 at 9.15.00 PM.jpeg", new DateTimeOffset(2020, 6, 25, 8, 0, 0, TimeSpan.Zero)).Id;
        var midnight = server.State.AddAsset(user, "WhatsApp Image 2020-06-18 at 12.05.00 AM.jpeg", new DateTimeOffset(2020, 6, 25, 8, 0, 0, TimeSpan.Zero)).Id;

        var result = await RunAsync(server, Config(server, key), key, clock);

        Written(result, right).Should().BeNull("21:15 is what the name says");
        Written(result, wrong).Should().Be("2020-06-17T21:15:00.000+00:00");
        Written(result, midnight).Should().Be("2020-06-18T00:05:00.000+00:00");
        Asset(server, wrong).FileCreatedAt.Should().Be(new DateTimeOffset(2020, 6, 17, 21, 15, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_photo_taken_abroad_whose_name_shows_its_local_clock_is_not_rewritten()
    {
        // The issue's case: 10:00 in New York, EXIF with offset, extraction_timezone Europe/Madrid.
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var travel = server.State.AddAsset(user, "IMG_20190704_100000.jpg", Now).Id;
        server.State.SetCaptureDate(travel, new DateTimeOffset(2019, 7, 4, 10, 0, 0, NewYork));

        var result = await RunAsync(server, Config(server, key, "Europe/Madrid"), key, clock);

        result.Plan.DateUpdates.Should().BeEmpty();
        server.Requests.Count("updateAssets").Should().Be(0);
        Asset(server, travel).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 4, 14, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_name_is_read_in_the_assets_own_offset_and_written_with_it()
    {
        // Camera clock a day late, but its offset (New York) right: the name's 10:00 is New York's 10:00.
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var travel = server.State.AddAsset(user, "IMG_20190704_100000.jpg", Now).Id;
        server.State.SetCaptureDate(travel, new DateTimeOffset(2019, 7, 6, 10, 0, 0, NewYork));

        var result = await RunAsync(server, Config(server, key, "Europe/Madrid"), key, clock);

        Written(result, travel).Should().Be("2019-07-04T10:00:00.000-04:00");
        Asset(server, travel).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 4, 14, 0, 0, TimeSpan.Zero));
        Asset(server, travel).LocalDateTime.Should().Be(new DateTime(2019, 7, 4, 10, 0, 0));
    }

    [Fact]
    public async Task Without_an_offset_the_name_is_read_in_extraction_timezone_unless_it_shows_the_local_clock()
    {
        // EXIF without OffsetTimeOriginal: Immich stores the wall clock as if it were UTC and no time zone.
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var same = server.State.AddAsset(user, "IMG_20190704_100000.jpg", Now).Id;
        server.State.SetCaptureDate(same, new DateTimeOffset(2019, 7, 4, 10, 0, 0, TimeSpan.Zero), withOffset: false);
        var later = server.State.AddAsset(user, "IMG_20190704_110000.jpg", Now).Id;
        server.State.SetCaptureDate(later, new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero), withOffset: false);

        var result = await RunAsync(server, Config(server, key, "Europe/Madrid"), key, clock);

        Written(result, same).Should().BeNull("the name's wall clock is the asset's own local wall clock");
        Written(result, later).Should().Be("2019-07-04T11:00:00.000+02:00");
    }

    [Fact]
    public async Task A_day_album_with_threshold_0_accepts_an_evening_photo_west_of_utc_and_flags_the_next_day()
    {
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var evening = server.State.AddAsset(user, "fireworks.jpg", Now).Id;
        server.State.SetCaptureDate(evening, new DateTimeOffset(2019, 7, 4, 21, 30, 0, NewYork));
        var nextDay = server.State.AddAsset(user, "hangover.jpg", Now).Id;
        server.State.SetCaptureDate(nextDay, new DateTimeOffset(2019, 7, 5, 9, 0, 0, NewYork));
        server.State.AddAlbum(user, "2019-07-04 Fireworks", [evening, nextDay]);

        var result = await RunAsync(server, Config(server, key, "Europe/Madrid", thresholdDays: 0), key, clock);

        var mismatch = server.State.FindTag(Mismatch);
        mismatch.Should().NotBeNull();
        server.State.DirectTagIdsOf(evening).Should().NotContain(mismatch!.Id, "21:30 on the 4th in New York is the 4th");
        server.State.DirectTagIdsOf(nextDay).Should().Contain(mismatch.Id);
        result.Plan.Notes.Should().ContainSingle(n => n.Kind == PlanNoteKind.AlbumDateMismatch).Which.Message.Should().Contain("taken 2019-07-05");
    }

    [Fact]
    public async Task Name_dates_after_the_run_started_are_ignored_and_a_future_asset_date_is_repaired()
    {
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var futureName = server.State.AddAsset(user, "IMG_20261001_100000.jpg", new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero)).Id;
        var futureAsset = server.State.AddAsset(user, "IMG_20260501_100000.jpg", new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)).Id;

        var result = await RunAsync(server, Config(server, key), key, clock);

        Written(result, futureName).Should().BeNull("a name dated after now is a clock set wrong, no evidence");
        Written(result, futureAsset).Should().Be("2026-05-01T10:00:00.000+00:00");
    }

    [Fact]
    public async Task A_name_in_the_spring_dst_gap_is_written_once_and_the_next_run_plans_nothing()
    {
        // W6: 02:30 does not exist in Madrid on 2024-03-31. Read with the offset before the gap (01:30Z) and written;
        // Immich then shows +02:00 (03:30), and the name read in that offset (00:30Z) was written again.
        var (server, user, key, clock) = await StartAsync();
        await using var _ = server;
        var gap = server.State.AddAsset(user, "IMG_20240331_023000.jpg", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).Id;
        var config = Config(server, key, "Europe/Madrid");

        var first = await RunAsync(server, config, key, clock);

        Written(first, gap).Should().Be("2024-03-31T03:30:00.000+02:00");
        Asset(server, gap).FileCreatedAt.Should().Be(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero));
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.DateUpdates.Should().BeEmpty("the date written from the name is the name's date");
        server.Requests.Count("updateAssets").Should().Be(0);
        Asset(server, gap).FileCreatedAt.Should().Be(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Date_writes_that_land_later_are_verified_in_the_run_so_the_next_run_plans_nothing()
    {
        // Paused queues hold the date job; after the resume it takes 30 s of the fake's clock to land.
        var (server, user, key, clock) = await StartAsync(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var asset = server.State.AddAsset(user, "IMG_20190704_100000.jpg", new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero)).Id;
        var config = Config(server, key);

        var first = await RunAsync(server, config, key, clock);

        first.Plan.DateUpdates.Should().ContainSingle();
        first.DatesNotLanded.Should().BeEmpty("the run waited for the server's jobs and re-read the asset");
        server.Requests.Count("getAssetInfo").Should().Be(1, "one dated asset is re-read by id");
        server.State.LandedDateWrites.Should().Be(1);
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.DateUpdates.Should().BeEmpty();
        server.Requests.Count("updateAssets").Should().Be(0);
        Asset(server, asset).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 4, 10, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Many_dated_assets_are_verified_with_a_search_of_updated_assets_not_one_read_each()
    {
        var (server, user, key, clock) = await StartAsync(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var ids = Enumerable.Range(0, 60)
            .Select(i => server.State.AddAsset(user, $"IMG_20190704_10{i / 60:00}{i % 60:00}.jpg", new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero)).Id)
            .ToList();
        var config = Config(server, key);

        var first = await RunAsync(server, config, key, clock);

        first.Plan.DateUpdates.Should().HaveCount(60);
        first.DatesNotLanded.Should().BeEmpty();
        server.Requests.Count("getAssetInfo").Should().Be(0);
        server.Requests.Clear();
        var second = await RunAsync(server, config, key, clock);
        second.Plan.DateUpdates.Should().BeEmpty();
        server.Requests.Count("updateAssets").Should().Be(0);
        ids.Should().OnlyContain(id => Asset(server, id).FileCreatedAt.Date == new DateTime(2019, 7, 4));
    }

    [Fact]
    public async Task A_date_write_not_landed_by_the_end_of_its_run_is_remembered_and_not_sent_again()
    {
        // A key without queue access: the run can only wait a fixed time, shorter than the server's 10 min.
        var (server, user, _, clock) = await StartAsync(TimeSpan.FromMinutes(10));
        await using var _ = server;
        var key = server.State.AddApiKey(user, "user.read", "asset.read", "asset.update", "album.read", "tag.read", "tag.create", "tag.asset");
        var asset = server.State.AddAsset(user, "IMG_20190704_100000.jpg", new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero)).Id;
        var config = Config(server, key);
        using var folder = new TempFolder();
        var options = new RunOptions
        {
            SettleDelay = TimeSpan.FromSeconds(5),
            PendingDateWrites = SqlitePendingDateWriteStore.InFolder(folder.Path),
        };

        var first = await RunAsync(server, config, key, clock, options);

        first.DatesNotLanded.Should().ContainSingle().Which.AssetId.Should().Be(asset);
        server.State.PendingDateWrites.Should().Be(1);
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock, options);

        second.Plan.DateUpdates.Should().BeEmpty("the first run's write is still pending on the server");
        second.Plan.Notes.Should().ContainSingle(n => n.Kind == PlanNoteKind.PendingDateWrite && n.AssetId == asset);
        server.Requests.Count("updateAssets").Should().Be(0);

        clock.Advance(TimeSpan.FromMinutes(10));
        var third = await RunAsync(server, config, key, clock, options);

        third.Plan.DateUpdates.Should().BeEmpty();
        third.Plan.Notes.Should().NotContain(n => n.Kind == PlanNoteKind.PendingDateWrite);
        Asset(server, asset).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 4, 10, 0, 0, TimeSpan.Zero));
        (await options.PendingDateWrites.LoadAsync($"{server.BaseUrl} {user}", CancellationToken.None)).Should().BeEmpty("a landed write is forgotten");
    }

    [Fact]
    public async Task A_pending_date_write_is_planned_again_once_it_expired()
    {
        var (server, user, _, clock) = await StartAsync(TimeSpan.FromDays(30));
        await using var _ = server;
        var key = server.State.AddApiKey(user, "user.read", "asset.read", "asset.update", "album.read", "tag.read", "tag.create", "tag.asset");
        server.State.AddAsset(user, "IMG_20190704_100000.jpg", new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero));
        using var folder = new TempFolder();
        var options = new RunOptions { SettleDelay = TimeSpan.FromSeconds(5), PendingDateWrites = SqlitePendingDateWriteStore.InFolder(folder.Path) };
        await RunAsync(server, Config(server, key), key, clock, options);

        clock.Advance(TimeSpan.FromHours(25));
        var later = await RunAsync(server, Config(server, key), key, clock, options);

        later.Plan.DateUpdates.Should().ContainSingle("after 24 h a write the server never applied is no longer trusted to land");
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("iat-dates-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
