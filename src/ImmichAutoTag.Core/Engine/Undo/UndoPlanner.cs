using System.Globalization;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine.Undo;

/// <summary>
/// The library as it is now, as far as an undo needs it: the key owner's assets, the tags and who carries each of the
/// recorded ones, the albums (with their shares) and the members of the recorded ones.
/// </summary>
/// <param name="UserId">The key's owner: only that user's assets and albums are changed.</param>
/// <param name="Assets">The owner's assets that exist and are not trashed, by id.</param>
/// <param name="Tags">Every tag on the server.</param>
/// <param name="TagHolders">Tag id → assets that carry it directly, for the tags the recorded changes name.</param>
/// <param name="Albums">Every album the key sees, with its shares.</param>
/// <param name="AlbumMembers">Album id → its assets, for the albums the recorded changes name.</param>
/// <param name="Users">Every user on the server (to share an album again); empty when no recorded change is a share.</param>
public sealed record UndoState(
    Guid UserId,
    IReadOnlyDictionary<Guid, Asset> Assets,
    IReadOnlyList<Tag> Tags,
    IReadOnlyDictionary<Guid, IReadOnlySet<Guid>> TagHolders,
    IReadOnlyList<Album> Albums,
    IReadOnlyDictionary<Guid, IReadOnlySet<Guid>> AlbumMembers,
    IReadOnlyList<UserInfo> Users);

/// <summary>A recorded change the undo reverts, and how (e.g. "remove tag 'x' from IMG_1.jpg").</summary>
public sealed record UndoRevert(AppliedChange Change, string Action);

/// <summary>A recorded change the undo leaves alone because its target moved on since (the user changed it again), and why.</summary>
public sealed record UndoSkip(AppliedChange Change, string Reason);

/// <summary>
/// What an undo will do: the inverse changes as an ordinary plan (applied, verified and reported like a run's), each
/// recorded change it reverts, and each it leaves alone with the reason.
/// </summary>
public sealed record UndoPlan(TagPlan Plan, IReadOnlyList<UndoRevert> Reverts, IReadOnlyList<UndoSkip> Skipped);

/// <summary>
/// Turns a run's recorded changes (its <c>changes.jsonl</c>) into the plan that reverts them. A change is reverted only
/// when its target still shows what the run left: a tag the run added is removed only while the asset still carries it,
/// a date is put back only while the asset still shows the date the run wrote, a user's role only while it is the one
/// the run set. Anything else moved on since (the user or a later run changed it again) and is left alone, with the
/// reason. The inverse of an album creation is the album's deletion (recorded with the assets it held, so undoing the
/// undo brings them back); the inverse of a deletion creates an album of the same name with the assets
/// the run took out of it. A favourite flag or an archive move goes back to the recorded old value while the asset
/// still shows the value the run set. Tags the run created are kept (Immich would bring a deleted tag back from the sidecars).
/// </summary>
public static class UndoPlanner
{
    /// <summary>Plans the undo of <paramref name="changes"/> (in the order they were recorded) against <paramref name="state"/>.</summary>
    /// <param name="source">Who asks (e.g. "undo of run 20261130_054500_PID42"), the date repairs' source.</param>
    public static UndoPlan Plan(IReadOnlyList<AppliedChange> changes, UndoState state, string source)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(state);

        var reverts = new List<UndoRevert>();
        var skipped = new List<UndoSkip>();
        var additions = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var removals = new Dictionary<Guid, List<Guid>>();
        var tagPaths = new Dictionary<Guid, string>();
        var albumAdditions = new Dictionary<Guid, List<Guid>>();
        var albumRemovals = new Dictionary<Guid, List<Guid>>();
        var creations = new List<AlbumCreation>();
        var deletions = new List<AlbumDeletion>();
        var dates = new List<DateUpdate>();
        var sharing = new List<AlbumShareChange>();
        var flags = new List<PlannedChange>();
        var flagReason = new ChangeReason("undo", source);
        var albums = state.Albums.ToDictionary(a => a.Id);

        // A change recorded twice (a re-apply round) is one target: the last record says what the run left.
        var latest = changes
            .Select((c, i) => (Change: c, Index: i))
            .GroupBy(x => (x.Change.Kind, x.Change.AssetId, x.Change.TagName, x.Change.AlbumId, x.Change.UserId, Email: Email(x.Change)))
            .Select(g => g.Last())
            .OrderBy(x => x.Index)
            .Select(x => x.Change)
            .ToList();

        var created = latest.Where(c => c.Kind == ChangeKind.AlbumCreated && c.AlbumId is not null).Select(c => c.AlbumId!.Value).ToHashSet(); // non-null: filtered
        var deleted = latest.Where(c => c.Kind == ChangeKind.AlbumDeleted && c.AlbumId is not null).Select(c => c.AlbumId!.Value).ToHashSet(); // non-null: filtered

        // Albums the run created: deleted again when they hold nothing but what the run put in and kept their name.
        var deleting = new HashSet<Guid>();
        foreach (var c in latest.Where(c => c.Kind == ChangeKind.AlbumCreated && c.AlbumId is not null))
        {
            var id = c.AlbumId!.Value; // non-null: filtered
            if (!albums.TryGetValue(id, out var album))
            {
                skipped.Add(new UndoSkip(c, $"album '{Esc(c.AlbumName)}' no longer exists"));
                continue;
            }

            if (!string.Equals(album.Name, c.AlbumName, StringComparison.Ordinal))
            {
                skipped.Add(new UndoSkip(c, $"album '{Esc(c.AlbumName)}' was renamed to '{Esc(album.Name)}' since; kept"));
                continue;
            }

            var putIn = latest.Where(a => a.Kind == ChangeKind.AddedToAlbum && a.AlbumId == id).Select(a => a.AssetId).ToHashSet();
            var others = Members(state, id).Count(m => !putIn.Contains(m));
            if (others > 0)
            {
                skipped.Add(new UndoSkip(c, string.Create(CultureInfo.InvariantCulture, $"album '{Esc(album.Name)}' holds {others} asset(s) the run did not put in; kept (the run's assets are taken out)")));
                continue;
            }

            deleting.Add(id);
            deletions.Add(new AlbumDeletion(id, album.Name, source) { AssetIds = [.. Members(state, id)] });
            reverts.Add(new UndoRevert(c, $"delete album '{Esc(album.Name)}'"));
        }

        // Albums the run deleted: created again, with the assets the run took out of them, unless the name is taken again.
        var recreated = new HashSet<Guid>();
        foreach (var c in latest.Where(c => c.Kind == ChangeKind.AlbumDeleted && c.AlbumId is not null))
        {
            var id = c.AlbumId!.Value; // non-null: filtered
            var name = c.AlbumName ?? string.Empty;
            if (albums.ContainsKey(id))
            {
                skipped.Add(new UndoSkip(c, $"album '{Esc(name)}' exists (it was not deleted after all)"));
                continue;
            }

            if (state.Albums.Any(a => a.OwnerId == state.UserId && string.Equals(a.Name, name, StringComparison.Ordinal)))
            {
                skipped.Add(new UndoSkip(c, $"an album named '{Esc(name)}' exists again; not created a second time"));
                continue;
            }

            var assets = latest.Where(r => r.Kind == ChangeKind.RemovedFromAlbum && r.AlbumId == id && state.Assets.ContainsKey(r.AssetId)).Select(r => r.AssetId).Distinct().ToList();
            recreated.Add(id);
            creations.Add(new AlbumCreation(name, assets, source));
            reverts.Add(new UndoRevert(c, string.Create(CultureInfo.InvariantCulture, $"create album '{Esc(name)}' again with {assets.Count} asset(s)")));
        }

        foreach (var c in latest)
        {
            switch (c.Kind)
            {
                case ChangeKind.Added:
                    UndoTagAddition(c);
                    break;
                case ChangeKind.Removed:
                    UndoTagRemoval(c);
                    break;
                case ChangeKind.AddedToAlbum when c.AlbumId is { } album:
                    UndoAlbumAddition(c, album);
                    break;
                case ChangeKind.RemovedFromAlbum when c.AlbumId is { } album:
                    UndoAlbumRemoval(c, album);
                    break;
                case ChangeKind.DateUpdated:
                    UndoDate(c);
                    break;
                case ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged or ChangeKind.AlbumUnshared when c.AlbumId is { } album:
                    UndoSharing(c, album);
                    break;
                case ChangeKind.FavoriteChanged:
                    UndoFavorite(c);
                    break;
                case ChangeKind.ArchiveChanged:
                    UndoArchive(c);
                    break;
                default:
                    break;
            }
        }

        var existing = state.Tags.GroupBy(t => t.Value, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var path in additions.Keys)
        {
            tagPaths[existing[path].Id] = path;
        }

        // The undo plans with the same typed changes as a run, so the appliers, the verifier and changes.jsonl treat it alike.
        var reason = new ChangeReason("undo", source);
        var planned = new List<PlannedChange>();
        foreach (var (path, assets) in additions)
        {
            planned.AddRange(assets.Select(a => new AddTag(a, path, existing[path].Id, reason)));
        }

        foreach (var (tagId, assets) in removals)
        {
            planned.AddRange(assets.Select(a => new RemoveTag(a, tagId, tagPaths[tagId], reason)));
        }

        foreach (var (albumId, assets) in albumAdditions)
        {
            planned.AddRange(assets.Select(a => new AddAlbumMember(a, albumId, albums[albumId].Name, reason)));
        }

        foreach (var (albumId, assets) in albumRemovals)
        {
            planned.AddRange(assets.Select(a => new RemoveAlbumMember(a, albumId, albums[albumId].Name, reason)));
        }

        planned.AddRange(creations.Select(c => new CreateAlbum(c.AlbumName, c.AssetIds, reason)));
        planned.AddRange(deletions.Select(d => new DeleteAlbum(d.AlbumId, d.AlbumName, reason) { AssetIds = d.AssetIds }));
        planned.AddRange(dates.Select(d => new SetDate(d.AssetId, d.OldDate, d.NewDate, d.NewValue, d.Source, reason)));
        planned.AddRange(sharing.Select(c => new ShareAlbum(c.AlbumId, c.AlbumName, c.UserId, c.Email, c.Action, c.OldRole, c.NewRole, reason)));
        planned.AddRange(flags);
        var plan = new TagPlan(new ChangeList(planned), new Dictionary<Guid, Classification.ClassificationStatus>());
        return new UndoPlan(plan, reverts, skipped);

        bool AssetGone(AppliedChange c)
        {
            if (state.Assets.ContainsKey(c.AssetId))
            {
                return false;
            }

            skipped.Add(new UndoSkip(c, "the asset no longer exists (deleted, trashed, or not the key owner's)"));
            return true;
        }

        Tag? FindTag(AppliedChange c)
        {
            var tag = state.Tags.FirstOrDefault(t => string.Equals(t.Value, c.TagName, StringComparison.Ordinal));
            if (tag is null)
            {
                skipped.Add(new UndoSkip(c, $"tag '{Esc(c.TagName)}' no longer exists"));
            }

            return tag;
        }

        void UndoTagAddition(AppliedChange c)
        {
            if (AssetGone(c) || FindTag(c) is not { } tag)
            {
                return;
            }

            if (!Holders(state, tag.Id).Contains(c.AssetId))
            {
                skipped.Add(new UndoSkip(c, $"tag '{Esc(c.TagName)}' is no longer on the asset"));
                return;
            }

            ChangeGroups.AddOnce(removals, tag.Id, c.AssetId);
            tagPaths[tag.Id] = tag.Value;
            reverts.Add(new UndoRevert(c, $"remove tag '{Esc(c.TagName)}' from {Name(c)}"));
        }

        void UndoTagRemoval(AppliedChange c)
        {
            if (AssetGone(c) || FindTag(c) is not { } tag)
            {
                return;
            }

            if (Holders(state, tag.Id).Contains(c.AssetId))
            {
                skipped.Add(new UndoSkip(c, $"the asset carries tag '{Esc(c.TagName)}' again"));
                return;
            }

            ChangeGroups.AddOnce(additions, tag.Value, c.AssetId);
            reverts.Add(new UndoRevert(c, $"add tag '{Esc(c.TagName)}' to {Name(c)}"));
        }

        void UndoAlbumAddition(AppliedChange c, Guid album)
        {
            if (deleting.Contains(album))
            {
                if (Members(state, album).Contains(c.AssetId))
                {
                    // Leaves with the album; the deletion records it as taken out, so undoing the undo puts it back.
                    reverts.Add(new UndoRevert(c, $"take {Name(c)} out of album '{Esc(c.AlbumName)}' (deleted)"));
                }
                else
                {
                    skipped.Add(new UndoSkip(c, $"the asset is no longer in album '{Esc(c.AlbumName)}'"));
                }

                return;
            }

            if (!albums.ContainsKey(album))
            {
                // Every recorded change is accounted for: an album the run created and the user deleted since too.
                skipped.Add(new UndoSkip(c, created.Contains(album) ? $"album '{Esc(c.AlbumName)}' the run created no longer exists" : $"album '{Esc(c.AlbumName)}' no longer exists"));
                return;
            }

            if (!Members(state, album).Contains(c.AssetId))
            {
                skipped.Add(new UndoSkip(c, $"the asset is no longer in album '{Esc(c.AlbumName)}'"));
                return;
            }

            ChangeGroups.AddOnce(albumRemovals, album, c.AssetId);
            reverts.Add(new UndoRevert(c, $"take {Name(c)} out of album '{Esc(c.AlbumName)}'"));
        }

        void UndoAlbumRemoval(AppliedChange c, Guid album)
        {
            if (deleted.Contains(album))
            {
                // Part of the album's creation (or left alone with it).
                if (recreated.Contains(album))
                {
                    if (state.Assets.ContainsKey(c.AssetId))
                    {
                        reverts.Add(new UndoRevert(c, $"put {Name(c)} back into album '{Esc(c.AlbumName)}' (created again)"));
                    }
                    else
                    {
                        skipped.Add(new UndoSkip(c, "the asset no longer exists (deleted, trashed, or not the key owner's)"));
                    }
                }
                else
                {
                    // Left alone with the album's deletion (see its line): every recorded change is accounted for.
                    skipped.Add(new UndoSkip(c, $"album '{Esc(c.AlbumName)}' the run deleted is not created again"));
                }

                return;
            }

            if (AssetGone(c))
            {
                return;
            }

            if (!albums.ContainsKey(album))
            {
                skipped.Add(new UndoSkip(c, $"album '{Esc(c.AlbumName)}' no longer exists"));
                return;
            }

            if (Members(state, album).Contains(c.AssetId))
            {
                skipped.Add(new UndoSkip(c, $"the asset is in album '{Esc(c.AlbumName)}' again"));
                return;
            }

            ChangeGroups.AddOnce(albumAdditions, album, c.AssetId);
            reverts.Add(new UndoRevert(c, $"put {Name(c)} back into album '{Esc(c.AlbumName)}'"));
        }

        void UndoDate(AppliedChange c)
        {
            if (AssetGone(c))
            {
                return;
            }

            if (!TryParse(c.OldValue, out var old) || !TryParse(c.NewValue, out var written))
            {
                skipped.Add(new UndoSkip(c, "the record lacks the old or the new date"));
                return;
            }

            var asset = state.Assets[c.AssetId];
            if ((asset.FileCreatedAt - written).Duration() >= TimeSpan.FromSeconds(1))
            {
                skipped.Add(new UndoSkip(c, string.Create(CultureInfo.InvariantCulture, $"the date changed again since: it is {asset.FileCreatedAt:O}, the run wrote {c.NewValue}")));
                return;
            }

            var value = old.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
            dates.Add(new DateUpdate(c.AssetId, asset.FileCreatedAt, old, value, source));
            reverts.Add(new UndoRevert(c, $"set the date of {Name(c)} back to {value}"));
        }

        // The favourite flag goes back to the recorded old value while the asset still shows the value the run set.
        void UndoFavorite(AppliedChange c)
        {
            if (AssetGone(c))
            {
                return;
            }

            if (!bool.TryParse(c.OldValue, out var old) || !bool.TryParse(c.NewValue, out var set))
            {
                skipped.Add(new UndoSkip(c, "the record lacks the old or the new favourite flag"));
                return;
            }

            if (state.Assets[c.AssetId].IsFavorite != set)
            {
                skipped.Add(new UndoSkip(c, $"the favourite flag changed again since (it is {(set ? "off" : "on")})"));
                return;
            }

            flags.Add(new SetFavorite(c.AssetId, old, flagReason));
            reverts.Add(new UndoRevert(c, old ? $"mark {Name(c)} as favourite again" : $"take {Name(c)} out of the favourites (it was not one before)"));
        }

        // Archive ↔ timeline only: an asset hidden or locked since is not the run's move any more.
        void UndoArchive(AppliedChange c)
        {
            if (AssetGone(c))
            {
                return;
            }

            if (Visibility(c.OldValue) is not { } old || Visibility(c.NewValue) is not { } set)
            {
                skipped.Add(new UndoSkip(c, "the record lacks the old or the new visibility"));
                return;
            }

            var now = state.Assets[c.AssetId].Visibility;
            if (now != set)
            {
                skipped.Add(new UndoSkip(c, $"the asset moved since (it is in the {now.ToString().ToLowerInvariant()} now)"));
                return;
            }

            flags.Add(new SetArchived(c.AssetId, old == AssetVisibility.Archive, flagReason));
            reverts.Add(new UndoRevert(c, $"move {Name(c)} back to the {c.OldValue}"));
        }

        void UndoSharing(AppliedChange c, Guid albumId)
        {
            if (deleting.Contains(albumId))
            {
                // Deleting the album ends its shares.
                return;
            }

            if (!albums.TryGetValue(albumId, out var album))
            {
                if (!created.Contains(albumId))
                {
                    skipped.Add(new UndoSkip(c, $"album '{Esc(c.AlbumName)}' no longer exists"));
                }

                return;
            }

            var (email, newRole) = Split(c.NewValue);
            var (oldEmail, oldRole) = Split(c.OldValue);
            email ??= oldEmail;
            var userId = c.UserId ?? state.Users.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase))?.Id;
            if (userId is not { } user)
            {
                skipped.Add(new UndoSkip(c, $"user '{Esc(email)}' no longer exists"));
                return;
            }

            var member = album.Members.FirstOrDefault(m => m.UserId == user);
            switch (c.Kind)
            {
                case ChangeKind.AlbumShared when member is null:
                    skipped.Add(new UndoSkip(c, $"album '{Esc(album.Name)}' is no longer shared with {email}"));
                    break;
                case ChangeKind.AlbumShared when member.Role != newRole:
                    skipped.Add(new UndoSkip(c, $"{email}'s role in album '{Esc(album.Name)}' changed since"));
                    break;
                case ChangeKind.AlbumShared:
                    sharing.Add(new AlbumShareChange(albumId, album.Name, user, email ?? string.Empty, ShareAction.Unshare, newRole, null, source));
                    reverts.Add(new UndoRevert(c, $"stop sharing album '{Esc(album.Name)}' with {email}"));
                    break;
                case ChangeKind.AlbumRoleChanged when member is null || member.Role != newRole || oldRole is null:
                    skipped.Add(new UndoSkip(c, $"{email}'s access to album '{Esc(album.Name)}' changed since"));
                    break;
                case ChangeKind.AlbumRoleChanged:
                    sharing.Add(new AlbumShareChange(albumId, album.Name, user, email ?? string.Empty, ShareAction.ChangeRole, newRole, oldRole, source));
                    reverts.Add(new UndoRevert(c, $"make {email} {Role(oldRole ?? AlbumRole.Viewer)} of album '{Esc(album.Name)}' again"));
                    break;
                case ChangeKind.AlbumUnshared when member is not null:
                    skipped.Add(new UndoSkip(c, $"album '{Esc(album.Name)}' is shared with {email} again"));
                    break;
                default:
                    sharing.Add(new AlbumShareChange(albumId, album.Name, user, email ?? string.Empty, ShareAction.Share, null, oldRole ?? AlbumRole.Viewer, source));
                    reverts.Add(new UndoRevert(c, $"share album '{Esc(album.Name)}' with {email} ({Role(oldRole ?? AlbumRole.Viewer)}) again"));
                    break;
            }
        }
    }

    /// <summary>An archive record's value: "archive" or "timeline" (see <see cref="ChangeKind.ArchiveChanged"/>); null for anything else.</summary>
    private static AssetVisibility? Visibility(string? value) => value switch
    {
        "archive" => AssetVisibility.Archive,
        "timeline" => AssetVisibility.Timeline,
        _ => null,
    };

    private static IReadOnlySet<Guid> Holders(UndoState state, Guid tagId) =>
        state.TagHolders.TryGetValue(tagId, out var holders) ? holders : new HashSet<Guid>();

    private static IReadOnlySet<Guid> Members(UndoState state, Guid albumId) =>
        state.AlbumMembers.TryGetValue(albumId, out var members) ? members : new HashSet<Guid>();

    /// <summary>
    /// One recorded change in a few words, for the "left alone" lines and logs. Names are as Immich has them: plan.txt
    /// escapes the whole text as one field (<see cref="ReportText.Field"/>), the console its control characters only
    /// (<see cref="ReportText.Sentence"/>); the words around the names hold no <c>|</c>, backslash or control character.
    /// </summary>
    public static string Describe(AppliedChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var asset = Name(change);
        return change.Kind switch
        {
            ChangeKind.Added => $"tag '{Esc(change.TagName)}' added to {asset}",
            ChangeKind.Removed => $"tag '{Esc(change.TagName)}' removed from {asset}",
            ChangeKind.AddedToAlbum => $"{asset} put into album '{Esc(change.AlbumName)}'",
            ChangeKind.RemovedFromAlbum => $"{asset} taken out of album '{Esc(change.AlbumName)}'",
            ChangeKind.AlbumCreated => $"album '{Esc(change.AlbumName)}' created",
            ChangeKind.AlbumDeleted => $"album '{Esc(change.AlbumName)}' deleted",
            ChangeKind.DateUpdated => $"date of {asset} set to {change.NewValue}",
            ChangeKind.AlbumShared => $"album '{Esc(change.AlbumName)}' shared with {change.NewValue}",
            ChangeKind.AlbumRoleChanged => $"role in album '{Esc(change.AlbumName)}' changed from {change.OldValue} to {change.NewValue}",
            ChangeKind.FavoriteChanged => string.Equals(change.NewValue, bool.TrueString, StringComparison.OrdinalIgnoreCase) ? $"{asset} marked as favourite" : $"{asset} taken out of the favourites",
            ChangeKind.ArchiveChanged => $"{asset} moved to the {change.NewValue}",
            _ => $"album '{Esc(change.AlbumName)}' no longer shared with {change.OldValue}",
        };
    }

    /// <summary>The asset as the plan's lines name it: its file name, or its id.</summary>
    private static string Name(AppliedChange c) => c.FileName.Length > 0 ? c.FileName : c.AssetId.ToString();

    /// <summary>
    /// A tag, album or user name inside an action or reason text, as it is: Immich allows '|' and line breaks in them,
    /// which the writers escape (plan.txt as a field, the console its control characters; see <see cref="Describe"/>).
    /// </summary>
    private static string Esc(string? name) => name ?? string.Empty;

    /// <summary>The user a sharing record concerns; null for other kinds (a tag change's value is e.g. the sidecar it went through).</summary>
    private static string? Email(AppliedChange c) =>
        c.Kind is ChangeKind.AlbumShared or ChangeKind.AlbumRoleChanged or ChangeKind.AlbumUnshared ? Split(c.NewValue).Email ?? Split(c.OldValue).Email : null;

    private static string Role(AlbumRole role) => role.ToString().ToLowerInvariant();

    /// <summary>A sharing record's value, "email role" (see <see cref="ChangeKind.AlbumShared"/>).</summary>
    private static (string? Email, AlbumRole? Role) Split(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, null);
        }

        var space = value.LastIndexOf(' ');
        return space < 0
            ? (value, null)
            : (value[..space], Enum.TryParse<AlbumRole>(value[(space + 1)..], ignoreCase: true, out var role) ? role : null);
    }

    private static bool TryParse(string? value, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
}
