using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Remove tag: one DELETE /tags/{id}/assets per tag and chunk.</summary>
internal sealed class TagRemovalApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var (tagId, chunk) in Chunks(plan, run.ChunkSize))
        {
            if (!run.MayWrite(ct))
            {
                break;
            }

            var path = plan.TagPaths.TryGetValue(tagId, out var p) ? p : tagId.ToString();
            try
            {
                var results = await gateway.UntagAssetsAsync(tagId, chunk, CancellationToken.None);
                var failed = results.Where(r => !r.Success).ToDictionary(r => r.Id);
                foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id)))
                {
                    run.Record(assetId, path, ChangeKind.Removed);
                }

                if (failed.Count > 0)
                {
                    var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                    run.Fail(EngineErrorKind.RemoveTags, $"Immich did not remove '{path}' from {failed.Count} assets: {reasons}", failed.Keys.ToList(), [path]);
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.RemoveTags, ex.Message, chunk, [path]);
                logger.LogError(ex, "Removing {Tag} from {Count} assets failed", path, chunk.Length);
            }

            run.TagCallDone();
        }
    }

    /// <summary>The calls this kind will send, so the progress total can count them before the first tag call.</summary>
    public static List<(Guid TagId, Guid[] Assets)> Chunks(TagPlan plan, int chunkSize) =>
        plan.Removals.SelectMany(kv => kv.Value.Chunk(chunkSize).Select(chunk => (TagId: kv.Key, Assets: chunk))).ToList();
}
