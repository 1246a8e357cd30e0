using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Inputs seen on real Immich 3.1 libraries, through the whole CLI against the fake: Live/Motion Photos (the
/// search returns their hidden video halves) and hierarchical tags named in rules.
/// </summary>
public sealed class RealLibraryRunTests() : FeatureRunTestBase(Rules, SecondPlanIsEmpty)
{
    private const string Rules = """
        - tag_names: [meme]
        - album_name_patterns: ['^\d{4}-\d{2}-\d{2}']
        """;

    private static void SecondPlanIsEmpty(string plan) =>
        plan.Should().StartWith("# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)");

    [Fact]
    public async Task The_hidden_video_half_of_a_live_photo_gets_no_output_tag_and_no_temporary_album()
    {
        // A still in a rule album and a still nobody classified, each with its hidden video half.
        var (classifiedStill, classifiedVideo) = Server.State.AddLivePhoto(User, "IMG_0001.HEIC", T0);
        var (looseStill, looseVideo) = Server.State.AddLivePhoto(User, "IMG_0002.HEIC", T0);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [classifiedStill.Id]);

        var runs = await RunThriceAsync(Config("create_album_from_date_if_missing: true"));

        runs.FirstRunCalls("searchAssets").Should().BeGreaterThan(0);
        HasTag(classifiedStill.Id, Unknown).Should().BeFalse();
        HasTag(looseStill.Id, Unknown).Should().BeTrue();
        new[] { classifiedVideo.Id, looseVideo.Id }.Should().OnlyContain(v => !HasTag(v, Unknown), "a motion part is never classified on its own");
        var temporary = Server.State.Albums.Where(a => a.Name == "2019-07-04-autotag-temp-unclassified").ToList();
        temporary.Should().ContainSingle();
        Server.State.AlbumAssetIds(temporary[0].Id).Should().BeEquivalentTo([looseStill.Id], "Immich would show an album of hidden assets empty");
        runs.Statistics.Should().Contain("  motion_parts: 2\n").And.Contain("  evaluated: 2\n").And.Contain("  excluded_by_visibility: 0\n");
        runs.Plan.Should().NotContain(classifiedVideo.Id.ToString()).And.NotContain(looseVideo.Id.ToString());
    }

    [Fact]
    public async Task Output_tags_and_temporary_albums_an_earlier_run_gave_a_motion_part_are_taken_away()
    {
        var (still, video) = Server.State.AddLivePhoto(User, "IMG_0003.HEIC", T0);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [still.Id]);
        Tag(Unknown, video.Id);
        var stray = Server.State.AddAlbum(User, "2019-07-04-autotag-temp-unclassified", [video.Id]);

        var runs = await RunThriceAsync(Config("create_album_from_date_if_missing: true"));

        HasTag(video.Id, Unknown).Should().BeFalse();
        Server.State.Albums.Should().NotContain(a => a.Id == stray.Id, "the emptied temporary album is deleted");
        runs.Plan.Should().Contain($"- {Unknown} | {Link(video.Id)}");
    }

    [Fact]
    public async Task A_hidden_asset_that_is_no_motion_part_is_classified_but_joins_no_temporary_album()
    {
        var hidden = Server.State.AddAsset(User, "hidden.jpg", T0, visibility: "hidden").Id;
        var visible = Asset("visible.jpg");

        var runs = await RunThriceAsync(Config("create_album_from_date_if_missing: true"));

        HasTag(hidden, Unknown).Should().BeTrue("include_hidden defaults to true");
        var temporary = Server.State.Albums.Single(a => a.Name == "2019-07-04-autotag-temp-unclassified");
        Server.State.AlbumAssetIds(temporary.Id).Should().BeEquivalentTo([visible]);
        runs.Statistics.Should().Contain("  motion_parts: 0\n");
    }

    [Fact]
    public async Task A_rule_entry_with_a_slash_matches_the_full_tag_path_and_a_plain_name_the_leaf()
    {
        var screenshot = Asset("Screenshot_1.png");
        var otherScreenshot = Asset("other.png");
        var alice = Asset("alice.jpg");
        var meme = Asset("meme.jpg");
        Tag("Source/Screenshots", screenshot);
        Tag("Archive/Screenshots", otherScreenshot);
        Tag("People/Alice", alice);
        Tag("Fun/meme", meme);

        var runs = await RunThriceAsync(Config(rules: """
            - tag_names: [Source/Screenshots]
            - tag_names: [People/Alice, People/Bob]
            - tag_names: [meme, Nowhere]
            """));

        HasTag(screenshot, Unknown).Should().BeFalse("'Source/Screenshots' is the tag's full path");
        HasTag(otherScreenshot, Unknown).Should().BeTrue("a path entry matches only that path, not the leaf elsewhere");
        HasTag(alice, Unknown).Should().BeFalse();
        HasTag(meme, Unknown).Should().BeFalse("a plain entry keeps upstream's leaf-name match");
        runs.First.ToString().Should().Contain("classification.rules[1].tag_names: no tag with the path 'People/Bob' exists on the server")
            .And.Contain("classification.rules[2].tag_names: no tag named 'Nowhere' exists on the server")
            .And.NotContain("'Source/Screenshots' exists").And.NotContain("'meme' exists");
        runs.Plan.Should().Contain("note WARNING_UNKNOWN_RULE_TAG |  | classification.rules[1].tag_names: no tag with the path 'People/Bob'");
    }
}
