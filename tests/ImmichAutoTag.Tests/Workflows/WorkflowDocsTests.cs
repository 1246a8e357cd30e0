using System.Text.RegularExpressions;
using ImmichAutoTag.Config;
using ImmichAutoTag.Tests.Config;

namespace ImmichAutoTag.Tests.Workflows;

/// <summary>
/// Every worked example of docs/workflows.md is a config.yaml that loads without an error (and without a warning about
/// its workflows or booru sections, and with the classification rules a real config needs), so the page cannot fall
/// behind the loader.
/// </summary>
public sealed partial class WorkflowDocsTests
{
    private const string Page = "docs/workflows.md";

    [GeneratedRegex(@"^```yaml\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex YamlBlock();

    /// <summary>The page's yaml blocks, each with the heading above it (the example's name).</summary>
    public static TheoryData<string, string> Examples()
    {
        var text = File.ReadAllText(Path.Combine(ConfigTestHelpers.RepoRoot(), Page)).ReplaceLineEndings("\n");
        var data = new TheoryData<string, string>();
        foreach (Match block in YamlBlock().Matches(text))
        {
            var heading = text[..block.Index].Split('\n').Last(l => l.StartsWith("### ", StringComparison.Ordinal))[4..];
            data.Add(heading, block.Groups[1].Value);
        }

        return data;
    }

    [Fact]
    public void The_page_has_the_worked_examples()
    {
        Examples().Select(e => (string)e[0]).Should().Equal(
            "Memes out of the timeline", "Screenshots into an album", "Anime by series", "A review queue for weak booru matches", "Pictures by camera");
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Each_example_is_a_config_that_validates(string example, string yaml)
    {
        var result = ConfigLoader.LoadYaml(yaml, "config.yaml", name => name == "IMMICH_API_KEY" ? "key-from-the-environment" : null);

        result.Errors.Should().BeEmpty(example);
        result.Warnings.Should().NotContain(w => w.ToString().Contains("workflows", StringComparison.Ordinal) || w.ToString().Contains("booru", StringComparison.Ordinal), example);
        result.Config!.Classification.Rules.Should().NotBeEmpty($"{example}: without classification rules every asset would get autotag_output_unknown");
        result.Config!.Workflows.Rules.Should().NotBeEmpty(example);
        result.Config.Workflows.Enabled.Should().BeTrue(example);
    }
}
