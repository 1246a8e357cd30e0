namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// Makes a server URL safe to show: a password or token can ride in a URL's user-info
/// (<c>https://user:secret@host</c>, for a reverse proxy's basic auth) or in its query (<c>?apiKey=…</c>). Every URL
/// that reaches a log, a message, a report, a dump or a state file goes through <see cref="Redact"/>.
/// </summary>
public static class UrlRedaction
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
}
