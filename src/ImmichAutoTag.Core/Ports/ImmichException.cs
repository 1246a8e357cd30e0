namespace ImmichAutoTag.Core.Ports;

/// <summary>Base of every error the gateway reports; messages are safe to show (no secrets).</summary>
public class ImmichException : Exception
{
    public ImmichException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public ImmichException()
    {
    }

    public ImmichException(string message)
        : base(message)
    {
    }
}

/// <summary>The server did not answer (DNS, refused connection, time-out).</summary>
public sealed class ImmichUnreachableException(Uri url, string reason, Exception? inner = null)
    : ImmichException($"Immich server at {url} did not answer: {reason}", inner)
{
    public Uri Url { get; } = url;
}

/// <summary>401: the API key is missing, wrong or revoked.</summary>
public sealed class ImmichAuthenticationException(Uri url)
    : ImmichException($"Immich at {url} rejected the API key (401 Unauthorized): check the API key.")
{
    public Uri Url { get; } = url;
}

/// <summary>
/// 403: the key lacks the permission an operation needs, or (<see cref="NotAdmin"/>) the operation is one Immich serves
/// to admin users only (x-immich-admin-only) and the key's user is not an admin. Immich words the first
/// "Missing required permission: &lt;permission&gt;" and the second plain "Forbidden", whatever the key's permissions.
/// </summary>
public sealed class ImmichPermissionException(string operation, string? permission, string serverMessage, bool notAdmin = false)
    : ImmichException(notAdmin
        ? $"Immich refused {operation} (403): Immich serves it to admin users only, and the API key belongs to a user who is not an admin (granting the key more permissions does not help). {serverMessage}"
        : permission is null
        ? $"Immich refused {operation} (403): {serverMessage}"
        : $"Immich refused {operation} (403): the API key lacks the permission '{permission}'. {serverMessage}")
{
    public string Operation { get; } = operation;

    public string? Permission { get; } = permission;

    /// <summary>The refusal is Immich's admin-only check, not a missing permission of the key.</summary>
    public bool NotAdmin { get; } = notAdmin;
}

/// <summary>Any other non-success answer.</summary>
public sealed class ImmichApiException(string operation, int statusCode, string serverMessage)
    : ImmichException($"Immich answered {statusCode} to {operation}: {serverMessage}")
{
    public string Operation { get; } = operation;

    public int StatusCode { get; } = statusCode;
}
