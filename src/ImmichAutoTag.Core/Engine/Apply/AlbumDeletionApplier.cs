using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Delete album: one DELETE /albums/{id} per album (only the tool's own temporary albums are planned).</summary>
internal sealed class AlbumDeletionApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var deletion in plan.AlbumDeletions)
        {
            if (!run.MayWrite(ct))
            {
                return;
            }

            try
            {
                await gateway.DeleteAlbumAsync(deletion.AlbumId, CancellationToken.None);
                foreach (var assetId in deletion.AssetIds)
                {
                    run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.RemovedFromAlbum, run.Now)
                    {
                        AlbumId = deletion.AlbumId,
                        AlbumName = deletion.AlbumName,
                    });
                }

                run.Record(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumDeleted, run.Now)
                {
                    AlbumId = deletion.AlbumId,
                    AlbumName = deletion.AlbumName,
                });
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.DeleteAlbums, $"Deleting album '{deletion.AlbumName}': {ex.Message}", [], []);
                logger.LogError(ex, "Deleting album {Album} failed", deletion.AlbumName);
            }
        }
    }
}
