using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Collects the album additions and creations that planner steps ask for, so an album several steps want
/// is created once and every step sees the others' albums (a name planned for creation resolves to it).
/// </summary>
/// <remarks>Emits <see cref="AddAlbumMember"/> and <see cref="CreateAlbum"/> changes, each with the asking step's reason.</remarks>
/// <param name="refused">Whether an addition to an existing album is one the user took away before; null: none is.</param>
internal sealed class AlbumChanges(IReadOnlyList<Album> albums, Guid userId, Func<PlannedChange, bool>? refused = null)
{
    private readonly ILookup<string, Album> _byName = albums.ToLookup(a => a.Name, StringComparer.Ordinal);
    private readonly Dictionary<string, (Album Pending, List<Guid> Assets, ChangeReason Reason)> _creations = new(StringComparer.Ordinal);
    private readonly List<AddAlbumMember> _additions = [];

    /// <summary>
    /// The album an asset should join by name: the one existing album of that name, else the one the key's
    /// user owns among several, else a new one. Null (with a reason) when several fit; null without a reason when the
    /// user took the asset out of that album after the tool had added it (a correction: it stays out).
    /// </summary>
    public Album? Join(Guid assetId, string name, ChangeReason reason, out string? problem)
    {
        problem = null;
        if (_creations.TryGetValue(name, out var pending))
        {
            pending.Assets.Add(assetId);
            return pending.Pending;
        }

        var existing = _byName[name].ToList();
        if (existing.Count > 1)
        {
            existing = existing.Where(a => a.OwnerId == userId).ToList();
            if (existing.Count != 1)
            {
                problem = $"several albums are named '{name}'; not added to any";
                return null;
            }
        }

        if (existing.Count == 1)
        {
            if (refused is not null && refused(new AddAlbumMember(assetId, existing[0].Id, existing[0].Name, reason)))
            {
                return null;
            }

            AddTo(existing[0], assetId, reason);
            return existing[0];
        }

        return Create(name, assetId, reason);
    }

    /// <summary>The asset joins <paramref name="album"/>: an existing one, or one this run creates (it then starts with the asset).</summary>
    public void AddTo(Album album, Guid assetId, ChangeReason reason)
    {
        if (_creations.TryGetValue(album.Name, out var pending) && pending.Pending.Id == album.Id)
        {
            pending.Assets.Add(assetId);
            return;
        }

        _additions.Add(new AddAlbumMember(assetId, album.Id, album.Name, reason));
    }

    /// <summary>A new album; its id is a placeholder that only this run's planning ever sees.</summary>
    public Album Create(string name, Guid assetId, ChangeReason reason)
    {
        if (_creations.TryGetValue(name, out var pending))
        {
            pending.Assets.Add(assetId);
            return pending.Pending;
        }

        var album = new Album(Guid.NewGuid(), name, 0, userId, false);
        _creations[name] = (album, [assetId], reason);
        return album;
    }

    /// <summary>The additions to existing albums, then the albums to create with their first members.</summary>
    public IEnumerable<PlannedChange> Changes =>
        _additions.Cast<PlannedChange>().Concat(
            _creations.Values
                .Select(c => new CreateAlbum(c.Pending.Name, c.Assets.Distinct().ToList(), c.Reason))
                .OrderBy(c => c.AlbumName, StringComparer.Ordinal));

    /// <summary>The names of the albums this run creates.</summary>
    public IEnumerable<string> CreatedNames => _creations.Keys;
}
