using System.Collections;
using ImmichAutoTag.Config;
using ImmichAutoTag.Config.Internal;
using YamlDotNet.RepresentationModel;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

/// <summary>
/// The config shape is described once (<see cref="ConfigKeys"/>); these tests fail when a file, a record or the dump
/// drifts from the descriptions.
/// </summary>
public sealed class ConfigShapeTests
{
    /// <summary>A config where every list holds one item with only its required keys, so item defaults show too.</summary>
    private const string OneOfEach = Minimal + """

        filters:
          filter_in: [{tag_names: [a]}]
          filter_out: [{tag_names: [b]}]
        conversions:
          conversions: [{source: {tag_names: [c]}, destination: {tag_names: [d]}}]
        classification:
          rules: [{tag_names: [e]}]
        album_permissions:
          user_groups: [{name: g, members: [m@example.net]}]
          selection_rules: [{name: r, keyword: k, groups: [g]}]
        workflows:
          rules: [{name: w, when: {tags: [x]}, then: {add_tags: [y]}}]
        """;

    public static TheoryData<string> GeneratedFiles => [ConfigDocuments.SchemaPath, ConfigDocuments.ExamplePath, ConfigDocuments.KeyTablePath];

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void Generated_files_match_the_key_descriptions(string relativePath)
    {
        var generated = relativePath switch
        {
            ConfigDocuments.SchemaPath => ConfigDocuments.Schema(),
            ConfigDocuments.ExamplePath => ConfigDocuments.Example(),
            _ => ConfigDocuments.KeyTable(),
        };
        var path = Path.Combine(RepoRoot(), relativePath);
        if (Environment.GetEnvironmentVariable("IMMICH_AUTOTAG_WRITE_GENERATED") == "1")
        {
            File.WriteAllText(path, generated);
        }

        File.ReadAllText(path).ReplaceLineEndings("\n").Should().Be(
            generated, $"{relativePath} is generated from ConfigKeys; run scripts/generate-config-files.sh after changing a key");
    }

    [Fact]
    public void Every_key_lands_in_a_record_field_or_says_why_not()
    {
        foreach (var (path, _, key) in ConfigKeys.Walk())
        {
            (key.Get is null).Should().Be(key.NotStored is not null, $"{path} needs either a record property (Field) or a reason (NotStored)");
            key.Help.Should().NotBeNullOrWhiteSpace($"{path} needs help text");
        }
    }

    [Fact]
    public void Declared_defaults_are_the_defaults_a_loaded_config_has()
    {
        var checkedKeys = new List<string>();

        CheckDefaults(ConfigKeys.Root, Load(Minimal).Config!, "", itemsOnly: false, checkedKeys);
        CheckDefaults(ConfigKeys.Root, Load(OneOfEach).Config!, "", itemsOnly: true, checkedKeys);

        checkedKeys.Should().Contain(["skip.skip_n", "classification.autotag_unknown", "conversions.conversions[].mode", "album_permissions.selection_rules[].access", "full_pass_interval_hours"]);
        checkedKeys.Should().HaveCount(ConfigKeys.Walk().Count(k => k.Key.HasDefault && k.Key.Get is not null));
    }

    [Fact]
    public void The_reference_table_and_the_schema_show_each_list_default_as_it_is()
    {
        // A non-empty list default once rendered as "[]": a user believed booru.assets.clip_labels was empty.
        var table = ConfigDocuments.KeyTable().Split('\n');
        var defaults = new List<string>();
        void Collect(System.Text.Json.Nodes.JsonNode? node)
        {
            if (node is System.Text.Json.Nodes.JsonObject map)
            {
                foreach (var (name, child) in map)
                {
                    if (name == "default" && child is System.Text.Json.Nodes.JsonArray array)
                    {
                        defaults.Add(string.Join(",", array.Select(a => a!.GetValue<string>())));
                    }

                    Collect(child);
                }
            }
            else if (node is System.Text.Json.Nodes.JsonArray array)
            {
                foreach (var child in array)
                {
                    Collect(child);
                }
            }
        }

        Collect(System.Text.Json.Nodes.JsonNode.Parse(ConfigDocuments.Schema()));
        var lists = ConfigKeys.Walk().Where(k => k.Key.HasDefault && k.Key.Default is string[]).ToList();
        lists.Select(k => k.Path).Should().Contain(["booru.assets.clip_labels", "booru.assets.clip_exclude_labels", "booru.assets.media_types", "clip.assets.media_types"]);
        foreach (var (path, _, key) in lists)
        {
            var items = (string[])key.Default!;
            var row = table.Single(l => l.StartsWith($"| `{path}` |", StringComparison.Ordinal));
            row.Split(" | ")[2].Replace("\"", "", StringComparison.Ordinal).Should().Be($"`[{string.Join(", ", items)}]`", path);
            defaults.Should().Contain(string.Join(",", items), path);
        }

        table.Single(l => l.StartsWith("| `booru.assets.clip_labels` |", StringComparison.Ordinal)).Should().Contain("`[anime, cartoon, painting, \"3d_render\"]`");
        table.Single(l => l.StartsWith("| `booru.assets.clip_exclude_labels` |", StringComparison.Ordinal)).Should().Contain("`[photo]`");
    }

    [Fact]
    public void Every_stored_key_of_the_example_survives_the_dump()
    {
        var example = Load(File.ReadAllText(Path.Combine(RepoRoot(), ConfigDocuments.ExamplePath)));
        example.Errors.Should().BeEmpty();

        var dumped = Paths(ConfigWriter.ToRedactedYaml(example.Config!));
        var written = Paths(File.ReadAllText(Path.Combine(RepoRoot(), ConfigDocuments.ExamplePath)));
        var stored = ConfigKeys.Walk().Where(k => k.Key.Get is not null).Select(k => k.Path).ToHashSet();

        dumped.Should().BeSubsetOf(ConfigKeys.AllPaths());
        written.Intersect(stored).Should().BeSubsetOf(dumped);
        stored.Except(dumped).Should().OnlyContain(p => ConfigKeys.Walk().Single(k => k.Path == p).Key.DumpOmitsEmpty);
    }

    /// <summary>String keys whose value the loader checks (a time zone, a URL) and whose example is their default.</summary>
    private static readonly Dictionary<string, string> CheckedStrings = new(StringComparer.Ordinal)
    {
        ["duplicate_processing.date_correction.extraction_timezone"] = "Europe/Madrid",
        ["booru.danbooru_url"] = "https://testbooru.donmai.us",
    };

    /// <summary>Every stored scalar key outside lists and the server, with a value other than its default.</summary>
    public static TheoryData<string, string> ScalarKeysWithAnotherValue()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, _, key) in ConfigKeys.Walk().Where(k => k.Key.Get is not null && !k.Path.Contains("[]", StringComparison.Ordinal) && !k.Path.StartsWith("server", StringComparison.Ordinal)))
        {
            var value = key.Kind switch
            {
                KeyKind.Bool => key.Default is true ? "false" : "true",
                KeyKind.Int => ((key.Default as int? ?? 0) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                KeyKind.String when key.Choices is { } choices => choices.First(c => !Equals(c, key.Default)),
                KeyKind.String when key.Example is { } example && !Equals(example, key.Default) && !example.Contains("album/", StringComparison.Ordinal) => example,
                KeyKind.String when CheckedStrings.TryGetValue(path, out var valid) => valid,
                KeyKind.String => "x_" + key.Name,
                _ => null,
            };
            if (value is not null)
            {
                data.Add(path, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ScalarKeysWithAnotherValue))]
    public void A_value_written_for_a_key_reaches_its_record_field(string path, string value)
    {
        var parts = path.Split('.');
        var yaml = string.Join("\n", parts.Select((p, i) => new string(' ', 2 * i) + p + ":" + (i == parts.Length - 1 ? " " + value : "")));
        var result = Load("server: {url: 'http://h', api_key: k}\n" + yaml);
        result.Errors.Should().BeEmpty();

        object? record = result.Config!;
        BlockSpec block = ConfigKeys.Root;
        foreach (var part in parts)
        {
            var key = block.Find(part)!;
            record = key.Get!(record!);
            block = key.Child ?? block;
        }

        var written = new YamlStream();
        written.Load(new StringReader("v: " + value));
        var expected = ((YamlScalarNode)((YamlMappingNode)written.Documents[0].RootNode).Children[new YamlScalarNode("v")]).Value;
        (record switch { bool b => b ? "true" : "false", IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture), _ => record?.ToString() })
            .Should().Be(expected, $"{path} must land in its record field");
    }

    public static TheoryData<string, string, string> RangeAndChoiceKeys()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (path, _, key) in ConfigKeys.Walk().Where(k => !k.Path.Contains("[]", StringComparison.Ordinal)))
        {
            if (key.Minimum is { } min)
            {
                data.Add(path, (min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), key.Maximum is null ? "must not be negative" : "is out of range");
            }

            if (key.Maximum is { } max)
            {
                data.Add(path, (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "is out of range");
            }

            if (key.Choices is { } choices)
            {
                data.Add(path, choices[0] + "x", $"unknown {key.Name} '{choices[0]}x': expected");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RangeAndChoiceKeys))]
    public void The_loader_checks_the_declared_ranges_and_choices(string path, string value, string message)
    {
        var parts = path.Split('.');
        var yaml = string.Join("\n", parts.Select((p, i) => new string(' ', 2 * i) + p + ":" + (i == parts.Length - 1 ? " " + value : "")));
        var server = path.StartsWith("server.", StringComparison.Ordinal) ? "" : "server: {url: 'http://h', api_key: k}\n";

        var result = Load(server + yaml + (path.StartsWith("server.", StringComparison.Ordinal) ? "\n  host: h\n  api_key: k" : ""));

        result.Errors.Should().Contain(e => e.KeyPath == path && e.Message.Contains(message, StringComparison.Ordinal), string.Join("\n", result.Errors));
    }

    // Walks the descriptions alongside the records; only keys inside list items when itemsOnly (their lists are filled).
    private static void CheckDefaults(BlockSpec block, object record, string prefix, bool itemsOnly, List<string> checkedKeys)
    {
        foreach (var key in block.Keys.Where(k => k.Get is not null))
        {
            var path = prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}";
            var value = key.Get!(record);
            if (key.HasDefault && itemsOnly == path.Contains("[]", StringComparison.Ordinal))
            {
                checkedKeys.Add(path);
                if (key.Default is IEnumerable and not string)
                {
                    ((IEnumerable)value!).Cast<object>().Select(v => v.ToString()).Should().Equal(((IEnumerable)key.Default).Cast<object>().Select(v => v.ToString()), path);
                }
                else
                {
                    value.Should().Be(key.Default, path);
                }
            }

            if (key.Kind == KeyKind.Map && value is not null)
            {
                CheckDefaults(key.Child!, value, path, itemsOnly, checkedKeys);
            }
            else if (key.Kind == KeyKind.MapList && value is IEnumerable list)
            {
                foreach (var item in list.Cast<object>().Take(1))
                {
                    CheckDefaults(key.Child!, item, path + "[]", itemsOnly, checkedKeys);
                }
            }
        }
    }

    private static HashSet<string> Paths(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var paths = new HashSet<string>(StringComparer.Ordinal);
        Collect(stream.Documents[0].RootNode, "", paths);

        // Keys inside nested workflow conditions are the condition's keys.
        return paths.Select(ConfigKeys.DescriptorPath).ToHashSet(StringComparer.Ordinal);

        static void Collect(YamlNode node, string prefix, HashSet<string> paths)
        {
            if (node is YamlMappingNode map)
            {
                foreach (var (k, v) in map.Children)
                {
                    var path = prefix.Length == 0 ? ((YamlScalarNode)k).Value! : $"{prefix}.{((YamlScalarNode)k).Value}";
                    paths.Add(path);
                    Collect(v, path, paths);
                }
            }
            else if (node is YamlSequenceNode seq)
            {
                foreach (var item in seq.Children)
                {
                    Collect(item, prefix + "[]", paths);
                }
            }
        }
    }

    [Theory]
    [InlineData("clip.enabled")]
    [InlineData("booru.sources[].accept_percent")]
    [InlineData("corrections.enabled")]
    [InlineData("tag_album_sync.enabled")]
    public void A_key_inside_a_section_upstream_does_not_have_is_marked_ours(string path)
    {
        var row = ConfigDocuments.KeyTable().Split('\n').Single(l => l.StartsWith($"| `{path}` |", StringComparison.Ordinal));

        row.Split('|')[4].Trim().Should().Be("ours");
    }

    [Fact]
    public void An_upstream_key_stays_marked_upstream()
    {
        var row = ConfigDocuments.KeyTable().Split('\n').Single(l => l.StartsWith("| `duplicate_processing.date_correction.enabled` |", StringComparison.Ordinal));

        row.Split('|')[4].Trim().Should().Be("upstream");
    }
}
