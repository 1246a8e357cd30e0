namespace ImmichAutoTag.Core.Application;

/// <summary>
/// How a run ended, as a process exit code. The values are the CLI's documented exit codes (README, "Exit codes");
/// a test keeps the two enums in agreement.
/// </summary>
public enum RunExitCode
{
    /// <summary>The run succeeded; it may have found tag changes that do not stick (listed in its reports).</summary>
    Success = 0,

    /// <summary>An unexpected error (a bug or an unanticipated server answer).</summary>
    Failure = 1,

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

    /// <summary>Another run holds the state folder's run lock; nothing was done.</summary>
    Busy = 9,

    /// <summary>Interrupted (Ctrl-C / SIGTERM), following the shell convention 128 + SIGINT.</summary>
    Cancelled = 130,
}
