using System.Globalization;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <param name="Changeable">In scope and classified without error: the run may move it.</param>
/// <param name="Day">The asset's local calendar day after this run's date repair.</param>
/// <param name="OriginalAlbums">Its albums on the server.</param>
/// <param name="Albums">Its albums after the plan; updated here.</param>
internal sealed record TemporaryAlbumInput(Guid AssetId, bool Changeable, bool Unclassified, DateOnly Day, IReadOnlyList<Album> OriginalAlbums, List<Album> Albums);

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
            foreach (var album in snapshot.AlbumsOf(asset.Id).Where(a => own.ContainsKey(a.Id)).DistinctBy(a => a.Id))
            {
                members[album.Id]++;
            }
        }

        var removals = new Dictionary<Guid, List<Guid>>();
        var added = new HashSet<Guid>();
        foreach (var asset in assets.Where(a => a.Changeable))
        {
            var desired = create && asset.Unclassified ? NameFor(asset.Day) : null;
            var target = desired is null ? null : canonical.GetValueOrDefault(desired);
            foreach (var album in asset.OriginalAlbums.Where(a => own.ContainsKey(a.Id)).DistinctBy(a => a.Id))
            {
                // With creation off an unclassified asset stays where it is; it only leaves once classified.
                var keep = asset.Unclassified && (desired is null || album.Id == target?.Id);
                if (!keep)
                {
                    (removals.TryGetValue(album.Id, out var list) ? list : removals[album.Id] = []).Add(asset.AssetId);
                    asset.Albums.RemoveAll(a => a.Id == album.Id);
                }
            }

            if (desired is null || asset.Albums.Exists(a => target is not null && a.Id == target.Id))
            {
                continue;
            }

            if (target is not null)
            {
                changes.AddTo(target, asset.AssetId, Joined);
                added.Add(target.Id);
                asset.Albums.Add(target);
            }
            else
            {
                asset.Albums.Add(changes.Create(desired, asset.AssetId, Joined));
            }
        }

        var deletions = new List<PlannedChange>();
        foreach (var album in own.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id))
        {
            // AssetCount above the members we can see: someone else's assets are in it, so it is not empty.
            var left = members[album.Id] - (removals.TryGetValue(album.Id, out var gone) ? gone.Count : 0);
            if (album.AssetCount <= members[album.Id] && left == 0 && !added.Contains(album.Id))
            {
                deletions.Add(new DeleteAlbum(album.Id, album.Name, members[album.Id] == 0 ? Empty : NoneLeft));
                removals.Remove(album.Id);
            }
        }

        var planned = removals
            .OrderBy(kv => own[kv.Key].Name, StringComparer.Ordinal)
            .SelectMany(kv => kv.Value.Select(assetId => (PlannedChange)new RemoveAlbumMember(assetId, kv.Key, own[kv.Key].Name, Left)))
            .ToList();
        return [.. planned, .. deletions];
    }
}
