namespace ImmichAutoTag.Core.Application;

/// <summary>
/// The process exit codes of every command (how a run ended, or why a command did not start). The values are part of
/// the CLI contract, documented in README.md ("Exit codes"); a test keeps that table and this enum in agreement.
/// </summary>
public enum RunExitCode
{
    /// <summary>The run succeeded; it may have found tag changes that do not stick (listed in its reports).</summary>
    Success = 0,

    /// <summary>An unexpected error (a bug or an unanticipated server answer).</summary>
    Failure = 1,

    /// <summary>The command line itself is wrong (unknown option, missing value, bad <c>--schedule</c>).</summary>
    Usage = 2,

    /// <summary>No config found, or the config is invalid. Nothing was sent to the server.</summary>
    ConfigInvalid = 3,

    /// <summary>The server did not answer at the configured URL.</summary>
    ServerUnreachable = 4,

    /// <summary>The server rejected the API key (401).</summary>
    AuthenticationFailed = 5,

    /// <summary>The API key lacks a permission the run needs (403, or found missing at start-up).</summary>
    PermissionDenied = 6,

    /// <summary>The server answered with an error, or runs an unsupported version.</summary>
    ServerError = 7,

    /// <summary>
    /// The run finished, but some changes failed or were reverted by Immich, or some assets could not be read; they are
    /// listed in the run's modification report. Tag changes recorded as "does not stick" are not failures.
    /// </summary>
    PartialFailure = 8,

    /// <summary>Another run or daemon holds the state folder's lock; nothing was done.</summary>
    Busy = 9,

    /// <summary>
    /// The state database (<c>state.db</c>) is damaged or not a state file; the run stopped before sending anything
    /// (the message says to move the file aside and what is lost with it).
    /// </summary>
    StateDamaged = 10,

    /// <summary>Interrupted (Ctrl-C / SIGTERM), following the shell convention 128 + SIGINT.</summary>
    Cancelled = 130,
}
