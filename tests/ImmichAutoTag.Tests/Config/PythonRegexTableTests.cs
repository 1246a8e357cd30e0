using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImmichAutoTag.Config;
using ImmichAutoTag.Config.Internal;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Tests.Config;

/// <summary>
/// Album name patterns must behave as Python's <c>re.match</c> on code points. The expectations are
/// <c>Data/python-regex-table.jsonl</c>, written by Python itself (<c>Data/generate_python_regex_table.py</c>);
/// each row runs through the same translation and compilation a config pattern gets.
/// </summary>
public sealed class PythonRegexTableTests
{
    public sealed record Row(string Pattern, string Name, string Python)
    {
        public override string ToString() => $"{JsonSerializer.Serialize(Pattern)} × {JsonSerializer.Serialize(Name)} → {Python}";
    }

    public static TheoryData<Row> Rows()
    {
        var data = new TheoryData<Row>();
        foreach (var row in LoadRows())
        {
            data.Add(row);
        }

        return data;
    }

    private static List<Row> LoadRows()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("python-regex-table.jsonl")
            ?? throw new InvalidOperationException("python-regex-table.jsonl is not embedded");
        using var reader = new StreamReader(stream);
        var rows = new List<Row>();
        var first = true;
        while (reader.ReadLine() is { } line)
        {
            if (first)
            {
                first = false; // provenance header: generator and Python version
                continue;
            }

            var e = JsonDocument.Parse(line).RootElement;
            rows.Add(new Row(e.GetProperty("pattern").GetString()!, e.GetProperty("name").GetString()!, e.GetProperty("python").GetString()!));
        }

        return rows;
    }

    [Fact]
    public void The_table_has_enough_rows_of_every_kind()
    {
        var rows = LoadRows();
        rows.Should().HaveCountGreaterThanOrEqualTo(60);
        rows.Select(r => r.Python).Distinct().Should().BeEquivalentTo("match", "no match", "error");
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Translated_pattern_agrees_with_python_re_match(Row row)
    {
        var translated = PythonRegex.Translate(row.Pattern, out var error);
        if (translated is not null)
        {
            error = PythonRegex.Validate(translated, RegexOptions.CultureInvariant);
        }

        if (row.Python == "error")
        {
            error.Should().NotBeNull($"Python refuses {row.Pattern}; translated to {translated}");
            return;
        }

        error.Should().BeNull($"Python accepts {row.Pattern}");
        var compiled = PatternCompiler.AlbumName(row.Pattern, TimeSpan.FromSeconds(5));
        compiled.IsMatch(row.Name).Should().Be(row.Python == "match", $"translated to {translated}");
    }

    /// <summary>Python accepts these, but no faithful .NET translation exists: the config error says so instead of matching differently.</summary>
    [Theory]
    [InlineData(@"^\N{SNOWMAN}", "not supported")]
    [InlineData("(?a)(?i)^x", "(?a) together with (?i)")]
    [InlineData("(?a)^(?i:x)", "(?a) together with (?i)")]
    public void Python_features_without_a_faithful_translation_are_config_errors(string pattern, string message)
    {
        PythonRegex.Translate(pattern, out var error).Should().BeNull();
        error.Should().Contain(message);
    }

    [Fact]
    public void An_emoji_class_rule_does_not_classify_an_album_of_another_emoji()
    {
        // The issue's input: '^[🎄🎅]' classified "🌴 Beach 2019" because 🌴 shares its high surrogate with 🎄.
        var result = ConfigTestHelpers.Load(ConfigTestHelpers.Minimal + """

            classification:
              rules:
                - album_name_patterns: ['^[🎄🎅]']
            """);
        result.Errors.Should().BeEmpty();
        var classifier = RuleClassifier.Compile(result.Config!.Classification.Rules);

        classifier.Classify(new AssetFacts(Guid.NewGuid(), [], ["🌴 Beach 2019"])).Status.Should().Be(ClassificationStatus.Unclassified);
        classifier.Classify(new AssetFacts(Guid.NewGuid(), [], ["🎄 Christmas 2019"])).Status.Should().Be(ClassificationStatus.Classified);
    }

    [Fact]
    public void A_python_only_escape_is_a_config_error_with_file_line_and_column()
    {
        var result = ConfigTestHelpers.Load(ConfigTestHelpers.Minimal + """

            classification:
              rules:
                - album_name_patterns: ['^\p{L}']
            """);

        result.Config.Should().BeNull();
        result.Errors.Should().ContainSingle().Which.ToString().Should().MatchRegex(@":\d+:\d+: classification\.rules\[0\]\.album_name_patterns\[0\]: invalid regex '\^\\p\{L\}': bad escape \\p at position 1");
    }
}
