using System.Globalization;
using System.Text;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Names (file, album, tag, rule) as one field of a line-per-change text: a run's plan.txt and modification report, an
/// undo's plan.txt and console lines. Immich allows <c>|</c>, tabs and line breaks in <c>originalFileName</c>, album
/// and tag names, which would split a change over two lines or shift its fields.
/// </summary>
public static class ReportText
{
    /// <summary>
    /// <paramref name="name"/> with <c>|</c> written as <c>\|</c>, a backslash as <c>\\</c> and control characters as
    /// <c>\t</c>, <c>\n</c>, <c>\r</c> or <c>\xNN</c> (Python's <c>repr</c> forms); any other name as it is. Null gives "".
    /// </summary>
    public static string Field(string? name)
    {
        if (string.IsNullOrEmpty(name) || !name.Any(ch => ch is '|' or '\\' || char.IsControl(ch)))
        {
            return name ?? string.Empty;
        }

        var sb = new StringBuilder(name.Length + 8);
        foreach (var ch in name)
        {
            if (ch is '|' or '\\')
            {
                sb.Append('\\').Append(ch);
            }
            else if (!AppendControl(sb, ch))
            {
                sb.Append(ch);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> for a console line: control characters as in <see cref="Field"/> (a line break in a name
    /// must not split the line), everything else, <c>|</c> and backslashes included, as it is: a console sentence has no
    /// fields to keep apart. Null gives "".
    /// </summary>
    public static string Sentence(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(char.IsControl))
        {
            return text ?? string.Empty;
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (var ch in text)
        {
            if (!AppendControl(sb, ch))
            {
                sb.Append(ch);
            }
        }

        return sb.ToString();
    }

    /// <summary>Appends a control character as Python's <c>repr</c> writes it; false (nothing appended) for any other character.</summary>
    public static bool AppendControl(StringBuilder sb, char ch)
    {
        ArgumentNullException.ThrowIfNull(sb);
        switch (ch)
        {
            case '\n':
                sb.Append("\\n");
                return true;
            case '\r':
                sb.Append("\\r");
                return true;
            case '\t':
                sb.Append("\\t");
                return true;
            default:
                if (!char.IsControl(ch))
                {
                    return false;
                }

                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)ch:x2}");
                return true;
        }
    }
}
