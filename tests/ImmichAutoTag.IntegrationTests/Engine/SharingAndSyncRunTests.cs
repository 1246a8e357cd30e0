using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Issue 4 items 7 and 9 through the whole CLI against the fake: album sharing by keyword and tag ↔ album sync,
/// each in a dry run (plan only, no write), a real run, and an immediate second run that must send no write.
/// </summary>
public sealed class SharingAndSyncRunTests() : FeatureRunTestBase("- tag_names: [meme]", SecondPlanIsEmpty)
{
    private static void SecondPlanIsEmpty(string plan) =>
        plan.Should().Contain("0 album(s) to create, 0 album removal(s), 0 sharing change(s)");

    private static int Kind(Runs runs, string kind) => runs.Changes.Count(c => c.GetProperty("kind").GetString() == kind);

    [Fact]
    public async Task Albums_matching_a_keyword_are_shared_with_exactly_the_groups_members()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var carol = Server.State.AddUser("Carol", "carol@example.com").Id;
        var dave = Server.State.AddUser("Dave", "dave@example.com").Id;
        var family = Server.State.AddAlbum(User, "Summer-family.2019").Id;
        Server.State.ShareAlbum(family, carol, "editor");
        Server.State.ShareAlbum(family, dave, "editor");
        var work = Server.State.AddAlbum(User, "Work familyish");
        Server.State.ShareAlbum(work.Id, carol, "viewer");
        var bobs = Server.State.AddAlbum(bob, "Bob family");

        var runs = await RunThriceAsync(Config("""
            album_permissions:
              enabled: true
              user_groups:
                - name: fam
                  members: [BOB@example.com, dave@example.com]
              selection_rules:
                - name: share-family
                  keyword: family
                  groups: [fam]
                  access: view
            """));

        runs.Plan.Should().Contain("share+ bob@example.com as viewer | Summer-family.2019")
            .And.Contain("share~ dave@example.com editor -> viewer | Summer-family.2019")
            .And.Contain("share- carol@example.com (was editor) | Summer-family.2019");
        Server.State.AlbumSharedWith(family).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer", [dave] = "viewer" });
        Server.State.AlbumSharedWith(work.Id).Should().BeEquivalentTo(new Dictionary<Guid, string> { [carol] = "viewer" }, "no rule matches the word 'familyish'");
        Server.State.AlbumSharedWith(bobs.Id).Should().BeEmpty("another user's album is never touched");
        Kind(runs, "ALBUM_PERMISSION_SHARED").Should().Be(1);
        Kind(runs, "ALBUM_PERMISSION_ROLE_CHANGED").Should().Be(1);
        Kind(runs, "ALBUM_PERMISSION_REMOVED").Should().Be(1);
        runs.Report.Should().Contain("kind=ALBUM_PERMISSION_SHARED").And.NotContain("WARNING_ALBUM_PERMISSION_UNKNOWN_USER");
        runs.Statistics.Should().Contain("album_users_added: 1").And.Contain("album_roles_changed: 1").And.Contain("album_users_removed: 1");
        runs.FirstRunCalls("searchUsers").Should().Be(1);
    }

    [Fact]
    public async Task A_mistyped_member_email_is_warned_about_and_unshares_nobody_from_the_groups_albums()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var carol = Server.State.AddUser("Carol", "carol@example.com").Id;
        var dave = Server.State.AddUser("Dave", "dave@example.com").Id;
        var beach = Server.State.AddAlbum(User, "2019-07-04 Beach").Id;
        Server.State.ShareAlbum(beach, bob, "viewer");
        Server.State.ShareAlbum(beach, carol, "viewer");
        var other = Server.State.AddAlbum(User, "Work trip").Id;
        Server.State.ShareAlbum(other, carol, "viewer");

        // 'bobb' is a typo for bob; carol was shared by hand. Without the typo the rule would remove both of them.
        var runs = await RunThriceAsync(Config("""
            album_permissions:
              enabled: true
              user_groups:
                - {name: family, members: [bobb@example.com, dave@example.com]}
                - {name: colleagues, members: [carol@example.com]}
              selection_rules:
                - {name: beach, keyword: beach, groups: [family], access: edit}
                - {name: work, keyword: work, groups: [colleagues], access: view}
            """));

        runs.Plan.Should().Contain("share+ dave@example.com as editor | 2019-07-04 Beach")
            .And.NotContain("share-").And.NotContain("share~");
        Server.State.AlbumSharedWith(beach).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer", [carol] = "viewer", [dave] = "editor" });
        Server.State.AlbumSharedWith(other).Should().BeEquivalentTo(new Dictionary<Guid, string> { [carol] = "viewer" });
        runs.Report.Should().Contain("kind=WARNING_ALBUM_PERMISSION_UNKNOWN_USER").And.Contain("bobb@example.com");
        (runs.First.Out + runs.First.Err).Should().Contain("'bobb@example.com', which is no Immich user", "the console names the typo, not only the report");
    }

    [Fact]
    public async Task Admin_access_makes_editors_and_the_last_matching_rule_sets_the_role()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var carol = Server.State.AddUser("Carol", "carol@example.com").Id;
        var album = Server.State.AddAlbum(User, "family trip").Id;

        await RunThriceAsync(Config("""
            album_permissions:
              enabled: true
              user_groups:
                - {name: a, members: [bob@example.com]}
                - {name: b, members: [carol@example.com]}
              selection_rules:
                - {name: one, keyword: family, groups: [a], access: view}
                - {name: two, keyword: TRIP, groups: [b], access: admin}
            """));

        Server.State.AlbumSharedWith(album).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "editor", [carol] = "editor" });
    }

    [Fact]
    public async Task An_album_the_run_creates_is_shared_by_its_keyword_in_the_same_run()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com").Id;
        var beach = Asset("beach.jpg");
        Tag("album/Family trip", beach);

        var runs = await RunThriceAsync(Config(
            """
            tag_album_sync:
              enabled: true
              tag_prefix: album/
            album_permissions:
              enabled: true
              user_groups:
                - {name: fam, members: [bob@example.com]}
              selection_rules:
                - {name: share-family, keyword: family, groups: [fam], access: view}
            """,
            "- album_name_patterns: ['Family']"));

        runs.Plan.Should().Contain("create album Family trip | tag_album_sync | 1 asset(s)")
            .And.Contain("share+ bob@example.com as viewer | Family trip | (new album) | rule share-family");
        var album = Server.State.Albums.Should().ContainSingle(a => a.Name == "Family trip").Subject;
        Server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([beach]);
        Server.State.AlbumSharedWith(album.Id).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer" }, "the album is shared by the run that creates it");
        runs.FirstRunCalls("createAlbum").Should().Be(1);
        runs.FirstRunCalls("addUsersToAlbum").Should().Be(1);
        Kind(runs, "ALBUM_PERMISSION_SHARED").Should().Be(1);
        runs.Changes.Should().Contain(c => c.GetProperty("kind").GetString() == "ALBUM_PERMISSION_SHARED" && c.GetProperty("album_id").GetString() == album.Id.ToString());
        runs.SecondPlan.Should().NotContain("share+");
    }

    [Fact]
    public async Task Tagged_assets_join_the_album_of_the_same_name_which_is_created_when_missing()
    {
        var rome1 = Asset("rome1.jpg");
        var rome2 = Asset("rome2.jpg");
        var paris = Asset("paris.jpg");
        var alreadyInParis = Asset("old.jpg");
        Tag("album/Rome", rome1, rome2);
        Tag("album/Paris", paris);
        var parisAlbum = Server.State.AddAlbum(User, "Paris", [alreadyInParis]).Id;

        var runs = await RunThriceAsync(Config(
            """
            tag_album_sync:
              enabled: true
              tag_prefix: album/
            """,
            "- album_name_patterns: ['Rome', 'Paris']"));

        runs.Plan.Should().Contain("create album Rome | tag_album_sync | 2 asset(s)").And.Contain("album+ Paris");
        var rome = Server.State.Albums.Should().ContainSingle(a => a.Name == "Rome").Subject;
        Server.State.AlbumAssetIds(rome.Id).Should().BeEquivalentTo([rome1, rome2]);
        Server.State.AlbumAssetIds(parisAlbum).Should().BeEquivalentTo([paris, alreadyInParis], "remove is off: nothing leaves an album");
        new[] { rome1, rome2, paris }.Should().OnlyContain(id => !HasTag(id, Unknown), "the new album membership classifies them in the same run");
        Kind(runs, "CREATE_ALBUM").Should().Be(1);
        Kind(runs, "ASSIGN_ASSET_TO_ALBUM").Should().Be(3);
        runs.Statistics.Should().Contain("albums_created: 1");
        runs.FirstRunCalls("createAlbum").Should().Be(1, "the assets ride on the create call");
    }

    [Fact]
    public async Task Assets_of_matching_albums_get_the_album_tag_in_both_directions()
    {
        var beach = Asset("beach.jpg");
        var tagged = Asset("tagged.jpg");
        var other = Asset("other.jpg");
        var album = Server.State.AddAlbum(User, "2019 Beach", [beach]).Id;
        Server.State.AddAlbum(User, "Misc", [other]);
        Tag("album/2019 Beach", tagged);

        var runs = await RunThriceAsync(Config(
            """
            tag_album_sync:
              enabled: true
              direction: both
              album_name_patterns: ['\d{4} ']
            """,
            "- tag_names: ['2019 Beach']"));

        runs.Plan.Should().Contain("+ album/2019 Beach").And.Contain("album+ 2019 Beach");
        HasTag(beach, "album/2019 Beach").Should().BeTrue();
        HasTag(other, "album/Misc").Should().BeFalse("Misc matches no pattern");
        Server.State.AlbumAssetIds(album).Should().BeEquivalentTo([beach, tagged]);
        HasTag(beach, Unknown).Should().BeFalse("the new tag's leaf name classifies it in the same run");
        Kind(runs, "ADD_TAG_TO_ASSET").Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task With_remove_untagged_assets_leave_synced_albums_and_other_albums_are_untouched()
    {
        var kept = Asset("kept.jpg");
        var untagged = Asset("untagged.jpg");
        var loose = Asset("loose.jpg");
        Tag("album/Rome", kept);
        var rome = Server.State.AddAlbum(User, "Rome", [kept, untagged]).Id;
        var other = Server.State.AddAlbum(User, "Other", [loose]).Id;

        var runs = await RunThriceAsync(Config("""
            tag_album_sync:
              enabled: true
              remove: true
            """));

        runs.Plan.Should().Contain("album- Rome");
        Server.State.AlbumAssetIds(rome).Should().BeEquivalentTo([kept]);
        Server.State.AlbumAssetIds(other).Should().BeEquivalentTo([loose]);
        Kind(runs, "REMOVE_ASSET_FROM_ALBUM").Should().Be(1);
    }

    [Fact]
    public async Task A_key_without_the_sharing_permissions_is_refused_at_start_naming_them()
    {
        var limited = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset");
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config("""
            album_permissions:
              enabled: true
            """).Replace(Key, limited, StringComparison.Ordinal));

        Server.Requests.Clear();
        var run = await cli.RunAsync("run", "--config", config);

        run.ExitCode.Should().Be(6, run.ToString());
        run.ToString().Should().Contain("albumUser.create").And.Contain("albumUser.delete");
        Server.Requests.WriteCount.Should().Be(0);

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config);
        dry.ExitCode.Should().Be(0, "a dry run only reads: " + dry);
    }

    [Fact]
    public async Task A_slash_in_a_synced_album_name_stays_inside_one_tag_level_and_the_sync_converges()
    {
        var live = Asset("IMG_1.jpg");
        Server.State.AddAlbum(User, "2019 AC/DC live", [live]);

        var runs = await RunThriceAsync(Config("""
            tag_album_sync:
              enabled: true
              direction: both
              tag_prefix: album/
              album_name_patterns: ['^2019']
            """));

        // Immich splits a tag value on '/': the name's own slash is written as U+2215, so no stray "album/2019 AC" level.
        runs.Plan.Should().Contain("create tag album/2019 AC\u2215DC live");
        HasTag(live, "album/2019 AC\u2215DC live").Should().BeTrue();
        Server.State.FindTag("album/2019 AC").Should().BeNull("the album name's slash is no tag level");
        Server.State.Albums.Should().ContainSingle(a => a.Name.StartsWith("2019", StringComparison.Ordinal), "tag → album reads the tag back as the same album, not a new one");
        runs.SecondPlan.Should().Contain("0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s)");
    }

    [Fact]
    public async Task An_album_whose_name_gives_no_tag_level_is_skipped_with_a_note_and_the_other_albums_still_sync()
    {
        var meme = Asset("meme_funny.png");
        Server.State.AddAlbum(User, "  ", [meme]);
        Server.State.AddAlbum(User, "2019 Trip", [meme]);
        Server.State.AddAlbum(User, " padded", [meme]);

        var runs = await RunThriceAsync(Config("""
            tag_album_sync:
              enabled: true
              direction: album_to_tag
              album_name_patterns: ['.*']
            """));

        runs.Plan.Should().Contain("WARNING_SYNC_ALBUM_NAME_UNUSABLE").And.Contain("album '  '").And.Contain("album ' padded'")
            .And.NotContain("create tag album/  ");
        HasTag(meme, "album/2019 Trip").Should().BeTrue("one unusable album name does not take the asset's other sync tags down");
        Server.State.FindTag("album/  ").Should().BeNull();
        Server.State.FindTag("album/ padded").Should().BeNull();
        runs.SecondPlan.Should().Contain("0 tag(s) to create, 0 addition(s), 0 removal(s)");
    }
}
