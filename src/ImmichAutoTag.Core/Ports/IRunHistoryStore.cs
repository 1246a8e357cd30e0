namespace ImmichAutoTag.Core.Ports;

/// <summary>One finished run's figures, kept so later runs and <c>immich-autotag status</c> can show the trend.</summary>
/// <param name="RunId">The run folder's name (local start time and process id).</param>
/// <param name="Server">The Immich server URL the run worked on (never the API key).</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When its reports were written.</param>
/// <param name="DryRun">True when nothing was sent: the counts are the ones the plan would leave.</param>
/// <param name="Outcome">success, partial_failure, failed (the server stopped the run: unreachable, key revoked) or cancelled.</param>
/// <param name="Counts">
/// Named counts: <c>assets_seen</c>, <c>evaluated</c>, <c>unclassified</c>, <c>conflict</c>, <c>changes</c>,
/// <c>errors</c>, <c>requests</c>, <c>write_requests</c>, and <c>output_tag:&lt;tag path&gt;</c> per output tag.
/// Open-ended so later figures (enrichment labels, booru matches) need no schema change.
/// </param>
public sealed record RunHistoryEntry(
    string RunId,
    Uri Server,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    bool DryRun,
    string Outcome,
    IReadOnlyDictionary<string, long> Counts)
{
    /// <summary>Count names every entry carries.</summary>
    public const string Unclassified = "unclassified";

    /// <summary>Assets several rules claim.</summary>
    public const string Conflict = "conflict";

    /// <summary>Changes applied (a dry run: planned).</summary>
    public const string Changes = "changes";

    /// <summary>Requests sent to Immich by the run.</summary>
    public const string Requests = "requests";

    /// <summary>Prefix of the per output tag counts, followed by the tag path.</summary>
    public const string OutputTagPrefix = "output_tag:";

    /// <summary>
    /// The state scope of the run (<see cref="StateScope.Of"/>, the key's user id); null for runs recorded by older
    /// versions before the store adopted them. The trend is kept per scope, so the same server reached under another
    /// URL keeps one history.
    /// </summary>
    public string? Scope { get; init; }

    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>The named count, 0 when the entry does not have it (an older run, a disabled feature).</summary>
    public long Count(string name) => Counts.TryGetValue(name, out var value) ? value : 0;
}

/// <summary>Keeps every run's <see cref="RunHistoryEntry"/> (the state database's <c>run_history</c> table).</summary>
public interface IRunHistoryStore
{
    Task AppendAsync(RunHistoryEntry entry, CancellationToken ct);

    /// <summary>The last <paramref name="count"/> runs, oldest first; only runs of <paramref name="scope"/> (<see cref="StateScope.Of"/>) when it is given.</summary>
    Task<IReadOnlyList<RunHistoryEntry>> RecentAsync(int count, string? scope, CancellationToken ct);
}
