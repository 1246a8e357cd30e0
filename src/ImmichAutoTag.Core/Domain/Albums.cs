namespace ImmichAutoTag.Core.Domain;

/// <summary>An album without its assets: Immich 3 lists album contents only through a search by album id.</summary>
public sealed record Album(Guid Id, string Name, int AssetCount, Guid? OwnerId, bool Shared);

public sealed record DuplicateGroup(Guid DuplicateId, IReadOnlyList<Asset> Assets);
