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
}
