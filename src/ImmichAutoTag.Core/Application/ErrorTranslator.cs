using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Core.Preflight;

namespace ImmichAutoTag.Core.Application;

/// <summary>Turns the typed exceptions of the lower layers into one actionable line and an exit code, once, here.</summary>
public static class ErrorTranslator
{
    /// <summary>The exit code and the one line a user sees for a run that failed with <paramref name="exception"/>.</summary>
    public static (RunExitCode Code, string Message) Translate(Exception exception) => exception switch
    {
        ImmichUnreachableException e => (RunExitCode.ServerUnreachable, e.Message + " Check server.url (or IMMICH_URL) and that the server is running."),
        ImmichAuthenticationException e => (RunExitCode.AuthenticationFailed, e.Message),
        MissingPermissionsException e => (RunExitCode.PermissionDenied, e.Message),
        ImmichPermissionException e => (RunExitCode.PermissionDenied, e.Message),
        UnsupportedServerVersionException e => (RunExitCode.ServerError, e.Message),
        ImmichException e => (RunExitCode.ServerError, e.Message),
        StateDamagedException e => (RunExitCode.StateDamaged, e.Message),
        ReadOnlyGatewayException e => (RunExitCode.Failure, e.Message),
        Enrichment.Clip.ClipUnavailableException e => (RunExitCode.ConfigInvalid, e.Message),
        Engine.Corrections.StatusTagNotOwnedException e => (RunExitCode.ConfigInvalid, e.Message),
        Enrichment.Clip.ClipLabelSetException e => (RunExitCode.ConfigInvalid, e.Message),
        _ => (RunExitCode.Failure, $"Unexpected error: {exception.GetType().Name}: {exception.Message}"),
    };
}
