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
    public void A_message_is_quoted_as_python_repr_quotes_a_string(string message, string expected) =>
        ReportWriter.PythonString(message).Should().Be(expected);
}
