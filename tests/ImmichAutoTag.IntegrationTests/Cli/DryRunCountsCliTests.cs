using ImmichAutoTag.IntegrationTests.Engine;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// A dry run's links file and statistics count the output tags as the library will hold them once the plan is
/// applied (the links file says so), equal to what the real run then reports.
/// </summary>
public sealed class DryRunCountsCliTests() : FeatureRunTestBase("- album_name_patterns: ['^\\d{4}-\\d{2}-\\d{2} ']", null)
{
    [Fact]
    public async Task A_dry_run_counts_the_output_tags_as_the_plan_will_leave_them()
    {
        // Today 2 assets carry the unknown tag (one of them is classified now and loses it); the plan leaves 3.
        var classified = Asset("beach.jpg");
        Server.State.AddAlbum(User, "2019-07-04 Beach", [classified]);
        Tag(Unknown, classified, Asset("still_unknown.jpg"));
        Asset("new_1.jpg");
        Asset("new_2.jpg");
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config());

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        var real = await cli.RunAsync("run", "--config", config, "--output", "real");
        real.ExitCode.Should().Be(0, real.ToString());

        string Read(string output, string file) => File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single(), file));
        var links = Read("dry", "immich_autotag_links.md");
        links.Should().Contain("Classification: Unknown").And.Contain("(3 assets)").And.Contain("once the plan in plan.txt is applied");
        var statistics = Read("dry", "run_statistics.yaml");
        statistics.Split($"  \"{Unknown}\": ").Skip(1).Select(rest => rest[..rest.IndexOf('\n', StringComparison.Ordinal)])
            .Should().Equal(["3", "3"], "output_tags and output_tags_evaluated both count the planned library");
        Read("real", "immich_autotag_links.md").Should().Contain("(3 assets)");
        Read("real", "run_statistics.yaml").Should().Contain($"  \"{Unknown}\": 3\n");
    }
}
