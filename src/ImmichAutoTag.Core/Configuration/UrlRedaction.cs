using System.Text.RegularExpressions;

namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// Makes a server URL safe to show: a password or token can ride in a URL's user-info
/// (<c>https://user:secret@host</c>, for a reverse proxy's basic auth) or in its query (<c>?apiKey=…</c>). Every URL
/// that reaches a log, a message, a report, a dump or a state file goes through <see cref="Redact"/>.
/// </summary>
public static partial class UrlRedaction
{
    /// <summary>
    /// The URL without user-info, query and fragment (none of them is needed to reach Immich's API, which lives at
    /// the URL's path + "api/"). A URL that carries none of them is returned as it is.
    /// </summary>
    public static Uri Redact(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.UserInfo.Length == 0 && url.Query.Length == 0 && url.Fragment.Length == 0))
        {
            return url;
        }

        return new UriBuilder(url) { UserName = string.Empty, Password = string.Empty, Query = string.Empty, Fragment = string.Empty }.Uri;
    }

    /// <summary>
    /// The text of a URL that may not parse (a config error quotes what the user wrote), with user-info, query and
    /// fragment replaced by <c>***</c>: <c>https://me:pw@host/?k=v</c> becomes <c>https://***@host/?***</c>.
    /// </summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withoutUser = UserInfo().Replace(text, "://***@");
        return QueryOrFragment().Replace(withoutUser, m => m.Value[0] + "***");
    }

    [GeneratedRegex(@"://[^/?#@\s]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"[?#].*", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex QueryOrFragment();
}
