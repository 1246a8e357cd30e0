using System.Text.Json;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Issue 4, items 5 and 6 through the whole CLI against the fake: conversions, temporary albums for
/// unclassified assets, folder-based album detection. Each case is a dry run (plan only, no write), a real
/// run, and an immediate second run that must send no write.
/// </summary>
public sealed class AlbumFeatureRunTests() : FeatureRunTestBase(Rules, SecondPlanIsEmpty)
{
    private const string Rules = """
        - tag_names: [meme, autotag_input_meme]
          album_name_patterns: ['^autotag_input_meme$']
        - tag_names: [autotag_input_ignore]
        - album_name_patterns: ['^\d{4}(-\d{2}(-\d{2})?)?']
        """;

    private const string DetectionConflict = "autotag_output_album_detection_conflict";

    private static void SecondPlanIsEmpty(string plan) =>
        plan.Should().StartWith("# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)\n").And.NotContain("# Albums");

    private List<FakeAlbum> AlbumsNamed(string name) => Server.State.Albums.Where(a => a.Name == name).ToList();

    private IReadOnlySet<Guid> Members(string name) => Server.State.AlbumAssetIds(AlbumsNamed(name).Single().Id);

    private static bool Change(JsonElement c, string kind, string? tag = null, string? album = null) =>
        c.GetProperty("kind").GetString() == kind
        && (tag is null || c.GetProperty("tag").GetString() == tag)
        && (album is null || c.GetProperty("album_name").GetString() == album);

    // ---- conversions ----
    [Fact]
    public async Task A_move_conversion_adds_the_destinations_removes_the_matched_source_tag_and_classifies_in_the_same_run()
    {
        var meme = Asset("meme.jpg");
        var other = Asset("other.jpg");
        var filtered = Asset("filtered.jpg");
        Tag("meme", meme, filtered);
        Tag("autotag_input_ignore", filtered);
        Tag("keep_me", meme);

        var runs = await RunThriceAsync(Config("""
            filters:
              filter_out:
                - tag_names: [autotag_input_ignore]
            conversions:
              conversions:
                - source: {tag_names: [meme]}
                  destination: {album_names: [autotag_input_meme], tag_names: [autotag_input_meme]}
                  mode: move
            """));

        runs.Plan.Should().Contain("create album autotag_input_meme | conversion")
            .And.Contain($"album+ autotag_input_meme | (new album) | {Link(meme)}")
            .And.Contain($"+ autotag_input_meme | {Link(meme)}")
            .And.Contain($"- meme | {Link(meme)}")
            .And.NotContain(filtered.ToString());
        AlbumsNamed("autotag_input_meme").Should().ContainSingle();
        Members("autotag_input_meme").Should().BeEquivalentTo([meme]);
        HasTag(meme, "autotag_input_meme").Should().BeTrue();
        HasTag(meme, "meme").Should().BeFalse("move removes the matched source tag");
        HasTag(meme, "keep_me").Should().BeTrue("only the matched source tags are removed");
        HasTag(meme, Unknown).Should().BeFalse("the conversion's result is classified in the same run");
        HasTag(other, Unknown).Should().BeTrue();
        HasTag(filtered, "meme").Should().BeTrue("filter_out keeps the asset out of every change");
        HasTag(filtered, "autotag_input_meme").Should().BeFalse();
        runs.FirstRunCalls("createAlbum").Should().Be(1);
        runs.Changes.Should().Contain(c => Change(c, "CREATE_ALBUM", null, "autotag_input_meme"))
            .And.Contain(c => Change(c, "ASSIGN_ASSET_TO_ALBUM", null, "autotag_input_meme"))
            .And.Contain(c => Change(c, "ADD_TAG_TO_ASSET", "autotag_input_meme", null))
            .And.Contain(c => Change(c, "REMOVE_TAG_FROM_ASSET", "meme", null));
        runs.Report.Should().Contain("kind=CREATE_ALBUM | album_link=");
        runs.Statistics.Should().Contain("  albums_created: 1\n");
    }

    [Fact]
    public async Task Without_paused_queues_a_move_is_written_in_waves_and_survives_the_sidecar_write_back()
    {
        // queue.read without queue.update: the run writes in waves and waits for the queues between them.
        Key = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset",
            "album.create", "albumAsset.create", "albumAsset.delete", "album.delete", "queue.read");
        var meme = Asset("meme.jpg");
        var plain = Asset("plain.jpg");
        Tag("meme", meme);

        var runs = await RunThriceAsync(Config("""
            create_album_from_date_if_missing: true
            conversions:
              conversions:
                - source: {tag_names: [meme]}
                  destination: {tag_names: [autotag_input_meme]}
            """));

        runs.Statistics.Should().Contain("mode: waves_until_idle");
        HasTag(meme, "autotag_input_meme").Should().BeTrue();
        HasTag(meme, "meme").Should().BeFalse();
        HasTag(meme, Unknown).Should().BeFalse();
        HasTag(plain, Unknown).Should().BeTrue();
        Members("2019-07-04-autotag-temp-unclassified").Should().BeEquivalentTo([plain]);
    }

    [Fact]
    public async Task A_copy_conversion_keeps_the_source_tag_and_joins_the_existing_album()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var album = Server.State.AddAlbum(User, "Memes");

        var runs = await RunThriceAsync(Config("""
            conversions:
              conversions:
                - source: {tag_names: [meme]}
                  destination: {album_names: [Memes]}
                  mode: copy
            """));

        runs.Plan.Should().Contain($"album+ Memes | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{album.Id} | {Link(meme)}").And.NotContain("create album");
        Server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([meme]);
        HasTag(meme, "meme").Should().BeTrue();
        runs.FirstRunCalls("createAlbum").Should().Be(0);
    }

    [Fact]
    public async Task A_move_whose_destination_album_is_ambiguous_keeps_the_source_tag()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var first = Server.State.AddAlbum(bob, "Memes");
        var second = Server.State.AddAlbum(bob, "Memes");
        Server.State.ShareAlbum(first.Id, User);
        Server.State.ShareAlbum(second.Id, User);

        var runs = await RunThriceAsync(Config("""
            conversions:
              conversions:
                - source: {tag_names: [meme]}
                  destination: {album_names: [Memes], tag_names: [autotag_input_meme]}
            """));

        runs.Plan.Should().Contain("note WARNING_AMBIGUOUS_ALBUM").And.Contain("several albums are named 'Memes'");
        HasTag(meme, "meme").Should().BeTrue("the album could not be resolved, so the move keeps its source");
        HasTag(meme, "autotag_input_meme").Should().BeTrue();
        Server.State.AlbumAssetIds(first.Id).Should().BeEmpty();
        Server.State.AlbumAssetIds(second.Id).Should().BeEmpty();
    }

    // ---- temporary albums ----
    [Fact]
    public async Task Unclassified_assets_go_to_the_temporary_album_of_their_local_day_and_classified_ones_leave()
    {
        // 23:30 at UTC-5 is the next day in UTC: the album follows the local calendar day.
        var late = Asset("late.jpg", new DateTimeOffset(2019, 7, 4, 23, 30, 0, TimeSpan.FromHours(-5)));
        var sameDay = Asset("same.jpg", new DateTimeOffset(2019, 7, 4, 8, 0, 0, TimeSpan.FromHours(-5)));
        var classified = Asset("classified.jpg");
        Tag("meme", classified);
        var stale = Server.State.AddAlbum(User, "2019-07-01-autotag-temp-unclassified", [classified]);
        var userAlbum = Server.State.AddAlbum(User, "Holidays", [classified]);
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var bobsTemp = Server.State.AddAlbum(bob, "2019-07-02-autotag-temp-unclassified");
        var filtered = Asset("filtered.jpg");
        Tag("autotag_input_ignore", filtered);

        var runs = await RunThriceAsync(Config("""
            filters:
              filter_out:
                - tag_names: [autotag_input_ignore]
            create_album_from_date_if_missing: true
            """));

        const string Day = "2019-07-04-autotag-temp-unclassified";
        runs.Plan.Should().Contain($"create album {Day} | temporary album")
            .And.Contain($"delete album 2019-07-01-autotag-temp-unclassified | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{stale.Id}");
        Members(Day).Should().BeEquivalentTo([late, sameDay]);
        new[] { late, sameDay }.Should().OnlyContain(id => HasTag(id, Unknown), "a temporary album is no rule input, even for a date-prefix rule");
        Server.State.Albums.Should().NotContain(a => a.Id == stale.Id, "its only asset is classified, so it is left empty and deleted");
        Server.State.AlbumAssetIds(userAlbum.Id).Should().BeEquivalentTo([classified], "user albums are never emptied");
        Server.State.Albums.Should().Contain(a => a.Id == bobsTemp.Id, "another user's temporary album is not ours");
        Server.State.Albums.SelectMany(a => Server.State.AlbumAssetIds(a.Id)).Should().NotContain(filtered);
        runs.FirstRunCalls("deleteAlbum").Should().Be(1);
        runs.Changes.Should().Contain(c => Change(c, "DELETE_ALBUM", null, "2019-07-01-autotag-temp-unclassified"))
            .And.Contain(c => Change(c, "CREATE_ALBUM", null, Day));
        runs.Report.Should().Contain("kind=DELETE_ALBUM | album_link=");
        runs.Statistics.Should().Contain("  albums_deleted: 1\n");
    }

    [Fact]
    public async Task Strays_move_to_the_album_of_their_own_day_and_classified_assets_are_taken_out()
    {
        var july = Asset("july.jpg");
        var august = Asset("august.jpg", new DateTimeOffset(2019, 8, 20, 12, 0, 0, TimeSpan.Zero));
        var nowClassified = Asset("classified.jpg");
        Tag("meme", nowClassified);
        var temp = Server.State.AddAlbum(User, "2019-07-04-autotag-temp-unclassified", [july, august, nowClassified]);

        var runs = await RunThriceAsync(Config("create_album_from_date_if_missing: true"));

        runs.Plan.Should().Contain($"album- 2019-07-04-autotag-temp-unclassified | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{temp.Id} | {Link(august)}")
            .And.Contain($"album- 2019-07-04-autotag-temp-unclassified | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{temp.Id} | {Link(nowClassified)}");
        Server.State.AlbumAssetIds(temp.Id).Should().BeEquivalentTo([july]);
        Members("2019-08-20-autotag-temp-unclassified").Should().BeEquivalentTo([august]);
        runs.Changes.Count(c => Change(c, "REMOVE_ASSET_FROM_ALBUM", null, "2019-07-04-autotag-temp-unclassified")).Should().Be(2);
        runs.FirstRunCalls("removeAssetFromAlbum").Should().Be(1, "removals from one album are one bulk call");
    }

    [Fact]
    public async Task With_temporary_albums_off_classified_assets_still_leave_them_and_nothing_is_created()
    {
        var unclassified = Asset("u.jpg");
        var classified = Asset("c.jpg");
        Tag("meme", classified);
        var temp = Server.State.AddAlbum(User, "2019-07-04-autotag-temp-unclassified", [unclassified, classified]);

        await RunThriceAsync(Config());

        Server.State.AlbumAssetIds(temp.Id).Should().BeEquivalentTo([unclassified]);
        Server.State.Albums.Should().ContainSingle(a => a.Name.EndsWith("-autotag-temp-unclassified", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_temporary_albums_off_a_key_that_may_not_remove_album_assets_skips_the_clean_up_with_one_warning()
    {
        // The permissions README asks for with create_album_from_date_if_missing off: no albumAsset.delete, no album.delete.
        Key = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset",
            "duplicate.read", "albumAsset.create", "album.create", "asset.update");
        var unclassified = Asset("u.jpg");
        var classified = Asset("c.jpg");
        Tag("meme", classified);
        var temp = Server.State.AddAlbum(User, "2019-07-04-autotag-temp-unclassified", [unclassified, classified]);
        var alone = Asset("alone.jpg");
        Tag("meme", alone);
        var emptied = Server.State.AddAlbum(User, "2019-07-05-autotag-temp-unclassified", [alone]);

        var runs = await RunThriceAsync(Config());

        runs.First.ExitCode.Should().Be(0, runs.First.ToString());
        (runs.First.Out + runs.First.Err).Should().Contain("lacks 'albumAsset.delete' or 'album.delete'").And.Contain("1 asset(s) would leave them, 1 emptied album(s)");
        runs.Report.Should().Contain("kind=WARNING_TEMPORARY_ALBUM_CLEANUP_SKIPPED");
        runs.Plan.Should().NotContain("album- ").And.NotContain("delete album");
        Server.State.AlbumAssetIds(temp.Id).Should().BeEquivalentTo([unclassified, classified]);
        Server.State.AlbumAssetIds(emptied.Id).Should().BeEquivalentTo([alone]);
        Server.Requests.All.Should().NotContain(r => r.OperationId == "removeAssetFromAlbum" || r.OperationId == "deleteAlbum");
    }

    [Fact]
    public async Task A_key_that_cannot_manage_albums_fails_preflight_when_temporary_albums_are_on_but_may_dry_run()
    {
        Asset("u.jpg");
        Key = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset");
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config("create_album_from_date_if_missing: true"));

        var result = await cli.RunAsync("run", "--config", config);
        var dry = await cli.RunAsync("run", "--dry-run", "--config", config);

        result.ExitCode.Should().Be((int)ImmichAutoTag.Core.Application.RunExitCode.PermissionDenied, result.ToString());
        result.Err.Should().Contain("'album.create'").And.Contain("'albumAsset.create'").And.Contain("'albumAsset.delete'").And.Contain("'album.delete'");
        dry.ExitCode.Should().Be(0, dry.ToString());
        Server.Requests.WriteCount.Should().Be(0);
    }

    // ---- folder detection ----
    [Fact]
    public async Task A_date_folder_names_the_album_the_asset_joins_and_classifies_it_in_the_same_run()
    {
        var beach = Asset("a.jpg", path: "/photos/2019/2019-07-04 Beach/day1/a.jpg");
        var beach2 = Asset("b.jpg", path: "/photos/2019/2019-07-04 Beach/day1/b.jpg");
        var existing = Asset("c.jpg", path: "/photos/2019-07-05 Hike/c.jpg");
        var hike = Server.State.AddAlbum(User, "2019-07-05 Hike");
        var twoDates = Asset("d.jpg", path: "/photos/2019-07-01 Trip/2019-07-02 Day two/d.jpg");
        var excluded = Asset("e.jpg", path: "/photos/WhatsApp/2019-07-04 Chat/e.jpg");
        var bareDay = Asset("f.jpg", path: "/photos/2019-07-04/f.jpg");

        var runs = await RunThriceAsync(Config("""
            create_album_from_date_if_missing: true
            album_detection_from_folders:
              enabled: true
              excluded_paths: [whatsapp]
            """));

        runs.Plan.Should().Contain("create album 2019-07-04 Beach/day1 | folder detection")
            .And.Contain($"+ {DetectionConflict} | {Link(twoDates)}")
            .And.Contain("note ALBUM_DETECTION_CONFLICT");
        Members("2019-07-04 Beach/day1").Should().BeEquivalentTo([beach, beach2]);
        Server.State.AlbumAssetIds(hike.Id).Should().BeEquivalentTo([existing], "an existing album of that name is joined, not duplicated");
        new[] { beach, beach2, existing }.Should().OnlyContain(id => !HasTag(id, Unknown), "the detected album classifies the asset in the same run");
        HasTag(twoDates, DetectionConflict).Should().BeTrue();
        new[] { twoDates, excluded, bareDay }.Should().OnlyContain(id => HasTag(id, Unknown));
        HasTag(excluded, DetectionConflict).Should().BeFalse();

        // Unclassified assets without a detected album still get their temporary album, in the same run.
        Members("2019-07-04-autotag-temp-unclassified").Should().BeEquivalentTo([twoDates, excluded, bareDay]);
        runs.FirstRunCalls("createAlbum").Should().Be(2);
        runs.Report.Should().Contain("kind=ALBUM_DETECTION_CONFLICT");
    }

    [Fact]
    public async Task The_detection_conflict_tag_goes_once_the_asset_is_classified()
    {
        var twoDates = Asset("d.jpg", path: "/photos/2019-07-01 Trip/2019-07-02 Day two/d.jpg");
        var yaml = Config("""
            album_detection_from_folders:
              enabled: true
              excluded_paths: []
            """);
        await RunThriceAsync(yaml);
        HasTag(twoDates, DetectionConflict).Should().BeTrue();

        Tag("meme", twoDates);
        using var cli = new CliHarness();
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(yaml));

        result.ExitCode.Should().Be(0, result.ToString());
        HasTag(twoDates, DetectionConflict).Should().BeFalse("unlike upstream, a stale detection conflict tag is removed");
        HasTag(twoDates, Unknown).Should().BeFalse();
    }
}
