namespace ImmichAutoTag.Core.Domain;

/// <summary>A hierarchical tag: <see cref="Name"/> is the leaf, <see cref="Value"/> the full path joined by '/'.</summary>
public sealed record Tag(Guid Id, string Name, string Value, Guid? ParentId);

/// <summary>Outcome of a per-asset tag or album call: Immich answers each id separately.</summary>
public sealed record BulkIdResult(Guid Id, bool Success, string? Error);
