using ImmichAutoTag.IntegrationTests.Cli;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// A workflow's favourite flag and archive move through the whole CLI against the fake: a flag the tool set and the
/// user put back by hand is a learnt correction (not set again, reported like a removed tag), a flag the tool never set
/// is not, and an undo's flags are the tool's own reverts (the next run may set them again).
/// </summary>
public sealed class WorkflowFlagCorrectionTests() : FeatureRunTestBase(Rules, checkSecondPlan: null)
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
            - name: unclassified favourites
              when: {classification: [unclassified]}
              then: {favorite: true}
        """;

    private const string NothingPlanned = "# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)";

    private static string Dir(CliHarness cli, string output) => Directory.GetDirectories(Path.Combine(cli.Root, output)).Single();

    private static string FileOf(CliHarness cli, string output, string name) => File.ReadAllText(Path.Combine(Dir(cli, output), name));

    private bool IsFavorite(Guid asset) => Server.State.Assets.Single(a => a.Id == asset).IsFavorite;

    private string Visibility(Guid asset) => Server.State.Assets.Single(a => a.Id == asset).Visibility;

    [Fact]
    public async Task A_flag_the_user_put_back_is_not_set_again_a_flag_the_tool_never_set_is_and_a_dry_run_sends_nothing()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var bare = Asset("IMG_1.jpg");
        var preset = Asset("IMG_2.jpg");
        Server.State.SetFavorite(preset, true); // the user's own favourite: the rule finds nothing to do on it
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config(Workflows));

        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        Visibility(meme).Should().Be("archive");
        IsFavorite(bare).Should().BeTrue();
        FileOf(cli, "first", "plan.txt").Should().NotContain($"favorite+ | {Link(preset)}");

        // The user undoes both of the tool's flags by hand, and takes back the favourite the tool never set.
        Server.State.SetVisibility(meme, "timeline");
        Server.State.SetFavorite(bare, false);
        Server.State.SetFavorite(preset, false);
        var fresh = Asset("IMG_3.jpg");

        Server.Requests.Clear();
        var dry = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        Server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        var dryPlan = FileOf(cli, "dry", "plan.txt");
        dryPlan.Should().NotContain($"archive | {Link(meme)}").And.NotContain($"favorite+ | {Link(bare)}");

        var second = await cli.RunAsync("run", "--config", config, "--output", "second");

        second.ExitCode.Should().Be(0, second.ToString());
        Visibility(meme).Should().Be("timeline", "the user brought the meme back; the rule still holds, but the tool learnt the correction");
        IsFavorite(bare).Should().BeFalse("the user took the tool's favourite back");
        IsFavorite(preset).Should().BeTrue("the tool never set this flag, so the user's change is no correction of the tool's");
        IsFavorite(fresh).Should().BeTrue("corrections are per asset: a new asset gets the rule's flag");
        HasTag(meme, "autotag_workflow/archived_meme").Should().BeTrue("the tag the user left alone stays");
        var plan = FileOf(cli, "second", "plan.txt");
        plan.Should().NotContain($"archive | {Link(meme)}").And.NotContain($"favorite+ | {Link(bare)}")
            .And.Contain($"favorite+ | {Link(preset)} | IMG_2.jpg | workflows: rule 'unclassified favourites'")
            .And.Contain($"favorite+ | {Link(fresh)} | IMG_3.jpg | workflows: rule 'unclassified favourites'");
        second.Out.Should().Contain("Your corrections: 2 tag(s), album membership(s), favourite flag(s) or archive move(s) the tool had made and you undid since the last run; 2 planned change(s) left out");
        var links = FileOf(cli, "second", "immich_autotag_links.md");
        links.Should().Contain("| workflows | archived | 0 | 1 | 0 % |").And.Contain("| workflows | favourite set | ");
        FileOf(cli, "second", "run_statistics.yaml").Should().Contain("  found_this_run: 2\n").And.Contain("  additions_left_out: 2\n");

        Server.Requests.Clear();
        var third = await cli.RunAsync("run", "--config", config, "--output", "third");
        third.ExitCode.Should().Be(0, third.ToString());
        FileOf(cli, "third", "plan.txt").Should().StartWith(NothingPlanned).And.Contain("0 favourite change(s), 0 archive change(s)");
        Server.Requests.WriteCount.Should().Be(0, "the second run after the correction plans nothing");
        Visibility(meme).Should().Be("timeline");
    }

    [Fact]
    public async Task An_undo_of_the_tools_flags_is_no_correction_and_the_next_run_sets_them_again()
    {
        var meme = Asset("meme.jpg");
        Tag("meme", meme);
        var bare = Asset("IMG_1.jpg");
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config(Workflows));

        (await cli.RunAsync("run", "--config", config, "--output", "first")).ExitCode.Should().Be(0);
        var runId = Path.GetFileName(Dir(cli, "first"));
        var undo = await cli.RunAsync("undo", runId, "--yes", "--config", config, "--output", "first");
        undo.ExitCode.Should().Be(0, undo.ToString());
        Visibility(meme).Should().Be("timeline");
        IsFavorite(bare).Should().BeFalse();

        var next = await cli.RunAsync("run", "--config", config, "--output", "next");

        next.ExitCode.Should().Be(0, next.ToString());
        next.Out.Should().NotContain("Your corrections", "the undo's reverts were the tool's own, as for tags");
        FileOf(cli, "next", "plan.txt").Should().Contain($"archive | {Link(meme)} | meme.jpg | workflows: rule 'memes out of the timeline'")
            .And.Contain($"favorite+ | {Link(bare)} | IMG_1.jpg | workflows: rule 'unclassified favourites'");
        Visibility(meme).Should().Be("archive");
        IsFavorite(bare).Should().BeTrue();
    }

    [Fact]
    public async Task A_failed_favourite_change_is_warned_about_in_the_plans_words_not_the_error_kinds_name()
    {
        var bare = Asset("IMG_1.jpg");
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config(Workflows));
        Server.Faults.Fail("updateAssets", 400, times: null);

        var run = await cli.RunAsync("run", "--config", config, "--output", "run");

        run.ExitCode.Should().Be(8, run.ToString());
        IsFavorite(bare).Should().BeFalse();
        (run.Out + run.Err).Should().Contain("favourite or archive changes: ").And.Contain("(1 assets)")
            .And.NotContain("UpdateAssets", "the warning speaks the plan's words, not the error kind's name");
    }

    [Fact]
    public async Task On_an_asset_whose_rule_tag_never_sticks_the_rules_flag_is_held_back_with_the_tag_and_the_plan_says_so()
    {
        // X3: a read-only external library reverts every tag change; two runs record the rule's tag as not sticking.
        var nas = Server.State.AddExternalLibrary(User, "NAS", "/mnt/nas", readOnly: true);
        var stuck = Server.State.AddLibraryAsset(nas.Id, "nas_meme.jpg", T0).Id;
        var uploaded = Asset("meme.jpg");
        Tag("meme", stuck, uploaded); // the setup's tags are the file's: they stay
        using var cli = new CliHarness().WithStateFolder();
        const string Rule = """
              rules:
                - name: memes
                  when: {tags: [meme]}
                  then: {add_tags: [autotag_workflow/funny]FLAG}
            """;
        var tagOnly = cli.WriteConfig(Config("workflows:\n" + Rule.Replace("FLAG", string.Empty, StringComparison.Ordinal)));
        (await cli.RunAsync("run", "--config", tagOnly, "--output", "first")).ExitCode.Should().Be(8, "the first run cannot tell a read-only library from a failure");
        (await cli.RunAsync("run", "--config", tagOnly, "--output", "second")).ExitCode.Should().Be(0);
        HasTag(stuck, "autotag_workflow/funny").Should().BeFalse();

        // The rule now also marks memes as favourites.
        var withFlag = cli.WriteConfig(Config("workflows:\n  allow_favorite: true\n" + Rule.Replace("FLAG", ", favorite: true", StringComparison.Ordinal)));
        Server.Requests.Clear();
        var dry = await cli.RunAsync("run", "--dry-run", "--config", withFlag, "--output", "dry");

        dry.ExitCode.Should().Be(0, dry.ToString());
        Server.Requests.WriteCount.Should().Be(0);
        var plan = FileOf(cli, "dry", "plan.txt");
        plan.Should().Contain($"favorite+ | {Link(uploaded)} | meme.jpg | workflows: rule 'memes'")
            .And.NotContain($"favorite+ | {Link(stuck)}")
            .And.Contain($"note WARNING_WORKFLOW_FLAG_WITHOUT_TAG | {Link(stuck)} | nas_meme.jpg | workflows: rule 'memes' would mark it as a favourite, but its tag 'autotag_workflow/funny' does not stick on this asset");
        (dry.Out + dry.Err).Should().Contain("1 workflow favourite or archive change(s) held back");

        var run = await cli.RunAsync("run", "--config", withFlag, "--output", "run");
        run.ExitCode.Should().Be(0, run.ToString());
        IsFavorite(uploaded).Should().BeTrue();
        IsFavorite(stuck).Should().BeFalse("the flag waits for its tag");
        FileOf(cli, "run", "modification_report.txt").Should().Contain("kind=WARNING_WORKFLOW_FLAG_WITHOUT_TAG").And.Contain($"asset_link={Link(stuck)}");

        Server.Requests.Clear();
        (await cli.RunAsync("run", "--config", withFlag, "--output", "again")).ExitCode.Should().Be(0);
        Server.Requests.WriteCount.Should().Be(0, "nothing left to do: the tag is not retried, the flag is held with it");
    }

    [Fact]
    public async Task A_flag_applied_while_its_rule_tag_is_reverted_is_reported_as_made_without_its_tag()
    {
        var nas = Server.State.AddExternalLibrary(User, "NAS", "/mnt/nas", readOnly: true);
        var stuck = Server.State.AddLibraryAsset(nas.Id, "nas_meme.jpg", T0).Id;
        Tag("meme", stuck);
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Config(Workflows));

        var first = await cli.RunAsync("run", "--config", config, "--output", "first");

        first.ExitCode.Should().Be(8, first.ToString());
        Visibility(stuck).Should().Be("archive", "the first run cannot know the tag will not stick");
        HasTag(stuck, "autotag_workflow/archived_meme").Should().BeFalse();
        (first.Out + first.Err).Should().Contain("1 workflow favourite or archive change(s) made without their tag");
        FileOf(cli, "first", "modification_report.txt").Should().Contain("kind=WARNING_WORKFLOW_FLAG_WITHOUT_TAG")
            .And.Contain($"asset_link={Link(stuck)}")
            .And.Contain("archived without its tag 'autotag_workflow/archived_meme'");
    }
}
