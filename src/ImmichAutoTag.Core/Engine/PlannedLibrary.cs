using System.Globalization;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The library as a plan will leave it, and the composition of plans made one after the other: what lets a run plan
/// again on its own result (<see cref="RunPlanner"/>) so a step that plans before another (classification before the
/// workflows, tag ↔ album sync before conversions) sees that step's changes in the same run.
/// </summary>
/// <param name="Library">The library after the plan (albums and tags the plan creates carry placeholder ids).</param>
/// <param name="Duplicates">The duplicate groups with their assets as the plan leaves them (dates, flags).</param>
/// <param name="CreatedAlbums">Placeholder album id → name, for the albums the plan creates.</param>
internal sealed record PlannedLibrary(
    LibrarySnapshot Library,
    IReadOnlyList<DuplicateGroup>? Duplicates,
    IReadOnlyDictionary<Guid, string> CreatedAlbums)
{
    /// <summary>
    /// <paramref name="read"/> with <paramref name="changes"/> (planned on it) applied: tags added and removed (a tag
    /// the plan creates gets a placeholder id), albums created, joined, left and deleted, favourite flags, archive
    /// moves, capture dates and album sharing.
    /// </summary>
    public static PlannedLibrary Apply(LibrarySnapshot read, IReadOnlyList<DuplicateGroup>? duplicates, ChangeList changes)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(changes);
        var tags = new List<Tag>(read.Tags);
        var tagsByPath = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var t in read.Tags)
        {
            tagsByPath.TryAdd(t.Value, t);
        }

        var albums = read.Albums.ToDictionary(a => a.Id);
        var albumOrder = read.Albums.Select(a => a.Id).ToList();
        var created = new Dictionary<Guid, string>();
        var createdByName = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var tagsByAsset = new Dictionary<Guid, List<Tag>>();
        var albumsByAsset = new Dictionary<Guid, List<Album>>();
        var assets = read.Assets.ToDictionary(a => a.Id);
        List<Tag> TagsOf(Guid id) => tagsByAsset.TryGetValue(id, out var l) ? l : tagsByAsset[id] = [.. read.TagsOf(id)];
        List<Album> AlbumsOf(Guid id) => albumsByAsset.TryGetValue(id, out var l) ? l : albumsByAsset[id] = [.. read.AlbumsOf(id)];
        Guid? AlbumId(Guid id, string name) => albums.ContainsKey(id) ? id : createdByName.TryGetValue(name, out var c) ? c : null;

        // Albums first, as the apply creates them: a change that names a new album may come before its creation.
        foreach (var change in changes.OfKind<CreateAlbum>().Concat(changes.Where(c => c is not CreateAlbum)))
        {
            switch (change)
            {
                case AddTag a:
                    if (!tagsByPath.TryGetValue(a.TagPath, out var tag))
                    {
                        tag = new Tag(Guid.NewGuid(), a.TagPath.Split('/')[^1], a.TagPath, null);
                        tagsByPath[a.TagPath] = tag;
                        tags.Add(tag);
                    }

                    var carried = TagsOf(a.AssetId);
                    if (!carried.Exists(t => string.Equals(t.Value, a.TagPath, StringComparison.Ordinal)))
                    {
                        carried.Add(tag);
                    }

                    break;
                case RemoveTag r:
                    TagsOf(r.AssetId).RemoveAll(t => string.Equals(t.Value, r.TagPath, StringComparison.Ordinal));
                    break;
                case CreateAlbum c when !createdByName.ContainsKey(c.AlbumName):
                    var album = new Album(Guid.NewGuid(), c.AlbumName, c.AssetIds.Count, read.User.Id, false);
                    albums[album.Id] = album;
                    albumOrder.Add(album.Id);
                    created[album.Id] = c.AlbumName;
                    createdByName[c.AlbumName] = album.Id;
                    foreach (var id in c.AssetIds)
                    {
                        Join(id, album.Id);
                    }

                    break;
                case CreateAlbum c:
                    foreach (var id in c.AssetIds)
                    {
                        Join(id, createdByName[c.AlbumName]);
                    }

                    break;
                case AddAlbumMember m when AlbumId(m.AlbumId, m.AlbumName) is { } joined:
                    Join(m.AssetId, joined);
                    break;
                case RemoveAlbumMember m when AlbumId(m.AlbumId, m.AlbumName) is { } left:
                    AlbumsOf(m.AssetId).RemoveAll(a => a.Id == left);
                    break;
                case DeleteAlbum d when AlbumId(d.AlbumId, d.AlbumName) is { } deleted:
                    albums.Remove(deleted);
                    // Only the assets in an album are looked at (copying every asset's list would cost a first run dear).
                    foreach (var id in read.AlbumsByAsset.Keys.Concat(albumsByAsset.Keys).Distinct().ToList())
                    {
                        var current = albumsByAsset.TryGetValue(id, out var copied) ? copied : read.AlbumsOf(id);
                        if (current.Any(a => a.Id == deleted))
                        {
                            AlbumsOf(id).RemoveAll(a => a.Id == deleted);
                        }
                    }

                    break;
                case SetFavorite f when assets.TryGetValue(f.AssetId, out var asset):
                    assets[f.AssetId] = asset with { IsFavorite = f.IsFavorite };
                    break;
                case SetArchived s when assets.TryGetValue(s.AssetId, out var asset):
                    assets[s.AssetId] = asset with
                    {
                        IsArchived = s.Archived,
                        Visibility = s.Archived ? AssetVisibility.Archive : asset.Visibility == AssetVisibility.Archive ? AssetVisibility.Timeline : asset.Visibility,
                    };
                    break;
                case SetDate d when assets.TryGetValue(d.AssetId, out var asset):
                    // Immich's localDateTime is the wall clock written as UTC.
                    var local = DateTimeOffset.TryParse(d.NewValue, CultureInfo.InvariantCulture, DateTimeStyles.None, out var written)
                        ? new DateTimeOffset(written.DateTime, TimeSpan.Zero)
                        : asset.LocalDateTime + (d.NewDate - asset.FileCreatedAt);
                    assets[d.AssetId] = asset with { FileCreatedAt = d.NewDate, LocalDateTime = local };
                    break;
                case ShareAlbum s when AlbumId(s.AlbumId, s.AlbumName) is { } shared:
                    var target = albums[shared];
                    var members = target.Members.Where(m => m.UserId != s.UserId).ToList();
                    if (s.Action != ShareAction.Unshare && s.NewRole is { } role)
                    {
                        members.Add(new AlbumMember(s.UserId, s.Email, role));
                    }

                    albums[shared] = target with { Members = members, Shared = members.Count > 0 };
                    break;
            }
        }

        // Album records changed (sharing) or went (deleted): every asset list names the current record.
        var albumList = albumOrder.Where(albums.ContainsKey).Select(id => albums[id]).ToList();
        var byAsset = new Dictionary<Guid, IReadOnlyList<Album>>(read.AlbumsByAsset);
        foreach (var (id, list) in albumsByAsset)
        {
            byAsset[id] = list;
        }

        foreach (var (id, list) in byAsset.ToList())
        {
            if (list.Any(a => !albums.TryGetValue(a.Id, out var current) || !ReferenceEquals(current, a)))
            {
                byAsset[id] = [.. list.Where(a => albums.ContainsKey(a.Id)).Select(a => albums[a.Id])];
            }
        }

        var byAssetTags = new Dictionary<Guid, IReadOnlyList<Tag>>(read.TagsByAsset);
        foreach (var (id, list) in tagsByAsset)
        {
            byAssetTags[id] = list;
        }

        var library = read with
        {
            Assets = [.. read.Assets.Select(a => assets[a.Id])],
            Albums = albumList,
            Tags = tags,
            AlbumsByAsset = byAsset,
            TagsByAsset = byAssetTags,
        };
        var groups = duplicates?.Select(g => g with { Assets = [.. g.Assets.Select(a => assets.GetValueOrDefault(a.Id) ?? a)] }).ToList();
        return new PlannedLibrary(library, groups, created);

        void Join(Guid assetId, Guid albumId)
        {
            var list = AlbumsOf(assetId);
            if (!list.Exists(a => a.Id == albumId))
            {
                list.Add(albums[albumId]);
            }
        }
    }

    /// <summary>
    /// One list, relative to <paramref name="read"/>, of <paramref name="earlier"/> (planned on <paramref name="read"/>)
    /// followed by <paramref name="later"/> (planned on <paramref name="planned"/>, the library <paramref name="earlier"/>
    /// leaves): a change the later plan undoes goes, each remaining change carries the reason of the plan that last made
    /// it, and an album the earlier plan creates is created once with every asset that ends up in it.
    /// </summary>
    public static ChangeList Compose(LibrarySnapshot read, ChangeList earlier, ChangeList later, PlannedLibrary planned)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(later);
        ArgumentNullException.ThrowIfNull(planned);

        // Each change's slot, in the order the plans first name it: (what, key).
        var order = new List<(Slot Kind, object Key)>();
        var tags = new Dictionary<(Guid Asset, string Path), (bool Present, ChangeReason Reason)>();
        var members = new Dictionary<(Guid Asset, Guid Album), (bool Member, string Name, ChangeReason Reason)>();
        // Members kept as a list (their order) and a set (a first run may put most of a library into one new album).
        var creations = new Dictionary<string, (List<Guid> Assets, HashSet<Guid> Set, ChangeReason Reason, bool HadAssets)>(StringComparer.Ordinal);
        var tagIds = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var t in read.Tags)
        {
            tagIds.TryAdd(t.Value, t.Id);
        }

        var deletions = new Dictionary<Guid, DeleteAlbum>();
        var favorites = new Dictionary<Guid, SetFavorite>();
        var archives = new Dictionary<Guid, SetArchived>();
        var dates = new Dictionary<Guid, SetDate>();
        var sharing = new Dictionary<(string Album, Guid User), ShareAlbum>();
        var existingAlbums = read.Albums.Select(a => a.Id).ToHashSet();
        string? CreatedName(Guid albumId, string name) =>
            planned.CreatedAlbums.TryGetValue(albumId, out var n) ? n : !existingAlbums.Contains(albumId) && creations.ContainsKey(name) ? name : null;
        void First(Slot kind, object key, bool isNew)
        {
            if (isNew)
            {
                order.Add((kind, key));
            }
        }

        static IEnumerable<PlannedChange> CreationsFirst(ChangeList list) => list.OfKind<CreateAlbum>().Concat(list.Where(c => c is not CreateAlbum));
        foreach (var change in CreationsFirst(earlier).Concat(CreationsFirst(later)))
        {
            switch (change)
            {
                case AddTag a:
                    First(Slot.Tag, (a.AssetId, a.TagPath), !tags.ContainsKey((a.AssetId, a.TagPath)));
                    tags[(a.AssetId, a.TagPath)] = (true, a.Reason);
                    break;
                case RemoveTag r:
                    First(Slot.Tag, (r.AssetId, r.TagPath), !tags.ContainsKey((r.AssetId, r.TagPath)));
                    tags[(r.AssetId, r.TagPath)] = (false, r.Reason);
                    break;
                case CreateAlbum c:
                    if (!creations.TryGetValue(c.AlbumName, out var creation))
                    {
                        creation = ([], [], c.Reason, c.AssetIds.Count > 0);
                        creations[c.AlbumName] = creation;
                        order.Add((Slot.Creation, c.AlbumName));
                    }

                    foreach (var id in c.AssetIds)
                    {
                        if (creation.Set.Add(id))
                        {
                            creation.Assets.Add(id);
                        }
                    }

                    break;
                case AddAlbumMember m when CreatedName(m.AlbumId, m.AlbumName) is { } name && creations.TryGetValue(name, out var into):
                    if (into.Set.Add(m.AssetId))
                    {
                        into.Assets.Add(m.AssetId);
                    }

                    break;
                case RemoveAlbumMember m when CreatedName(m.AlbumId, m.AlbumName) is { } name && creations.TryGetValue(name, out var from):
                    if (from.Set.Remove(m.AssetId))
                    {
                        from.Assets.Remove(m.AssetId);
                    }

                    break;
                case AddAlbumMember m:
                    First(Slot.Member, (m.AssetId, m.AlbumId), !members.ContainsKey((m.AssetId, m.AlbumId)));
                    members[(m.AssetId, m.AlbumId)] = (true, m.AlbumName, m.Reason);
                    break;
                case RemoveAlbumMember m:
                    First(Slot.Member, (m.AssetId, m.AlbumId), !members.ContainsKey((m.AssetId, m.AlbumId)));
                    members[(m.AssetId, m.AlbumId)] = (false, m.AlbumName, m.Reason);
                    break;
                case DeleteAlbum d when CreatedName(d.AlbumId, d.AlbumName) is { } name:
                    creations.Remove(name);
                    break;
                case DeleteAlbum d:
                    First(Slot.Deletion, d.AlbumId, deletions.TryAdd(d.AlbumId, d));

                    break;
                case SetFavorite f:
                    First(Slot.Favorite, f.AssetId, !favorites.ContainsKey(f.AssetId));
                    favorites[f.AssetId] = f;
                    break;
                case SetArchived s:
                    First(Slot.Archive, s.AssetId, !archives.ContainsKey(s.AssetId));
                    archives[s.AssetId] = s;
                    break;
                case SetDate d:
                    First(Slot.Date, d.AssetId, !dates.ContainsKey(d.AssetId));
                    dates[d.AssetId] = d;
                    break;
                case ShareAlbum s:
                    // Guid.Empty: an album this run creates, named (AlbumSharing).
                    var isNew = s.AlbumId == Guid.Empty || planned.CreatedAlbums.ContainsKey(s.AlbumId);
                    var shareKey = (isNew ? "new:" + s.AlbumName : s.AlbumId.ToString(), s.UserId);
                    var normalized = isNew ? s with { AlbumId = Guid.Empty } : s;
                    if (sharing.TryGetValue(shareKey, out var firstShare))
                    {
                        normalized = normalized with { OldRole = firstShare.OldRole };
                    }
                    else
                    {
                        order.Add((Slot.Sharing, shareKey));
                    }

                    sharing[shareKey] = normalized;
                    break;
            }
        }

        var assets = read.Assets.ToDictionary(a => a.Id);
        var result = new List<PlannedChange>(order.Count);
        foreach (var (kind, key) in order)
        {
            switch (kind)
            {
                case Slot.Tag:
                    var (tagAsset, path) = ((Guid, string))key;
                    var t = tags[(tagAsset, path)];
                    var had = read.TagsOf(tagAsset).FirstOrDefault(x => string.Equals(x.Value, path, StringComparison.Ordinal));
                    if (t.Present && had is null)
                    {
                        result.Add(new AddTag(tagAsset, path, tagIds.TryGetValue(path, out var tagId) ? tagId : null, t.Reason));
                    }
                    else if (!t.Present && had is not null)
                    {
                        result.Add(new RemoveTag(tagAsset, had.Id, path, t.Reason));
                    }

                    break;
                case Slot.Member:
                    var (memberAsset, album) = ((Guid, Guid))key;
                    var m = members[(memberAsset, album)];
                    var isMember = read.AlbumsOf(memberAsset).Any(a => a.Id == album);
                    if (m.Member && !isMember)
                    {
                        result.Add(new AddAlbumMember(memberAsset, album, m.Name, m.Reason));
                    }
                    else if (!m.Member && isMember)
                    {
                        result.Add(new RemoveAlbumMember(memberAsset, album, m.Name, m.Reason));
                    }

                    break;
                case Slot.Creation when creations.TryGetValue((string)key, out var c):
                    if (c.Assets.Count > 0 || !c.HadAssets)
                    {
                        result.Add(new CreateAlbum((string)key, c.Assets, c.Reason));
                    }

                    break;
                case Slot.Deletion:
                    result.Add(deletions[(Guid)key]);
                    break;
                case Slot.Favorite:
                    var fav = favorites[(Guid)key];
                    if (!assets.TryGetValue(fav.AssetId, out var fa) || fa.IsFavorite != fav.IsFavorite)
                    {
                        result.Add(fav);
                    }

                    break;
                case Slot.Archive:
                    var arch = archives[(Guid)key];
                    if (!assets.TryGetValue(arch.AssetId, out var aa) || (aa.IsArchived || aa.Visibility == AssetVisibility.Archive) != arch.Archived)
                    {
                        result.Add(arch);
                    }

                    break;
                case Slot.Date:
                    var date = dates[(Guid)key];
                    if (!assets.TryGetValue(date.AssetId, out var da))
                    {
                        result.Add(date);
                    }
                    else if ((da.FileCreatedAt - date.NewDate).Duration() >= TimeSpan.FromSeconds(1))
                    {
                        result.Add(date with { OldDate = da.FileCreatedAt });
                    }

                    break;
                case Slot.Sharing:
                    result.Add(sharing[((string, Guid))key]);
                    break;
            }
        }

        return new ChangeList(result);
    }

    private enum Slot
    {
        Tag,
        Member,
        Creation,
        Deletion,
        Favorite,
        Archive,
        Date,
        Sharing,
    }

    /// <summary>Whether two lists make the same changes (kind, asset, target, value), whatever their order and reasons.</summary>
    public static bool SameChanges(ChangeList a, ChangeList b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Count == b.Count && Signatures(a).SetEquals(Signatures(b));
    }

    private static HashSet<string> Signatures(ChangeList changes) =>
        changes.Select(c => c switch
        {
            AddTag t => $"+t|{t.AssetId}|{t.TagPath}",
            RemoveTag t => $"-t|{t.AssetId}|{t.TagPath}",
            AddAlbumMember m => $"+m|{m.AssetId}|{m.AlbumId}",
            RemoveAlbumMember m => $"-m|{m.AssetId}|{m.AlbumId}",
            CreateAlbum n => $"c|{n.AlbumName}|{string.Join(",", n.AssetIds.Order())}",
            DeleteAlbum d => $"d|{d.AlbumId}",
            SetFavorite f => $"f|{f.AssetId}|{f.IsFavorite}",
            SetArchived s => $"a|{s.AssetId}|{s.Archived}",
            SetDate d => FormattableString.Invariant($"date|{d.AssetId}|{d.NewDate.UtcTicks}"),
            ShareAlbum s => $"s|{s.AlbumId}|{s.AlbumName}|{s.UserId}|{s.Action}|{s.NewRole}",
            _ => c.ToString(),
        }).ToHashSet(StringComparer.Ordinal);
}
