using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;

namespace ImmichAutoTag.Cli;

/// <summary>Turns the typed exceptions of the lower layers into one actionable line and an exit code, once, here.</summary>
internal static class ErrorTranslator
{
    public static (ExitCode Code, string Message) Translate(Exception exception) => exception switch
    {
        ImmichUnreachableException e => (ExitCode.ServerUnreachable, e.Message + " Check server.url (or IMMICH_URL) and that the server is running."),
        ImmichAuthenticationException e => (ExitCode.AuthenticationFailed, e.Message),
        MissingPermissionsException e => (ExitCode.PermissionDenied, e.Message),
        ImmichPermissionException e => (ExitCode.PermissionDenied, e.Message),
        UnsupportedServerVersionException e => (ExitCode.ServerError, e.Message),
        ImmichException e => (ExitCode.ServerError, e.Message),
        _ => (ExitCode.Failure, $"Unexpected error: {exception.GetType().Name}: {exception.Message}"),
    };
}
