using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Immich;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// The run's one verifier over HTTP against the fake: after the apply it re-reads album memberships, dates and
/// tags once the server's jobs are idle and re-applies what the server reverted.
/// </summary>
public sealed class VerifierRunTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Wrong = new(2019, 7, 9, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset FromName = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private static AutoTagConfig Config(FakeImmichServer server, string key, bool dates = false, bool sync = false) => new()
    {
        Server = new ServerConfig(server.BaseUrl, key),
        Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}-\d{2}"), PatternCompiler.AlbumName("^Rome$")] }] },
        DuplicateProcessing = new DuplicateProcessingConfig { DateCorrection = new DateCorrectionConfig { Enabled = dates } },
        TagAlbumSync = new TagAlbumSyncConfig { Enabled = sync },
    };

    private static async Task<RunResult> RunAsync(FakeImmichServer server, AutoTagConfig config, string key, TimeProvider clock)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(server.BaseUrl, key));
        return await new AutoTagEngine(gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, new RunOptions { SettleDelay = TimeSpan.FromSeconds(5) }, CancellationToken.None);
    }

    private static async Task<(FakeImmichServer Server, Guid User, string Key, VirtualClock Clock)> StartAsync(TimeSpan dateWriteDelay)
    {
        var clock = new VirtualClock(Now);
        var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock, DateWriteDelay = dateWriteDelay });
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        return (server, user, server.State.AddApiKey(user, "all"), clock);
    }

    [Fact]
    public async Task An_album_membership_the_server_took_back_is_added_again()
    {
        var (server, user, key, clock) = await StartAsync(TimeSpan.Zero);
        await using var _ = server;
        var asset = server.State.AddAsset(user, "rome.jpg", Wrong).Id;
        server.State.TagAsset(server.State.UpsertTag("album/Rome").Id, asset);
        var rome = server.State.AddAlbum(user, "Rome").Id;
        server.State.RevertNextAlbumAddition(rome, asset);
        var config = Config(server, key, sync: true);

        var first = await RunAsync(server, config, key, clock);

        server.State.RevertedAlbumAdditions.Should().Be(1, "the server took the first addition back");
        server.Requests.Count("addAssetsToAlbum").Should().Be(2, "the verifier found the asset missing and added it again");
        server.State.AlbumAssetIds(rome).Should().BeEquivalentTo([asset]);
        first.RevertedAndReapplied.Should().Be(1);
        first.StillWrong.Should().BeEmpty();
        first.Errors.Should().BeEmpty();
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.HasChanges.Should().BeFalse();
        server.Requests.Count("addAssetsToAlbum").Should().Be(0);
    }

    [Fact]
    public async Task A_date_the_server_reverted_is_written_again_once_its_jobs_are_idle()
    {
        var (server, user, key, clock) = await StartAsync(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var asset = server.State.AddAsset(user, "IMG_20190704_100000.jpg", Wrong).Id;
        server.State.RevertNextDateWrite(asset);
        var config = Config(server, key, dates: true);

        var first = await RunAsync(server, config, key, clock);

        first.Plan.DateUpdates.Should().ContainSingle();
        server.State.RevertedDateWrites.Should().Be(1, "the first date job kept the old date");
        server.Requests.Count("updateAssets").Should().Be(2, "the verifier wrote the reverted date again");
        server.State.Assets.Single(a => a.Id == asset).FileCreatedAt.Should().Be(FromName);
        first.RevertedAndReapplied.Should().Be(1);
        first.StillWrong.Should().BeEmpty();
        first.DatesNotLanded.Should().BeEmpty("the re-applied date landed");
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.DateUpdates.Should().BeEmpty();
        server.Requests.Count("updateAssets").Should().Be(0);
    }

    [Fact]
    public async Task A_date_write_that_brings_back_a_removed_tag_gets_the_tag_removed_again()
    {
        // immich#23792: the date job re-reads the sidecar, which still lists the output tag the run removed.
        var (server, user, key, clock) = await StartAsync(TimeSpan.FromSeconds(30));
        await using var _ = server;
        server.State.DateWriteRereadsSidecar = true;
        var asset = server.State.AddAsset(user, "IMG_20190704_100000.jpg", Wrong).Id;
        server.State.AddAlbum(user, "2019-07 Holiday", [asset]);
        var stale = server.State.UpsertTag("autotag_output_unknown").Id;
        server.State.TagAsset(stale, asset);
        var config = Config(server, key, dates: true);

        var first = await RunAsync(server, config, key, clock);

        first.Plan.DateUpdates.Should().ContainSingle();
        first.Plan.Removals.Should().ContainKey(stale);
        server.State.ResurrectedTagLinks.Should().BeGreaterThanOrEqualTo(1, "the landed date job brought the removed tag back");
        server.State.DirectTagIdsOf(asset).Should().NotContain(stale, "the verifier removed it again after the date landed");
        server.State.Assets.Single(a => a.Id == asset).FileCreatedAt.Should().Be(FromName);
        first.RevertedAndReapplied.Should().BeGreaterThanOrEqualTo(1);
        first.StillWrong.Should().BeEmpty();
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.HasChanges.Should().BeFalse();
        server.Requests.Count("untagAssets").Should().Be(0);
    }
}
