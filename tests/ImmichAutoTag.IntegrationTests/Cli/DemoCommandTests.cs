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
}
