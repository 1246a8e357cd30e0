using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Applies plans so that Immich's sidecar write-back cannot revert them: with queue.read and queue.update
/// the write-back queues are paused around the whole plan and always resumed; without them the plan goes
/// out in waves (<see cref="WavePlanner"/>) with a wait for the queues, or a fixed delay, in between.
/// Every apply ends once the write-back jobs it caused are done, so a read right after sees the final state.
/// </summary>
public sealed class WriteSession(IImmichGateway gateway, QueueGuard guard, TimeProvider time, ILogger logger, RunOptions options)
{
    private bool? _canPause;
    private bool _canRead = true;

    public WriteMode Mode { get; private set; } = WriteMode.None;

    /// <summary>Why waves were used instead of paused queues; null when the queues were paused.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>Waves sent in total, over every apply of this session.</summary>
    public int Waves { get; private set; }

    /// <summary>
    /// Waits until Immich's write-back and metadata queues are idle (or, when the key cannot read them, for the
    /// fixed settle delay). Date writes land through those queues, after the write request has been answered.
    /// </summary>
    public Task<bool> SettleAsync(CancellationToken ct) =>
        guard.WaitUntilIdleAsync(_canRead, options.SettleDelay, options.MaxSettleWait, ct);

    public async Task<ApplyOutcome> ApplyAsync(
        TagPlan plan,
        IReadOnlyDictionary<Guid, Asset> assets,
        IReadOnlyList<Tag> existingTags,
        bool failFast,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var applier = new PlanApplier(gateway, time, logger);

        if (_canPause != false)
        {
            var attempt = await guard.TryPauseAsync(ct);
            _canRead = attempt.CanRead;
            if (attempt.Paused is { } paused)
            {
                _canPause = true;
                Mode = WriteMode.PausedQueues;
                Waves++;
                ApplyOutcome outcome;
                try
                {
                    outcome = await applier.ApplyAsync(plan, assets, existingTags, options.ChunkSize, failFast, progress, ct);
                }
                finally
                {
                    await guard.ResumeAsync(paused);
                }

                await guard.WaitUntilIdleAsync(canRead: true, options.SettleDelay, options.MaxSettleWait, ct);
                return outcome;
            }

            _canPause = false;
            FallbackReason = _canRead
                ? $"the API key cannot pause Immich's queues (queue.update): {attempt.Reason}"
                : $"the API key cannot read Immich's queues (queue.read): {attempt.Reason}";
            logger.LogWarning(
                "Writing tags in waves of one change per asset, because {Reason}. Grant queue.read and queue.update to the key for a faster, safer run",
                FallbackReason);
        }

        Mode = _canRead ? WriteMode.WavesUntilIdle : WriteMode.WavesFixedDelay;
        var changes = new List<AppliedChange>();
        var errors = new List<EngineError>();
        var aborted = false;
        var cancelled = false;
        foreach (var wave in WavePlanner.Split(plan))
        {
            Waves++;
            var outcome = await applier.ApplyAsync(wave, assets, existingTags, options.ChunkSize, failFast, progress, ct);
            changes.AddRange(outcome.Changes);
            errors.AddRange(outcome.Errors);
            aborted = outcome.Aborted;
            cancelled = outcome.Cancelled;
            if (cancelled)
            {
                break;
            }

            // Later waves only remove by tag id, so the tags created in the first wave need not be re-read.
            await guard.WaitUntilIdleAsync(_canRead, options.SettleDelay, options.MaxSettleWait, ct);
            if (aborted)
            {
                break;
            }
        }

        return new ApplyOutcome(changes, errors, aborted, cancelled);
    }
}
