namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// One run reaches the fixed point when one step's changes feed another step that plans before it (a workflow album
/// a classification rule matches, a conversion's or a workflow's album or tag the tag ↔ album sync reads): the run
/// plans again on the library as its plan leaves it, so the second run right after it sends no write and plans nothing.
/// </summary>
public sealed class ConvergenceRunTests() : FeatureRunTestBase("- album_name_patterns: ['^\\d{4}-']", SecondPlanIsEmpty)
{
    private static void SecondPlanIsEmpty(string plan) =>
        plan.Should().StartWith("# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)\n# Album changes: 0 album(s) to create, 0 album removal(s), 0 sharing change(s), 0 temporary album(s) to delete");

    [Fact]
    public async Task A_workflow_album_a_classification_rule_matches_classifies_its_assets_in_the_same_run()
    {
        // U11: the rule reads `classification: [unclassified]` and fills an album the classification rule matches.
        var shot = Asset("Screenshot_1.png");
        var other = Asset("IMG_1.jpg");
        var runs = await RunThriceAsync(Config("""
            workflows:
              rules:
                - name: inbox
                  when: {classification: [unclassified], file_name_patterns: ['^Screenshot']}
                  then: {add_to_albums: ['2099-01-01 Inbox'], add_tags: [autotag_workflow/inboxed]}
            """));

        runs.Plan.Should().Contain("create album 2099-01-01 Inbox | rule 'inbox' | 1 asset(s)")
            .And.NotContain($"+ autotag_workflow/inboxed | {Link(shot)}", "once in the album the asset is classified, so the rule no longer holds for it")
            .And.NotContain($"+ {Unknown} | {Link(shot)}", "the album classifies it in the same run")
            .And.Contain($"+ {Unknown} | {Link(other)}");
        HasTag(shot, Unknown).Should().BeFalse();
        HasTag(shot, "autotag_workflow/inboxed").Should().BeFalse();
        HasTag(other, Unknown).Should().BeTrue();
        var inbox = Server.State.Albums.Should().ContainSingle(a => a.Name == "2099-01-01 Inbox").Subject;
        Server.State.AlbumAssetIds(inbox.Id).Should().BeEquivalentTo([shot]);
    }

    [Fact]
    public async Task An_album_a_conversion_creates_is_synced_to_its_tag_in_the_same_run()
    {
        // U14: conversion fanart → album "Fan art"; the sync (album → tag) reads albums named ^Fan.
        var art = Asset("art.png");
        Tag("fanart", art);
        var runs = await RunThriceAsync(Config("""
            conversions:
              conversions:
                - source: {tag_names: [fanart]}
                  destination: {album_names: [Fan art], tag_names: [art/fan]}
                  mode: copy
            tag_album_sync:
              enabled: true
              direction: both
              tag_prefix: album/
              album_name_patterns: ['^Fan']
            """, rules: "- tag_names: [fanart]"));

        runs.Plan.Should().Contain("create album Fan art | conversion | 1 asset(s)")
            .And.Contain($"+ album/Fan art | {Link(art)} | art.png\n")
            .And.Contain($"+ art/fan | {Link(art)}");
        runs.Changes.Where(c => c.TryGetProperty("tag", out var t) && t.GetString() == "album/Fan art").Should().ContainSingle().Which.GetProperty("step").GetString().Should().Be("tag_album_sync");
        HasTag(art, "album/Fan art").Should().BeTrue();
        HasTag(art, "art/fan").Should().BeTrue();
        Server.State.Albums.Should().ContainSingle(a => a.Name == "Fan art");
    }

    [Fact]
    public async Task Workflow_tags_and_albums_the_sync_reads_are_synced_in_the_same_run()
    {
        // U14 addendum: the workflow adds a tag below the sync's prefix (tag → album) and fills an album its
        // patterns match (album → tag).
        var video = Asset("clip.mp4");
        var runs = await RunThriceAsync(Config("""
            tag_album_sync:
              enabled: true
              direction: both
              tag_prefix: album/
              album_name_patterns: ['^Best']
            workflows:
              rules:
                - name: best
                  when: {file_name_patterns: ['^clip']}
                  then: {add_tags: ['album/Best videos'], add_to_albums: ['Best pics']}
            """, rules: "- album_name_patterns: ['^Best']"));

        runs.Plan.Should().Contain("create album Best pics | rule 'best' | 1 asset(s)")
            .And.Contain("create album Best videos | tag_album_sync | 1 asset(s)")
            .And.Contain($"+ album/Best videos | {Link(video)} | clip.mp4 | workflows: rule 'best'")
            .And.Contain($"+ album/Best pics | {Link(video)} | clip.mp4\n")
            .And.NotContain($"+ {Unknown} | {Link(video)}", "the workflow's albums classify it in the same run");
        HasTag(video, "album/Best pics").Should().BeTrue();
        HasTag(video, "album/Best videos").Should().BeTrue();
        HasTag(video, Unknown).Should().BeFalse();
        Server.State.AlbumAssetIds(Server.State.Albums.Single(a => a.Name == "Best videos").Id).Should().BeEquivalentTo([video]);
        Server.State.AlbumAssetIds(Server.State.Albums.Single(a => a.Name == "Best pics").Id).Should().BeEquivalentTo([video]);
    }
}
