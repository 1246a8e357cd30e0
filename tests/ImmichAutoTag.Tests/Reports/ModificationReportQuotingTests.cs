using ImmichAutoTag.Infrastructure.Reports;

namespace ImmichAutoTag.Tests.Reports;

/// <summary>
/// The modification report writes messages inside upstream's <c>extra={...}</c> dict the way Python's <c>repr</c>
/// writes a string, so an apostrophe survives instead of turning into a double quote.
/// </summary>
public sealed class ModificationReportQuotingTests
{
    [Theory]
    [InlineData("plain text", "'plain text'")]
    [InlineData("each tag's leaf name", "\"each tag's leaf name\"")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("it's \"both\"", "'it\\'s \"both\"'")]
    [InlineData("C:\\path", "'C:\\\\path'")]
    [InlineData("line\nbreak\ttab\r", "'line\\nbreak\\ttab\\r'")]
    [InlineData("bell\u0007", "'bell\\x07'")]
    public void A_message_is_quoted_as_python_repr_quotes_a_string(string message, string expected) =>
        ReportWriter.PythonString(message).Should().Be(expected);

    [Theory]
    [InlineData("IMG_0001.jpg", "IMG_0001.jpg")]
    [InlineData("new\nline\ttab.jpg", "new\\nline\\ttab.jpg")]
    [InlineData("weird | name.jpg", "weird \\| name.jpg")]
    [InlineData("back\\slash\r.jpg", "back\\\\slash\\r.jpg")]
    [InlineData("", "")]
    public void A_name_stays_one_field_of_one_line(string name, string expected) =>
        ReportWriter.Field(name).Should().Be(expected);

    [Fact]
    public void No_escaped_name_holds_a_control_character_or_a_bare_separator()
    {
        var names = Enumerable.Range(0, 0x80).Select(c => $"a{(char)c}|b\\{(char)c}");
        foreach (var name in names)
        {
            var field = ReportWriter.Field(name);
            field.Any(char.IsControl).Should().BeFalse(because: $"'{field}' comes from char {(int)name[1]}");
            field.Replace("\\\\", string.Empty, StringComparison.Ordinal).Replace("\\|", string.Empty, StringComparison.Ordinal)
                .Should().NotContain("|");
        }
    }
}
