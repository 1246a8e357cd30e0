using System.Collections.Concurrent;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>
/// Fetches the thumbnails report.html shows (Immich's smallest size, <c>GET /assets/{id}/thumbnail?size=thumbnail</c>,
/// permission asset.view) and turns them into <c>data:</c> URIs. Only shown assets are fetched; an asset whose
/// thumbnail fails is shown by name, and the run goes on. Thumbnails an earlier run fetched come from the state
/// folder's cache instead (see <see cref="CacheLifetime"/>).
/// </summary>
internal static class Thumbnails
{
    /// <summary>Requests in flight at once: a handful, so a run's reports never crowd the server.</summary>
    public const int Parallelism = 4;

    /// <summary>How long a cached thumbnail is used before it is fetched again (an edit in Immich changes it).</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);

    /// <summary>What <see cref="FetchAsync"/> got.</summary>
    /// <param name="Uris">Asset id → data URI, for the thumbnails that came back as a known image type.</param>
    /// <param name="Fetched">Thumbnails requested from the server (the rest came from the cache).</param>
    /// <param name="Failed">Requests that failed or returned something other than an image.</param>
    public sealed record Outcome(IReadOnlyDictionary<Guid, string> Uris, int Fetched, int Failed);

    /// <summary>Thumbnails of <paramref name="assetIds"/>: from <paramref name="cache"/> when it has them, else from the server.</summary>
    public static async Task<Outcome> FetchAsync(IImmichGateway gateway, IReadOnlyCollection<Guid> assetIds, IThumbnailCache? cache, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(assetIds);
        IReadOnlyDictionary<Guid, byte[]> cached = new Dictionary<Guid, byte[]>();
        if (cache is not null)
        {
            try
            {
                cached = await cache.GetAsync(assetIds, now - CacheLifetime, ct).ConfigureAwait(false);
            }
            catch (System.Data.Common.DbException)
            {
                // An unreadable cache only costs the requests it would have saved.
            }
        }

        var fresh = new ConcurrentDictionary<Guid, byte[]>();
        var missing = assetIds.Where(id => !cached.ContainsKey(id)).ToList();
        var failed = 0;

        // A server that does not answer fails every request only after its retries: one such answer ends the
        // fetching, so a report written after the server went away costs no more than the requests in flight.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var unreachable = false;
        try
        {
            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = gone.Token }, async (id, token) =>
            {
                await FetchOneAsync(id, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (unreachable && !ct.IsCancellationRequested)
        {
            failed = missing.Count - fresh.Count;
        }

        async Task FetchOneAsync(Guid id, CancellationToken token)
        {
            try
            {
                var bytes = await gateway.GetThumbnailAsync(id, "thumbnail", token).ConfigureAwait(false);
                if (DataUri(bytes) is not null)
                {
                    fresh[id] = bytes;
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (ImmichUnreachableException)
            {
                Interlocked.Increment(ref failed);
                unreachable = true;
                await gone.CancelAsync().ConfigureAwait(false);
            }
            catch (ImmichException)
            {
                Interlocked.Increment(ref failed);
            }
        }

        if (cache is not null)
        {
            try
            {
                await cache.StoreAsync(fresh, assetIds, now, ct).ConfigureAwait(false);
            }
            catch (System.Data.Common.DbException)
            {
                // The next run fetches them again.
            }
        }

        var uris = new Dictionary<Guid, string>();
        foreach (var (id, bytes) in cached.Concat(fresh))
        {
            if (DataUri(bytes) is { } uri)
            {
                uris[id] = uri;
            }
        }

        return new Outcome(uris, missing.Count, failed);
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
