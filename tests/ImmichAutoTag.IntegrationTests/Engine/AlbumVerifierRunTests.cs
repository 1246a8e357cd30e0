using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// The verifier over HTTP against the fake, for what a run does to albums themselves: it re-reads the album listing
/// (one GET /albums per round) after the apply, sends again a share the server dropped and a deletion it undid, and
/// reports a creation the server does not list without creating the album twice.
/// </summary>
public sealed class AlbumVerifierRunTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Taken = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private static AutoTagConfig Config(FakeImmichServer server, string key) => new()
    {
        Server = new ServerConfig(server.BaseUrl, key),
        Classification = new ClassificationConfig { Rules = [new RuleConfig { TagNames = ["meme"] }] },
    };

    private static AutoTagConfig Sharing(FakeImmichServer server, string key) => Config(server, key) with
    {
        AlbumPermissions = new AlbumPermissionsConfig
        {
            Enabled = true,
            UserGroups = [new UserGroupConfig("fam", ["bob@example.com"])],
            SelectionRules = [new SelectionRuleConfig("share-family", "family", ["fam"], AlbumAccess.View)],
        },
    };

    private static async Task<RunResult> RunAsync(FakeImmichServer server, AutoTagConfig config, string key, TimeProvider clock, bool dryRun = false, int maxRounds = 3)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(server.BaseUrl, key));
        return await new AutoTagEngine(gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, new RunOptions { DryRun = dryRun, SettleDelay = TimeSpan.FromSeconds(5), MaxReapplyRounds = maxRounds }, CancellationToken.None);
    }

    private static async Task<(FakeImmichServer Server, Guid User, Guid Bob, string Key, VirtualClock Clock)> StartAsync()
    {
        var clock = new VirtualClock(Now);
        var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock });
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        var bob = server.State.AddUser("Bob", "bob@example.com").Id;
        return (server, user, bob, server.State.AddApiKey(user, "all"), clock);
    }

    [Fact]
    public async Task A_share_the_server_dropped_is_sent_again()
    {
        var (server, user, bob, key, clock) = await StartAsync();
        await using var _ = server;
        var album = server.State.AddAlbum(user, "family trip").Id;
        server.State.DropNextAlbumShare(album, bob);
        var config = Sharing(server, key);

        var dry = await RunAsync(server, config, key, clock, dryRun: true);

        dry.Plan.SharingChanges.Should().ContainSingle(c => c.UserId == bob && c.Action == ShareAction.Share);
        server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        server.Requests.Count("getAllAlbums").Should().Be(1, "a dry run verifies nothing");
        server.Requests.Clear();

        var first = await RunAsync(server, config, key, clock);

        server.State.DroppedAlbumShares.Should().Be(1, "the server took the first share back");
        server.Requests.Count("addUsersToAlbum").Should().Be(2, "the verifier found Bob missing and shared the album again");
        server.Requests.Count("getAllAlbums").Should().Be(3, "the walk, the verifier's read after the apply and its read after the re-apply");
        server.State.AlbumSharedWith(album).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer" });
        first.RevertedAndReapplied.Should().Be(1);
        first.StillWrong.Should().BeEmpty();
        first.Errors.Should().BeEmpty();
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.HasChanges.Should().BeFalse();
        server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_share_the_server_does_not_keep_after_the_last_round_is_reported()
    {
        var (server, user, bob, key, clock) = await StartAsync();
        await using var _ = server;
        var album = server.State.AddAlbum(user, "family trip").Id;
        server.State.DropNextAlbumShare(album, bob);
        var config = Sharing(server, key);

        var first = await RunAsync(server, config, key, clock, maxRounds: 0);

        server.Requests.Count("addUsersToAlbum").Should().Be(1, "no re-apply round is allowed");
        server.Requests.Count("getAllAlbums").Should().Be(2, "the walk and the verifier's one read");
        var wrong = first.StillWrong.Should().ContainSingle().Subject;
        wrong.Kind.Should().Be(ChangeKind.AlbumShared);
        wrong.AlbumId.Should().Be(album);
        wrong.UserId.Should().Be(bob);
        first.RevertedAndReapplied.Should().Be(0);
        ReportWriter.ModificationReport(server.BaseUrl, first).Split('\n')
            .Should().ContainSingle(l => l.Contains("kind=WARNING_ALBUM_SHARE_REVERTED_BY_SERVER", StringComparison.Ordinal)).Which
            .Should().Contain($"album_link={server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{album}").And.Contain("album=family trip").And.Contain("new=bob@example.com viewer");

        var second = await RunAsync(server, config, key, clock);

        second.Plan.SharingChanges.Should().ContainSingle(c => c.UserId == bob, "the next run shares the album again");
        server.State.AlbumSharedWith(album).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer" });
        second.StillWrong.Should().BeEmpty();
    }

    [Fact]
    public async Task A_deleted_album_that_came_back_is_deleted_again()
    {
        var (server, user, _, key, clock) = await StartAsync();
        await using var __ = server;
        var asset = server.State.AddAsset(user, "meme.jpg", Taken).Id;
        server.State.TagAsset(server.State.UpsertTag("meme").Id, asset);
        var stale = server.State.AddAlbum(user, "2019-07-01-autotag-temp-unclassified", [asset]).Id;
        server.State.ReturnNextDeletedAlbum(stale);
        var config = Config(server, key) with { CreateAlbumFromDateIfMissing = true };

        var dry = await RunAsync(server, config, key, clock, dryRun: true);

        dry.Plan.AlbumDeletions.Should().ContainSingle(d => d.AlbumId == stale);
        server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        server.Requests.Clear();

        var first = await RunAsync(server, config, key, clock);

        server.State.ReturnedAlbums.Should().Be(1, "the album came back after the first deletion");
        server.Requests.Count("deleteAlbum").Should().Be(2, "the verifier found the album listed again and deleted it again");
        server.Requests.Count("getAllAlbums").Should().Be(3);
        server.State.Albums.Should().NotContain(a => a.Id == stale);
        first.RevertedAndReapplied.Should().Be(1);
        first.StillWrong.Should().BeEmpty();
        first.Errors.Should().BeEmpty();
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.HasChanges.Should().BeFalse();
        server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_created_album_the_server_does_not_list_is_reported_and_not_created_twice()
    {
        var (server, user, _, key, clock) = await StartAsync();
        await using var __ = server;
        var asset = server.State.AddAsset(user, "beach.jpg", Taken).Id;
        server.State.TagAsset(server.State.UpsertTag("album/Family trip").Id, asset);
        server.State.LoseNextCreatedAlbum("Family trip");
        var config = Config(server, key) with { TagAlbumSync = new TagAlbumSyncConfig { Enabled = true } };

        var first = await RunAsync(server, config, key, clock);

        server.State.LostAlbumCreations.Should().Be(1);
        server.Requests.Count("createAlbum").Should().Be(1, "a creation is never sent twice in one run (a listing that lags would make a second album)");
        server.Requests.Count("addAssetsToAlbum").Should().Be(0, "the members of an album the server does not list are not re-added");
        var wrong = first.StillWrong.Should().ContainSingle().Subject;
        wrong.Kind.Should().Be(ChangeKind.AlbumCreated);
        wrong.AlbumName.Should().Be("Family trip");
        first.Errors.Should().BeEmpty();
        ReportWriter.ModificationReport(server.BaseUrl, first).Should().Contain("kind=WARNING_ALBUM_CREATION_REVERTED_BY_SERVER").And.Contain("album=Family trip");
        server.Requests.Clear();

        var second = await RunAsync(server, config, key, clock);

        second.Plan.AlbumsToCreate.Should().ContainSingle(c => c.AlbumName == "Family trip", "the next run creates it again");
        var album = server.State.Albums.Should().ContainSingle(a => a.Name == "Family trip").Subject;
        server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([asset]);
        second.StillWrong.Should().BeEmpty();
        server.Requests.Clear();

        var third = await RunAsync(server, config, key, clock);

        third.Plan.HasChanges.Should().BeFalse();
        server.Requests.WriteCount.Should().Be(0);
    }
}
