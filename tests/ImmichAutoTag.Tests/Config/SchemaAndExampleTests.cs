using System.Text.Json;
using ImmichAutoTag.Config;
using ImmichAutoTag.Config.Internal;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Tests.Config;

public sealed class SchemaAndExampleTests
{
    private static string RulesFile(string name) => Path.Combine(ConfigTestHelpers.RepoRoot(), "rules", name);

    [Fact]
    public void Example_config_loads_without_errors_or_warnings()
    {
        var result = ConfigLoader.LoadFile(RulesFile("config.example.yaml"), ConfigTestHelpers.NoEnv);

        result.Errors.Should().BeEmpty();
        result.Warnings.Should().ContainSingle("only its placeholder API key, which the user must replace, is worth a warning")
            .Which.Message.Should().StartWith("server.api_key is the example's placeholder 'CHANGE_ME'");
        result.IsValid.Should().BeTrue();

        var withKey = ConfigLoader.LoadFile(RulesFile("config.example.yaml"), ConfigTestHelpers.Env(("IMMICH_API_KEY", "a-real-key")));
        withKey.Errors.Should().BeEmpty();
        withKey.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void The_example_workflows_validate_when_switched_on_as_its_comment_says()
    {
        var text = File.ReadAllText(RulesFile("config.example.yaml"));
        var on = text.Replace("  enabled: false  # the example rules below are off", "  enabled: true  # the example rules below are off", StringComparison.Ordinal);
        on.Should().NotBe(text, "the example switches its workflows off with that comment");

        var result = ConfigLoader.LoadYaml(on, "config.example.yaml", ConfigTestHelpers.Env(("IMMICH_API_KEY", "a-real-key")));

        result.Errors.Should().BeEmpty();
        result.Warnings.Should().OnlyContain(
            w => w.Message.StartsWith("clip_label needs clip.enabled", StringComparison.Ordinal) || w.Message.StartsWith("booru needs booru.enabled", StringComparison.Ordinal),
            "the comment says the clip_label and booru conditions need those steps on");
    }

    [Fact]
    public void Example_config_uses_every_key()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(RulesFile("config.example.yaml"))));
        var used = new HashSet<string>();
        CollectYamlPaths(yaml.Documents[0].RootNode, "", used);

        // host/port are the upstream alternative to url; the example shows them commented out.
        var expected = ConfigKeys.AllPaths().Except(["server.host", "server.port"]).Select(AsRuleKey).ToHashSet();
        expected.Except(used.Select(ConfigKeys.DescriptorPath).Select(AsRuleKey)).Should().BeEmpty();
    }

    [Fact]
    public void Schema_and_loader_know_exactly_the_same_keys()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(RulesFile("config.schema.json")));
        var inSchema = new HashSet<string>();
        CollectSchemaPaths(schema.RootElement, schema.RootElement, "", inSchema);

        inSchema.Should().NotBeEmpty();
        inSchema.Should().BeEquivalentTo(ConfigKeys.AllPaths());
    }

    [Fact]
    public void Schema_defaults_match_the_loaders_defaults()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(RulesFile("config.schema.json")));
        var props = schema.RootElement.GetProperty("properties");
        var defaults = ConfigLoader.LoadYaml(ConfigTestHelpers.Minimal, "x.yaml", ConfigTestHelpers.NoEnv).Config!;

        string? Default(string block, string key) =>
            props.GetProperty(block).GetProperty("properties").GetProperty(key).GetProperty("default") is var d && d.ValueKind == JsonValueKind.String
                ? d.GetString()
                : d.GetRawText();

        Default("classification", "autotag_unknown").Should().Be(defaults.Classification.AutotagUnknown);
        Default("classification", "autotag_conflict").Should().Be(defaults.Classification.AutotagConflict);
        Default("duplicate_processing", "autotag_album_conflict").Should().Be(defaults.DuplicateProcessing.AutotagAlbumConflict);
        Default("duplicate_processing", "autotag_classification_conflict_prefix").Should().Be(defaults.DuplicateProcessing.AutotagClassificationConflictPrefix);
        Default("album_date_consistency", "threshold_days").Should().Be(defaults.AlbumDateConsistency.ThresholdDays.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Default("album_date_consistency", "autotag_album_date_mismatch").Should().Be(defaults.AlbumDateConsistency.AutotagAlbumDateMismatch);
        Default("skip", "resume_previous").Should().Be(defaults.Skip.ResumePrevious ? "true" : "false");
        Default("conversions", "enabled").Should().Be(defaults.Conversions.Enabled ? "true" : "false");
    }

    // Rules share one shape wherever they appear, so showing each rule key once in any rule is enough.
    private static string AsRuleKey(string path)
    {
        foreach (var place in new[] { "filters.filter_in[].", "filters.filter_out[].", "conversions.conversions[].source.", "classification.rules[]." })
        {
            if (path.StartsWith(place, StringComparison.Ordinal))
            {
                return "<rule>." + path[place.Length..];
            }
        }

        return path;
    }

    private static void CollectYamlPaths(YamlNode node, string prefix, HashSet<string> paths)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    var path = prefix.Length == 0 ? ((YamlScalarNode)key).Value! : $"{prefix}.{((YamlScalarNode)key).Value}";
                    paths.Add(path);
                    CollectYamlPaths(value, path, paths);
                }

                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children.OfType<YamlMappingNode>())
                {
                    CollectYamlPaths(item, prefix + "[]", paths);
                }

                break;
        }
    }

    /// <remarks>A definition nested in itself (a workflow condition's all/any/not) is entered once, as the descriptor walks it.</remarks>
    private static void CollectSchemaPaths(JsonElement root, JsonElement node, string prefix, HashSet<string> paths, IReadOnlySet<string>? enclosing = null)
    {
        enclosing ??= new HashSet<string>();
        if (node.TryGetProperty("$ref", out var reference) && enclosing.Contains(reference.GetString()!))
        {
            return;
        }

        var inside = node.TryGetProperty("$ref", out var r) ? new HashSet<string>(enclosing) { r.GetString()! } : enclosing;
        node = Resolve(root, node);
        if (node.TryGetProperty("properties", out var props))
        {
            foreach (var p in props.EnumerateObject())
            {
                var path = prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}";
                paths.Add(path);
                CollectSchemaPaths(root, p.Value, path, paths, inside);
            }
        }

        if (node.TryGetProperty("items", out var items))
        {
            CollectSchemaPaths(root, items, prefix + "[]", paths, inside);
        }
    }

    private static JsonElement Resolve(JsonElement root, JsonElement node)
    {
        while (node.TryGetProperty("$ref", out var r))
        {
            var target = root;
            foreach (var part in r.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part);
            }

            node = target;
        }

        return node;
    }
}
