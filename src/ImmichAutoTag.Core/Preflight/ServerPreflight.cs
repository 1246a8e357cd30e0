using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Preflight;

/// <summary>What the server and the API key turned out to be, checked before any run touches data.</summary>
public sealed record PreflightReport(
    ServerVersion Version,
    ServerFeatures Features,
    UserInfo User,
    ApiKeyInfo ApiKey,
    IReadOnlyList<string> Warnings);

/// <summary>The key lacks permissions the run needs; every missing one is listed, not just the first.</summary>
/// <param name="missing">What this run needs and the key lacks.</param>
/// <param name="later">
/// What the key also lacks for the real run when this one is a dry run (which only reads): named in the same message,
/// so one edit of the key fixes both.
/// </param>
public sealed class MissingPermissionsException(IReadOnlyList<PermissionNeed> missing, IReadOnlyList<PermissionNeed>? later = null)
    : ImmichException(BuildMessage(missing, later ?? []))
{
    public IReadOnlyList<PermissionNeed> Missing { get; } = missing;

    /// <summary>Permissions only the real run needs that the key lacks too (a dry run's check); empty otherwise.</summary>
    public IReadOnlyList<PermissionNeed> Later { get; } = later ?? [];

    private static string BuildMessage(IReadOnlyList<PermissionNeed> missing, IReadOnlyList<PermissionNeed> later) =>
        "The API key lacks " + (missing.Count == 1 ? "a permission" : $"{missing.Count} permissions") +
        " this tool needs: " + string.Join("; ", missing.Select(m => $"'{m.Permission}' to {m.Purpose}")) +
        (later.Count == 0 ? string.Empty : ". The real run (without --dry-run) also needs: " + string.Join("; ", later.Select(m => $"'{m.Permission}' to {m.Purpose}"))) +
        ". Edit the key in Immich (Account Settings > API Keys) or create one with these permissions.";
}

/// <summary>The server speaks an API major version this build does not know.</summary>
public sealed class UnsupportedServerVersionException(ServerVersion version)
    : ImmichException($"Immich {version} is not supported: this tool needs Immich 3.x (the album API changed in 3.0).")
{
    public ServerVersion Version { get; } = version;
}

public static class ServerPreflight
{
    public const int SupportedMajor = 3;

    /// <summary>
    /// Ping first so an unreachable server is reported as such, then version and features (no key
    /// needed), then the key's own permissions, so a missing permission is named before any request
    /// that needs it fails half-way through a run.
    /// </summary>
    /// <param name="realRunNeeds">
    /// For a dry run: what the real run needs. When the key lacks something this run needs, the error also names
    /// what it lacks for the real run, so the key is fixed in one round trip.
    /// </param>
    public static async Task<PreflightReport> CheckAsync(
        IImmichGateway gateway,
        IReadOnlyList<PermissionNeed> needed,
        CancellationToken ct,
        IReadOnlyList<PermissionNeed>? realRunNeeds = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(needed);

        await gateway.PingAsync(ct).ConfigureAwait(false);
        var version = await gateway.GetVersionAsync(ct).ConfigureAwait(false);
        if (version.Major < SupportedMajor)
        {
            throw new UnsupportedServerVersionException(version);
        }

        var warnings = new List<string>();
        if (version.Major > SupportedMajor)
        {
            warnings.Add($"Immich {version} is newer than the 3.x API this build was made for; continuing.");
        }

        var features = await gateway.GetFeaturesAsync(ct).ConfigureAwait(false);
        var key = await gateway.GetMyApiKeyAsync(ct).ConfigureAwait(false);
        var missing = ImmichPermissions.Missing(key.Permissions, needed);
        if (missing.Count > 0)
        {
            var later = realRunNeeds is null
                ? []
                : ImmichPermissions.Missing(key.Permissions, realRunNeeds).Where(l => !missing.Any(m => m.Permission == l.Permission)).ToList();
            throw new MissingPermissionsException(missing, later);
        }

        var user = await gateway.GetMyUserAsync(ct).ConfigureAwait(false);
        return new PreflightReport(version, features, user, key, warnings);
    }
}
