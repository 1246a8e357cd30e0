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
    }

    [Fact]
    public async Task A_tag_no_rule_gives_any_more_is_taken_off_and_other_tags_are_left_alone()
    {
        var a = Asset("a.jpg");
        Tag("meme", a);
        Tag("autotag_workflow/review", a);
        Tag("holiday", a);

        var runs = await RunTwiceAsync(Config("""
            workflows:
              rules:
                - name: unclassified review
                  when: {classification: [unclassified]}
                  then: {add_tags: [autotag_workflow/review]}
            """));

        runs.Plan.Should().Contain($"- autotag_workflow/review | {Link(a)} | a.jpg | workflows: no workflow rule adds it any more");
        HasTag(a, "autotag_workflow/review").Should().BeFalse();
        HasTag(a, "holiday").Should().BeTrue("the workflows never touch a tag they do not add");
        HasTag(a, "meme").Should().BeTrue();
    }
}
