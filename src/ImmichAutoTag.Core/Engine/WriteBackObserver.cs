using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Waits for Immich's sidecar write-back by watching the assets a write touched, for keys that may not read the
/// queues (Immich serves them to admins only). The write-back job bumps each touched asset's <c>updatedAt</c>
/// (AssetResponseDto.updatedAt) when it lands; the tag call itself does not. One search of assets updated since
/// the write (<c>updatedAfter</c>, paged) per poll finds them; an asset it does not return has not landed yet.
/// Settled means every touched asset's <c>updatedAt</c> moved past what it was before the write and two
/// consecutive reads agree. The bound is counted in the waits it asked for, on the run's clock, so a clock that
/// does not move (or jumps) can neither hang nor shorten it.
/// </summary>
public sealed class WriteBackObserver(IImmichGateway gateway, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Polls until the write-back of <paramref name="baselines"/> (asset id → its <c>updatedAt</c> before the
    /// write) has landed, or <paramref name="maxWait"/> of polling delays has passed.
    /// </summary>
    /// <param name="baselines">Touched assets and the <c>updatedAt</c> each had before the write.</param>
    /// <param name="writtenAt">When the write was sent (run clock); the search looks from a minute before it.</param>
    /// <param name="maxWait">Upper bound on the summed polling delays.</param>
    /// <returns>Each touched asset's last <c>updatedAt</c> read (the baseline for one not seen), and whether all settled.</returns>
    public async Task<(IReadOnlyDictionary<Guid, DateTimeOffset> Seen, bool Settled)> WaitAsync(
        IReadOnlyDictionary<Guid, DateTimeOffset> baselines,
        DateTimeOffset writtenAt,
        TimeSpan maxWait,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        var seen = new Dictionary<Guid, DateTimeOffset>(baselines);
        if (baselines.Count == 0)
        {
            return (seen, true);
        }

        var since = writtenAt - IncrementalCheck.ClockSkewMargin;
        Dictionary<Guid, DateTimeOffset>? previous = null;
        var waited = TimeSpan.Zero;
        var poll = FirstPoll;
        while (true)
        {
            await Task.Delay(poll, time, ct);
            waited += poll;
            var current = await ReadAsync(baselines.Keys, since, ct);
            foreach (var (id, updatedAt) in current)
            {
                seen[id] = updatedAt;
            }

            var moved = baselines.Count(kv => current.TryGetValue(kv.Key, out var at) && at > kv.Value);
            var agrees = previous is not null && previous.Count == current.Count && current.All(kv => previous.TryGetValue(kv.Key, out var at) && at == kv.Value);
            if (moved == baselines.Count && agrees)
            {
                return (seen, true);
            }

            if (waited >= maxWait)
            {
                logger.LogWarning(
                    "The write-back of {Pending} of {Count} touched assets had not shown on the server after {Seconds:0} s (their updatedAt did not move); checking the result anyway",
                    baselines.Count - moved,
                    baselines.Count,
                    waited.TotalSeconds);
                return (seen, false);
            }

            previous = current;
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, MaxPoll.Ticks));
        }
    }

    private async Task<Dictionary<Guid, DateTimeOffset>> ReadAsync(IEnumerable<Guid> wanted, DateTimeOffset since, CancellationToken ct)
    {
        var ids = wanted.ToHashSet();
        var result = new Dictionary<Guid, DateTimeOffset>();
        await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { UpdatedAfter = since }, ct))
        {
            foreach (var asset in page.Where(a => ids.Contains(a.Id)))
            {
                result[asset.Id] = asset.UpdatedAt;
            }
        }

        return result;
    }
}
