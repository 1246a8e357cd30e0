namespace ImmichAutoTag.TestKit.Http;

/// <summary>The MetadataSearchDto filters the fake understands; everything else in the body is ignored.</summary>
internal sealed class SearchFilter
{
    public Guid? Id { get; init; }
    public string? Checksum { get; init; }
    public string? OriginalFileName { get; init; }
    public string? OriginalPath { get; init; }
    public string? Description { get; init; }
    public string? Type { get; init; }
    public string? Visibility { get; init; }
    public bool? IsFavorite { get; init; }
    public bool? IsNotInAlbum { get; init; }
    public bool WithDeleted { get; init; }
    public DateTimeOffset? UpdatedAfter { get; init; }
    public DateTimeOffset? UpdatedBefore { get; init; }
    public DateTimeOffset? TakenAfter { get; init; }
    public DateTimeOffset? TakenBefore { get; init; }
    public DateTimeOffset? CreatedAfter { get; init; }
    public DateTimeOffset? CreatedBefore { get; init; }
    public DateTimeOffset? TrashedAfter { get; init; }
    public DateTimeOffset? TrashedBefore { get; init; }
    public IReadOnlyList<Guid>? AlbumIds { get; init; }
    public IReadOnlyList<Guid>? TagIds { get; init; }

    public static SearchFilter Read(RequestBody body) => new()
    {
        Id = body.Uuid("id"),
        Checksum = body.String("checksum"),
        OriginalFileName = body.String("originalFileName"),
        OriginalPath = body.String("originalPath"),
        Description = body.String("description"),
        Type = body.Enum("type", "IMAGE", "VIDEO", "AUDIO", "OTHER"),
        Visibility = body.Enum("visibility", "archive", "timeline", "hidden", "locked"),
        IsFavorite = body.Bool("isFavorite"),
        IsNotInAlbum = body.Bool("isNotInAlbum"),
        WithDeleted = body.Bool("withDeleted") ?? false,
        UpdatedAfter = body.Date("updatedAfter"),
        UpdatedBefore = body.Date("updatedBefore"),
        TakenAfter = body.Date("takenAfter"),
        TakenBefore = body.Date("takenBefore"),
        CreatedAfter = body.Date("createdAfter"),
        CreatedBefore = body.Date("createdBefore"),
        TrashedAfter = body.Date("trashedAfter"),
        TrashedBefore = body.Date("trashedBefore"),
        AlbumIds = body.UuidArray("albumIds"),
        TagIds = body.UuidArray("tagIds"),
    };

    /// <summary>Matches in ascending (fileCreatedAt, id) order. Caller holds the state lock.</summary>
    public IEnumerable<FakeAsset> Run(FakeImmichState state, Guid userId, bool descending)
    {
        var owners = state.VisibleOwners(userId);
        HashSet<Guid>? candidates = null;
        foreach (var albumId in AlbumIds ?? [])
        {
            var album = state.FindAlbum(albumId);
            var members = album is not null && FakeImmichState.CanSeeAlbum(userId, album)
                ? state.AlbumAssetsLocked(albumId)
                : new HashSet<Guid>();
            candidates = Intersect(candidates, members);
        }

        foreach (var tagId in TagIds ?? [])
        {
            var members = state.FindTagById(tagId) is null
                ? new HashSet<Guid>()
                : state.AssetsOfTagTreeLocked(tagId).Select(a => a.Id).ToHashSet();
            candidates = Intersect(candidates, members);
        }

        if (Id is { } id)
        {
            candidates = Intersect(candidates, new HashSet<Guid> { id });
        }

        IEnumerable<FakeAsset> ordered;
        if (candidates is null)
        {
            var sorted = state.SortedLocked();
            ordered = descending ? Reverse(sorted) : sorted;
        }
        else
        {
            var list = candidates.Select(state.FindAsset).OfType<FakeAsset>().ToList();
            list.Sort(state.CompareForPaging);
            if (descending)
            {
                list.Reverse();
            }

            ordered = list;
        }

        return ordered.Where(a => Matches(state, owners, a));
    }

    private static IEnumerable<FakeAsset> Reverse(List<FakeAsset> list)
    {
        for (var i = list.Count - 1; i >= 0; i--)
        {
            yield return list[i];
        }
    }

    private static HashSet<Guid> Intersect(HashSet<Guid>? current, IReadOnlySet<Guid> next)
    {
        if (current is null)
        {
            return [.. next];
        }

        current.IntersectWith(next);
        return current;
    }

    private bool Matches(FakeImmichState state, HashSet<Guid> owners, FakeAsset a)
    {
        if (!owners.Contains(a.OwnerId))
        {
            return false;
        }

        // API keys never carry the elevated (PIN) session that locked assets need.
        if (a.Visibility == "locked")
        {
            return false;
        }

        // Without a visibility filter Immich 3.x also returns hidden assets: the video halves of Live/Motion Photos.
        if (Visibility is not null && a.Visibility != Visibility)
        {
            return false;
        }

        var trashFilter = TrashedAfter is not null || TrashedBefore is not null;
        if (a.IsTrashed && !WithDeleted && !trashFilter)
        {
            return false;
        }

        if (trashFilter && (a.DeletedAt is not { } deleted
                            || (TrashedAfter is { } ta && deleted < ta)
                            || (TrashedBefore is { } tb && deleted > tb)))
        {
            return false;
        }

        return (Checksum is null || a.Checksum == Checksum)
            && (OriginalFileName is null || a.OriginalFileName.Contains(OriginalFileName, StringComparison.OrdinalIgnoreCase))
            && (OriginalPath is null || a.OriginalPath.Contains(OriginalPath, StringComparison.OrdinalIgnoreCase))
            && (Description is null || (a.Description ?? "").Contains(Description, StringComparison.OrdinalIgnoreCase))
            && (Type is null || a.Type == Type)
            && (IsFavorite is null || a.IsFavorite == IsFavorite)
            && (IsNotInAlbum is not true || state.AlbumsOfAssetLocked(a.Id).Count == 0)
            && (UpdatedAfter is null || a.UpdatedAt >= UpdatedAfter)
            && (UpdatedBefore is null || a.UpdatedAt <= UpdatedBefore)
            && (TakenAfter is null || a.FileCreatedAt >= TakenAfter)
            && (TakenBefore is null || a.FileCreatedAt <= TakenBefore)
            && (CreatedAfter is null || a.CreatedAt >= CreatedAfter)
            && (CreatedBefore is null || a.CreatedAt <= CreatedBefore);
    }
}
