using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Add album member: one PUT /albums/{id}/assets per album and chunk.</summary>
internal sealed class AlbumAdditionApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct) => AddAsync(plan.AlbumAdditions, run, ct);

    /// <summary>Also used for the assets of a new album beyond the first chunk its creation took.</summary>
    public async Task AddAsync(IReadOnlyList<AlbumAddition> additions, ApplyRun run, CancellationToken ct)
    {
        foreach (var addition in additions)
        {
            foreach (var chunk in addition.AssetIds.Chunk(run.ChunkSize))
            {
                if (!run.MayWrite(ct))
                {
                    return;
                }

                try
                {
                    var results = await gateway.AddAssetsToAlbumAsync(addition.AlbumId, chunk, CancellationToken.None);

                    // "duplicate" means it is in the album already: the goal holds, nothing changed.
                    var failed = results.Where(r => !r.Success && !string.Equals(r.Error, "duplicate", StringComparison.Ordinal)).ToDictionary(r => r.Id);
                    var already = results.Where(r => !r.Success && string.Equals(r.Error, "duplicate", StringComparison.Ordinal)).Select(r => r.Id).ToHashSet();
                    foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id) && !already.Contains(id)))
                    {
                        run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.AddedToAlbum, run.Now)
                        {
                            AlbumId = addition.AlbumId,
                            AlbumName = addition.AlbumName,
                        });
                    }

                    if (failed.Count > 0)
                    {
                        var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                        run.Fail(EngineErrorKind.AddToAlbums, $"Immich did not add {failed.Count} assets to album '{addition.AlbumName}': {reasons}", failed.Keys.ToList(), []);
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.AddToAlbums, $"Adding to album '{addition.AlbumName}': {ex.Message}", chunk, []);
                    logger.LogError(ex, "Adding {Count} assets to album {Album} failed", chunk.Length, addition.AlbumName);
                }
            }
        }
    }
}
