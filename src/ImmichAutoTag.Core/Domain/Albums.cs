namespace ImmichAutoTag.Core.Domain;

/// <summary>An album without its assets: Immich 3 lists album contents only through a search by album id.</summary>
public sealed record Album(Guid Id, string Name, long AssetCount, Guid? OwnerId, bool Shared)
{
    /// <summary>The users the album is shared with (the owner not included), as GET /albums lists them.</summary>
    public IReadOnlyList<AlbumMember> Members { get; init; } = [];
}

/// <summary>A role a user holds in an album they do not own.</summary>
public enum AlbumRole
{
    Viewer,
    Editor,
}

/// <summary>One user an album is shared with, and their role.</summary>
public sealed record AlbumMember(Guid UserId, string Email, AlbumRole Role);

public sealed record DuplicateGroup(Guid DuplicateId, IReadOnlyList<Asset> Assets);
