using System.Text.RegularExpressions;

namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// A user-written regular expression as the config carries it: the text as written (Python <c>re</c> syntax) and
/// the .NET <see cref="System.Text.RegularExpressions.Regex"/> the config loader compiled from it, once. The engine
/// only matches with it; it never compiles a pattern itself.
/// </summary>
public sealed class CompiledPattern : IEquatable<CompiledPattern>
{
    /// <summary>
    /// The per-match bound of a pattern that needs the backtracking engine (look-arounds, backreferences, atomic
    /// groups). Generous on purpose: it is wall-clock time, so a starved machine must not trip it on an ordinary
    /// pattern. Patterns the linear-time engine supports run without a time-out.
    /// </summary>
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromSeconds(30);

    /// <param name="written">The pattern as written in the config.</param>
    /// <param name="source">The pattern after translation to .NET syntax, before any anchoring.</param>
    /// <param name="regex">The compiled regex built from <paramref name="source"/>.</param>
    public CompiledPattern(string written, string source, Regex regex)
    {
        ArgumentNullException.ThrowIfNull(written);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(regex);
        Written = written;
        Source = source;
        Regex = regex;
    }

    /// <summary>The pattern as written in the config (Python syntax); what dumps and reports show.</summary>
    public string Written { get; }

    /// <summary>The pattern translated to .NET syntax, before anchoring; what a time-out report names.</summary>
    public string Source { get; }

    /// <summary>The compiled regex (anchored when the pattern is matched at the start, like Python's <c>re.match</c>).</summary>
    public Regex Regex { get; }

    /// <summary>Whether the pattern runs on the linear-time engine, i.e. without a time-out.</summary>
    public bool IsLinearTime => (Regex.Options & RegexOptions.NonBacktracking) != 0;

    /// <summary>Whether <paramref name="input"/> matches.</summary>
    /// <exception cref="RegexMatchTimeoutException">A backtracking pattern ran out of its <see cref="System.Text.RegularExpressions.Regex.MatchTimeout"/>.</exception>
    public bool IsMatch(string input) => Regex.IsMatch(input);

    /// <summary>Whether <paramref name="input"/> (the whole span is the input) matches; no string is made of it.</summary>
    /// <exception cref="RegexMatchTimeoutException">A backtracking pattern ran out of its <see cref="System.Text.RegularExpressions.Regex.MatchTimeout"/>.</exception>
    public bool IsMatch(ReadOnlySpan<char> input) => Regex.IsMatch(input);

    /// <inheritdoc/>
    public bool Equals(CompiledPattern? other) =>
        other is not null
        && string.Equals(Written, other.Written, StringComparison.Ordinal)
        && string.Equals(Regex.ToString(), other.Regex.ToString(), StringComparison.Ordinal)
        && Regex.Options == other.Regex.Options
        && Regex.MatchTimeout == other.Regex.MatchTimeout;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as CompiledPattern);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Written, Regex.ToString(), Regex.Options);

    /// <inheritdoc/>
    public override string ToString() => Written;
}
