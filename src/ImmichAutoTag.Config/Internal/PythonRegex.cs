using System.Text;
using System.Text.RegularExpressions;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Upstream patterns are Python <c>re</c> syntax. The dialects mostly agree; this rewrites the constructs
/// that .NET spells differently, leaving escapes and character classes untouched.
/// </summary>
internal static class PythonRegex
{
    /// <summary>Bounds catastrophic backtracking in user-written patterns.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public static string ToDotNet(string pattern)
    {
        var sb = new StringBuilder(pattern.Length);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[i + 1];
                // Python's \Z is "end of string" which .NET calls \z (.NET's \Z also allows a final newline).
                sb.Append('\\').Append(!inClass && next == 'Z' ? 'z' : next);
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == ']')
                {
                    inClass = false;
                }

                sb.Append(c);
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                sb.Append(c);
                // A ']' right after '[' or '[^' is a literal member, not the end of the class.
                if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                {
                    sb.Append('^');
                    i++;
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    sb.Append(']');
                    i++;
                }

                continue;
            }

            if (c == '(' && string.CompareOrdinal(pattern, i, "(?P<", 0, 4) == 0)
            {
                sb.Append("(?<");
                i += 3;
                continue;
            }

            if (c == '(' && string.CompareOrdinal(pattern, i, "(?P=", 0, 4) == 0)
            {
                var close = pattern.IndexOf(')', i + 4);
                if (close > i + 4)
                {
                    sb.Append("\\k<").Append(pattern, i + 4, close - i - 4).Append('>');
                    i = close;
                    continue;
                }
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Translates and compiles; returns the error text when the pattern is invalid.</summary>
    public static string? Validate(string dotNetPattern, RegexOptions options)
    {
        try
        {
            _ = new Regex(dotNetPattern, options, MatchTimeout);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
