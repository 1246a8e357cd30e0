using ImmichAutoTag.Infrastructure.Reports;

namespace ImmichAutoTag.Tests.Reports;

/// <summary>What <c>undo</c> says about a damaged <c>changes.jsonl</c>: the file, the line and the field, in the file's terms.</summary>
public sealed class ChangeLogReadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("changelog-read-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("""{"time":"2026-01-01T00:00:00Z","kind":"added","asset_id":"not-a-guid","tag":"x"}""", "'asset_id' has a value of the wrong kind")]
    [InlineData("""{"time": """, "not valid JSON")]
    public void A_bad_line_is_named_by_file_line_and_field_without_dotnet_type_names(string bad, string expected)
    {
        var file = Path.Combine(_folder, "changes.jsonl");
        File.WriteAllLines(file, ["", bad]);

        var read = () => ChangeLog.Read(file);

        var error = read.Should().Throw<ChangeLogException>().Which;
        error.Message.Should().StartWith($"{file}:2: not a change record: ").And.Contain(expected);
        error.Message.Should().NotContain("System.").And.NotContain("LineNumber");
    }
}
