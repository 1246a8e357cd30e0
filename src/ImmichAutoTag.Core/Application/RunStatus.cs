namespace ImmichAutoTag.Core.Application;

/// <summary>How a run ended, as status.json records it.</summary>
public enum RunOutcome
{
    Running,
    Success,
    PartialFailure,
    Failed,
    Cancelled,

    /// <summary>The run did not start because another run held the lock.</summary>
    Skipped,
}

/// <summary>One run as status.json records it: who started it, when, how it ended and its main figures.</summary>
public sealed record RunStatus
{
    public string? RunId { get; init; }

    public required int Pid { get; init; }

    /// <summary>
    /// The machine (host name) the run's process ran on, so <c>status</c> checks <see cref="Pid"/> only where it means
    /// something; null in status files of older versions.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>Who started the run: "run" (the command), "daemon" or "demo".</summary>
    public required string Trigger { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required RunOutcome Outcome { get; init; }

    public int? ExitCode { get; init; }

    public bool DryRun { get; init; }

    public string? OutputFolder { get; init; }

    public string? Message { get; init; }

    /// <summary>
    /// Set when the run finished but cannot get better by itself: an outside service refused the key from the
    /// environment. <c>status</c> reports the state unhealthy with this text until a run ends without it.
    /// </summary>
    public string? NeedsAttention { get; init; }

    public RunCounters? Counters { get; init; }

    /// <summary>
    /// True for a run whose process died before it finished (killed, crashed), recorded as failed by the next run: it
    /// left no figures and no row in state.db's run history, so <c>status</c> adds it to its history table from here.
    /// Null for every other run (and in status files of older versions).
    /// </summary>
    public bool? EndedWithoutResult { get; init; }
}

/// <summary>A run's main figures for status.json; <paramref name="Requests"/> and <paramref name="WriteRequests"/> count HTTP requests sent to Immich.</summary>
public sealed record RunCounters(
    int AssetsSeen,
    int Evaluated,
    int Unclassified,
    int Conflict,
    int TagsAdded,
    int TagsRemoved,
    int Errors,
    long Requests,
    long WriteRequests);
