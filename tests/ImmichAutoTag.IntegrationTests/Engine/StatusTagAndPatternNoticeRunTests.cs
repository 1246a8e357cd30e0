using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// What a changed config leaves behind is said or cleaned up: a status tag the tool created and the config renamed or
/// switched off is taken off its assets (the user's own tags never), and a workflow album pattern that matches no
/// album is warned about.
/// </summary>
public sealed class StatusTagAndPatternNoticeRunTests() : FeatureRunTestBase("- album_name_patterns: ['^\\d{4}-']", checkSecondPlan: null)
{
    private const string NothingPlanned = "# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)";

    private static string PlanOf(CliHarness cli, string output) =>
        File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single(), "plan.txt"));

    [Fact]
    public async Task A_renamed_or_switched_off_status_tag_the_tool_created_is_taken_off_and_a_users_tag_of_the_old_name_stays()
    {
        // W3: runs with the default autotag_output_unknown, then the key renamed, then set to null.
        var first = Asset("IMG_1.jpg");
        var second = Asset("IMG_2.jpg");
        using var cli = new CliHarness().WithStateFolder();
        var initial = cli.WriteConfig(Config());
        (await cli.RunAsync("run", "--config", initial, "--output", "first")).ExitCode.Should().Be(0);
        HasTag(first, Unknown).Should().BeTrue();

        var renamed = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: autotag_output_todo\n", StringComparison.Ordinal));
        var dry = await cli.RunAsync("run", "--dry-run", "--config", renamed, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        PlanOf(cli, "dry").Should().Contain($"- {Unknown} | {Link(first)} | IMG_1.jpg")
            .And.Contain($"- {Unknown} | {Link(second)} | IMG_2.jpg")
            .And.Contain($"+ autotag_output_todo | {Link(first)} | IMG_1.jpg");
        (dry.Out + dry.Err).Should().Contain($"Status tag '{Unknown}' was created by this tool but the config no longer names it").And.Contain("taken off 2 asset(s)");
        HasTag(first, Unknown).Should().BeTrue("a dry run changes nothing");

        (await cli.RunAsync("run", "--config", renamed, "--output", "renamed")).ExitCode.Should().Be(0);
        HasTag(first, Unknown).Should().BeFalse();
        HasTag(second, Unknown).Should().BeFalse();
        HasTag(first, "autotag_output_todo").Should().BeTrue();
        (await cli.RunAsync("run", "--config", renamed, "--output", "again")).ExitCode.Should().Be(0);
        PlanOf(cli, "again").Should().StartWith(NothingPlanned);

        // Switched off (null): the tag the tool created goes; a tag of the user's own with another name is never read.
        var mine = Asset("IMG_3.jpg");
        Tag("todo_mine", mine);
        var off = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: null\n", StringComparison.Ordinal));
        var offRun = await cli.RunAsync("run", "--config", off, "--output", "off");
        offRun.ExitCode.Should().Be(0);
        HasTag(first, "autotag_output_todo").Should().BeFalse();
        HasTag(mine, "todo_mine").Should().BeTrue();
        Server.State.FindTag(Unknown).Should().NotBeNull("the retired tag is still on the server, held by no asset");
        (offRun.Out + offRun.Err).Should().NotContain("named like status tags", "the tool created both tags itself: neither is a stranger to warn about");
        (await cli.RunAsync("run", "--config", off, "--output", "off2")).ExitCode.Should().Be(0);
        PlanOf(cli, "off2").Should().StartWith(NothingPlanned);
    }

    [Fact]
    public async Task A_status_tag_the_user_had_before_the_tool_is_not_taken_off_when_the_config_stops_naming_it()
    {
        // The tool never created 'autotag_output_unknown' here (the user did): no marker, so it stays frozen.
        var first = Asset("IMG_1.jpg");
        Tag(Unknown, first);
        using var cli = new CliHarness().WithStateFolder();
        (await cli.RunAsync("run", "--config", cli.WriteConfig(Config()), "--output", "first")).ExitCode.Should().Be(0);
        var off = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: null\n", StringComparison.Ordinal));
        (await cli.RunAsync("run", "--config", off, "--output", "off")).ExitCode.Should().Be(0);
        HasTag(first, Unknown).Should().BeTrue("the tool did not create that tag");
        PlanOf(cli, "off").Should().NotContain($"- {Unknown}");
    }

    [Fact]
    public async Task Status_like_tags_the_tool_did_not_create_and_the_config_does_not_name_are_warned_about_once_with_what_to_do()
    {
        // W3: tags the Python predecessor left ('autotag_output_unknown' while the config names another, an old name
        // no config key gives any more); the user's other tags and the named, tool-created one are no strangers.
        var first = Asset("IMG_1.jpg");
        Tag(Unknown, first);
        Tag("autotag_output_duplicate_asset_with_different_classification_old", first);
        Tag("People/Alice", first);
        using var cli = new CliHarness().WithStateFolder();
        var todo = cli.WriteConfig(Config().Replace("classification:\n", "classification:\n  autotag_unknown: autotag_output_todo\n", StringComparison.Ordinal));

        var dry = await cli.RunAsync("run", "--dry-run", "--config", todo, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        var run = await cli.RunAsync("run", "--config", todo, "--output", "run");

        run.ExitCode.Should().Be(0, run.ToString());
        foreach (var console in new[] { dry.Out + dry.Err, run.Out + run.Err })
        {
            var expected = $"2 tag(s) named like status tags were not created by this tool and the config does not name them, so the tool leaves them alone on every asset: 'autotag_output_duplicate_asset_with_different_classification_old', '{Unknown}'.";
            console.Should().Contain(expected).And.Contain("delete the tag in Immich (Tags page)").And.Contain("name it in the config");
            console.Split(expected).Length.Should().Be(2, "one warning for all of them");
            console.Should().NotContain("'autotag_output_todo'").And.NotContain("'People/Alice'");
        }

        HasTag(first, Unknown).Should().BeTrue("warned about, still left alone");
        var dir = Directory.GetDirectories(Path.Combine(cli.Root, "run")).Single();
        File.ReadAllText(Path.Combine(dir, "modification_report.txt")).Should().Contain("kind=WARNING_STATUS_TAGS_LEFT_ALONE").And.Contain($"'{Unknown}'");
        PlanOf(cli, "run").Should().Contain("note WARNING_STATUS_TAGS_LEFT_ALONE");
    }

    [Fact]
    public async Task A_workflow_album_pattern_that_matches_no_album_is_warned_about_with_its_rule()
    {
        // V12: '^Randon' matches no album; '^Trip' matches the user's album; '^Shots' matches the album this run creates.
        var photo = Asset("scr_1.png");
        Server.State.AddAlbum(User, "Trip 2019", [photo]);
        var runs = await RunThriceAsync(Config("""
            workflows:
              rules:
                - name: typo album
                  when: {any: [{album_name_patterns: ['^Randon']}, {album_name_patterns: ['^Trip']}]}
                  then: {add_tags: [autotag_workflow/random]}
                - name: shots
                  when: {file_name_patterns: ['^scr_']}
                  then: {add_to_albums: [Shots]}
                - name: in shots
                  when: {album_name_patterns: ['^Shots']}
                  then: {add_tags: [autotag_workflow/in_shots]}
            """));

        var warning = "workflows.rules[0] ('typo album') when album_name_patterns: '^Randon' matches no album on the server (nor one this run creates); the condition never holds";
        runs.Report.Should().Contain("WARNING_UNKNOWN_RULE_ALBUM").And.Contain("^Randon");
        (runs.First.Out + runs.First.Err).Should().Contain(warning);
        (runs.First.Out + runs.First.Err).Should().NotContain("'^Trip'").And.NotContain("'^Shots' matches no album");
        HasTag(photo, "autotag_workflow/in_shots").Should().BeTrue("the album this run creates is seen in the same run");
    }
}
