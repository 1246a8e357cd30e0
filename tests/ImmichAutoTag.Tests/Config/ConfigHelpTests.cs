using ImmichAutoTag.Config;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

/// <summary>Configs that load but would not do what their author meant, and the hints that say so.</summary>
public sealed class ConfigHelpTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("iat-help-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_config_without_classification_validates_with_a_warning_that_every_asset_becomes_unknown()
    {
        var result = Load(Minimal);

        result.IsValid.Should().BeTrue("upstream accepts it");
        var warning = result.Warnings.Should().ContainSingle().Which;
        warning.ToString().Should().Be("config.yaml:1:1: classification: no classification rules: no asset can be classified, so every asset would become unclassified (autotag_output_unknown). Add rules under classification.rules (see rules/config.example.yaml)");
    }

    [Fact]
    public void An_empty_rules_list_is_warned_about_where_the_classification_block_is()
    {
        var result = Load(Minimal + """

            classification:
              autotag_unknown: todo
              rules: []
            """);

        result.IsValid.Should().BeTrue();
        var warning = result.Warnings.Should().ContainSingle().Which;
        (warning.Line, warning.Column, warning.KeyPath).Should().Be((7, 3, "classification.rules"), "the block's first key");
        warning.Message.Should().Contain("every asset would become unclassified (todo)");
    }

    [Fact]
    public void A_config_with_a_rule_gets_no_such_warning()
    {
        Load(Minimal + """

            classification:
              rules: [{tag_names: [meme]}]
            """).Warnings.Should().BeEmpty();
    }

    [Fact]
    public void A_backslash_escape_error_in_a_double_quoted_string_suggests_single_quotes()
    {
        var error = SingleError(Minimal + """

            classification:
              rules:
                - album_name_patterns: ["^\d{4}-\d{2}"]
            """);

        error.Line.Should().Be(8);
        error.Column.Should().BeGreaterThan(0);
        error.ToString().Should().StartWith("config.yaml:8:").And.Contain("YAML syntax error").And.Contain("write the value in single quotes ('^\\d{4}'");
    }

    [Fact]
    public void A_config_yml_beside_the_expected_config_yaml_is_named()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root.FullName, "config")).FullName;
        var yml = Path.Combine(dir, "config.yml");
        File.WriteAllText(yml, "x: 1\n");
        var expected = Path.Combine(dir, "config.yaml");

        var location = ConfigLocator.Locate(null, n => n == ConfigLocator.EnvConfig ? expected : null, _root.FullName);

        location.Path.Should().BeNull("an explicitly named file never falls back to another");
        location.Note.Should().Be($"{yml} exists beside it: rename it to config.yaml, or pass --config {yml}");
    }

    [Fact]
    public void A_config_yml_ignored_because_config_yaml_wins_is_named()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root.FullName, "home", ".config", "immich_autotag")).FullName;
        File.WriteAllText(Path.Combine(dir, "config.yaml"), "x: 1\n");
        File.WriteAllText(Path.Combine(dir, "config.yml"), "x: 2\n");

        var location = ConfigLocator.Locate(null, _ => null, Path.Combine(_root.FullName, "home"));

        location.Path.Should().Be(Path.Combine(dir, "config.yaml"));
        location.Note.Should().Contain("config.yml is ignored");
    }

    [Fact]
    public void No_note_when_nothing_is_beside_the_missing_file()
    {
        var missing = Path.Combine(_root.FullName, "config.yaml");

        ConfigLocator.Locate(missing, _ => null, _root.FullName).Note.Should().BeNull();
    }
}
