using System.Collections.Concurrent;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Cli.Output.Html;

/// <summary>
/// Fetches the thumbnails report.html shows (Immich's smallest size, <c>GET /assets/{id}/thumbnail?size=thumbnail</c>,
/// permission asset.view) and turns them into <c>data:</c> URIs. Only shown assets are fetched; an asset whose
/// thumbnail fails is shown by name, and the run goes on.
/// </summary>
internal static class Thumbnails
{
    /// <summary>Requests in flight at once: a handful, so a run's reports never crowd the server.</summary>
    public const int Parallelism = 4;

    /// <returns>Asset id → data URI, for the thumbnails that came back as a known image type; and how many failed.</returns>
    public static async Task<(IReadOnlyDictionary<Guid, string> Uris, int Failed)> FetchAsync(IImmichGateway gateway, IReadOnlyCollection<Guid> assetIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(assetIds);
        var uris = new ConcurrentDictionary<Guid, string>();
        var failed = 0;
        await Parallel.ForEachAsync(assetIds, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (id, token) =>
        {
            try
            {
                var bytes = await gateway.GetThumbnailAsync(id, "thumbnail", token).ConfigureAwait(false);
                if (DataUri(bytes) is { } uri)
                {
                    uris[id] = uri;
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (ImmichException)
            {
                Interlocked.Increment(ref failed);
            }
        }).ConfigureAwait(false);
        return (uris, failed);
    }

    /// <summary>
    /// A data URI for image bytes, typed by their signature (Immich serves WebP or JPEG thumbnails, as configured);
    /// null for anything else, so no unknown content lands in the page.
    /// </summary>
    public static string? DataUri(ReadOnlySpan<byte> bytes)
    {
        var type = bytes switch
        {
            [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
            _ => null,
        };
        return type is null ? null : $"data:{type};base64,{Convert.ToBase64String(bytes)}";
    }
}
