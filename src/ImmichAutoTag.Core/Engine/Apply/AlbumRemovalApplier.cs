using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Remove album member: one DELETE /albums/{id}/assets per album and chunk. Only the tool's temporary albums and
/// albums tag → album sync owns ever lose assets (the planners guarantee it).
/// </summary>
internal sealed class AlbumRemovalApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var removal in plan.AlbumRemovals)
        {
            foreach (var chunk in removal.AssetIds.Chunk(run.ChunkSize))
            {
                if (!run.MayWrite(ct))
                {
                    return;
                }

                try
                {
                    var results = await gateway.RemoveAssetsFromAlbumAsync(removal.AlbumId, chunk, CancellationToken.None);

                    // "not_found" means it is out already: the goal holds, nothing changed.
                    var failed = results.Where(r => !r.Success && !string.Equals(r.Error, "not_found", StringComparison.Ordinal)).ToDictionary(r => r.Id);
                    var gone = results.Where(r => !r.Success && string.Equals(r.Error, "not_found", StringComparison.Ordinal)).Select(r => r.Id).ToHashSet();
                    foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id) && !gone.Contains(id)))
                    {
                        run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.RemovedFromAlbum, run.Now)
                        {
                            AlbumId = removal.AlbumId,
                            AlbumName = removal.AlbumName,
                        });
                    }

                    if (failed.Count > 0)
                    {
                        var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                        run.Fail(EngineErrorKind.RemoveFromAlbums, $"Immich did not remove {failed.Count} assets from album '{removal.AlbumName}': {reasons}", failed.Keys.ToList(), []);
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.RemoveFromAlbums, $"Removing from album '{removal.AlbumName}': {ex.Message}", chunk, []);
                    logger.LogError(ex, "Removing {Count} assets from album {Album} failed", chunk.Length, removal.AlbumName);
                }
            }
        }
    }
}
