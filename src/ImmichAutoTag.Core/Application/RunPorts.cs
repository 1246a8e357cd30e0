using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Application;

/// <summary>Opens the connection a run talks to (HTTP to the configured server, or the demo's in-process library).</summary>
public interface IImmichConnectionFactory
{
    /// <summary>A connection to <c>config.server</c>; the run disposes it when it ends.</summary>
    IImmichConnection Connect(AutoTagConfig config, ILoggerFactory loggerFactory);
}

/// <summary>
/// The state folder's run lock: two runs never work on one library at once. The lock must be dropped by the operating
/// system when the process dies, so a crash leaves no stale lock.
/// </summary>
public interface IRunLock
{
    /// <summary>Where the lock lives (a file path), for messages.</summary>
    string Location { get; }

    /// <summary>Takes the lock, or returns null at once when another holder has it. Disposing the result releases it.</summary>
    /// <exception cref="StateUnavailableException">The state folder cannot be created or written.</exception>
    IDisposable? TryAcquire();
}

/// <summary>The state folder (lock, status, run state) cannot be created or written; the message says which and why.</summary>
public sealed class StateUnavailableException : Exception
{
    /// <summary>Creates the exception with the message a user sees.</summary>
    public StateUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the message a user sees.</summary>
    public StateUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public StateUnavailableException()
        : base("The state folder cannot be used.")
    {
    }
}

/// <summary>Where health checks and people see whether runs happen and succeed (status.json).</summary>
public interface IRunStatusSink
{
    /// <summary>Records the run in progress.</summary>
    void RunStarted(RunStatus run);

    /// <summary>Records a finished (or skipped) run as the last run.</summary>
    void RunFinished(RunStatus run);

    /// <summary>
    /// Records a finished undo (<c>Trigger</c> "undo") among the recent runs and as the last undo; it does not become the
    /// last run, so health (which judges scheduled runs) does not depend on it.
    /// </summary>
    void UndoFinished(RunStatus undo)
    {
    }
}

/// <summary>Creates the place a run's reports and log go to (a folder per run).</summary>
public interface IRunOutputs
{
    /// <summary>A new, empty place for one run; run ids sort by start time.</summary>
    /// <param name="localStart">The run's start in local time (the id is built from it).</param>
    /// <param name="processId">The process id, part of the id.</param>
    /// <exception cref="StateUnavailableException">The output folder cannot be created (a file, no permission, a read-only mount).</exception>
    IRunOutput Create(DateTimeOffset localStart, int processId);

    /// <summary>
    /// Deletes the oldest run folders beyond <paramref name="keep"/> (<paramref name="current"/> counted and never
    /// deleted); only folders the tool created are candidates. Never throws for a folder it could not delete.
    /// </summary>
    /// <returns>The folders deleted, and those that could not be (with why).</returns>
    RunPruning Prune(IRunOutput current, int keep) => RunPruning.None;
}

/// <summary>What <see cref="IRunOutputs.Prune"/> did.</summary>
/// <param name="Deleted">The run folders deleted (absolute paths), oldest first.</param>
/// <param name="Failed">Folders that could not be deleted, with the reason.</param>
public sealed record RunPruning(IReadOnlyList<string> Deleted, IReadOnlyList<string> Failed)
{
    public static RunPruning None { get; } = new([], []);
}

/// <summary>One run's output place.</summary>
public interface IRunOutput
{
    /// <summary>The run's id, e.g. <c>20261130_054500_PID42</c>.</summary>
    string RunId { get; }

    /// <summary>Where the run's files are (an absolute folder path), for status.json and messages.</summary>
    string Location { get; }

    /// <summary>The path of the run's full log.</summary>
    string LogFile { get; }

    /// <summary>The path a report named <paramref name="fileName"/> (see <see cref="RunFiles"/>) has in this run's output.</summary>
    string PathOf(string fileName);

    /// <summary>Writes the config the run used, secrets redacted.</summary>
    Task WriteConfigDumpAsync(string redactedYaml, CancellationToken ct);
}

/// <summary>File names of a run's reports.</summary>
public static class RunFiles
{
    /// <summary>Review links (Markdown).</summary>
    public const string Links = "immich_autotag_links.md";

    /// <summary>Every change, applied or failed, with its reason.</summary>
    public const string ModificationReport = "modification_report.txt";

    /// <summary>One JSON line per change.</summary>
    public const string Changes = "changes.jsonl";

    /// <summary>The plan (what a dry run would do).</summary>
    public const string Plan = "plan.txt";

    /// <summary>The run's figures (YAML).</summary>
    public const string Statistics = "run_statistics.yaml";

    /// <summary>The config the run used, secrets redacted.</summary>
    public const string ConfigDump = "user_config_dump.yaml";

    /// <summary>The run's full log.</summary>
    public const string Log = "immich_autotag_full_output.log";

    /// <summary>The report with thumbnails and the history chart.</summary>
    public const string HtmlReport = "report.html";
}

/// <summary>What a run hands the report writers.</summary>
/// <param name="Output">Where the reports go.</param>
/// <param name="Config">The config the run used.</param>
/// <param name="Result">The engine's result.</param>
/// <param name="Gateway">The run's gateway, for thumbnails (reads only).</param>
/// <param name="Requests">Requests per operationId the run sent.</param>
/// <param name="WriteRequests">Of those, the writes.</param>
/// <param name="CanViewAssets">Whether the API key has asset.view (thumbnails).</param>
public sealed record RunReportInput(
    IRunOutput Output,
    AutoTagConfig Config,
    RunResult Result,
    IImmichGateway Gateway,
    IReadOnlyDictionary<string, long> Requests,
    long WriteRequests,
    bool CanViewAssets);

/// <summary>Writes a run's reports (links, plan, modification report, changes, statistics, report.html) and its history.</summary>
public interface IRunReportSink
{
    /// <summary>Writes every report; a report that cannot be written is logged, it does not fail the run.</summary>
    Task WriteAsync(RunReportInput input, ILogger logger, CancellationToken ct);
}

/// <summary>Where the queue-pause marker of a state scope lives.</summary>
public interface IQueuePauseMarkerFactory
{
    /// <summary>
    /// The marker for a state scope (<see cref="Ports.StateScope.Of"/>, the Immich user id, which also tells servers
    /// apart): the same server under another URL finds it, and a run never resumes another server's queues.
    /// <paramref name="server"/> is recorded in the marker for people reading it.
    /// </summary>
    IQueuePauseMarker For(string scope, Uri server);
}

/// <summary>The config as YAML with secrets redacted: the run folder's dump, and the incremental check's fingerprint.</summary>
public interface IConfigRedactor
{
    /// <summary>The redacted YAML text of <paramref name="config"/>.</summary>
    string ToRedactedYaml(AutoTagConfig config);
}

/// <summary>What the user sees of a run: its log, progress and closing lines. The CLI implements it.</summary>
public interface IRunPresenter
{
    /// <summary>The run did not start (the lock is held or the state folder is unusable): one error line.</summary>
    Task RefusedAsync(string message);

    /// <summary>Opens the run's log (console and <see cref="IRunOutput.LogFile"/>) and progress; disposing closes them.</summary>
    IRunSession Open(IRunOutput output);
}

/// <summary>One run's log, progress and console lines.</summary>
public interface IRunSession : IDisposable
{
    /// <summary>The run's loggers (console and the run's log file).</summary>
    ILoggerFactory LoggerFactory { get; }

    /// <summary>The progress the engine reports to.</summary>
    IProgress<EngineProgress> Progress { get; }

    /// <summary>Ends the progress display, so later lines start on a fresh line.</summary>
    void ProgressDone();

    /// <summary>A line for the user's standard output.</summary>
    Task NoticeAsync(string line);

    /// <summary>The closing summary of a run that completed (possibly cancelled half-way).</summary>
    Task SummaryAsync(RunResult result, IRequestMetrics metrics, IRunOutput output);

    /// <summary>The run was interrupted before any change was sent.</summary>
    Task CancelledAsync();

    /// <summary>The run failed: one readable line (details in the log).</summary>
    Task FailedAsync(string message, Exception exception);
}

/// <summary>
/// The state database (<c>state.db</c> in the state folder) is damaged (cut short, overwritten) or not a state file,
/// so no run can use it: the message names the file, what to do and what is lost.
/// </summary>
public sealed class StateDamagedException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>, with SQLite's own words as <paramref name="detail"/>.</summary>
    public StateDamagedException(string path, string detail, Exception? innerException = null)
        : base(
            $"The state file {path} is damaged or not a state file ({detail}). Move it aside (e.g. rename it to "
            + $"{System.IO.Path.GetFileName(path)}.damaged) and run again: the next run starts a new one. Lost with it: your correction "
            + "memory (suggestions you removed may come back once), which tag links and albums the tool added (below its "
            + "roots they then count as yours), the \"does not stick\" records, the run history and the booru cache and queue.",
            innerException)
    {
        FilePath = path;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public StateDamagedException()
        : base("The state file is damaged.")
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception with the message a user sees.</summary>
    public StateDamagedException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception with the message a user sees.</summary>
    public StateDamagedException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }
}
