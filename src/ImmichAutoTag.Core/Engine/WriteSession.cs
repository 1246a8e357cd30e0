using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Applies plans so that Immich's sidecar write-back cannot revert them: with queue.read and queue.update
/// the write-back queues are paused around the whole plan and always resumed; without them the plan goes
/// out in waves (<see cref="WavePlanner"/>) with a wait for the queues in between, or, when the key may not
/// read them, a wait until the touched assets show the write-back (<see cref="WriteBackObserver"/>).
/// Every apply ends once the write-back jobs it caused are done, so a read right after sees the final state.
/// </summary>
public sealed class WriteSession(IImmichGateway gateway, QueueGuard guard, TimeProvider time, ILogger logger, RunOptions options)
{
    private readonly WriteBackObserver _observer = new(gateway, time, logger);

    // The updatedAt each touched asset showed last, so a re-apply waits for a newer write-back than the one seen.
    private readonly Dictionary<Guid, DateTimeOffset> _seen = [];
    private bool? _canPause;
    private bool _canRead = true;

    public WriteMode Mode { get; private set; } = WriteMode.None;

    /// <summary>The write-back queues this run paused (and resumed) around its writes; empty when it paused none.</summary>
    public IReadOnlyList<string> PausedQueues { get; private set; } = [];

    /// <summary>Write-back queues found paused before the run paused anything: not this state folder's (see <see cref="QueueGuard"/>).</summary>
    public IReadOnlyList<string> QueuesPausedByOthers { get; private set; } = [];

    /// <summary>Why waves were used instead of paused queues; null when the queues were paused.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>Waves sent in total, over every apply of this session.</summary>
    public int Waves { get; private set; }

    /// <summary>
    /// Waits until Immich's write-back and metadata queues are idle (or, when the key cannot read them, for the
    /// fixed settle delay). Date writes land through those queues, after the write request has been answered.
    /// </summary>
    public async Task<bool> SettleAsync(CancellationToken ct)
    {
        var idle = await guard.WaitUntilIdleAsync(_canRead, options.SettleDelay, options.MaxSettleWait, ct);
        QueuesSeenIdle = _canRead && idle;
        return idle;
    }

    /// <summary>
    /// Whether the last wait saw Immich's write-back and metadata queues idle through a queue read: the server's jobs
    /// for what was written have run, so a write it does not show was reverted rather than late. False when the key
    /// cannot read the queues or the wait gave up.
    /// </summary>
    public bool QueuesSeenIdle { get; private set; }

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
            PausedQueues = attempt.Paused ?? [];
            QueuesPausedByOthers = attempt.PausedByOthers;
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

                // After a stop the run reports what it wrote and verifies nothing, so it need not wait for the
                // queues either; reading them with the stopped token would throw instead of reporting.
                if (!outcome.Cancelled && !await WaitAfterWriteAsync(async () => QueuesSeenIdle = await guard.WaitUntilIdleAsync(canRead: true, options.SettleDelay, options.MaxSettleWait, ct), ct))
                {
                    outcome = outcome with { Cancelled = true };
                }

                return outcome;
            }

            _canPause = false;
            FallbackReason = attempt.NotAdmin
                ? "the API key's user is not an Immich admin, and Immich serves its queues to admin users only (getQueues answered 403 Forbidden)"
                : _canRead
                ? $"the API key cannot pause Immich's queues (queue.update): {attempt.Reason}"
                : $"the API key cannot read Immich's queues (queue.read): {attempt.Reason}";
            if (attempt.NotAdmin)
            {
                logger.LogWarning(
                    "Writing tags in waves of one change per asset, because {Reason}. A key of an admin user with queue.read and queue.update makes the run faster and safer",
                    FallbackReason);
            }
            else
            {
                logger.LogWarning(
                    "Writing tags in waves of one change per asset, because {Reason}. Grant queue.read and queue.update to the key for a faster, safer run",
                    FallbackReason);
            }
        }

        Mode = _canRead ? WriteMode.WavesUntilIdle : WriteMode.WavesObserved;
        var changes = new List<AppliedChange>();
        var errors = new List<EngineError>();
        var aborted = false;
        var cancelled = false;
        foreach (var wave in WavePlanner.Split(plan))
        {
            Waves++;
            var writtenAt = time.GetUtcNow();
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
            var waited = _canRead
                ? await WaitAfterWriteAsync(async () => QueuesSeenIdle = await guard.WaitUntilIdleAsync(canRead: true, options.SettleDelay, options.MaxSettleWait, ct), ct)
                : await WaitAfterWriteAsync(() => ObserveAsync(outcome.Changes, assets, writtenAt, ct), ct);
            QueuesSeenIdle &= _canRead;
            if (!waited)
            {
                cancelled = true;
                break;
            }

            if (aborted)
            {
                break;
            }
        }

        return new ApplyOutcome(changes, errors, aborted, cancelled);
    }

    /// <summary>
    /// Waits for Immich's write-back after a write. A stop request, or a server that went away meanwhile, ends the wait
    /// instead of throwing, so the run still reports (and records in changes.jsonl) what it wrote. Returns false when
    /// the wait was cut short by <paramref name="ct"/>; other failures only mean the result is checked without the wait.
    /// </summary>
    private async Task<bool> WaitAfterWriteAsync(Func<Task> wait, CancellationToken ct)
    {
        try
        {
            await wait();
            return true;
        }
        catch (Exception e) when (e is ImmichException or OperationCanceledException)
        {
            QueuesSeenIdle = false;
            logger.LogWarning("Stopped waiting for Immich to finish the writes: {Message}", e.Message);
            return !ct.IsCancellationRequested;
        }
    }

    private async Task ObserveAsync(IReadOnlyList<AppliedChange> written, IReadOnlyDictionary<Guid, Asset> assets, DateTimeOffset writtenAt, CancellationToken ct)
    {
        var baselines = new Dictionary<Guid, DateTimeOffset>();
        // Tag links and dates are written back to the sidecar; album membership is not.
        foreach (var id in written.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed or ChangeKind.DateUpdated).Select(c => c.AssetId).Distinct())
        {
            if (_seen.TryGetValue(id, out var seen))
            {
                baselines[id] = seen;
            }
            else if (assets.TryGetValue(id, out var asset))
            {
                baselines[id] = asset.UpdatedAt;
            }
        }

        var (observed, _) = await _observer.WaitAsync(baselines, writtenAt, options.MaxWriteBackWait, ct);
        foreach (var (id, at) in observed)
        {
            _seen[id] = at;
        }
    }
}
