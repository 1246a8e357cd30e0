using System.Globalization;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// Fills a fake with a synthetic, seeded library: the same seed and settings give the same ids, names and dates.
/// Categories that must not overlap (album members, duplicates, trash) are drawn from disjoint slices.
/// </summary>
public sealed class LibraryBuilder(FakeImmichState state, Guid ownerId, int seed = 42)
{
    private static readonly string[] EventWords =
        ["Beach", "Birthday", "Hiking", "Wedding", "Christmas", "Paris", "Garden", "Concert", "Ski Trip", "Picnic"];

    private int _assets = 1000;
    private DateTimeOffset _from = new(2010, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private DateTimeOffset _to = new(2024, 12, 31, 0, 0, 0, TimeSpan.Zero);
    private int? _albums;
    private double _albumShare = 0.3;
    private string[] _tagPaths = [];
    private double _tagShare;
    private bool _tagOutsideAlbums;
    private int _conflicts;
    private int _duplicateGroups;
    private int _duplicateGroupSize = 2;
    private Guid? _partner;
    private int _partnerAssets;
    private int _trashed;

    public LibraryBuilder WithAssets(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _assets = count;
        return this;
    }

    public LibraryBuilder WithDateRange(DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(from, to);
        (_from, _to) = (from, to);
        return this;
    }

    /// <summary>Date-named event albums ("2019-07-04 Beach"); by default about 0.5 % of the asset count.</summary>
    public LibraryBuilder WithEventAlbums(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _albums = count;
        return this;
    }

    /// <summary>Fraction (0..1) of the owner's assets that sit in exactly one event album.</summary>
    public LibraryBuilder WithAlbumShare(double share)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(share);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1);
        _albumShare = share;
        return this;
    }

    /// <summary>Tags a fraction of the owner's assets, each with one of the given paths (round robin).</summary>
    public LibraryBuilder WithClassificationTags(double share, params string[] tagPaths)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(share);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1);
        _tagShare = share;
        _tagPaths = tagPaths;
        return this;
    }

    /// <summary>
    /// Like <see cref="WithClassificationTags"/>, but tags only assets outside albums, duplicate groups and the
    /// trash, so a tagged asset is classified by its tag alone (no overlap with the album rule).
    /// </summary>
    public LibraryBuilder WithClassificationTagsOutsideAlbums(double share, params string[] tagPaths)
    {
        WithClassificationTags(share, tagPaths);
        _tagOutsideAlbums = true;
        return this;
    }

    /// <summary>Album members that are also put into a second album.</summary>
    public LibraryBuilder WithAssetsInTwoAlbums(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _conflicts = count;
        return this;
    }

    public LibraryBuilder WithDuplicateGroups(int groups, int groupSize = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 2);
        (_duplicateGroups, _duplicateGroupSize) = (groups, groupSize);
        return this;
    }

    /// <summary>Assets owned by the partner; the builder registers the partnership so they appear in the owner's searches.</summary>
    public LibraryBuilder WithPartnerAssets(Guid partnerId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        (_partner, _partnerAssets) = (partnerId, count);
        return this;
    }

    /// <summary>Owner's assets (outside albums and duplicate groups) moved to the trash.</summary>
    public LibraryBuilder WithTrashedAssets(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _trashed = count;
        return this;
    }

    public LibrarySummary Build()
    {
        var random = new Random(seed);
        var span = (_to - _from).Ticks;
        var dates = new long[_assets];
        for (var i = 0; i < dates.Length; i++)
        {
            dates[i] = _from.UtcTicks + random.NextInt64(span);
        }

        Array.Sort(dates);
        var assets = new Guid[_assets];
        for (var i = 0; i < assets.Length; i++)
        {
            var taken = new DateTimeOffset(dates[i], TimeSpan.Zero);
            var name = string.Create(CultureInfo.InvariantCulture, $"IMG_{i:D6}.jpg");
            assets[i] = state.AddAssetWithId(NewId(random), ownerId, name, taken).Id;
        }

        // Album members: contiguous runs in date order, so each album looks like one event.
        var albumCount = _albums ?? (_assets == 0 ? 0 : Math.Max(1, (int)Math.Round(_assets * 0.005)));
        var members = albumCount == 0 ? 0 : (int)Math.Round(_assets * _albumShare);
        var albums = new List<Guid>(albumCount);
        var albumOf = new Dictionary<Guid, List<Guid>>();
        var inAlbum = new List<Guid>(members);
        var isMember = new bool[_assets];
        if (albumCount > 0 && members > 0)
        {
            var perAlbum = Math.Max(1, members / albumCount);
            var stride = _assets / albumCount;
            for (var a = 0; a < albumCount; a++)
            {
                var start = a * stride;
                var take = Math.Min(perAlbum, Math.Min(stride, _assets - start));
                var ids = new List<Guid>(take);
                for (var i = start; i < start + take; i++)
                {
                    ids.Add(assets[i]);
                    isMember[i] = true;
                }

                var date = new DateTimeOffset(dates[Math.Min(start, _assets - 1)], TimeSpan.Zero);
                var albumName = string.Create(CultureInfo.InvariantCulture,
                    $"{date:yyyy-MM-dd} {EventWords[random.Next(EventWords.Length)]}");
                var album = state.AddAlbumWithId(NewId(random), ownerId, albumName, ids);
                albums.Add(album.Id);
                inAlbum.AddRange(ids);
                foreach (var id in ids)
                {
                    albumOf[id] = [album.Id];
                }
            }
        }

        var conflicts = new List<Guid>();
        if (albums.Count >= 2)
        {
            foreach (var id in inAlbum.OrderBy(_ => random.Next()).Take(_conflicts))
            {
                var first = albumOf[id][0];
                var second = albums[(albums.IndexOf(first) + 1 + random.Next(albums.Count - 1)) % albums.Count];
                state.AddAlbumAssets(second, id);
                albumOf[id].Add(second);
                conflicts.Add(id);
            }
        }

        // Everything else is shuffled once and sliced, so duplicates and trash never overlap albums or each other.
        var outside = Enumerable.Range(0, _assets).Where(i => !isMember[i]).Select(i => assets[i]).ToArray();
        random.Shuffle(outside);
        var next = 0;
        var duplicateGroups = new List<Guid>();
        var duplicateAssets = new List<Guid>();
        for (var g = 0; g < _duplicateGroups && next + _duplicateGroupSize <= outside.Length; g++)
        {
            var group = outside.AsSpan(next, _duplicateGroupSize).ToArray();
            next += _duplicateGroupSize;
            duplicateGroups.Add(state.AddDuplicateGroupWithId(NewId(random), group));
            duplicateAssets.AddRange(group);
        }

        var trashed = outside.Skip(next).Take(_trashed).ToList();
        var trashedSet = trashed.ToHashSet();
        foreach (var id in trashed)
        {
            state.TrashAsset(id);
        }

        var tagged = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        if (_tagPaths.Length > 0 && _tagShare > 0)
        {
            var tags = _tagPaths.Select(state.UpsertTag).ToArray();
            // The rest of `outside` is already shuffled; the default draws from every asset as before.
            var chosen = _tagOutsideAlbums ? outside.Skip(next + trashed.Count).ToArray() : assets.ToArray();
            if (!_tagOutsideAlbums)
            {
                random.Shuffle(chosen);
            }

            var count = Math.Min(chosen.Length, (int)Math.Round(_assets * _tagShare));
            for (var i = 0; i < count; i++)
            {
                var tag = tags[i % tags.Length];
                state.TagAsset(tag.Id, chosen[i]);
                if (!tagged.TryGetValue(tag.Value, out var list))
                {
                    list = [];
                    tagged.Add(tag.Value, list);
                }

                list.Add(chosen[i]);
            }
        }

        var partnerAssets = new List<Guid>();
        if (_partner is { } partner && _partnerAssets > 0)
        {
            state.AddPartner(ownerId, partner);
            for (var i = 0; i < _partnerAssets; i++)
            {
                var taken = new DateTimeOffset(_from.UtcTicks + random.NextInt64(span), TimeSpan.Zero);
                var name = string.Create(CultureInfo.InvariantCulture, $"PARTNER_{i:D6}.jpg");
                partnerAssets.Add(state.AddAssetWithId(NewId(random), partner, name, taken).Id);
            }
        }

        return new LibrarySummary(
            assets,
            albums,
            inAlbum,
            outside.Where(id => !trashedSet.Contains(id)).ToList(),
            conflicts,
            tagged.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Guid>)kv.Value, StringComparer.Ordinal),
            duplicateGroups,
            duplicateAssets,
            partnerAssets,
            trashed);
    }

    /// <summary>A random version-4 UUID from the seeded generator (Immich's spec pattern wants v4).</summary>
    private static Guid NewId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}

/// <summary>What <see cref="LibraryBuilder.Build"/> created, by category.</summary>
public sealed record LibrarySummary(
    IReadOnlyList<Guid> AssetIds,
    IReadOnlyList<Guid> AlbumIds,
    IReadOnlyList<Guid> AssetsInAlbums,
    IReadOnlyList<Guid> AssetsOutsideAlbums,
    IReadOnlyList<Guid> AssetsInTwoAlbums,
    IReadOnlyDictionary<string, IReadOnlyList<Guid>> TaggedAssets,
    IReadOnlyList<Guid> DuplicateGroupIds,
    IReadOnlyList<Guid> DuplicateAssetIds,
    IReadOnlyList<Guid> PartnerAssetIds,
    IReadOnlyList<Guid> TrashedAssetIds)
{
    /// <summary>Owner's assets a default search returns (everything not trashed).</summary>
    public int SearchableOwnAssetCount => AssetIds.Count - TrashedAssetIds.Count;
}
