using System.Globalization;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Issue 4 features through the whole CLI against the fake: each is checked in a dry run (plan only, no
/// write), a real run, and an immediate second run that must send no write.
/// </summary>
public sealed class FeatureRunTests() : FeatureRunTestBase(Rules, SecondPlanIsEmpty)
{
    private const string Rules = """
        - tag_names: [meme, autotag_input_meme]
        - tag_names: [autotag_input_ignore]
        - album_name_patterns: ['^\d{4}(-\d{2}(-\d{2})?)?']
        """;

    private const string Conflict = "autotag_output_conflict";
    private const string DupClass = "autotag_output_duplicate_asset_classification_conflict";
    private const string DupAlbum = "autotag_output_duplicate_asset_album_conflict";
    private const string Mismatch = "autotag_output_album_date_mismatch";

    private static void SecondPlanIsEmpty(string plan) =>
        plan.Should().StartWith("# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)");

    [Fact]
    public async Task A_status_tag_named_after_a_users_own_tag_stops_the_run_before_any_write_and_one_the_tool_created_is_kept_true()
    {
        var classified = Asset("classified.jpg");
        var bare = Asset("bare.jpg");
        Tag("meme", classified);
        Tag("People/Alice", classified);
        using var cli = new CliHarness().WithStateFolder();
        var users = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: People/Alice\n", StringComparison.Ordinal));

        var dry = await cli.RunAsync("run", "--dry-run", "--config", users);
        var real = await cli.RunAsync("run", "--config", users);

        foreach (var result in new[] { dry, real })
        {
            result.ExitCode.Should().Be((int)ImmichAutoTag.Core.Application.RunExitCode.ConfigInvalid, result.ToString());
            result.Err.Should().Contain("classification.autotag_unknown names 'People/Alice', a tag that was on the server before this tool created it; the run would take it off 1 asset(s) (e.g. classified.jpg)");
        }

        Server.Requests.WriteCount.Should().Be(0, "the config is refused before the first write");
        HasTag(classified, "People/Alice").Should().BeTrue();

        // A status tag the tool created itself is its own: taken off an asset once the asset is classified.
        var own = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: todo\n", StringComparison.Ordinal), "own.yaml");
        (await cli.RunAsync("run", "--config", own)).ExitCode.Should().Be(0);
        HasTag(bare, "todo").Should().BeTrue();
        Tag("meme", bare);
        var second = await cli.RunAsync("run", "--config", own);
        second.ExitCode.Should().Be(0, second.ToString());
        HasTag(bare, "todo").Should().BeFalse("the tool created 'todo', so keeping it true takes it off a classified asset");
    }

    [Fact]
    public async Task A_CLIP_label_with_a_rules_leaf_name_neither_classifies_nor_is_copied_to_a_duplicate_nor_moved_by_a_conversion()
    {
        // The default label set has `meme`, and so has upstream's default rule: the label is the model's guess.
        const string label = "autotag_clip/style/meme";
        var labelled = Asset("labelled.jpg");
        var twin = Asset("twin.jpg");
        var users = Asset("users.jpg");
        Tag(label, labelled);
        Tag("meme", users);
        Server.State.AddDuplicateGroup([labelled, twin]);

        var runs = await RunThriceAsync(Config("""
            conversions:
              conversions:
                - source: {tag_names: [meme]}
                  destination: {album_names: [autotag_input_meme], tag_names: [autotag_input_meme]}
                  mode: move
            """));

        HasTag(labelled, Unknown).Should().BeTrue("a CLIP label is not the user's 'meme' tag");
        HasTag(labelled, label).Should().BeTrue("the label is the CLIP step's: no other step takes it off");
        HasTag(twin, label).Should().BeFalse("each duplicate gets its own label from its own picture, never a copy");
        HasTag(twin, Unknown).Should().BeTrue();
        HasTag(labelled, "autotag_input_meme").Should().BeFalse("the conversion's source is the user's 'meme' tag");
        HasTag(users, "autotag_input_meme").Should().BeTrue("the user's own tag still converts");
        HasTag(users, Unknown).Should().BeFalse();
        var album = Server.State.Albums.Should().ContainSingle(a => a.Name == "autotag_input_meme").Subject;
        Server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([users]);
        runs.Plan.Should().NotContain("| copied from a duplicate").And.Contain("(0 asset(s) get a tag copied from a duplicate)");
    }

    [Fact]
    public async Task A_rule_that_names_a_CLIP_label_by_its_full_path_classifies_by_it()
    {
        const string label = "autotag_clip/style/meme";
        var labelled = Asset("labelled.jpg");
        var twin = Asset("twin.jpg");
        Tag(label, labelled);
        Server.State.AddDuplicateGroup([labelled, twin]);

        var runs = await RunThriceAsync(Config(rules: $"- tag_names: [{label}]"));

        HasTag(labelled, Unknown).Should().BeFalse("an entry with '/' is an explicit choice of that tag");
        HasTag(twin, label).Should().BeFalse("a label is never copied between duplicates: the CLIP step would take the copy off again");
        HasTag(twin, Unknown).Should().BeTrue();
        runs.Plan.Should().NotContain("| copied from a duplicate").And.Contain("(0 asset(s) get a tag copied from a duplicate)");
    }

    [Fact]
    public async Task A_rule_entry_that_only_a_CLIP_label_carries_is_reported_as_naming_none_of_the_users_tags()
    {
        Tag("autotag_clip/style/screenshot", Asset("a.jpg"));

        var runs = await RunThriceAsync(Config(rules: "- tag_names: [screenshot]"));

        runs.First.ToString().Should().Contain("classification.rules[0].tag_names: no tag of yours is named 'screenshot'; 'autotag_clip/style/screenshot' is the tool's own CLIP label or booru tag");
    }

    [Fact]
    public async Task A_single_classification_tag_is_copied_to_the_untagged_duplicate_by_default()
    {
        var tagged = Asset("a.jpg");
        var bare = Asset("b.jpg");
        Tag("meme", tagged);
        Server.State.AddDuplicateGroup([tagged, bare]);

        // An unchanged upstream config (no copy_classification_from_duplicates key) gets upstream's behaviour.
        var runs = await RunThriceAsync(Config());

        runs.Plan.Should().Contain($"+ meme | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/photos/{bare} | b.jpg | copied from a duplicate");
        runs.Plan.Should().Contain("# Duplicates: copy_classification_from_duplicates on (1 asset(s) get a tag copied from a duplicate)");
        HasTag(bare, "meme").Should().BeTrue();
        HasTag(bare, Unknown).Should().BeFalse("the copied tag classifies it in the same run");
        HasTag(tagged, DupClass).Should().BeFalse();
        runs.FirstRunCalls("getAssetDuplicates").Should().Be(1);
        runs.Changes.Should().ContainSingle(c => c.GetProperty("kind").GetString() == "ADD_TAG_TO_ASSET" && c.GetProperty("tag").GetString() == "meme");
        runs.Statistics.Should().Contain("  copy_classification_from_duplicates: on\n  assets_with_copied_tags: 1\n");
    }

    [Fact]
    public async Task Turning_the_duplicate_features_off_leaves_user_tags_and_albums_of_duplicates_alone()
    {
        var tagged = Asset("a.jpg");
        var bare = Asset("b.jpg");
        Tag("meme", tagged);
        var album = Server.State.AddAlbum(User, "2019-07-04 Beach", [tagged]);
        Server.State.AddDuplicateGroup([tagged, bare]);

        var runs = await RunThriceAsync(Config("""
            duplicate_processing:
              copy_classification_from_duplicates: false
              add_to_album_of_duplicates: false
            """));

        HasTag(bare, "meme").Should().BeFalse("copy_classification_from_duplicates: false turns copying off");
        Server.State.AlbumAssetIds(album.Id).Should().NotContain(bare, "add_to_album_of_duplicates: false turns propagation off");
        HasTag(bare, Unknown).Should().BeTrue();
        runs.Plan.Should().NotContain("album+");
        runs.Plan.Should().Contain("# Duplicates: copy_classification_from_duplicates off (0 asset(s) get a tag copied from a duplicate), add_to_album_of_duplicates off (0 asset(s) join their duplicates' album)");
        runs.Statistics.Should().Contain("  copy_classification_from_duplicates: off\n").And.Contain("  add_to_album_of_duplicates: off\n");
    }

    [Fact]
    public async Task With_the_servers_duplicate_detection_off_the_existing_groups_are_still_used()
    {
        // A real 3.1 server with machine learning off: /server/features says duplicateDetection false while
        // GET /duplicates still lists the groups found earlier or made by hand.
        await RestartServerAsync(new FakeImmichOptions { DuplicateDetection = false });
        var tagged = Asset("a.jpg");
        var bare = Asset("b.jpg");
        Tag("meme", tagged);
        Server.State.AddDuplicateGroup([tagged, bare]);
        var a = Asset("c.jpg");
        var b = Asset("d.jpg");
        Server.State.AddAlbum(User, "2019-07 Trip", [a]);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [b]);
        Server.State.AddDuplicateGroup([a, b]);

        var runs = await RunThriceAsync(Config());

        HasTag(bare, "meme").Should().BeTrue("the existing group is used although no new groups are being found");
        new[] { a, b }.Should().OnlyContain(id => HasTag(id, DupAlbum));
        runs.FirstRunCalls("getAssetDuplicates").Should().Be(1);
        runs.Statistics.Should().Contain("duplicate_groups: 2\n");
        runs.First.ToString().Should().Contain("duplicate detection is off: the existing duplicate groups are used, no new ones are being found")
            .And.NotContain("are skipped");
    }

    [Fact]
    public async Task Differing_classification_tags_flag_every_member_and_the_flags_go_when_resolved()
    {
        var a = Asset("a.jpg");
        var b = Asset("b.jpg");
        var c = Asset("c.jpg");
        Tag("meme", a);
        Tag("autotag_input_ignore", b);
        var group = Server.State.AddDuplicateGroup([a, b, c]);
        var perGroup = "autotag_output_duplicate_asset_classification_conflict_" + group.ToString("D");

        // A user tag that only looks like one of ours is never touched.
        var lookalike = Asset("d.jpg");
        Tag("autotag_output_duplicate_asset_classification_conflict_mine", lookalike);

        var runs = await RunThriceAsync(Config());

        runs.Plan.Should().Contain($"+ {perGroup} |");
        new[] { a, b, c }.Should().OnlyContain(id => HasTag(id, DupClass) && HasTag(id, perGroup));
        HasTag(lookalike, "autotag_output_duplicate_asset_classification_conflict_mine").Should().BeTrue();
        runs.File("modification_report.txt").Should().Contain("kind=CLASSIFICATION_CONFLICT");
        runs.File("immich_autotag_links.md").Should().Contain("[Duplicates: Classification conflict]").And.Contain("(3 assets)");

        // Resolve: every member now carries the same classification tags.
        Tag("meme", b, c);
        Tag("autotag_input_ignore", a, c);
        using var cli = new CliHarness();
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config()));

        result.ExitCode.Should().Be(0, result.ToString());
        new[] { a, b, c }.Should().OnlyContain(id => !HasTag(id, DupClass) && !HasTag(id, perGroup), "unlike upstream, resolved conflicts are cleared");
        HasTag(lookalike, "autotag_output_duplicate_asset_classification_conflict_mine").Should().BeTrue();
    }

    [Fact]
    public async Task A_two_member_group_in_two_rule_albums_is_an_album_conflict()
    {
        var a = Asset("a.jpg");
        var b = Asset("b.jpg");
        Server.State.AddAlbum(User, "2019-07 Trip", [a]);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [b]);
        var group = Server.State.AddDuplicateGroup([a, b]);
        var perGroup = DupAlbum + "_" + group.ToString("D");

        var runs = await RunThriceAsync(Config());

        runs.Plan.Should().Contain($"+ {DupAlbum} |").And.Contain($"+ {perGroup} |");
        new[] { a, b }.Should().OnlyContain(id => HasTag(id, DupAlbum) && HasTag(id, perGroup));
        new[] { a, b }.Should().OnlyContain(id => !HasTag(id, Conflict), "each is in one rule album");
    }

    [Fact]
    public async Task An_unclassified_asset_joins_the_one_rule_album_of_its_duplicates_by_default()
    {
        var inAlbum = Asset("a.jpg");
        var loose = Asset("b.jpg");
        var album = Server.State.AddAlbum(User, "2019-07-04 Beach", [inAlbum]);
        Server.State.AddAlbum(User, "Favourites", [inAlbum]);
        Server.State.AddDuplicateGroup([inAlbum, loose]);

        var runs = await RunThriceAsync(
            Config(),
            () => Server.State.AlbumAssetIds(album.Id).Should().NotContain(loose));

        runs.Plan.Should().Contain($"album+ 2019-07-04 Beach | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{album.Id}").And.Contain("| album of its duplicates");
        runs.Plan.Should().Contain("add_to_album_of_duplicates on (1 asset(s) join their duplicates' album)");
        Server.State.AlbumAssetIds(album.Id).Should().Contain(loose);
        HasTag(loose, Unknown).Should().BeFalse("it is classified by the album it joined, in the same run");
        runs.FirstRunCalls("addAssetsToAlbum").Should().Be(1);
        runs.File("modification_report.txt").Should().Contain("kind=ASSIGN_ASSET_TO_ALBUM").And.Contain("album_name=2019-07-04 Beach");
        runs.Changes.Should().ContainSingle(c => c.GetProperty("kind").GetString() == "ASSIGN_ASSET_TO_ALBUM" && c.GetProperty("album_id").GetGuid() == album.Id);
    }

    [Fact]
    public async Task Dates_are_repaired_from_names_and_duplicates_with_one_call_per_new_date()
    {
        var wrong = new DateTimeOffset(2021, 1, 1, 8, 0, 0, TimeSpan.Zero);
        var camera = Asset("IMG_20190704_153012.jpg", new DateTimeOffset(2019, 7, 4, 13, 30, 12, TimeSpan.Zero));
        var copy = Asset("copy.jpg", wrong);
        Server.State.AddDuplicateGroup([camera, copy]);
        var whatsapp = Asset("WhatsApp Image 2019-07-04 at 15.30.12.jpeg", wrong);
        var pixel = Asset("PXL_20200101_101010000.jpg", wrong);
        // Local day the 5th (no offset known), the WhatsApp day the 4th: 26 h 10 min apart, inside the 1.1-day threshold.
        var ambiguous = Asset("IMG-20190704-WA0001.jpg", new DateTimeOffset(2019, 7, 5, 0, 10, 0, TimeSpan.Zero));
        var fine = Asset("IMG_20190801_120000.jpg", new DateTimeOffset(2019, 8, 1, 10, 0, 0, TimeSpan.Zero));

        var runs = await RunThriceAsync(Config("""
            duplicate_processing:
              date_correction:
                enabled: true
                extraction_timezone: Europe/Madrid
            """));

        var expected = new DateTimeOffset(2019, 7, 4, 13, 30, 12, TimeSpan.Zero);
        Server.State.Assets.Single(a => a.Id == copy).FileCreatedAt.Should().Be(expected);
        Server.State.Assets.Single(a => a.Id == whatsapp).FileCreatedAt.Should().Be(expected);
        Server.State.Assets.Single(a => a.Id == pixel).FileCreatedAt.Should().Be(new DateTimeOffset(2020, 1, 1, 10, 10, 10, TimeSpan.Zero), "Pixel names are UTC");
        Server.State.Assets.Single(a => a.Id == ambiguous).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 7, 5, 0, 10, 0, TimeSpan.Zero), "ambiguous cases are reported, not written");
        Server.State.Assets.Single(a => a.Id == fine).FileCreatedAt.Should().Be(new DateTimeOffset(2019, 8, 1, 10, 0, 0, TimeSpan.Zero));

        runs.FirstRunCalls("updateAssets").Should().Be(2, "copy and whatsapp share one new date, pixel has its own");
        runs.Plan.Should().Contain("-> 2019-07-04T15:30:12.000+02:00 (= 2019-07-04T13:30:12Z)").And.Contain("WARNING_AMBIGUOUS_ASSET_DATE");
        var dates = runs.Changes.Where(c => c.GetProperty("kind").GetString() == "UPDATE_ASSET_DATE").ToList();
        dates.Should().HaveCount(3);
        dates.Should().Contain(c => c.GetProperty("asset_id").GetGuid() == copy
            && c.GetProperty("new_value").GetString() == "2019-07-04T15:30:12.000+02:00"
            && c.GetProperty("old_value").GetString()!.StartsWith("2021-01-01T08:00:00", StringComparison.Ordinal));
        runs.File("modification_report.txt").Should().Contain("kind=UPDATE_ASSET_DATE").And.Contain("kind=WARNING_AMBIGUOUS_ASSET_DATE");
    }

    [Theory]
    [InlineData("1970-01-01T00:00:00+00:00")]
    [InlineData("1969-12-31T23:00:00+00:00")]
    [InlineData("2000-01-01T00:00:00+00:00")]
    [InlineData("1899-06-01T10:00:00+00:00")]
    public async Task A_duplicate_whose_clock_was_lost_does_not_move_its_copies_to_that_date(string lost)
    {
        // Y8: the duplicate of a good photo dated at the Unix epoch (file time 0) was the oldest date, so it won.
        var good = new DateTimeOffset(2019, 8, 15, 12, 30, 0, TimeSpan.Zero);
        var camera = Asset("DSC_5000.JPG", good);
        var reset = Asset("DSC_0001.JPG", DateTimeOffset.Parse(lost, CultureInfo.InvariantCulture));
        Server.State.AddDuplicateGroup([camera, reset]);
        var older = Asset("DSC_0002.JPG", new DateTimeOffset(2018, 3, 1, 9, 15, 0, TimeSpan.Zero));
        var newer = Asset("DSC_0003.JPG", good);
        Server.State.AddDuplicateGroup([older, newer]);

        var runs = await RunThriceAsync(Config("""
            duplicate_processing:
              date_correction:
                enabled: true
                extraction_timezone: Europe/Berlin
            """));

        Server.State.Assets.Single(a => a.Id == camera).FileCreatedAt.Should().Be(good, "the lost clock's date is no evidence");
        Server.State.Assets.Single(a => a.Id == newer).FileCreatedAt.Should().Be(new DateTimeOffset(2018, 3, 1, 9, 15, 0, TimeSpan.Zero), "a real older duplicate date still wins");
        runs.Changes.Where(c => c.GetProperty("kind").GetString() == "UPDATE_ASSET_DATE")
            .Should().ContainSingle().Which.GetProperty("asset_id").GetGuid().Should().Be(newer);
    }

    [Fact]
    public async Task Album_dates_compare_with_the_whole_period_the_name_stands_for()
    {
        var midYear = Asset("mid.jpg", new DateTimeOffset(2019, 8, 15, 12, 0, 0, TimeSpan.Zero));
        var farOff = Asset("far.jpg", new DateTimeOffset(2020, 9, 1, 12, 0, 0, TimeSpan.Zero));
        var dayAlbum = Asset("day.jpg", new DateTimeOffset(2019, 7, 5, 12, 0, 0, TimeSpan.Zero));
        Server.State.AddAlbum(User, "2019 Summer", [midYear, farOff]);
        Server.State.AddAlbum(User, "2019-07-04 Beach", [dayAlbum]);

        var runs = await RunThriceAsync(Config());

        HasTag(farOff, Mismatch).Should().BeTrue("245 days after the end of 2019");
        HasTag(midYear, Mismatch).Should().BeFalse("upstream would flag it: 226 days after 1 January");
        HasTag(dayAlbum, Mismatch).Should().BeFalse();
        runs.File("modification_report.txt").Should().Contain("kind=ALBUM_DATE_MISMATCH").And.Contain("album_name=2019 Summer");
        runs.File("immich_autotag_links.md").Should().Contain("[Consistency: Album date mismatch]");
        runs.File("run_statistics.yaml").Should().Contain("album_date_mismatch_count: 1");

        // A wider threshold clears the tag again.
        using var cli = new CliHarness();
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config("""
            album_date_consistency:
              threshold_days: 400
            """)));
        result.ExitCode.Should().Be(0, result.ToString());
        HasTag(farOff, Mismatch).Should().BeFalse();
    }

    [Fact]
    public async Task Filter_in_focuses_the_run_on_linked_assets()
    {
        var linked = Asset("linked.jpg");
        var other = Asset("other.jpg");

        var runs = await RunThriceAsync(Config($$"""
            filters:
              filter_in:
                - asset_links: ['{{Server.BaseUrl.AbsoluteUri.TrimEnd('/')}}/photos/{{linked}}']
            """));

        HasTag(linked, Unknown).Should().BeTrue();
        HasTag(other, Unknown).Should().BeFalse("out of focus");
        runs.File("run_statistics.yaml").Should().Contain("excluded_by_filters: 1");
    }

    [Fact]
    public async Task Filter_out_excludes_linked_assets_tagged_assets_and_albums_from_every_change()
    {
        var linked = Asset("linked.jpg");
        var privateTagged = Asset("private.jpg");
        Tag("private", privateTagged);
        var inPrivateAlbum = Asset("album.jpg");
        Server.State.AddAlbum(User, "Private stuff", [inPrivateAlbum]);
        var plain = Asset("plain.jpg");

        // An excluded album never receives propagated assets either.
        var source = Asset("dup-source.jpg");
        var dup = Asset("dup.jpg");
        var excludedDateAlbum = Server.State.AddAlbum(User, "2019-07-04 Secret", [source]);
        Server.State.AddDuplicateGroup([source, dup]);

        var runs = await RunThriceAsync(Config($$"""
            filters:
              filter_out:
                - asset_links: ['{{linked}}']
                - tag_names: [private]
                - album_name_patterns: ['^Private', '.*Secret']
            """));

        HasTag(plain, Unknown).Should().BeTrue();
        new[] { linked, privateTagged, inPrivateAlbum }.Should().OnlyContain(id => !HasTag(id, Unknown));
        Server.State.AlbumAssetIds(excludedDateAlbum.Id).Should().NotContain(dup);
        HasTag(dup, Unknown).Should().BeTrue();
        runs.File("run_statistics.yaml").Should().Contain("excluded_by_filters: 4");
    }

    [Fact]
    public async Task Without_duplicate_read_the_run_skips_duplicates_and_leaves_their_tags_alone()
    {
        var a = Asset("a.jpg");
        var b = Asset("b.jpg");
        Tag("meme", a);
        Tag("autotag_input_ignore", b);
        var group = Server.State.AddDuplicateGroup([a, b]);
        Tag(DupClass, a);
        var key = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset", "albumAsset.create");
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", key);

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config()));

        result.ExitCode.Should().Be(0, result.ToString());
        Server.Requests.Count("getAssetDuplicates").Should().Be(0);
        HasTag(a, DupClass).Should().BeTrue("without the groups the engine cannot tell the conflict is gone");
        HasTag(b, "autotag_output_duplicate_asset_classification_conflict_" + group.ToString("D")).Should().BeFalse();
    }
}
