using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// album_permissions: an album of the key's user whose name contains a rule's keyword as a whole word is shared
/// with exactly the members of the matching rules' groups. Sharing is authoritative for matched albums (missing
/// users are added, roles fixed, other users removed) and albums no rule matches are never touched.
/// Albums the same run creates are planned too, so a new album is shared by the run that makes it: such a change
/// carries the album's name and <see cref="Guid.Empty"/> as its id, which the applier resolves from the creation.
/// A group member whose e-mail no Immich user has (a typo, a renamed or deleted account) makes the group's true
/// membership unknown: albums that group shares then gain and re-role users but lose none, so one typo cannot
/// unshare everybody.
/// </summary>
internal static class AlbumSharing
{
    private static readonly char[] WordSeparators = [' ', '-', '_', '.'];

    private static readonly string[] TemporarySuffixWords = TemporaryAlbums.Suffix.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries);

    public static (IReadOnlyList<AlbumShareChange> Changes, IReadOnlyList<PlanNote> Notes) Plan(
        AlbumPermissionsConfig config,
        IReadOnlyList<Album> albums,
        IReadOnlyList<AlbumCreation> creations,
        IReadOnlyList<UserInfo> users,
        Guid ownerId)
    {
        var changes = new List<AlbumShareChange>();
        var notes = new List<PlanNote>();
        if (!config.Enabled)
        {
            return (changes, notes);
        }

        var byEmail = new Dictionary<string, UserInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var user in users)
        {
            byEmail.TryAdd(user.Email, user);
        }

        var groups = config.UserGroups.GroupBy(g => g.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.SelectMany(x => x.Members).ToList(), StringComparer.Ordinal);
        var unknownReported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        // A new album is the key's user's and shared with nobody yet; without it here it would only be shared by the
        // next run, and a second run right after this one would write.
        var planned = creations
            .Select(c => c.AlbumName)
            .Distinct(StringComparer.Ordinal)
            .Select(name => new Album(Guid.Empty, name, 0, ownerId, false));

        // Other users' albums are theirs to share; only the owner may change who sees an album.
        foreach (var album in albums.Where(a => a.OwnerId == ownerId).Concat(planned).OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id))
        {
            // A temporary album is the tool's working album, not the user's: only a rule that names it explicitly (a
            // keyword from its fixed suffix) shares it, never one that happens to match its date ("2019").
            var temporary = TemporaryAlbums.IsTemporary(album.Name);
            var words = temporary ? TemporarySuffixWords : album.Name.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries);
            var rules = config.SelectionRules
                .Where(r => !string.IsNullOrWhiteSpace(r.Keyword) && words.Contains(r.Keyword.Trim(), StringComparer.OrdinalIgnoreCase))
                .ToList();
            if (rules.Count == 0)
            {
                if (config.LogUnmatched && !temporary)
                {
                    notes.Add(new PlanNote(PlanNoteKind.UnmatchedAlbum, Guid.Empty, $"no album_permissions selection rule matches album '{album.Name}'", album.Name));
                }

                continue;
            }

            // Upstream: every matching rule contributes groups, the last matching rule's access wins.
            var role = RoleOf(rules[^1].Access);
            var ruleNames = string.Join(", ", rules.Select(r => r.Name));
            var desired = new Dictionary<Guid, UserInfo>();
            var membershipKnown = true;
            foreach (var email in rules.SelectMany(r => r.Groups).SelectMany(g => groups.GetValueOrDefault(g) ?? []))
            {
                if (!byEmail.TryGetValue(email.Trim(), out var user))
                {
                    membershipKnown = false;
                    if (unknownReported.Add(email.Trim()))
                    {
                        notes.Add(new PlanNote(
                            PlanNoteKind.UnknownShareUser,
                            Guid.Empty,
                            $"album_permissions names '{email.Trim()}', which is no Immich user: it is left out, and the albums its group shares lose no user until it is fixed"));
                    }

                    continue;
                }

                if (user.Id != ownerId)
                {
                    desired.TryAdd(user.Id, user);
                }
            }

            var actual = album.Members.ToDictionary(m => m.UserId);
            foreach (var user in desired.Values.OrderBy(u => u.Email, StringComparer.OrdinalIgnoreCase))
            {
                if (!actual.TryGetValue(user.Id, out var member))
                {
                    changes.Add(new AlbumShareChange(album.Id, album.Name, user.Id, user.Email, ShareAction.Share, null, role, ruleNames));
                }
                else if (member.Role != role)
                {
                    changes.Add(new AlbumShareChange(album.Id, album.Name, user.Id, user.Email, ShareAction.ChangeRole, member.Role, role, ruleNames));
                }
            }

            if (!membershipKnown)
            {
                continue;
            }

            foreach (var member in album.Members.Where(m => !desired.ContainsKey(m.UserId)).OrderBy(m => m.Email, StringComparer.OrdinalIgnoreCase))
            {
                changes.Add(new AlbumShareChange(album.Id, album.Name, member.UserId, member.Email, ShareAction.Unshare, member.Role, null, ruleNames));
            }
        }

        return (changes, notes);
    }

    /// <summary>Immich has no admin role for album users; upstream silently made admin a viewer, here it is an editor.</summary>
    public static AlbumRole RoleOf(AlbumAccess access) => access == AlbumAccess.View ? AlbumRole.Viewer : AlbumRole.Editor;
}
