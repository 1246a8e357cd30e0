using System.Globalization;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Dates;

namespace ImmichAutoTag.Tests.Dates;

/// <summary>
/// The parser over <c>Data/real-world-names.tsv</c>: file and folder names as libraries hold them, each with the
/// date its naming scheme encodes (worked out from the scheme, not from the parser) or "no date".
/// </summary>
public sealed class RealWorldNamesTests
{
    // A run in 2026 accepts names up to next year.
    private const int MaxYear = 2027;

    private static readonly string TablePath = Path.Combine(AppContext.BaseDirectory, "Dates", "Data", "real-world-names.tsv");

    /// <summary>One row of the table.</summary>
    public sealed record Row(string Name, string Kind, string Source, string Expected);

    public static IReadOnlyList<Row> Rows { get; } = File.ReadAllLines(TablePath)
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.Split('\t'))
        .Select(c => new Row(Regex.Unescape(c[0]), c[1], c[2], c[3]))
        .ToList();

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var row in Rows)
        {
            data.Add(row.Name, row.Kind, row.Expected);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_name_yields_the_date_its_scheme_encodes(string name, string kind, string expected)
    {
        var date = FileNameDates.Parse(name, MaxYear);

        Describe(date).Should().Be(expected, $"'{name}' is a {kind} name");
    }

    [Fact]
    public void The_table_holds_at_least_80_names_of_every_kind_the_issue_lists()
    {
        Rows.Should().HaveCountGreaterThanOrEqualTo(80);
        Rows.Select(r => r.Name).Should().OnlyHaveUniqueItems();
        Rows.Select(r => r.Kind).Distinct().Should().Contain(["camera", "phone", "messaging", "screenshot", "scanner", "cloud-export", "burst", "edited", "date-only", "folder"]);
        Rows.Count(r => r.Expected == "no date").Should().BeGreaterThanOrEqualTo(20);
        Rows.Should().Contain(r => r.Name.Contains('\u202F', StringComparison.Ordinal), "macOS writes U+202F before AM/PM");
        Rows.Where(r => r.Kind == "screenshot").Select(r => r.Source)
            .Should().Contain(s => s.StartsWith("Android", StringComparison.Ordinal))
            .And.Contain(s => s.StartsWith("macOS", StringComparison.Ordinal))
            .And.Contain(s => s.StartsWith("Windows", StringComparison.Ordinal))
            .And.Contain(s => s.StartsWith("iOS", StringComparison.Ordinal));
    }

    /// <summary>The parse result in the table's notation.</summary>
    private static string Describe(NameDate? date) => date switch
    {
        null => "no date",
        { Precision: DatePrecision.Day } => date.WallClock.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        { IsUtc: true } => date.WallClock.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        _ => date.WallClock.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
    };
}
