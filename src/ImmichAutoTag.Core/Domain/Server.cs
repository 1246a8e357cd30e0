namespace ImmichAutoTag.Core.Domain;

public sealed record ServerVersion(long Major, long Minor, long Patch, string? Prerelease)
{
    public override string ToString() =>
        Prerelease is null ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{Prerelease}";
}

public sealed record ServerFeatures(bool DuplicateDetection, bool SmartSearch, bool Trash, bool Sidecar, bool Search);

public sealed record UserInfo(Guid Id, string Name, string Email);

/// <summary>The API key making the requests, with the permission names Immich grants it ("all" means every one).</summary>
public sealed record ApiKeyInfo(Guid Id, string Name, IReadOnlyList<string> Permissions);
