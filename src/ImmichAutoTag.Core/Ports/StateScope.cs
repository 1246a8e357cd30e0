using System.Globalization;

namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// The key under which the state stores (corrections, tag ownership, "does not stick" records, incremental state,
/// booru queue, pending date writes) keep one Immich user's rows.
/// </summary>
/// <remarks>
/// The key is the user's id (Immich's <c>UserResponseDto.id</c>, a UUID the server generates), not the server URL:
/// the same server reached through a reverse proxy, over https or by IP address instead of host name is the same
/// library, and its state must carry over. Immich 3.1 offers no server identity a plain API key can read
/// (<c>/server/about</c> and <c>/server/config</c> carry versions and settings only), and a generated UUID does not
/// repeat across servers in practice, so the user id alone tells the libraries apart. Older state files keyed rows by
/// <c>"&lt;server url&gt; &lt;user id&gt;"</c>; the state database rewrites them to this key when it is first opened.
/// </remarks>
public static class StateScope
{
    /// <summary>The scope of <paramref name="userId"/>'s rows: the id in its 36-character "D" form.</summary>
    public static string Of(Guid userId) => userId.ToString("D", CultureInfo.InvariantCulture);
}
