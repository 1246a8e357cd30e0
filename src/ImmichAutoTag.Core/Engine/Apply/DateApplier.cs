using System.Globalization;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Set date: one PUT /assets per distinct new date (and chunk), since the API takes one dateTimeOriginal per call.</summary>
internal sealed class DateApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var group in plan.DateUpdates.GroupBy(u => u.NewValue, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(run.ChunkSize))
            {
                if (!run.MayWrite(ct))
                {
                    return;
                }

                var ids = chunk.Select(u => u.AssetId).ToList();
                try
                {
                    await gateway.UpdateAssetsAsync(new AssetBulkUpdate(ids) { DateTimeOriginal = group.Key }, CancellationToken.None);
                    foreach (var update in chunk)
                    {
                        run.Record(new AppliedChange(update.AssetId, run.FileName(update.AssetId), string.Empty, ChangeKind.DateUpdated, run.Now)
                        {
                            OldValue = update.OldDate.ToString("O", CultureInfo.InvariantCulture),
                            NewValue = update.NewValue,
                        });
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.UpdateDates, ex.Message, ids, []);
                    logger.LogError(ex, "Setting the date {Date} on {Count} assets failed", group.Key, ids.Count);
                }
            }
        }
    }
}
