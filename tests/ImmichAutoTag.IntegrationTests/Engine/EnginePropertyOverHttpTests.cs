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
    public async Task A_run_changes_user_tags_and_albums_only_from_duplicates_and_never_partner_assets(int seed)
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
        // Upstream's duplicate features are on by default: the only user tag links and album memberships a run adds
        // are a duplicate's classification tag or rule album; nothing of the user's is ever taken away.
        var groupOf = state.Assets.Where(a => a.DuplicateId is not null).ToDictionary(a => a.Id, a => a.DuplicateId!.Value);
        bool TwinHas(Guid asset, Func<Guid, bool> has) =>
            groupOf.TryGetValue(asset, out var group) && groupOf.Any(kv => kv.Value == group && kv.Key != asset && has(kv.Key));
        var userTagsAfter = UserTagLinks(state);
        userTagsBefore.Except(userTagsAfter).Should().BeEmpty("user tag links are never removed");
        userTagsAfter.Except(userTagsBefore).Where(l => !TwinHas(l.Asset, twin => userTagsBefore.Contains((twin, l.Tag))))
            .Should().BeEmpty("a user tag is only copied from a duplicate that carries it");
        var albumsAfter = AlbumMembership(state);
        albumsAfter.Keys.Should().BeEquivalentTo(albumsBefore.Keys, "no album is created or deleted");
        foreach (var (album, members) in albumsAfter)
        {
            albumsBefore[album].Except(members).Should().BeEmpty("no asset leaves a user album");
            members.Except(albumsBefore[album]).Where(a => !TwinHas(a, twin => albumsBefore[album].Contains(twin)))
                .Should().BeEmpty("an asset only joins the album one of its duplicates is in");
        }

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
