using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>How a run's tag writes were protected from Immich's sidecar write-back.</summary>
public enum WriteMode
{
    /// <summary>Nothing was written.</summary>
    None,

    /// <summary>The sidecar and metadata queues were held while the tool wrote (or were already paused).</summary>
    PausedQueues,

    /// <summary>Waves of at most one change per asset, waiting until the queues were idle in between.</summary>
    WavesUntilIdle,

    /// <summary>
    /// Waves, each followed by a wait until the touched assets showed the write-back (their <c>updatedAt</c> moved
    /// and held): the key cannot read the queues, which Immich serves to admins only.
    /// </summary>
    WavesObserved,
}

/// <summary>
/// Pauses and resumes Immich's write-back queues (sidecar, metadataExtraction) and waits for them to drain.
/// It pauses only queues that were running, records them in an <see cref="IQueuePauseMarker"/> before
/// pausing, and resumes exactly those.
/// </summary>
public sealed class QueueGuard(IImmichGateway gateway, IQueuePauseMarker marker, TimeProvider time, ILogger logger)
{
    // Resuming must still happen when the run's own token is cancelled (Ctrl-C); this bounds that last effort.
    private static readonly TimeSpan ResumeBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(2);

    /// <summary>Resumes the queues an earlier process paused and never resumed; returns their names.</summary>
    public async Task<IReadOnlyList<string>> RecoverAsync(CancellationToken ct)
    {
        var stale = await marker.ReadAsync(ct);
        if (stale.Count == 0)
        {
            return [];
        }

        logger.LogWarning("An earlier run paused the Immich queues {Queues} and did not resume them; resuming them now", stale);
        if (await ResumeAsync(stale))
        {
            return stale;
        }

        return [];
    }

    /// <summary>
    /// Pauses the write-back queues that are running. Returns the queues it paused (possibly none, when an
    /// admin had paused them already), or null when the key may not read or pause queues.
    /// </summary>
    public async Task<PauseAttempt> TryPauseAsync(CancellationToken ct)
    {
        IReadOnlyList<QueueStatus> queues;
        try
        {
            queues = await gateway.GetQueuesAsync(ct);
        }
        catch (ImmichException ex) when (ex is ImmichPermissionException or ImmichApiException)
        {
            logger.LogDebug(ex, "Cannot read the Immich queues");
            return new PauseAttempt(null, CanRead: false, ex.Message) { NotAdmin = ex is ImmichPermissionException { NotAdmin: true } };
        }

        var running = QueueNames.WriteBack
            .Where(name => queues.Any(q => string.Equals(q.Name, name, StringComparison.Ordinal) && !q.IsPaused))
            .ToList();

        // This state folder's own pauses were resumed by RecoverAsync before the run began, so a write-back queue that
        // is paused now was paused by someone else: another run of the tool (with another state folder), one that died,
        // or an admin. Which one cannot be told from the server, so it is said, not silently resumed.
        var pausedByOthers = QueueNames.WriteBack
            .Where(name => queues.Any(q => string.Equals(q.Name, name, StringComparison.Ordinal) && q.IsPaused))
            .ToList();
        if (pausedByOthers.Count > 0)
        {
            logger.LogWarning(
                "The Immich queues {Queues} are paused, and not by a run with this state folder: another run of this tool with another state folder is active, or one died before it resumed them, or an admin paused them. While metadataExtraction is paused, Immich reads no dates or places from new uploads. If no other run is active, resume them in Immich (Administration > Job Queues). Use one state folder per Immich server",
                pausedByOthers);
        }

        if (running.Count == 0)
        {
            return new PauseAttempt([], CanRead: true, null) { PausedByOthers = pausedByOthers };
        }

        // Written first: if the process dies right after a pause, the next run still knows what to resume.
        await marker.WriteAsync(running, ct);
        var paused = new List<string>();
        string? inFlight = null;
        try
        {
            foreach (var name in running)
            {
                // Sent without the stop token: a pause the server applied must be known here, or it would never
                // be resumed. A stop takes effect between the calls.
                inFlight = name;
                await gateway.SetQueuePausedAsync(name, paused: true, CancellationToken.None);
                paused.Add(name);
                inFlight = null;
                ct.ThrowIfCancellationRequested();
            }
        }
        catch (ImmichException ex) when (ex is ImmichPermissionException or ImmichApiException)
        {
            logger.LogDebug(ex, "Cannot pause the Immich queues");
            await ResumeAsync(paused);
            if (paused.Count == 0)
            {
                await marker.ClearAsync(CancellationToken.None);
            }

            return new PauseAttempt(null, CanRead: true, ex.Message) { NotAdmin = ex is ImmichPermissionException { NotAdmin: true } };
        }
        catch
        {
            // Cancelled or unreachable half-way: give back what was paused (and the call whose answer was lost,
            // which the server may have applied), then let the failure surface.
            await ResumeAsync(inFlight is null ? paused : [.. paused, inFlight]);
            throw;
        }

        logger.LogInformation("Paused the Immich queues {Queues} while tags are written", paused);
        return new PauseAttempt(paused, CanRead: true, null) { PausedByOthers = pausedByOthers };
    }

    /// <summary>
    /// Resumes the queues with a budget of its own and no caller token, so it also runs after a
    /// cancellation; clears the marker only when every queue is running again. Returns whether all were resumed.
    /// </summary>
    public async Task<bool> ResumeAsync(IReadOnlyList<string> queues)
    {
        ArgumentNullException.ThrowIfNull(queues);
        // Wall-clock budget on purpose: it bounds real waiting, whatever clock the run uses for its own timing.
        using var budget = new CancellationTokenSource(ResumeBudget);
        var all = true;
        foreach (var name in queues)
        {
            try
            {
                await gateway.SetQueuePausedAsync(name, paused: false, budget.Token);
            }
            catch (Exception ex) when (ex is ImmichException or OperationCanceledException)
            {
                all = false;
                logger.LogError(ex, "Could not resume the Immich queue {Queue}; resume it in Immich (Administration > Job Queues) or run again", name);
            }
        }

        if (all)
        {
            await marker.ClearAsync(CancellationToken.None);
            if (queues.Count > 0)
            {
                logger.LogInformation("Resumed the Immich queues {Queues}", queues);
            }
        }

        return all;
    }

    /// <summary>
    /// Waits until the running write-back queues have no active or waiting job (queues paused by someone
    /// else are skipped: their jobs wait for that someone). Without queue.read, waits a fixed delay.
    /// Returns false when <paramref name="maxWait"/> ran out first.
    /// </summary>
    public async Task<bool> WaitUntilIdleAsync(bool canRead, TimeSpan fixedDelay, TimeSpan maxWait, CancellationToken ct)
    {
        if (!canRead)
        {
            if (fixedDelay > TimeSpan.Zero)
            {
                await Task.Delay(fixedDelay, time, ct);
            }

            return true;
        }

        var started = time.GetUtcNow();
        var poll = FirstPoll;
        while (true)
        {
            var queues = await gateway.GetQueuesAsync(ct);
            var busy = queues.Where(q => QueueNames.WriteBack.Contains(q.Name) && !q.IsPaused && !q.IsIdle).ToList();
            if (busy.Count == 0)
            {
                return true;
            }

            if (time.GetUtcNow() - started >= maxWait)
            {
                logger.LogWarning("The Immich queues {Queues} were still busy after {Minutes:0.#} min; checking the result anyway", busy.Select(q => q.Name), maxWait.TotalMinutes);
                return false;
            }

            await Task.Delay(poll, time, ct);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, MaxPoll.Ticks));
        }
    }
}

/// <summary>
/// Outcome of <see cref="QueueGuard.TryPauseAsync"/>: <see cref="Paused"/> is null when the queues could not
/// be paused, with <see cref="Reason"/> saying why.
/// </summary>
public sealed record PauseAttempt(IReadOnlyList<string>? Paused, bool CanRead, string? Reason)
{
    /// <summary>Write-back queues that were already paused when the run came to write (not by this state folder's runs).</summary>
    public IReadOnlyList<string> PausedByOthers { get; init; } = [];

    /// <summary>
    /// The queues were refused by Immich's admin-only check (the key's user is not an admin), not for a missing
    /// permission: granting the key permissions would not help.
    /// </summary>
    public bool NotAdmin { get; init; }
}
