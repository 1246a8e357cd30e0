using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Create album: one createAlbum per album with its first chunk of assets; the rest joins it like any addition.
/// createAlbum is not retried (a retry could make a second album).
/// </summary>
internal sealed class AlbumCreationApplier(IImmichGateway gateway, AlbumAdditionApplier additions, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        var rest = new List<AlbumAddition>();
        foreach (var creation in plan.AlbumsToCreate)
        {
            if (!run.MayWrite(ct))
            {
                return;
            }

            var first = creation.AssetIds.Take(run.ChunkSize).ToList();
            try
            {
                var album = await gateway.CreateAlbumAsync(creation.AlbumName, first, CancellationToken.None);
                run.CreatedAlbums[creation.AlbumName] = album.Id;
                run.Record(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumCreated, run.Now)
                {
                    AlbumId = album.Id,
                    AlbumName = album.Name,
                });
                foreach (var assetId in first)
                {
                    run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.AddedToAlbum, run.Now)
                    {
                        AlbumId = album.Id,
                        AlbumName = album.Name,
                    });
                }

                if (creation.AssetIds.Count > first.Count)
                {
                    rest.Add(new AlbumAddition(album.Id, album.Name, creation.AssetIds.Skip(first.Count).ToList()));
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.CreateAlbums, $"Creating album '{creation.AlbumName}': {ex.Message}", creation.AssetIds, []);
                logger.LogError(ex, "Creating album {Album} failed", creation.AlbumName);
            }
        }

        await additions.AddAsync(rest, run, ct);
    }
}
