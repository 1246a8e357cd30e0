namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// What one feature step needs the gatherer to read. The gatherer reads the union of every step's needs in one
/// walk, so adding a step never adds a request of its own unless it needs something no other step reads.
/// </summary>
public sealed record ReadNeeds
{
    private static readonly IReadOnlySet<string> NoNames = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Nothing beyond the walk every run makes (assets, albums and their members, the key's user, tags).</summary>
    public static ReadNeeds None { get; } = new();

    /// <summary>Tag entries (leaf names, or full paths with '/') whose holders the step looks at.</summary>
    public IReadOnlySet<string> TagNames { get; init; } = NoNames;

    /// <summary>Tag paths the step writes: who carries each is read whole (one tag search each).</summary>
    public IReadOnlyList<string> OwnedTagPaths { get; init; } = [];

    /// <summary>Which existing tag paths the step owns beyond <see cref="OwnedTagPaths"/> (a prefix, a pattern); null for none.</summary>
    public Func<string, bool>? OwnsTag { get; init; }

    /// <summary>Duplicate groups (GET /duplicates, one call, needs <c>duplicate.read</c>).</summary>
    public bool Duplicates { get; init; }

    /// <summary>The server's users (GET /users, one call), to find people by e-mail.</summary>
    public bool Users { get; init; }

    /// <summary>Asset thumbnails (GET /assets/{id}/thumbnail, needs <c>asset.view</c>), for assets not yet embedded.</summary>
    public bool Thumbnails { get; init; }

    /// <summary>
    /// EXIF data of every asset (the walk's <c>withExif</c>: camera make and model); it makes each page of the walk
    /// larger, so only a step whose config needs it asks.
    /// </summary>
    public bool Exif { get; init; }

    /// <summary>Whether a tag path is owned by any step of the union.</summary>
    public bool Owns(string path) => OwnsTag?.Invoke(path) ?? false;

    /// <summary>The union of several steps' needs; the owned paths keep the first step's order, then each later one's new paths.</summary>
    public static ReadNeeds Union(IEnumerable<ReadNeeds> needs)
    {
        ArgumentNullException.ThrowIfNull(needs);
        var all = needs.ToList();
        var owners = all.Select(n => n.OwnsTag).OfType<Func<string, bool>>().ToList();
        return new ReadNeeds
        {
            TagNames = all.SelectMany(n => n.TagNames).ToHashSet(StringComparer.Ordinal),
            OwnedTagPaths = all.SelectMany(n => n.OwnedTagPaths).Distinct(StringComparer.Ordinal).ToList(),
            OwnsTag = owners.Count == 0 ? null : path => owners.Exists(o => o(path)),
            Duplicates = all.Exists(n => n.Duplicates),
            Users = all.Exists(n => n.Users),
            Thumbnails = all.Exists(n => n.Thumbnails),
            Exif = all.Exists(n => n.Exif),
        };
    }
}
