using System.Text.RegularExpressions;
using ImmichAutoTag.TestKit.Clip;

namespace ImmichAutoTag.IntegrationTests.Cli;

public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_runs_the_engine_on_a_sample_library_and_points_at_the_links_report()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("demo", "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        var runDir = Directory.GetDirectories(Path.Combine(cli.Root, "out")).Single();
        var links = Path.Combine(runDir, "immich_autotag_links.md");
        result.Out.Should().Contain($"Review links: {links}");
        var text = await File.ReadAllTextAsync(links);
        text.Should().MatchRegex(@"\[Classification: Unknown\]\(http://immich-demo\.invalid/tags\?path=autotag_output_unknown\) \([1-9]\d* assets\)");
        text.Should().MatchRegex(@"\[Classification: Conflict\]\(http://immich-demo\.invalid/tags\?path=autotag_output_conflict\) \([1-9]\d* assets\)");
    }

    [Fact]
    public async Task Demo_with_undo_restores_the_sample_library_and_undoing_the_undo_restores_the_run()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("demo", "--undo", "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("Library after the dry-run undo, compared with after the run: equal")
            .And.Contain("Library after the undo, compared with before the run: equal")
            .And.Contain("Library after undoing the undo, compared with after the run: equal")
            .And.MatchRegex(@"Undo of run \d{8}_\d{6}_PID\d+: (\d+) change\(s\) sent, reverting \1 of \1; 0 left alone");
        Directory.GetDirectories(Path.Combine(cli.Root, "out")).Should().HaveCount(4, "the run, the dry-run undo, the undo and the undo of the undo each have a folder");
    }

    [Fact]
    public async Task Demo_dry_run_with_a_clip_model_plans_one_colour_label_per_photo_with_its_score_and_sends_no_write()
    {
        using var cli = new CliHarness();
        var models = Path.Combine(cli.Root, "models");
        ClipDemoModel.Write(models);

        var result = await cli.RunAsync("demo", "--dry-run", "--clip-model-folder", models, "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("(0 writes)");
        var runFolder = Directory.GetDirectories(Path.Combine(cli.Root, "out")).Single();
        (await File.ReadAllTextAsync(Path.Combine(runFolder, "immich_autotag_full_output.log"))).Should().Contain("CLIP: loaded").And.Contain("on CPUExecutionProvider")
            .And.MatchRegex(@"CLIP: WebP thumbnails decoded by SkiaSharp \d+\.\d+\.\d+ \(libwebp\)", "SkiaSharp's library ships for this platform");
        var plan = await File.ReadAllTextAsync(Path.Combine(runFolder, "plan.txt"));
        var header = Regex.Match(plan, @"# CLIP colour-demo@[0-9a-f]{16}: (\d+) asset\(s\) selected, \1 encoded, 0 stored embedding\(s\) reused, 0 not scored; labels: red (\d+), green (\d+), blue (\d+)");
        header.Success.Should().BeTrue(plan);
        var labelled = int.Parse(header.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
            + int.Parse(header.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)
            + int.Parse(header.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        labelled.Should().BeGreaterThan(0);
        var lines = Regex.Matches(plan, @"^\+ autotag_clip/style/(\w+) \| \S+/photos/([0-9a-f-]{36}) \| \S+ \| clip (\w+) \d+(\.\d)?%", RegexOptions.Multiline);
        lines.Should().HaveCount(labelled, "each labelled photo gets one label tag");
        lines.Should().OnlyContain(m => m.Groups[1].Value == m.Groups[3].Value, "the tag is the label the score names");
        lines.Select(m => m.Groups[2].Value).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Two_demo_runs_with_a_clip_model_plan_the_same_changes_for_the_same_asset_ids()
    {
        using var cli = new CliHarness();
        var models = Path.Combine(cli.Root, "models");
        ClipDemoModel.Write(models);

        var first = await cli.RunAsync("demo", "--dry-run", "--clip-model-folder", models, "--output", "one");
        var second = await cli.RunAsync("demo", "--dry-run", "--clip-model-folder", models, "--output", "two");

        first.ExitCode.Should().Be(0, first.ToString());
        second.ExitCode.Should().Be(0, second.ToString());
        var one = await PlanAsync("one");
        var two = await PlanAsync("two");
        one.Should().Contain(l => l.StartsWith("# CLIP ", StringComparison.Ordinal), "the label counts are in the plan's CLIP line")
            .And.Contain(l => Regex.IsMatch(l, "/photos/[0-9a-f-]{36}"), "the planned changes link the assets by id");
        two.Should().Equal(one, "the sample library's ids, and so its thumbnails and CLIP labels, are seeded");

        async Task<List<string>> PlanAsync(string output)
        {
            var folder = Directory.GetDirectories(Path.Combine(cli.Root, output)).Single();
            var lines = await File.ReadAllLinesAsync(Path.Combine(folder, "plan.txt"));
            // The header names the run (its folder, start time); every change line and the CLIP line must be equal.
            return [.. lines.Where(l => !l.StartsWith('#') || l.StartsWith("# CLIP ", StringComparison.Ordinal))];
        }
    }

    [Fact]
    public async Task Demo_refuses_undo_with_dry_run()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("demo", "--dry-run", "--undo", "--output", "out");

        result.ExitCode.Should().Be(2);
        result.Err.Should().Contain("--undo").And.Contain("--dry-run");
    }
}
