using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// workflows: through the whole CLI against the fake: the dry run shows each change with the rule that asked for it and
/// sends no write, the real run applies tags, albums, favourites and archiving in bulk, changes.jsonl names the
/// rule, and the second run plans nothing.
/// </summary>
public sealed class WorkflowRunTests() : FeatureRunTestBase(Rules, SecondPlanIsEmpty)
{
    private const string Rules = """
        - tag_names: [meme]
        - album_name_patterns: ['^\d{4}']
        """;

    private const string Workflows = """
        workflows:
          allow_favorite: true
          allow_archive: true
          rules:
            - name: memes out of the timeline
              when: {tags: [meme]}
              then: {add_tags: [autotag_workflow/archived_meme], archive: true}
            - name: screenshots album
              when:
                file_name_patterns: ['^screenshot']
                not: {media_types: [video]}
              then: {add_to_albums: [Screenshots]}
            - name: unclassified review
              when: {classification: [unclassified]}
              then: {add_tags: [autotag_workflow/review], favorite: true}
            - name: screenshots are never favourites
              priority: 10
              when: {file_name_patterns: ['^screenshot']}
              then: {favorite: false, remove_tags: [autotag_workflow/review]}
        """;

    private static void SecondPlanIsEmpty(string plan)
    {
        plan.Should().StartWith("# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)");
        plan.Should().Contain("0 favourite change(s), 0 archive change(s)");
    }

    [Fact]
    public async Task Rules_plan_apply_and_converge_with_their_names_as_reasons()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var shot = Asset("Screenshot_1.png");
        var bare = Asset("IMG_1.jpg");
        var dated = Asset("IMG_2.jpg");
        Server.State.AddAlbum(User, "2019 Trip", [dated]);

        var runs = await RunThriceAsync(Config(Workflows), afterDryRun: () =>
        {
            Server.State.Albums.Should().NotContain(a => a.Name == "Screenshots", "a dry run creates nothing");
            HasTag(meme, "autotag_workflow/archived_meme").Should().BeFalse();
        });

        runs.Plan.Should().Contain($"+ autotag_workflow/archived_meme | {Link(meme)} | meme.jpg | workflows: rule 'memes out of the timeline'");
        runs.Plan.Should().Contain($"archive | {Link(meme)} | meme.jpg | workflows: rule 'memes out of the timeline'");
        runs.Plan.Should().Contain($"+ autotag_workflow/review | {Link(bare)} | IMG_1.jpg | workflows: rule 'unclassified review'");
        runs.Plan.Should().Contain($"favorite+ | {Link(bare)} | IMG_1.jpg | workflows: rule 'unclassified review'");
        runs.Plan.Should().Contain("create album Screenshots | rule 'screenshots album' | 1 asset(s)");
        runs.Plan.Should().NotContain($"favorite+ | {Link(shot)}", "the higher-priority rule keeps screenshots out of the favourites");
        runs.Plan.Should().NotContain($"+ autotag_workflow/review | {Link(shot)}", "the higher-priority rule removes the review tag");
        runs.Plan.Should().NotContain($"| {Link(dated)} | IMG_2.jpg | workflows", "a classified asset matches none of the rules");
        runs.Plan.Should().Contain("# Workflows: 4 asset(s) tested");
        runs.FirstRequests.Where(r => r.OperationId == "searchAssets").Should().OnlyContain(r => r.Body == null || !r.Body.Contains("withExif", StringComparison.Ordinal), "no rule names the camera, so the walk asks for no EXIF data");

        HasTag(meme, "autotag_workflow/archived_meme").Should().BeTrue();
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("archive");
        Server.State.Assets.Single(a => a.Id == bare).IsFavorite.Should().BeTrue();
        Server.State.Assets.Single(a => a.Id == shot).IsFavorite.Should().BeFalse();
        var album = Server.State.Albums.Single(a => a.Name == "Screenshots");
        Server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([shot]);
        runs.FirstRunCalls("updateAssets").Should().Be(2, "one bulk call for the favourites, one for the archive");

        var byRule = runs.Changes.Where(c => c.TryGetProperty("step", out var s) && s.GetString() == "workflows").ToList();
        byRule.Should().Contain(c => c.GetProperty("kind").GetString() == "UPDATE_ASSET_VISIBILITY" && c.GetProperty("reason").GetString() == "rule 'memes out of the timeline'");
        byRule.Should().Contain(c => c.GetProperty("kind").GetString() == "UPDATE_ASSET_FAVORITE" && c.GetProperty("reason").GetString() == "rule 'unclassified review'");
        byRule.Should().Contain(c => c.GetProperty("kind").GetString() == "ADD_TAG_TO_ASSET" && c.GetProperty("tag").GetString() == "autotag_workflow/review");

        // The modification report names the rule too, in upstream's `extra` dict, for every kind a rule makes.
        var reportLines = runs.Report.Split('\n');
        reportLines.Should().Contain(l => l.Contains("kind=UPDATE_ASSET_VISIBILITY", StringComparison.Ordinal) && l.Contains($"asset_link={Link(meme)}", StringComparison.Ordinal)
            && l.EndsWith("| extra={'step': 'workflows', 'reason': \"rule 'memes out of the timeline'\"}", StringComparison.Ordinal));
        reportLines.Should().Contain(l => l.Contains("kind=ADD_TAG_TO_ASSET", StringComparison.Ordinal) && l.Contains($"asset_link={Link(bare)}", StringComparison.Ordinal) && l.Contains("tag=autotag_workflow/review", StringComparison.Ordinal)
            && l.EndsWith("| extra={'step': 'workflows', 'reason': \"rule 'unclassified review'\"}", StringComparison.Ordinal));

        // report.html counts the favourite and archive changes beside the others.
        var favourites = Server.State.Assets.Count(a => a.IsFavorite);
        runs.File("report.html").Should().Contain($"<tr><th scope=\"row\">Favourite set or cleared</th><td class=\"n\">{favourites}</td><td class=\"n\">{favourites}</td></tr>")
            .And.Contain("<tr><th scope=\"row\">Archived or back to the timeline</th><td class=\"n\">1</td><td class=\"n\">1</td></tr>");
    }

    [Fact]
    public async Task Rules_that_read_what_other_rules_archive_or_fill_into_albums_converge_in_one_run()
    {
        // V1: the archive rule and the inbox rule disagree unless the inbox rule sees the meme archived; the album
        // rule's album feeds the last rule's album pattern.
        var meme = Asset("scr_0001.png");
        Tag("meme", meme);
        var back = Server.State.AddAsset(User, "archived_one.jpg", T0, visibility: "archive").Id;
        var shot = Asset("Screenshot_1.png");
        var runs = await RunThriceAsync(Config("""
            workflows:
              allow_archive: true
              rules:
                - name: memes out of the timeline
                  when: {any: [{tags: [meme]}, {file_name_patterns: ['^scr_']}]}
                  then: {add_tags: [autotag_workflow/archived_meme], archive: true}
                - name: unclassified inbox
                  when: {classification: [unclassified], not: {any: [{tags: [fanart]}, {archived: true}]}}
                  then: {add_tags: [autotag_workflow/inbox]}
                - name: bring back archived
                  when: {archived: true, not: {tags: [meme]}, file_name_patterns: ['^archived_']}
                  then: {archive: false}
                - name: screenshots album
                  when: {file_name_patterns: ['^screenshot', '^scr_']}
                  then: {add_to_albums: [Memes and screenshots]}
                - name: memes tag
                  when: {album_name_patterns: ['^Memes']}
                  then: {add_tags: [autotag_workflow/in_meme_album]}
            """, rules: "- tag_names: [classified]"));

        runs.Plan.Should().Contain($"archive | {Link(meme)} | scr_0001.png | workflows: rule 'memes out of the timeline'")
            .And.NotContain($"+ autotag_workflow/inbox | {Link(meme)}", "the inbox rule sees the meme archived by the other rule")
            .And.Contain($"unarchive | {Link(back)} | archived_one.jpg | workflows: rule 'bring back archived'")
            .And.Contain($"+ autotag_workflow/inbox | {Link(back)} | archived_one.jpg | workflows: rule 'unclassified inbox'")
            .And.Contain($"+ autotag_workflow/in_meme_album | {Link(shot)} | Screenshot_1.png | workflows: rule 'memes tag'")
            .And.Contain($"+ autotag_workflow/in_meme_album | {Link(meme)} | scr_0001.png | workflows: rule 'memes tag'")
            .And.Contain("create album Memes and screenshots | rule 'screenshots album' | 2 asset(s)");
        runs.Plan.Should().Contain("# Workflow rules (assets each acted on): 'memes out of the timeline' 1, 'unclassified inbox' 2, 'bring back archived' 1, 'screenshots album' 2, 'memes tag' 2\n");
        runs.SecondPlan.Should().StartWith(NothingPlanned).And.Contain("0 favourite change(s), 0 archive change(s)");
        HasTag(back, "autotag_workflow/inbox").Should().BeTrue();
        HasTag(meme, "autotag_workflow/inbox").Should().BeFalse();
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("archive");
        Server.State.Assets.Single(a => a.Id == back).Visibility.Should().Be("timeline");
    }

    [Fact]
    public async Task A_tags_condition_matches_the_users_tag_by_its_leaf_but_not_a_CLIP_label_with_that_leaf()
    {
        // A CLIP label is the model's guess, read by clip_label: in the same run; by its leaf it would fire one run late.
        var users = Asset("users.jpg");
        var labelled = Asset("labelled.jpg");
        Tag("bright", users);
        Tag("autotag_clip/style/bright", labelled);

        await RunThriceAsync(Config("""
            workflows:
              rules:
                - name: bright ones
                  when: {tags: [bright]}
                  then: {add_tags: [autotag_workflow/shiny]}
                - name: labelled by path
                  when: {tags: [autotag_clip/style/bright]}
                  then: {add_tags: [autotag_workflow/labelled]}
            """));

        HasTag(users, "autotag_workflow/shiny").Should().BeTrue();
        HasTag(labelled, "autotag_workflow/shiny").Should().BeFalse("a plain entry is the user's tag, not the tool's CLIP label");
        HasTag(labelled, "autotag_workflow/labelled").Should().BeTrue("a full path is an explicit choice");
        HasTag(users, "autotag_workflow/labelled").Should().BeFalse();
    }

    [Fact]
    public async Task A_rule_that_never_acts_shows_in_the_per_rule_counts_and_a_condition_tag_no_tag_is_named_like_is_warned_about()
    {
        // V12: a typo in a condition used to be silent.
        var fan = Asset("hu_tao.png");
        Tag("fanart", fan);
        Asset("IMG_1.jpg");

        var runs = await RunThriceAsync(Config("""
            workflows:
              rules:
                - name: fan art
                  when: {tags: [fanart]}
                  then: {add_tags: [autotag_workflow/fan]}
                - name: typo tag
                  when: {any: [{tags: [fanrat]}, {tags: [Pics/Fanart]}]}
                  then: {add_tags: [autotag_workflow/typo]}
            """));

        runs.Plan.Should().Contain("# Workflow rules (assets each acted on): 'fan art' 1, 'typo tag' 0\n");
        runs.Statistics.Should().Contain("workflow_rule_activations:\n  \"fan art\": 1\n  \"typo tag\": 0\n");
        runs.Plan.Should().Contain("note WARNING_UNKNOWN_RULE_TAG |  | workflows.rules[1] ('typo tag') when tags: no tag named 'fanrat' exists on the server")
            .And.Contain("workflows.rules[1] ('typo tag') when tags: no tag with the path 'Pics/Fanart' exists on the server")
            .And.NotContain("no tag named 'fanart'");
        runs.First.Err.Should().Contain("workflows.rules[1] ('typo tag') when tags: no tag named 'fanrat' exists on the server")
            .And.Contain("workflows: 1 rule(s) acted on no asset of the 2 tested: 'typo tag'");
    }

    [Fact]
    public async Task An_album_filter_out_protects_receives_no_asset_from_the_workflows_or_the_tag_to_album_sync()
    {
        // W5: "albums it matches never receive assets" held for conversions only.
        var shot = Asset("Screenshot_1.png");
        var tagged = Asset("IMG_1.jpg");
        Tag("album/Screenshots", tagged);
        var kept = Asset("IMG_2.jpg");
        var album = Server.State.AddAlbum(User, "Screenshots", [kept]);

        var runs = await RunThriceAsync(Config("""
            filters:
              filter_out:
                - album_name_patterns: ['^Screenshots']
            tag_album_sync:
              enabled: true
              direction: tag_to_album
              tag_prefix: 'album/'
            workflows:
              rules:
                - name: screenshots album
                  when: {file_name_patterns: ['^screenshot']}
                  then: {add_to_albums: [Screenshots]}
            """));

        runs.Plan.Should().NotContain("album+ Screenshots")
            .And.Contain("workflows: album 'Screenshots' matches filters.filter_out; 1 asset(s) not added (rule 'screenshots album')")
            .And.Contain("tag 'album/Screenshots': album 'Screenshots' matches filters.filter_out; its 1 asset(s) are not added");
        Server.State.AlbumAssetIds(album.Id).Should().BeEquivalentTo([kept]);
        Server.State.Albums.Should().ContainSingle(a => a.Name == "Screenshots");
        shot.Should().NotBe(tagged);
    }

    [Fact]
    public async Task A_key_that_cannot_do_what_the_rules_ask_stops_before_the_first_write_and_the_dry_run_names_the_same_permissions()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        Asset("Screenshot_1.png");
        Asset("IMG_1.jpg");
        Key = Server.State.AddApiKey(User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset", "duplicate.read");
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config(Workflows));

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config);
        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be((int)ImmichAutoTag.Core.Application.RunExitCode.PermissionDenied, result.ToString());
        result.Err.Should().Contain("'asset.update' to set favourites or archive assets (PUT /assets), as workflow rule(s) 'memes out of the timeline', 'unclassified review', 'screenshots are never favourites' ask")
            .And.Contain("'albumAsset.create'").And.Contain("'album.create'").And.Contain("'screenshots album'");
        Server.Requests.WriteCount.Should().Be(0, "the run stops before its first write, not after the tags");
        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Err.Should().Contain("the real run needs more").And.Contain("'asset.update'").And.Contain("'album.create'");
    }

    [Fact]
    public async Task Additions_to_an_existing_album_name_their_rule_and_a_missing_album_the_rule_may_not_create_is_warned_about()
    {
        var alice = Asset("alice.jpg");
        Tag("Alice", alice);
        var random = Server.State.AddAlbum(User, "Random stuff");

        var runs = await RunThriceAsync(Config("""
            workflows:
              create_missing_albums: false
              rules:
                - name: a
                  when: {tags: [Alice]}
                  then: {add_to_albums: [Does not exist, Random stuff]}
            """));

        runs.Plan.Should().Contain($"album+ Random stuff | {Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/albums/{random.Id} | {Link(alice)} | alice.jpg | workflows: rule 'a'");
        const string Missing = "workflows: no album is named 'Does not exist' and workflows.create_missing_albums is false; 1 assets not added (rule 'a')";
        runs.Plan.Should().Contain("note WARNING_ALBUM_NOT_FOUND | ").And.Contain(Missing);
        runs.First.Err.Should().Contain(Missing, "the console says the rule's album is never filled");
        Server.State.AlbumAssetIds(random.Id).Should().BeEquivalentTo([alice]);
        Server.State.Albums.Should().NotContain(a => a.Name == "Does not exist");
    }

    [Fact]
    public async Task A_rule_name_with_a_bar_or_a_line_break_stays_one_field_of_one_plan_line()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);

        var runs = await RunThriceAsync(Config("""
            workflows:
              rules:
                - name: "it's | a\nrule"
                  when: {tags: [meme]}
                  then: {add_tags: [autotag_workflow/q1], add_to_albums: [Memes]}
            """));

        runs.Plan.Should().Contain($"+ autotag_workflow/q1 | {Link(meme)} | meme.jpg | workflows: rule 'it's \\| a\\nrule'\n");
        runs.Plan.Should().Contain("create album Memes | rule 'it's \\| a\\nrule' | 1 asset(s)\n");
    }

    [Fact]
    public async Task The_camera_example_of_the_docs_page_reads_the_exif_data_the_walk_asks_for_and_converges()
    {
        var phone = Asset("IMG_1.jpg");
        Server.State.SetCamera(phone, "Apple", "iPhone 13 Pro");
        var tablet = Asset("IMG_2.jpg");
        Server.State.SetCamera(tablet, "Apple", "iPad Air (5th generation)");
        var sony = Asset("DSC_3.jpg");
        Server.State.SetCamera(sony, "SONY", "ILCE-7M3");
        var scan = Asset("scan.jpg");

        var (yaml, _) = DocsExample("Pictures by camera");
        var runs = await RunThriceAsync(Config(yaml[yaml.IndexOf("workflows:", StringComparison.Ordinal)..]), afterDryRun: () => HasTag(phone, "autotag_workflow/camera/iphone").Should().BeFalse("a dry run changes nothing"));

        runs.Plan.Should().Contain($"+ autotag_workflow/camera/iphone | {Link(phone)} | IMG_1.jpg | workflows: rule 'iphone pictures'");
        runs.Plan.Should().Contain($"+ autotag_workflow/camera/mirrorless | {Link(sony)} | DSC_3.jpg | workflows: rule 'mirrorless'");
        runs.Plan.Should().Contain("create album iPhone | rule 'iphone pictures' | 1 asset(s)");
        runs.Plan.Should().NotContain($"| {Link(tablet)} | IMG_2.jpg | workflows", "an iPad is made by Apple but is no iPhone");
        runs.Plan.Should().NotContain($"| {Link(scan)} | scan.jpg | workflows", "an asset without EXIF make or model matches no camera condition");

        HasTag(phone, "autotag_workflow/camera/iphone").Should().BeTrue();
        HasTag(sony, "autotag_workflow/camera/mirrorless").Should().BeTrue();
        HasTag(tablet, "autotag_workflow/camera/iphone").Should().BeFalse();
        Server.State.AlbumAssetIds(Server.State.Albums.Single(a => a.Name == "iPhone").Id).Should().BeEquivalentTo([phone]);

        var searches = runs.FirstRequests.Where(r => r.OperationId == "searchAssets").ToList();
        var walk = searches.Where(r => r.Body is { } b && !b.Contains("tagIds", StringComparison.Ordinal) && !b.Contains("albumIds", StringComparison.Ordinal)).ToList();
        walk.Should().NotBeEmpty().And.OnlyContain(r => r.Body!.Contains("\"withExif\":true", StringComparison.Ordinal), "the walk asks for EXIF data because a rule names the camera");
        searches.Except(walk).Should().OnlyContain(r => !r.Body!.Contains("withExif", StringComparison.Ordinal), "membership searches read ids only and need no EXIF data");
    }

    [Fact]
    public async Task A_tag_the_workflows_added_and_no_rule_gives_any_more_is_taken_off_and_other_tags_are_left_alone()
    {
        var a = Asset("a.jpg");
        Tag("holiday", a);
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config("""
            workflows:
              rules:
                - name: unclassified review
                  when: {classification: [unclassified]}
                  then: {add_tags: [autotag_workflow/review]}
            """));
        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        HasTag(a, "autotag_workflow/review").Should().BeTrue();

        // The user classifies the asset: the rule no longer holds, so the tag the workflow added goes.
        Tag("meme", a);
        var second = await cli.RunAsync("run", "--config", config, "--output", "second");

        second.ExitCode.Should().Be(0, second.ToString());
        File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "second")).Single(), "plan.txt"))
            .Should().Contain($"- autotag_workflow/review | {Link(a)} | a.jpg | workflows: rule 'unclassified review' no longer holds for this asset");
        HasTag(a, "autotag_workflow/review").Should().BeFalse();
        HasTag(a, "holiday").Should().BeTrue("the workflows never touch a tag they do not add");
        HasTag(a, "meme").Should().BeTrue();
    }

    [Fact]
    public async Task A_workflow_tag_the_user_already_has_is_added_where_the_rule_holds_and_never_taken_off_the_users_assets()
    {
        // The user's own tag, on an asset no rule matches; a rule adds the same tag to memes.
        var mine = Asset("IMG_20190704_101010.jpg");
        Tag("People/Alice", mine);
        Tag("meme", mine);
        var meme = Asset("scr_0001.png");
        Tag("meme", meme);
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config("""
            workflows:
              rules:
                - name: alice likes memes
                  when: {tags: [meme], file_name_patterns: ['^scr_']}
                  then: {add_tags: ['People/Alice']}
            """));

        var run = await cli.RunAsync("run", "--config", config, "--output", "first");
        var again = await cli.RunAsync("run", "--config", config, "--output", "second");

        run.ExitCode.Should().Be(0, run.ToString());
        HasTag(meme, "People/Alice").Should().BeTrue();
        HasTag(mine, "People/Alice").Should().BeTrue("the tool never added that link, so it is the user's");
        (run.Out + run.Err).Should().Contain("'People/Alice' holds 1 tag link(s) the tool did not add");
        again.ExitCode.Should().Be(0, again.ToString());
        HasTag(mine, "People/Alice").Should().BeTrue();
        HasTag(meme, "People/Alice").Should().BeTrue();
    }

    [Fact]
    public async Task Undo_puts_favourite_flags_and_archive_moves_back_a_dry_run_undo_sends_nothing_and_a_flag_changed_since_is_left_alone()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var bare = Asset("IMG_1.jpg");
        var other = Asset("IMG_2.jpg");
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config("""
            workflows:
              allow_favorite: true
              allow_archive: true
              rules:
                - name: memes out of the timeline
                  when: {tags: [meme]}
                  then: {archive: true}
                - name: unclassified favourites
                  when: {classification: [unclassified]}
                  then: {favorite: true}
            """));
        // The console names every kind of write: archiving hides photos from the timeline.
        var preview = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "preview");
        preview.ExitCode.Should().Be(0, preview.ToString());
        var planned = File.ReadAllLines(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "preview")).Single(), "plan.txt"));
        var toFavourite = planned.Count(l => l.StartsWith("favorite+ |", StringComparison.Ordinal));
        var toArchive = planned.Count(l => l.StartsWith("archive |", StringComparison.Ordinal));
        (toFavourite, toArchive).Should().NotBe((0, 0));
        preview.Out.Should().Contain($"Dry run: would favourite {toFavourite} and unfavourite 0 asset(s), archive {toArchive} and bring 0 back to the timeline.");

        var run = await cli.RunAsync("run", "--config", config, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("archive");
        Server.State.Assets.Where(a => a.Id == bare || a.Id == other).Should().OnlyContain(a => a.IsFavorite);
        var runId = Path.GetFileName(Directory.GetDirectories(Path.Combine(cli.Root, "run")).Single());
        var favourited = Server.State.Assets.Count(a => a.IsFavorite);
        var archived = Server.State.Assets.Count(a => a.Visibility == "archive");
        run.Out.Should().Contain($"Assets: {favourited} favourited, 0 unfavourited, {archived} archived, 0 back to the timeline.");
        var statistics = File.ReadAllText(Path.Combine(cli.Root, "run", runId, "run_statistics.yaml"));
        statistics.Should().Contain($"  favorites_changed: {favourited}\n").And.Contain($"  archive_changed: {archived}\n")
            .And.Contain($"  planned_favorite_changes: {toFavourite}\n");

        // The user takes one favourite back by hand: the undo must leave that asset alone.
        Server.State.SetFavorite(other, false);
        Server.Requests.Clear();
        var dry = await cli.RunAsync("undo", runId, "--config", config, "--output", "run");

        dry.ExitCode.Should().Be(0, dry.ToString());
        Server.Requests.WriteCount.Should().Be(0, "an undo without --yes is a dry run");
        dry.Out.Should().Contain("would revert: move meme.jpg back to the timeline")
            .And.Contain("would revert: take IMG_1.jpg out of the favourites (it was not one before)")
            .And.NotContain("would revert: take IMG_2.jpg");
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("archive");

        var undo = await cli.RunAsync("undo", runId, "--yes", "--config", config, "--output", "run");

        undo.ExitCode.Should().Be(0, undo.ToString());
        undo.Out.Should().Contain("left alone: IMG_2.jpg marked as favourite: the favourite flag changed again since (it is off)");
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("timeline");
        Server.State.Assets.Single(a => a.Id == bare).IsFavorite.Should().BeFalse();
        Server.State.Assets.Single(a => a.Id == other).IsFavorite.Should().BeFalse();
    }

    /// <summary>The yaml of the docs page's worked example under <paramref name="heading"/>, and the text block after it (its plan), if any.</summary>
    private static (string Yaml, string? Plan) DocsExample(string heading)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ImmichAutoTag.sln")))
        {
            dir = dir.Parent;
        }

        var page = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "docs", "workflows.md")).ReplaceLineEndings("\n");
        var section = page[page.IndexOf("### " + heading + "\n", StringComparison.Ordinal)..];
        var next = section.IndexOf("\n### ", 4, StringComparison.Ordinal);
        section = next < 0 ? section : section[..next];
        static string? Block(string text, string lang)
        {
            var start = text.IndexOf("```" + lang + "\n", StringComparison.Ordinal);
            return start < 0 ? null : text[(start + lang.Length + 4)..text.IndexOf("\n```", start + 3, StringComparison.Ordinal)];
        }

        return (Block(section, "yaml")!, Block(section, "text"));
    }

    /// <summary>Links carry the fake's port and random asset ids, the rule engine's line its times: the page writes them as &lt;link&gt; and N.</summary>
    private static string Masked(string text) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(text, @"http://[0-9.:]+/photos/[0-9a-f-]{36}", "<link>"),
            @"\d+ ms", "N ms");

    [Fact]
    public async Task The_memes_example_of_the_docs_page_tags_only_the_memes_it_archives_not_hidden_ones()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var hidden = Server.State.AddAsset(User, "hidden.jpg", T0, visibility: "hidden").Id;
        Tag("meme", hidden);
        var (yaml, _) = DocsExample("Memes out of the timeline");
        var workflows = yaml[yaml.IndexOf("workflows:", StringComparison.Ordinal)..];

        var runs = await RunThriceAsync(Config(workflows));

        runs.Plan.Should().Contain($"archive | {Link(meme)} | meme.jpg | workflows: rule 'memes out of the timeline'");
        runs.Plan.Should().Contain($"+ autotag_workflow/archived_meme | {Link(meme)} | meme.jpg | workflows: rule 'memes out of the timeline'");
        runs.Plan.Should().NotContain($"| {Link(hidden)} | hidden.jpg | workflows", "the rule cannot archive a hidden asset, so its tag would record an archive that never happens");
        HasTag(meme, "autotag_workflow/archived_meme").Should().BeTrue();
        HasTag(hidden, "autotag_workflow/archived_meme").Should().BeFalse();
        Server.State.Assets.Single(a => a.Id == hidden).Visibility.Should().Be("hidden");
        Server.State.Assets.Single(a => a.Id == meme).Visibility.Should().Be("archive");
    }

    [Fact]
    public async Task The_screenshots_example_of_the_docs_page_plans_what_the_page_shows_and_converges()
    {
        var at = new DateTimeOffset(2024, 5, 1, 10, 15, 0, TimeSpan.Zero);
        var phone = Asset("Screenshot_20240501-101500.png", at, "/photos/phone/Screenshot_20240501-101500.png");
        Asset("scr_0001.png", at, "/photos/desktop/scr_0001.png");
        Asset("capture.png", at, "/photos/desktop/screenshots/capture.png");
        Asset("Screenshot_20190704.png", T0, "/photos/phone/Screenshot_20190704.png");
        Asset("IMG_0001.jpg", at, "/photos/phone/IMG_0001.jpg");
        var (yaml, shown) = DocsExample("Screenshots into an album");
        var workflows = yaml[yaml.IndexOf("workflows:", StringComparison.Ordinal)..];

        var runs = await RunThriceAsync(Config(workflows));

        shown.Should().NotBeNull("the page shows this example's plan");
        var plan = Masked(runs.Plan);
        foreach (var line in shown!.Split('\n'))
        {
            plan.Should().Contain(line + "\n");
        }

        var album = Server.State.Albums.Single(a => a.Name == "Screenshots");
        Server.State.AlbumAssetIds(album.Id).Should().HaveCount(3).And.Contain(phone);
    }

    private static string PlanOf(ImmichAutoTag.IntegrationTests.Cli.CliHarness cli, string output) =>
        File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single(), "plan.txt"));

    private const string NothingPlanned = "# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)";

    [Fact]
    public async Task A_workflow_tag_no_rule_adds_any_more_is_taken_off_where_the_tool_added_it_while_the_users_own_links_stay()
    {
        var shot = Asset("scr_1.png");
        var mine = Asset("IMG_20190704_101010.jpg");
        Tag("meme", mine);
        Tag("autotag_workflow/old", mine);
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        string Rule(string tag) => Config($$"""
            workflows:
              rules:
                - name: screenshots
                  when: {file_name_patterns: ['^scr_']}
                  then: {add_tags: [{{tag}}]}
            """);

        (await cli.RunAsync("run", "--config", cli.WriteConfig(Rule("autotag_workflow/old")), "--output", "first")).ExitCode.Should().Be(0);
        HasTag(shot, "autotag_workflow/old").Should().BeTrue();

        // The rule's tag is renamed: the old tag goes where the tool added it; the user's own link of it stays.
        var renamed = cli.WriteConfig(Rule("autotag_workflow/new"));
        var dry = await cli.RunAsync("run", "--dry-run", "--config", renamed, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        PlanOf(cli, "dry").Should().Contain($"- autotag_workflow/old | {Link(shot)} | scr_1.png | workflows: no workflow rule adds it any more")
            .And.NotContain($"- autotag_workflow/old | {Link(mine)}");
        HasTag(shot, "autotag_workflow/old").Should().BeTrue("a dry run changes nothing");
        (await cli.RunAsync("run", "--config", renamed, "--output", "second")).ExitCode.Should().Be(0);
        HasTag(shot, "autotag_workflow/old").Should().BeFalse();
        HasTag(shot, "autotag_workflow/new").Should().BeTrue();
        HasTag(mine, "autotag_workflow/old").Should().BeTrue("the tool never added that link");
        (await cli.RunAsync("run", "--config", renamed, "--output", "third")).ExitCode.Should().Be(0);
        PlanOf(cli, "third").Should().StartWith(NothingPlanned);

        // Switched off, the workflows change nothing (like CLIP and booru when off).
        (await cli.RunAsync("run", "--config", cli.WriteConfig(Config("workflows:\n  enabled: false")), "--output", "off")).ExitCode.Should().Be(0);
        HasTag(shot, "autotag_workflow/new").Should().BeTrue();

        // Every rule deleted (here the whole section): the tags the tool added go, the user's stay; then nothing to do.
        var none = cli.WriteConfig(Config());
        (await cli.RunAsync("run", "--config", none, "--output", "gone")).ExitCode.Should().Be(0);
        PlanOf(cli, "gone").Should().Contain($"- autotag_workflow/new | {Link(shot)} | scr_1.png | workflows: no workflow rule adds it any more");
        HasTag(shot, "autotag_workflow/new").Should().BeFalse();
        HasTag(mine, "autotag_workflow/old").Should().BeTrue();
        (await cli.RunAsync("run", "--config", none, "--output", "after")).ExitCode.Should().Be(0);
        PlanOf(cli, "after").Should().StartWith(NothingPlanned);
    }

    [Fact]
    public async Task A_workflow_tag_the_user_took_off_and_later_put_back_by_hand_is_the_users_and_stays_when_the_rule_stops_holding()
    {
        // V13: the tool added the tag, the user took it off, then put it back by hand: that link is the user's now.
        var fanart = Asset("hu_tao.png");
        var other = Asset("rider.jpg");
        Tag("fanart", fanart, other);
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        string Rule(string tag) => Config($$"""
            workflows:
              rules:
                - name: own
                  when: {tags: [{{tag}}]}
                  then: {add_tags: [autotag_workflow/own]}
            """);
        var config = cli.WriteConfig(Rule("fanart"));

        (await cli.RunAsync("run", "--config", config, "--output", "first")).ExitCode.Should().Be(0);
        HasTag(fanart, "autotag_workflow/own").Should().BeTrue();
        var own = Server.State.FindTag("autotag_workflow/own")!.Id;
        Server.State.UntagAsset(own, fanart);
        (await cli.RunAsync("run", "--config", config, "--output", "second")).ExitCode.Should().Be(0);
        HasTag(fanart, "autotag_workflow/own").Should().BeFalse("the user's removal is a correction the rule does not undo");
        Server.State.TagAsset(own, fanart);
        (await cli.RunAsync("run", "--config", config, "--output", "third")).ExitCode.Should().Be(0);
        PlanOf(cli, "third").Should().StartWith(NothingPlanned);

        // The rule stops holding everywhere: the tool takes off the link it added, not the one the user put back.
        var dry = await cli.RunAsync("run", "--dry-run", "--config", cli.WriteConfig(Rule("nobody")), "--output", "dry");

        dry.ExitCode.Should().Be(0, dry.ToString());
        PlanOf(cli, "dry").Should().Contain($"- autotag_workflow/own | {Link(other)} | rider.jpg | workflows:")
            .And.NotContain($"- autotag_workflow/own | {Link(fanart)}");
        (dry.Out + dry.Err).Should().Contain("'autotag_workflow/own' holds 1 tag link(s) the tool did not add");
    }

    [Fact]
    public async Task A_condition_pattern_that_runs_out_of_time_on_one_asset_is_reported_with_rule_and_asset_and_the_others_are_planned()
    {
        // The backtracking example of .NET's regex guidance, inside a look-ahead (so it cannot run on the linear engine).
        var slow = Asset(new string('1', 40) + "!.jpg");
        var shot = Asset("scr_1.png");
        using var cli = new ImmichAutoTag.IntegrationTests.Cli.CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config("""
            workflows:
              match_timeout_ms: 50
              rules:
                - name: dollar names
                  when: {file_name_patterns: ['(?=^[0-9A-Z]([-.\w]*[0-9A-Z])*\$$)']}
                  then: {add_tags: [autotag_workflow/dollar]}
                - name: screenshots
                  when: {file_name_patterns: ['^scr_']}
                  then: {add_tags: [autotag_workflow/shot]}
            """));

        var run = await cli.RunAsync("run", "--config", config, "--output", "first");

        run.ExitCode.Should().Be(8, "one asset failed, the run went on: " + run);
        (run.Out + run.Err).Should().Contain("rule 'dollar names'").And.Contain("ran longer than workflows.match_timeout_ms (50 ms)")
            .And.Contain($"on asset {slow} ({new string('1', 40)}!.jpg)").And.NotContain("RuleLhsExpressionEvaluationException");
        HasTag(shot, "autotag_workflow/shot").Should().BeTrue("one bad asset never stops the run for the others");
        HasTag(slow, "autotag_workflow/dollar").Should().BeFalse();
        HasTag(slow, "autotag_workflow/shot").Should().BeFalse();
    }
}
