using System.Globalization;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <param name="Changeable">In scope and classified without error: the run may move it.</param>
/// <param name="Day">The asset's local calendar day after this run's date repair.</param>
/// <param name="OriginalAlbums">Its albums on the server.</param>
/// <param name="CurrentAlbums">Its albums as planned so far.</param>
internal sealed record TemporaryAlbumInput(Guid AssetId, bool Changeable, bool Unclassified, DateOnly Day, IReadOnlyList<Album> OriginalAlbums, IReadOnlyList<Album> CurrentAlbums)
{
    /// <summary>Its albums after this step, when it changed them (a copy of <see cref="CurrentAlbums"/>); null when unchanged.</summary>
    public List<Album>? EditedAlbums { get; private set; }

    /// <summary>The albums after this step so far.</summary>
    public IReadOnlyList<Album> Albums => EditedAlbums ?? CurrentAlbums;

    /// <summary>The albums to change, copied from <see cref="CurrentAlbums"/> on first use.</summary>
    public List<Album> Edit() => EditedAlbums ??= [.. CurrentAlbums];
}

/// <summary>
/// The tool's own per-day albums for unclassified assets, named <c>YYYY-MM-DD-autotag-temp-unclassified</c>
/// and owned by the key's user; they are the only albums the tool ever takes assets out of or deletes.
/// The desired state: every changeable unclassified asset sits in the album of its local day (when
/// <c>create_album_from_date_if_missing</c> is on), no classified or conflicting asset sits in any, and an
/// album left with no asset is deleted. Cleaning up runs even when creation is off, so turning the option
/// off does not strand classified assets in old temporary albums.
/// </summary>
internal static class TemporaryAlbums
{
    public const string Suffix = "-autotag-temp-unclassified";

    private static readonly Regex Pattern = new(@"^\d{4}-\d{2}-\d{2}-autotag-temp-unclassified$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static bool IsTemporary(string name) => Pattern.IsMatch(name);

    private static readonly ChangeReason Joined = new("temporary_albums", "temporary album");
    private static readonly ChangeReason Left = new("temporary_albums", "classified, or in another album of its day: leaves the temporary album");
    private static readonly ChangeReason Empty = new("temporary_albums", "empty");
    private static readonly ChangeReason NoneLeft = new("temporary_albums", "no unclassified asset left");

    public static string NameFor(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>What the run does with temporary albums: members taken out, assets added or put in new albums (through
    /// <paramref name="changes"/>), emptied albums deleted. Returns the <see cref="RemoveAlbumMember"/> and <see cref="DeleteAlbum"/> changes.</summary>
    public static List<PlannedChange> Plan(
        bool create,
        IReadOnlyList<TemporaryAlbumInput> assets,
        LibrarySnapshot snapshot,
        AlbumChanges changes)
    {
        var own = snapshot.Albums.Where(a => a.OwnerId == snapshot.User.Id && IsTemporary(a.Name)).ToDictionary(a => a.Id);

        // Several albums of one day (made by hand, or by two runs racing): the fullest one is kept, the others emptied.
        var canonical = own.Values
            .GroupBy(a => a.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.AssetCount).ThenBy(a => a.Id).First(), StringComparer.Ordinal);
        var members = own.Keys.ToDictionary(id => id, _ => 0);
        foreach (var asset in snapshot.Assets)
        {
            var albums = snapshot.AlbumsOf(asset.Id);
            for (var i = 0; i < albums.Count; i++)
            {
                if (own.ContainsKey(albums[i].Id) && !ListedBefore(albums, i))
                {
                    members[albums[i].Id]++;
                }
            }
        }

        var removals = new Dictionary<Guid, List<Guid>>();
        var added = new HashSet<Guid>();
        foreach (var asset in assets)
        {
            if (!asset.Changeable)
            {
                continue;
            }

            var desired = create && asset.Unclassified ? NameFor(asset.Day) : null;
            var target = desired is null ? null : canonical.GetValueOrDefault(desired);
            for (var i = 0; i < asset.OriginalAlbums.Count; i++)
            {
                var album = asset.OriginalAlbums[i];
                if (!own.ContainsKey(album.Id) || ListedBefore(asset.OriginalAlbums, i))
                {
                    continue;
                }

                // With creation off an unclassified asset stays where it is; it only leaves once classified.
                var keep = asset.Unclassified && (desired is null || album.Id == target?.Id);
                if (!keep)
                {
                    (removals.TryGetValue(album.Id, out var list) ? list : removals[album.Id] = []).Add(asset.AssetId);
                    if (IndexOf(asset.Albums, album.Id) >= 0)
                    {
                        RemoveAll(asset.Edit(), album.Id);
                    }
                }
            }

            if (desired is null || (target is not null && IndexOf(asset.Albums, target.Id) >= 0))
            {
                continue;
            }

            if (target is not null)
            {
                changes.AddTo(target, asset.AssetId, Joined);
                added.Add(target.Id);
                asset.Edit().Add(target);
            }
            else
            {
                asset.Edit().Add(changes.Create(desired, asset.AssetId, Joined));
            }
        }

        var deletions = new List<PlannedChange>();
        foreach (var album in own.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id))
        {
            // AssetCount above the members we can see: someone else's assets are in it, so it is not empty.
            var left = members[album.Id] - (removals.TryGetValue(album.Id, out var gone) ? gone.Count : 0);
            if (album.AssetCount <= members[album.Id] && left == 0 && !added.Contains(album.Id))
            {
                deletions.Add(new DeleteAlbum(album.Id, album.Name, members[album.Id] == 0 ? Empty : NoneLeft) { AssetIds = gone ?? [] });
                removals.Remove(album.Id);
            }
        }

        var planned = removals
            .OrderBy(kv => own[kv.Key].Name, StringComparer.Ordinal)
            .SelectMany(kv => kv.Value.Select(assetId => (PlannedChange)new RemoveAlbumMember(assetId, kv.Key, own[kv.Key].Name, Left)))
            .ToList();
        return [.. planned, .. deletions];
    }

    // Plain loops instead of lambdas: a lambda capturing the loop's album or target allocates a closure for every
    // asset of the library, which is most of this step's cost on a large library.
    private static int IndexOf(IReadOnlyList<Album> albums, Guid id)
    {
        for (var i = 0; i < albums.Count; i++)
        {
            if (albums[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static void RemoveAll(List<Album> albums, Guid id)
    {
        for (var i = albums.Count - 1; i >= 0; i--)
        {
            if (albums[i].Id == id)
            {
                albums.RemoveAt(i);
            }
        }
    }

    /// <summary>Whether the album at <paramref name="index"/> is listed earlier too (an asset has few albums: no set per asset).</summary>
    private static bool ListedBefore(IReadOnlyList<Album> albums, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (albums[j].Id == albums[index].Id)
            {
                return true;
            }
        }

        return false;
    }
}
