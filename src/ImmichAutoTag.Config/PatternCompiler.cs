using System.Text.RegularExpressions;
using ImmichAutoTag.Config.Internal;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Config;

/// <summary>
/// The one place a user-written pattern becomes a <see cref="Regex"/>: Python's <c>re</c> dialect is translated to
/// .NET (code points, Python's classes and syntax) and compiled once; the config records carry the result.
/// </summary>
public static class PatternCompiler
{
    /// <summary>
    /// An album-name pattern, anchored at the start only (Python's <c>re.match</c>, which upstream uses, does not
    /// anchor the end). A pattern the linear-time engine (<see cref="RegexOptions.NonBacktracking"/>) supports runs on
    /// it without a time-out, so no load on the machine can make it fail; only one with look-arounds, backreferences
    /// or atomic groups runs on the backtracking engine, bounded by <paramref name="timeout"/> per match
    /// (default <see cref="CompiledPattern.DefaultMatchTimeout"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Python (or the translation) refuses the pattern; the message says why.</exception>
    public static CompiledPattern AlbumName(string pattern, TimeSpan? timeout = null) =>
        TryAlbumName(pattern, timeout ?? CompiledPattern.DefaultMatchTimeout, out var error) ?? throw new ArgumentException(error, nameof(pattern));

    /// <summary>
    /// A folder-path pattern, searched anywhere in the path and case-insensitive; on the linear-time engine where it
    /// supports the pattern, else bounded by <paramref name="timeout"/> per match (default <see cref="CompiledPattern.DefaultMatchTimeout"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Python (or the translation) refuses the pattern; the message says why.</exception>
    public static CompiledPattern PathSearch(string pattern, TimeSpan? timeout = null) =>
        TryPathSearch(pattern, timeout ?? CompiledPattern.DefaultMatchTimeout, out var error) ?? throw new ArgumentException(error, nameof(pattern));

    internal static CompiledPattern? TryAlbumName(string pattern, TimeSpan timeout, out string? error)
    {
        var source = PythonRegex.Translate(pattern, out error);
        if (source is null)
        {
            return null;
        }

        var anchored = @"\A(?:" + source + ")";
        try
        {
            try
            {
                return new CompiledPattern(pattern, source, new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout));
            }
            catch (NotSupportedException)
            {
                return new CompiledPattern(pattern, source, new Regex(anchored, RegexOptions.CultureInvariant, timeout));
            }
        }
        catch (ArgumentException ex)
        {
            // Validate first: its message names the pattern as translated, without the anchoring added here.
            error = PythonRegex.Validate(source, RegexOptions.CultureInvariant) ?? ex.Message;
            return null;
        }
    }

    internal static CompiledPattern? TryPathSearch(string pattern, TimeSpan timeout, out string? error)
    {
        var source = PythonRegex.Translate(pattern, out error);
        if (source is null)
        {
            return null;
        }

        try
        {
            // Like album names: the linear-time engine where it can (a nested quantifier such as '^(a+)+$' on a long
            // file name cannot run away), the backtracking one bounded by the time-out only where it must.
            try
            {
                return new CompiledPattern(pattern, source, new Regex(source, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout));
            }
            catch (NotSupportedException)
            {
                return new CompiledPattern(pattern, source, new Regex(source, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, timeout));
            }
        }
        catch (ArgumentException ex)
        {
            error = ex.Message;
            return null;
        }
    }
}
