using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Favourite flags and archiving: one PUT /assets per kind, value and chunk (<c>isFavorite</c> true/false,
/// <c>visibility</c> archive/timeline), since the API sets one value for every id of a call.
/// </summary>
internal sealed class AssetFlagApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var group in plan.Changes.Groups.FlagUpdates.GroupBy(u => (u.Kind, u.Value)))
        {
            foreach (var chunk in group.Chunk(run.ChunkSize))
            {
                if (!run.MayWrite(ct))
                {
                    return;
                }

                var ids = chunk.Select(u => u.AssetId).ToList();
                var favorite = group.Key.Kind == ChangeKind.FavoriteChanged;
                var update = favorite
                    ? new AssetBulkUpdate(ids) { IsFavorite = group.Key.Value }
                    : new AssetBulkUpdate(ids) { Visibility = group.Key.Value ? AssetVisibility.Archive : AssetVisibility.Timeline };
                try
                {
                    await gateway.UpdateAssetsAsync(update, CancellationToken.None);
                    foreach (var id in ids)
                    {
                        run.Record(new AppliedChange(id, run.FileName(id), string.Empty, group.Key.Kind, run.Now)
                        {
                            OldValue = favorite ? (!group.Key.Value ? "true" : "false") : (group.Key.Value ? "timeline" : "archive"),
                            NewValue = favorite ? (group.Key.Value ? "true" : "false") : (group.Key.Value ? "archive" : "timeline"),
                        });
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.UpdateAssets, ex.Message, ids, []);
                    logger.LogError(ex, "{What} on {Count} assets failed", favorite ? (group.Key.Value ? "Setting the favourite flag" : "Clearing the favourite flag") : group.Key.Value ? "Archiving" : "Bringing back to the timeline", ids.Count);
                }
            }
        }
    }
}
