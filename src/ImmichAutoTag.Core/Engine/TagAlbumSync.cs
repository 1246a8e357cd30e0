using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>What tag ↔ album sync wants changed, planned before classification.</summary>
/// <param name="Snapshot">
/// The library as it will be once these changes are applied (not-yet-created albums and tags carry placeholder ids),
/// for classification; the albums to create are in its album list, so a planner step that wants the same name joins them.
/// </param>
internal sealed record SyncPlan(
    LibrarySnapshot Snapshot,
    IReadOnlyDictionary<Guid, AlbumCreation> NewAlbums,
    IReadOnlyList<AlbumAddition> AlbumAdditions,
    IReadOnlyList<AlbumRemoval> AlbumRemovals,
    IReadOnlyDictionary<string, List<Guid>> TagAdditions,
    IReadOnlyDictionary<Guid, List<Guid>> TagRemovals,
    IReadOnlyDictionary<Guid, string> RemovedTagPaths,
    IReadOnlyList<PlanNote> Notes);

/// <summary>
/// tag_album_sync: tag <c>&lt;prefix&gt;X</c> (attached directly; the rest of its path is the album name) and the
/// user's album X hold the same own assets, in the configured direction. It runs before classification and hands
/// the planner the library as it will be, so rules that look at albums or tags see the synced state in the same run.
/// The tool's temporary albums are never synced, in either direction: their membership is the tool's own (classified
/// assets leave them, emptied ones are deleted), so a sync into or out of them would fight that clean-up and never converge.
/// </summary>
internal sealed class TagAlbumSync(AutoTagConfig config, RunOptions options)
{
    private readonly TagAlbumSyncConfig _sync = config.TagAlbumSync;

    /// <summary>Whether a tag path is one the sync reads, so the gatherer fetches its membership.</summary>
    public bool IsSyncTag(string path) =>
        _sync.Enabled && path.Length > _sync.TagPrefix.Length && path.StartsWith(_sync.TagPrefix, StringComparison.Ordinal);

    /// <summary>A sync tag that names no temporary album: the only kind the sync acts on.</summary>
    private bool IsSyncedTag(string path) => IsSyncTag(path) && !TemporaryAlbums.IsTemporary(AlbumName(path));

    /// <summary>
    /// Stands for '/' inside an album name in its sync tag (U+2215 DIVISION SLASH, as the booru step writes '/' inside
    /// a name): Immich splits a tag value on '/' into levels, so album "AC/DC live" would otherwise become the tag
    /// "AC" with a child "DC live".
    /// </summary>
    public const char SlashInName = '\u2215';

    /// <summary>The album a sync tag names: the rest of its path after the prefix (deeper levels joined by '/'), with <see cref="SlashInName"/> read as '/'.</summary>
    private string AlbumName(string tagPath) => tagPath[_sync.TagPrefix.Length..].Replace(SlashInName, '/');

    /// <summary>
    /// The sync tag of an album: prefix + name, a '/' in the name written as <see cref="SlashInName"/>; a tag of the
    /// nested form that already exists (the user's own tree, synced tag → album) is kept.
    /// </summary>
    private string TagPathOf(string albumName, Dictionary<string, Tag> existingTags)
    {
        var nested = _sync.TagPrefix + albumName;
        return !albumName.Contains('/', StringComparison.Ordinal) || existingTags.ContainsKey(nested) ? nested : _sync.TagPrefix + albumName.Replace('/', SlashInName);
    }

    /// <summary>Whether every '/'-separated level of <paramref name="rest"/> is non-empty and has no space around it.</summary>
    private static bool UsableLevels(string rest) =>
        Array.TrueForAll(rest.Split('/'), level => level.Length > 0 && level.Trim().Length == level.Length);

    /// <summary>The reason a creation the sync asks for carries in the plan.</summary>
    public const string CreationReason = "tag_album_sync";

    public SyncPlan Plan(LibrarySnapshot snapshot)
    {
        var newAlbums = new Dictionary<Guid, AlbumCreation>();
        var pending = new List<Album>();
        var additions = new Dictionary<Guid, (Album Album, List<Guid> Assets)>();
        var removals = new List<AlbumRemoval>();
        var tagAdditions = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var tagRemovals = new Dictionary<Guid, List<Guid>>();
        var removedPaths = new Dictionary<Guid, string>();
        var notes = new List<PlanNote>();
        if (!_sync.Enabled)
        {
            return new SyncPlan(snapshot, newAlbums, [], removals, tagAdditions, tagRemovals, removedPaths, notes);
        }

        // Copied only when the sync runs: the copies are what it changes, and a library has one entry per asset.
        var albumsByAsset = snapshot.AlbumsByAsset.ToDictionary(kv => kv.Key, kv => kv.Value.ToList());
        var tagsByAsset = snapshot.TagsByAsset.ToDictionary(kv => kv.Key, kv => kv.Value.ToList());
        var userId = snapshot.User.Id;
        var assets = snapshot.Assets.Where(a => a.OwnerId == userId && InScope(snapshot, a)).Select(a => a.Id).ToList();
        var ownAlbums = snapshot.Albums.Where(a => a.OwnerId == userId).ToLookup(a => a.Name, StringComparer.Ordinal);
        List<Album> AlbumsOf(Guid id) => albumsByAsset.TryGetValue(id, out var l) ? l : albumsByAsset[id] = [];
        List<Tag> TagsOf(Guid id) => tagsByAsset.TryGetValue(id, out var l) ? l : tagsByAsset[id] = [];

        if (_sync.Direction != SyncDirection.AlbumToTag)
        {
            // Tag → album: every sync tag's carriers join the one album of that name, created when missing.
            var carriers = new SortedDictionary<string, List<Guid>>(StringComparer.Ordinal);
            foreach (var id in assets)
            {
                foreach (var tag in snapshot.TagsOf(id).Where(t => IsSyncedTag(t.Value)))
                {
                    var name = AlbumName(tag.Value);
                    (carriers.TryGetValue(name, out var list) ? list : carriers[name] = []).Add(id);
                }
            }

            foreach (var (name, ids) in carriers)
            {
                if (IsFilteredAlbum(name))
                {
                    // filter_out: "albums it matches never receive assets" (conversions and workflows keep out too).
                    notes.Add(new PlanNote(PlanNoteKind.AmbiguousAlbum, Guid.Empty, $"tag '{_sync.TagPrefix}{name}': album '{name}' matches filters.filter_out; its {ids.Count} asset(s) are not added", name));
                    continue;
                }

                var existing = ownAlbums[name].ToList();
                if (existing.Count > 1)
                {
                    notes.Add(new PlanNote(PlanNoteKind.AmbiguousSyncAlbum, Guid.Empty, $"tag '{_sync.TagPrefix}{name}': {existing.Count} albums of yours are named '{name}'; none is synced", name));
                    continue;
                }

                Album album;
                if (existing.Count == 1)
                {
                    album = existing[0];
                }
                else if (_sync.CreateMissingAlbums)
                {
                    // A placeholder until the apply creates it; nothing reads its id but this plan.
                    album = new Album(Guid.NewGuid(), name, 0, userId, false);
                    newAlbums[album.Id] = new AlbumCreation(name, ids, CreationReason);
                    pending.Add(album);
                    foreach (var id in ids)
                    {
                        AlbumsOf(id).Add(album);
                    }

                    continue;
                }
                else
                {
                    notes.Add(new PlanNote(PlanNoteKind.MissingSyncAlbum, Guid.Empty, $"tag '{_sync.TagPrefix}{name}': you have no album '{name}' and create_missing_albums is off", name));
                    continue;
                }

                foreach (var id in ids.Where(id => !AlbumsOf(id).Exists(a => a.Id == album.Id)))
                {
                    AlbumsOf(id).Add(album);
                    if (!additions.TryGetValue(album.Id, out var entry))
                    {
                        entry = (album, []);
                        additions[album.Id] = entry;
                    }

                    entry.Assets.Add(id);
                }
            }

            if (_sync.Remove && _sync.Direction == SyncDirection.TagToAlbum)
            {
                // Only albums whose sync tag exists are synced; an asset of the user in one without the tag leaves it.
                var syncTagNames = snapshot.Tags.Where(t => IsSyncedTag(t.Value)).Select(t => AlbumName(t.Value)).ToHashSet(StringComparer.Ordinal);
                var tagged = carriers.ToDictionary(kv => kv.Key, kv => kv.Value.ToHashSet(), StringComparer.Ordinal);
                foreach (var album in snapshot.Albums.Where(a => a.OwnerId == userId && syncTagNames.Contains(a.Name) && ownAlbums[a.Name].Count() == 1).OrderBy(a => a.Name, StringComparer.Ordinal))
                {
                    var keep = tagged.GetValueOrDefault(album.Name) ?? [];
                    var leaving = assets.Where(id => !keep.Contains(id) && AlbumsOf(id).Exists(a => a.Id == album.Id)).ToList();
                    if (leaving.Count > 0)
                    {
                        removals.Add(new AlbumRemoval(album.Id, album.Name, leaving));
                        foreach (var id in leaving)
                        {
                            AlbumsOf(id).RemoveAll(a => a.Id == album.Id);
                        }
                    }
                }
            }
        }

        if (_sync.Direction != SyncDirection.TagToAlbum)
        {
            // Album → tag, on the membership after tag → album: members of a matching album get <prefix><name>.
            var patterns = _sync.AlbumNamePatterns.ToArray();
            bool Matches(Album a) => a.OwnerId == userId && !TemporaryAlbums.IsTemporary(a.Name) && Array.Exists(patterns, p => IsMatchOrFalse(p, a.Name));
            var existingTags = snapshot.Tags.GroupBy(t => t.Value, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var placeholders = new Dictionary<string, Tag>(StringComparer.Ordinal);

            // An album name that gives no usable tag level (empty, only spaces, spaces around it: Immich trims tag
            // values and answers with another tag or none) is skipped, named once, so it never fails the asset's other tags.
            var unusable = new HashSet<Guid>();
            foreach (var album in snapshot.Albums.Where(Matches).Where(a => !UsableLevels(TagPathOf(a.Name, existingTags)[_sync.TagPrefix.Length..])).OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                unusable.Add(album.Id);
                notes.Add(new PlanNote(PlanNoteKind.UnusableSyncAlbumName, Guid.Empty, $"album '{album.Name}' ({album.Id}): its name gives no valid tag level below '{_sync.TagPrefix}' (empty, or spaces around it); not synced to a tag — rename the album in Immich", album.Name));
            }

            foreach (var id in assets)
            {
                var albums = AlbumsOf(id);
                var wanted = albums.Where(a => Matches(a) && !unusable.Contains(a.Id)).Select(a => TagPathOf(a.Name, existingTags)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                var tags = TagsOf(id);
                foreach (var path in wanted.Where(p => !tags.Exists(t => string.Equals(t.Value, p, StringComparison.Ordinal))))
                {
                    if (!existingTags.TryGetValue(path, out var tag) && !placeholders.TryGetValue(path, out tag))
                    {
                        tag = new Tag(Guid.NewGuid(), path.Split('/')[^1], path, null);
                        placeholders[path] = tag;
                    }

                    tags.Add(tag);
                    (tagAdditions.TryGetValue(path, out var list) ? list : tagAdditions[path] = []).Add(id);
                }

                if (_sync.Remove && _sync.Direction == SyncDirection.AlbumToTag)
                {
                    // A tag of a matching album of the user that the asset is no longer in goes.
                    foreach (var tag in tags.Where(t => IsSyncedTag(t.Value) && snapshot.Tags.Contains(t)).ToList())
                    {
                        var name = AlbumName(tag.Value);
                        var synced = ownAlbums[name].Where(Matches).ToList();
                        if (synced.Count > 0 && !albums.Exists(a => synced.Exists(s => s.Id == a.Id)))
                        {
                            tags.Remove(tag);
                            (tagRemovals.TryGetValue(tag.Id, out var list) ? list : tagRemovals[tag.Id] = []).Add(id);
                            removedPaths[tag.Id] = tag.Value;
                        }
                    }
                }
            }
        }

        var augmented = snapshot with
        {
            Albums = [.. snapshot.Albums, .. pending],
            AlbumsByAsset = albumsByAsset.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Album>)kv.Value),
            TagsByAsset = tagsByAsset.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Tag>)kv.Value),
        };
        return new SyncPlan(
            augmented,
            newAlbums,
            additions.Values.Select(v => new AlbumAddition(v.Album.Id, v.Album.Name, v.Assets)).ToList(),
            removals,
            tagAdditions,
            tagRemovals,
            removedPaths,
            notes);
    }

    /// <summary>
    /// Folds the sync's changes into the planner's plan. The albums the sync creates are in the snapshot the planner
    /// saw, so a planner step (album propagation, a conversion, folder detection) that wants one of them by name
    /// planned an addition to its placeholder: those assets simply join the one creation of that name.
    /// </summary>
    public static TagPlan Merge(TagPlan plan, SyncPlan sync, IReadOnlyList<Tag> existingTags)
    {
        if (sync.NewAlbums.Count == 0 && sync.AlbumAdditions.Count == 0 && sync.AlbumRemovals.Count == 0 && sync.TagAdditions.Count == 0 && sync.TagRemovals.Count == 0 && sync.Notes.Count == 0)
        {
            return plan;
        }

        var creations = sync.NewAlbums.ToDictionary(kv => kv.Key, kv => kv.Value.AssetIds.ToList());
        var changes = new List<PlannedChange>(plan.Changes.Count);
        void Join(Guid assetId, Guid albumId, string albumName, ChangeReason reason)
        {
            if (creations.TryGetValue(albumId, out var created))
            {
                if (!created.Contains(assetId))
                {
                    created.Add(assetId);
                }

                return;
            }

            changes.Add(new AddAlbumMember(assetId, albumId, albumName, reason));
        }

        foreach (var change in plan.Changes)
        {
            if (change is AddAlbumMember m)
            {
                Join(m.AssetId, m.AlbumId, m.AlbumName, m.Reason);
            }
            else
            {
                changes.Add(change);
            }
        }

        foreach (var a in sync.AlbumAdditions)
        {
            foreach (var id in a.AssetIds)
            {
                Join(id, a.AlbumId, a.AlbumName, JoinsAlbum);
            }
        }

        changes.AddRange(creations.Select(kv => new CreateAlbum(sync.NewAlbums[kv.Key].AlbumName, kv.Value, CreatesAlbum)));
        changes.AddRange(sync.AlbumRemovals.SelectMany(r => r.AssetIds.Select(id => new RemoveAlbumMember(id, r.AlbumId, r.AlbumName, LeavesAlbum))));

        var existing = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var tag in existingTags)
        {
            existing.TryAdd(tag.Value, tag.Id);
        }

        foreach (var (path, ids) in sync.TagAdditions)
        {
            Guid? tagId = existing.TryGetValue(path, out var found) ? found : null;
            changes.AddRange(ids.Select(id => new AddTag(id, path, tagId, GetsTag)));
        }

        foreach (var (tagId, ids) in sync.TagRemovals)
        {
            var path = sync.RemovedTagPaths.GetValueOrDefault(tagId, tagId.ToString());
            changes.AddRange(ids.Select(id => new RemoveTag(id, tagId, path, LosesTag)));
        }

        return plan with
        {
            Changes = new ChangeList(changes),
            Notes = [.. plan.Notes, .. sync.Notes],
        };
    }

    private static readonly ChangeReason CreatesAlbum = new("tag_album_sync", CreationReason);
    private static readonly ChangeReason JoinsAlbum = new("tag_album_sync", "carries the album's sync tag");
    private static readonly ChangeReason LeavesAlbum = new("tag_album_sync", "no longer carries the album's sync tag");
    private static readonly ChangeReason GetsTag = new("tag_album_sync", "in the album the sync tag names");
    private static readonly ChangeReason LosesTag = new("tag_album_sync", "no longer in the album the sync tag names");

    private bool InScope(LibrarySnapshot snapshot, Asset asset)
    {
        if ((!options.IncludeArchived && (asset.IsArchived || asset.Visibility == AssetVisibility.Archive))
            || (!options.IncludeHidden && asset.Visibility == AssetVisibility.Hidden))
        {
            return false;
        }

        if (config.Filters.FilterIn.Count == 0 && config.Filters.FilterOut.Count == 0)
        {
            return true;
        }

        // Filters judged on the library as read: filter_out keeps an asset out of every change, filter_in focuses.
        _filterIn ??= config.Filters.FilterIn.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterIn, ToolTagRoots.Of(config)) : null;
        _filterOut ??= config.Filters.FilterOut.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterOut, ToolTagRoots.Of(config)) : null;
        var facts = new AssetFacts(asset.Id, snapshot.TagsOf(asset.Id), snapshot.AlbumsOf(asset.Id).Select(a => a.Name).ToList());
        try
        {
            return (_filterIn is null || _filterIn.Classify(facts).Matches.Count > 0) && (_filterOut is null || _filterOut.Classify(facts).Matches.Count == 0);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Whether filter_out matches the album's name (a pattern that runs out of time counts as a match: nothing is added).</summary>
    private bool IsFilteredAlbum(string name)
    {
        if (config.Filters.FilterOut.Count == 0)
        {
            return false;
        }

        _filterOut ??= RuleClassifier.Compile(config.Filters.FilterOut);
        try
        {
            return _filterOut.Classify(new AssetFacts(Guid.Empty, [], [name])).Matches.Any(m => m.MatchedAlbumNames.Count > 0);
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    /// <summary>A pattern that runs out of time on an album name does not sync that album; the run goes on.</summary>
    private static bool IsMatchOrFalse(CompiledPattern pattern, string name)
    {
        try
        {
            return pattern.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private RuleClassifier? _filterIn;
    private RuleClassifier? _filterOut;
}
