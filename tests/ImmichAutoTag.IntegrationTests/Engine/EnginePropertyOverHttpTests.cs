using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Over randomly shaped libraries, a run changes nothing but the tool's own output tags: every user tag link
/// and every album's membership is exactly as before, partner assets are untouched, and the run converges.
/// </summary>
public sealed class EnginePropertyOverHttpTests
{
    private static readonly string[] OutputTags = ["autotag_output_unknown", "autotag_output_conflict"];

    // Date repair stays off (the default): it is the one feature that changes assets.

    public static TheoryData<int> Seeds => new() { 1, 2, 3, 5, 8, 13 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task A_run_never_changes_user_tags_albums_or_partner_assets(int seed)
    {
        // Given a library whose shape depends on the seed
        await using var server = await FakeImmichServer.StartAsync();
        var state = server.State;
        var user = state.AddUser("Owner", "owner@example.com").Id;
        var partner = state.AddUser("Partner", "partner@example.com").Id;
        var key = state.AddApiKey(user, "all");
        var random = new Random(seed);
        new LibraryBuilder(state, user, seed)
            .WithAssets(200 + random.Next(400))
            .WithEventAlbums(1 + random.Next(8))
            .WithAlbumShare(random.NextDouble())
            .WithClassificationTags(random.NextDouble() * 0.3, "meme", "screenshots/meme", "people/ana")
            .WithAssetsInTwoAlbums(random.Next(10))
            .WithDuplicateGroups(random.Next(5))
            .WithPartnerAssets(partner, random.Next(20))
            .WithTrashedAssets(random.Next(10))
            .Build();

        // Some assets already carry a stale output tag, and a user tag shares an output tag's leaf name.
        var stale = state.UpsertTag(OutputTags[random.Next(2)]);
        foreach (var asset in state.Assets.Where(a => a.OwnerId == user).Take(random.Next(30)))
        {
            state.TagAsset(stale.Id, asset.Id);
        }

        var lookalike = state.UpsertTag("archive/autotag_output_unknown");
        foreach (var asset in state.Assets.Where(a => a.OwnerId == user).Skip(50).Take(5))
        {
            state.TagAsset(lookalike.Id, asset.Id);
        }

        var userTagsBefore = UserTagLinks(state);
        var albumsBefore = AlbumMembership(state);
        var partnerTagsBefore = state.Assets.Where(a => a.OwnerId == partner).ToDictionary(a => a.Id, a => state.DirectTagIdsOf(a.Id).ToHashSet());

        using var cli = new CliHarness();
        var config = cli.WriteConfig($"""
            server:
              url: {server.BaseUrl}
              api_key: {key}
            enable_album_name_strip: true
            classification:
              rules:
                - tag_names: [meme]
                - album_name_patterns: ['^\d{"{4}"}-\d{"{2}"}-\d{"{2}"}']
            """);

        // When
        var first = await cli.RunAsync("run", "--config", config);
        server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config);

        // Then
        first.ExitCode.Should().Be(0, first.ToString());
        second.ExitCode.Should().Be(0, second.ToString());
        UserTagLinks(state).Should().BeEquivalentTo(userTagsBefore, "user tag links are read-only");
        AlbumMembership(state).Should().BeEquivalentTo(albumsBefore, "albums are read-only");
        foreach (var (id, tags) in partnerTagsBefore)
        {
            state.DirectTagIdsOf(id).Should().BeEquivalentTo(tags, "partner assets are never changed");
        }

        server.Requests.WriteCount.Should().Be(0, "the first run converged");
    }

    /// <summary>Links to every tag but the tool's own: root-level tags named autotag_output_* (defaults, per-group ones included).</summary>
    private static HashSet<(Guid Asset, Guid Tag)> UserTagLinks(FakeImmichState state)
    {
        var output = state.Tags.Where(t => t.Value.StartsWith("autotag_output_", StringComparison.Ordinal)).Select(t => t.Id).ToHashSet();
        return state.Assets
            .SelectMany(a => state.DirectTagIdsOf(a.Id).Where(t => !output.Contains(t)).Select(t => (a.Id, t)))
            .ToHashSet();
    }

    private static Dictionary<Guid, HashSet<Guid>> AlbumMembership(FakeImmichState state) =>
        state.Albums.ToDictionary(a => a.Id, a => state.AlbumAssetIds(a.Id).ToHashSet());
}
