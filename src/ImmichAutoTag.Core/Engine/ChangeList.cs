using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Why a change is planned: the feature step that asked for it (its name in <see cref="FeatureSteps"/>, e.g.
/// "classification", "date_repair", "tag_album_sync") and a human text (the status, the rule, the album, the date's source).
/// </summary>
public sealed record ChangeReason(string Step, string Text)
{
    /// <summary>"step: text", as plan.txt and changes.jsonl show it.</summary>
    public override string ToString() => $"{Step}: {Text}";
}

/// <summary>
/// One change a run intends to make on the server, typed by kind, with its <see cref="Reason"/>. Planners emit
/// these into one <see cref="ChangeList"/>; the appliers send them in bulk, grouped by kind.
/// </summary>
public abstract record PlannedChange(ChangeReason Reason)
{
    /// <summary>The kind an accepted change of this sort is recorded under (<see cref="AppliedChange.Kind"/>).</summary>
    public abstract ChangeKind Kind { get; }
}

/// <summary>Tag an asset (PUT /tags/assets). <see cref="TagId"/> is null when the tag does not exist yet and is created first.</summary>
/// <param name="TagPath">The tag's full path (Immich's tag <c>value</c>).</param>
public sealed record AddTag(Guid AssetId, string TagPath, Guid? TagId, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.Added;
}

/// <summary>Untag an asset (DELETE /tags/{id}/assets).</summary>
public sealed record RemoveTag(Guid AssetId, Guid TagId, string TagPath, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.Removed;
}

/// <summary>Add an asset to an existing album (PUT /albums/{id}/assets).</summary>
public sealed record AddAlbumMember(Guid AssetId, Guid AlbumId, string AlbumName, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.AddedToAlbum;
}

/// <summary>Take an asset out of an album (DELETE /albums/{id}/assets).</summary>
public sealed record RemoveAlbumMember(Guid AssetId, Guid AlbumId, string AlbumName, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.RemovedFromAlbum;
}

/// <summary>Create an album of the key's user with its first members (POST /albums, then PUT /albums/{id}/assets beyond the first chunk).</summary>
public sealed record CreateAlbum(string AlbumName, IReadOnlyList<Guid> AssetIds, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.AlbumCreated;
}

/// <summary>Delete one of the tool's own albums (DELETE /albums/{id}).</summary>
public sealed record DeleteAlbum(Guid AlbumId, string AlbumName, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.AlbumDeleted;

    /// <summary>The assets the album holds, which leave it with it: recorded as taken out, so an undo can put them back.</summary>
    public IReadOnlyList<Guid> AssetIds { get; init; } = [];
}

/// <summary>Rewrite an asset's capture date (PUT /assets, field <c>dateTimeOriginal</c>).</summary>
/// <param name="OldDate">The date the server holds now (<c>fileCreatedAt</c>).</param>
/// <param name="NewDate">The instant the new value stands for.</param>
/// <param name="NewValue">The <c>dateTimeOriginal</c> to send (wall clock with offset); assets sharing it share one call.</param>
/// <param name="Source">Where the date comes from (a file name, a duplicate, a folder).</param>
public sealed record SetDate(Guid AssetId, DateTimeOffset OldDate, DateTimeOffset NewDate, string NewValue, string Source, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.DateUpdated;
}

/// <summary>Set or clear an asset's favourite flag (PUT /assets, field <c>isFavorite</c>).</summary>
public sealed record SetFavorite(Guid AssetId, bool IsFavorite, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.FavoriteChanged;
}

/// <summary>Move an asset to the archive or back to the timeline (PUT /assets, field <c>visibility</c>).</summary>
public sealed record SetArchived(Guid AssetId, bool Archived, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => ChangeKind.ArchiveChanged;
}

/// <summary>
/// Share an album with a user, change the user's role, or stop sharing it (album users: PUT/PATCH/DELETE
/// /albums/{id}/user(s)). <see cref="AlbumId"/> is <see cref="Guid.Empty"/> for an album this run creates.
/// </summary>
public sealed record ShareAlbum(Guid AlbumId, string AlbumName, Guid UserId, string Email, ShareAction Action, AlbumRole? OldRole, AlbumRole? NewRole, ChangeReason Reason) : PlannedChange(Reason)
{
    public override ChangeKind Kind => Action switch
    {
        ShareAction.Share => ChangeKind.AlbumShared,
        ShareAction.ChangeRole => ChangeKind.AlbumRoleChanged,
        _ => ChangeKind.AlbumUnshared,
    };
}

/// <summary>
/// Every change a run plans, in the order the steps emitted them. Immutable; the per-kind groupings the appliers
/// send in bulk (<see cref="ChangeGroups"/>) are derived once, on first use.
/// </summary>
public sealed class ChangeList : IReadOnlyList<PlannedChange>
{
    private readonly PlannedChange[] _items;
    private ChangeGroups? _groups;

    /// <summary>A list of <paramref name="changes"/>, in their order.</summary>
    public ChangeList(IEnumerable<PlannedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _items = changes.ToArray();
    }

    /// <summary>No change at all: what a converged library's rerun plans.</summary>
    public static ChangeList Empty { get; } = new([]);

    public int Count => _items.Length;

    public PlannedChange this[int index] => _items[index];

    /// <summary>The changes grouped by kind, as the appliers send them (one request per tag, album, date value...).</summary>
    public ChangeGroups Groups => _groups ??= new ChangeGroups(_items);

    /// <summary>The changes of one kind, in list order.</summary>
    public IEnumerable<T> OfKind<T>()
        where T : PlannedChange => _items.OfType<T>();

    /// <summary>The list without the changes <paramref name="drop"/> selects.</summary>
    public ChangeList Without(Func<PlannedChange, bool> drop)
    {
        ArgumentNullException.ThrowIfNull(drop);
        return new ChangeList(_items.Where(c => !drop(c)));
    }

    /// <summary>This list followed by <paramref name="more"/>.</summary>
    public ChangeList Concat(IEnumerable<PlannedChange> more) => new(_items.Concat(more));

    public IEnumerator<PlannedChange> GetEnumerator() => ((IEnumerable<PlannedChange>)_items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _items.GetEnumerator();
}

/// <summary>
/// A <see cref="ChangeList"/> grouped the way the appliers write: tag path → assets, tag id → assets, album →
/// members, one entry per date, album creation, deletion and sharing change. Assets appear once per group, in the
/// order the list first names them; groups keep the order of their first change.
/// </summary>
public sealed class ChangeGroups
{
    private readonly Dictionary<(ChangeKind Kind, Guid AssetId, string Key), ChangeReason> _reasons = [];

    internal ChangeGroups(IReadOnlyList<PlannedChange> changes)
    {
        var additions = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var removals = new Dictionary<Guid, List<Guid>>();
        var tagPaths = new Dictionary<Guid, string>();
        var toCreate = new SortedSet<string>(StringComparer.Ordinal);
        var members = new Dictionary<Guid, (string Name, List<Guid> Ids)>();
        var leaving = new Dictionary<Guid, (string Name, List<Guid> Ids)>();
        var creations = new List<AlbumCreation>();
        var deletions = new List<AlbumDeletion>();
        var sharing = new List<AlbumShareChange>();
        var dates = new List<DateUpdate>();
        var flags = new List<AssetFlagUpdate>();
        foreach (var change in changes)
        {
            switch (change)
            {
                case AddTag a:
                    AddOnce(additions, a.TagPath, a.AssetId);
                    if (a.TagId is { } id)
                    {
                        tagPaths[id] = a.TagPath;
                    }
                    else
                    {
                        toCreate.Add(a.TagPath);
                    }

                    _reasons.TryAdd((ChangeKind.Added, a.AssetId, a.TagPath), a.Reason);
                    break;
                case RemoveTag r:
                    AddOnce(removals, r.TagId, r.AssetId);
                    tagPaths[r.TagId] = r.TagPath;
                    _reasons.TryAdd((ChangeKind.Removed, r.AssetId, r.TagPath), r.Reason);
                    break;
                case AddAlbumMember m:
                    AddMember(members, m.AlbumId, m.AlbumName, m.AssetId);
                    _reasons.TryAdd((ChangeKind.AddedToAlbum, m.AssetId, m.AlbumName), m.Reason);
                    break;
                case RemoveAlbumMember m:
                    AddMember(leaving, m.AlbumId, m.AlbumName, m.AssetId);
                    _reasons.TryAdd((ChangeKind.RemovedFromAlbum, m.AssetId, m.AlbumName), m.Reason);
                    break;
                case CreateAlbum c:
                    creations.Add(new AlbumCreation(c.AlbumName, c.AssetIds, c.Reason.Text));
                    _reasons.TryAdd((ChangeKind.AlbumCreated, Guid.Empty, c.AlbumName), c.Reason);
                    foreach (var assetId in c.AssetIds)
                    {
                        _reasons.TryAdd((ChangeKind.AddedToAlbum, assetId, c.AlbumName), c.Reason);
                    }

                    break;
                case DeleteAlbum d:
                    deletions.Add(new AlbumDeletion(d.AlbumId, d.AlbumName, d.Reason.Text) { AssetIds = d.AssetIds });
                    _reasons.TryAdd((ChangeKind.AlbumDeleted, Guid.Empty, d.AlbumName), d.Reason);
                    break;
                case ShareAlbum s:
                    sharing.Add(new AlbumShareChange(s.AlbumId, s.AlbumName, s.UserId, s.Email, s.Action, s.OldRole, s.NewRole, s.Reason.Text));
                    _reasons.TryAdd((s.Kind, Guid.Empty, s.AlbumName + "\n" + s.Email), s.Reason);
                    break;
                case SetDate d:
                    dates.Add(new DateUpdate(d.AssetId, d.OldDate, d.NewDate, d.NewValue, d.Source));
                    _reasons.TryAdd((ChangeKind.DateUpdated, d.AssetId, string.Empty), d.Reason);
                    break;
                case SetFavorite f:
                    flags.Add(new AssetFlagUpdate(f.AssetId, ChangeKind.FavoriteChanged, f.IsFavorite));
                    _reasons.TryAdd((ChangeKind.FavoriteChanged, f.AssetId, string.Empty), f.Reason);
                    break;
                case SetArchived a:
                    flags.Add(new AssetFlagUpdate(a.AssetId, ChangeKind.ArchiveChanged, a.Archived));
                    _reasons.TryAdd((ChangeKind.ArchiveChanged, a.AssetId, string.Empty), a.Reason);
                    break;
                default:
                    throw new InvalidOperationException($"No applier for {change.GetType().Name}");
            }
        }

        Additions = additions.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value, StringComparer.Ordinal);
        Removals = removals.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value);
        TagPaths = tagPaths;
        TagsToCreate = toCreate.ToList();

        // Albums in name order: the order plan.txt and the appliers have always used.
        AlbumAdditions = members.Select(kv => new AlbumAddition(kv.Key, kv.Value.Name, kv.Value.Ids)).OrderBy(a => a.AlbumName, StringComparer.Ordinal).ToList();
        AlbumRemovals = leaving.Select(kv => new AlbumRemoval(kv.Key, kv.Value.Name, kv.Value.Ids)).ToList();
        AlbumsToCreate = creations.OrderBy(c => c.AlbumName, StringComparer.Ordinal).ToList();
        AlbumDeletions = deletions;
        SharingChanges = sharing;
        DateUpdates = dates;
        FlagUpdates = flags.DistinctBy(f => (f.AssetId, f.Kind)).ToList();
    }

    /// <summary>Tag paths that do not exist yet and are needed for additions, in ordinal order.</summary>
    public IReadOnlyList<string> TagsToCreate { get; }

    /// <summary>Tag path → assets that should get it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Guid>> Additions { get; }

    /// <summary>Tag id → assets that should lose it.</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> Removals { get; }

    /// <summary>Tag id → path, for every removed tag and every existing tag added.</summary>
    public IReadOnlyDictionary<Guid, string> TagPaths { get; }

    /// <summary>Existing albums and the assets to add to each, in album name order.</summary>
    public IReadOnlyList<AlbumAddition> AlbumAdditions { get; }

    /// <summary>Albums and the assets to take out of each.</summary>
    public IReadOnlyList<AlbumRemoval> AlbumRemovals { get; }

    /// <summary>Albums to create with their first members, in name order.</summary>
    public IReadOnlyList<AlbumCreation> AlbumsToCreate { get; }

    public IReadOnlyList<AlbumDeletion> AlbumDeletions { get; }

    public IReadOnlyList<AlbumShareChange> SharingChanges { get; }

    public IReadOnlyList<DateUpdate> DateUpdates { get; }

    /// <summary>Favourite and archive changes, one per asset and kind.</summary>
    public IReadOnlyList<AssetFlagUpdate> FlagUpdates { get; }

    /// <summary>
    /// The reason of the planned change an accepted change carries out; null for a change no step planned (a
    /// re-applied one). Album-level changes (create, delete, sharing) have <see cref="Guid.Empty"/> as asset.
    /// </summary>
    public ChangeReason? ReasonOf(AppliedChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var key = change.Kind switch
        {
            ChangeKind.Added or ChangeKind.Removed => change.TagName,
            ChangeKind.DateUpdated or ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged => string.Empty,
            ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged or ChangeKind.AlbumUnshared => change.AlbumName + "\n" + EmailOf(change),
            _ => change.AlbumName ?? string.Empty,
        };
        return _reasons.GetValueOrDefault((change.Kind, change.AssetId, key));
    }

    /// <summary>
    /// The reason of the planned change of <paramref name="kind"/> on <paramref name="assetId"/>; <paramref name="key"/> is
    /// the tag path (tags), the album name (albums) or empty (dates, favourite, archive). Null when none was planned.
    /// </summary>
    public ChangeReason? ReasonOf(ChangeKind kind, Guid assetId, string key) => _reasons.GetValueOrDefault((kind, assetId, key));

    /// <summary>The sharing applier records "email role" in the new (share, re-role) or old (unshare) value.</summary>
    private static string EmailOf(AppliedChange change)
    {
        var value = change.Kind == ChangeKind.AlbumUnshared ? change.OldValue : change.NewValue;
        var space = value?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        return space < 0 ? value ?? string.Empty : value![..space]; // non-null: space >= 0 only when value is set
    }

    /// <summary>Adds <paramref name="assetId"/> to <paramref name="key"/>'s list once (an asset is changed once per tag or album).</summary>
    internal static void AddOnce<TKey>(Dictionary<TKey, List<Guid>> map, TKey key, Guid assetId)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        if (!list.Contains(assetId))
        {
            list.Add(assetId);
        }
    }

    private static void AddMember(Dictionary<Guid, (string Name, List<Guid> Ids)> map, Guid albumId, string name, Guid assetId)
    {
        if (!map.TryGetValue(albumId, out var entry))
        {
            entry = (name, []);
            map[albumId] = entry;
        }

        if (!entry.Ids.Contains(assetId))
        {
            entry.Ids.Add(assetId);
        }
    }
}

/// <summary>One asset's favourite flag (<see cref="ChangeKind.FavoriteChanged"/>) or archive state (<see cref="ChangeKind.ArchiveChanged"/>) to set.</summary>
/// <param name="Value">The new favourite flag, or true for archived (false: back to the timeline).</param>
public sealed record AssetFlagUpdate(Guid AssetId, ChangeKind Kind, bool Value);
