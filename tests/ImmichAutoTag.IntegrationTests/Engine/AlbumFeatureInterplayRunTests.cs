namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Where the album features of issue 4 meet (tag ↔ album sync, album sharing, conversions, temporary albums):
/// one creation per album name, and the tool's temporary albums kept out of the sync and out of sharing unless a
/// rule names them. Each scenario runs for real and then again, and the second run must send no write.
/// </summary>
public sealed class AlbumFeatureInterplayRunTests() : FeatureRunTestBase("- tag_names: [meme]", checkSecondPlan: null)
{
    private const string Temp = "2019-07-04-autotag-temp-unclassified";

    [Fact]
    public async Task An_album_the_sync_and_a_conversion_both_want_is_created_once_with_both_assets()
    {
        var tagged = Asset("tagged.jpg");
        var converted = Asset("converted.jpg");
        Tag("album/Rome", tagged);
        Tag("rome_trip", converted);

        var runs = await RunTwiceAsync(Config("""
            tag_album_sync:
              enabled: true
              tag_prefix: album/
            conversions:
              conversions:
                - source: {tag_names: [rome_trip]}
                  destination: {album_names: [Rome]}
                  mode: copy
            """));

        runs.Plan.Should().Contain("create album Rome | tag_album_sync | 2 asset(s)");
        runs.FirstRunCalls("createAlbum").Should().Be(1);
        var rome = Server.State.Albums.Should().ContainSingle(a => a.Name == "Rome").Subject;
        Server.State.AlbumAssetIds(rome.Id).Should().BeEquivalentTo([tagged, converted]);
    }

    [Fact]
    public async Task Temporary_albums_are_never_synced_in_either_direction()
    {
        var waiting = Asset("waiting.jpg");
        var classified = Asset("classified.jpg");
        Tag("meme", classified);
        Tag("album/" + Temp, classified);
        var temp = Server.State.AddAlbum(User, Temp, [waiting]).Id;

        var runs = await RunTwiceAsync(Config("""
            create_album_from_date_if_missing: true
            tag_album_sync:
              enabled: true
              direction: both
              album_name_patterns: ['.*']
            """));

        Server.State.AlbumAssetIds(temp).Should().BeEquivalentTo([waiting], "a sync tag naming a temporary album is ignored; the classified asset stays out");
        HasTag(waiting, "album/" + Temp).Should().BeFalse("a temporary album gives no sync tag, even to a pattern matching every album");
        runs.Plan.Should().NotContain("album+ " + Temp);
    }

    [Fact]
    public async Task A_temporary_album_is_shared_only_by_a_rule_naming_its_suffix_not_by_its_date()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var carol = Server.State.AddUser("Carol", "carol@example.com").Id;
        var temp = Server.State.AddAlbum(User, Temp, [Asset("waiting.jpg")]).Id;
        var trip = Server.State.AddAlbum(User, "2019 Trip").Id;

        await RunTwiceAsync(Config("""
            album_permissions:
              enabled: true
              user_groups:
                - {name: years, members: [bob@example.com]}
                - {name: sorters, members: [carol@example.com]}
              selection_rules:
                - {name: by-year, keyword: '2019', groups: [years], access: view}
                - {name: to-sort, keyword: unclassified, groups: [sorters], access: edit}
            """));

        Server.State.AlbumSharedWith(trip).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer" });
        Server.State.AlbumSharedWith(temp).Should().BeEquivalentTo(new Dictionary<Guid, string> { [carol] = "editor" }, "the date words of a temporary album match no rule");
    }
}
