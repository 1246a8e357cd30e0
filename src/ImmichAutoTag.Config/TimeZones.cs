using ImmichAutoTag.Config.Internal;

namespace ImmichAutoTag.Config;

/// <summary>
/// Time zone names as the config (<c>extraction_timezone</c>) and the environment (<c>TZ</c>, which sets the daemon's
/// schedule and the run folders' names) give them: IANA ids the system's time zone database knows (tzdata).
/// </summary>
public static class TimeZones
{
    /// <summary>
    /// Why <paramref name="id"/> names no time zone of this system, with the closest known id as a hint; null when it
    /// does.
    /// </summary>
    /// <param name="id">The name as written.</param>
    /// <param name="fromEnvironment">A <c>TZ</c> value: it may also start with ':' (POSIX's "read from the zone database") or be a zone file's path.</param>
    public static string? Problem(string? id, bool fromEnvironment = false)
    {
        var name = (id ?? string.Empty).Trim();
        name = fromEnvironment ? name.TrimStart(':') : name;
        if (name.Length > 0 && (TimeZoneInfo.TryFindSystemTimeZoneById(name, out _) || (fromEnvironment && Path.IsPathRooted(name) && File.Exists(name))))
        {
            return null;
        }

        string[] known;
        try
        {
            known = [.. TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidTimeZoneException)
        {
            known = [];
        }

        return $"unknown time zone '{id}': expected an IANA id such as UTC or Europe/Madrid{Suggest.Hint(name, known)}";
    }
}
