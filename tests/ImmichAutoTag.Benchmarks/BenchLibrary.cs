using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// The benchmark's synthetic library and what the benchmark needs to know about it. Lives in the fake's
/// process: it reads the fake's state directly, so none of these look-ups shows up as a request.
/// </summary>
internal sealed class BenchLibrary
{
    public const string UnknownTag = "autotag_output_unknown";
    public const string ConflictTag = "autotag_output_conflict";
    public const string AlbumPattern = @"^\d{4}-\d{2}-\d{2}";

    /// <summary>Calls any run makes once, whatever the library: ping, version, features, API key, user, albums, tags.</summary>
    public const int FixedCalls = 7;

    public static readonly string[] ClassificationTags = ["screenshot", "meme", "document"];

    private readonly FakeImmichState _state;
    private readonly Guid _ownerId;
    private readonly Guid _partnerId;
    private readonly LibrarySummary _summary;
    private readonly Random _random;
    private readonly List<Guid> _unclassified;
    private readonly List<Guid> _singleAlbum;
    private readonly Dictionary<Guid, Guid> _albumOf = [];

    private BenchLibrary(FakeImmichState state, Guid ownerId, Guid partnerId, LibrarySummary summary, int seed)
    {
        _state = state;
        _ownerId = ownerId;
        _partnerId = partnerId;
        _summary = summary;
        _random = new Random(seed + 1);
        var tagged = summary.TaggedAssets.Values.SelectMany(ids => ids).ToHashSet();
        _unclassified = summary.AssetsOutsideAlbums.Where(id => !tagged.Contains(id)).ToList();
        var conflicts = summary.AssetsInTwoAlbums.ToHashSet();
        _singleAlbum = summary.AssetsInAlbums.Where(id => !conflicts.Contains(id)).ToList();
        foreach (var albumId in summary.AlbumIds)
        {
            foreach (var assetId in state.AlbumAssetIds(albumId))
            {
                _albumOf.TryAdd(assetId, albumId);
            }
        }
    }

    public LibrarySummary Summary => _summary;

    /// <summary>
    /// The issue's mix: albums ≈ 0.5 % of the assets; 70 % of the assets in exactly one date-named event album,
    /// 5 % in two (conflict), 10 % tagged with a classification tag, 15 % in nothing (2 % of all assets sit in
    /// duplicate pairs among those), plus a few partner assets.
    /// </summary>
    public static BenchLibrary Build(FakeImmichState state, Guid ownerId, Guid partnerId, int assets, int seed)
    {
        ArgumentNullException.ThrowIfNull(state);
        var summary = new LibraryBuilder(state, ownerId, seed)
            .WithAssets(assets)
            .WithAlbumShare(0.75)
            .WithAssetsInTwoAlbums((int)Math.Round(assets * 0.05))
            .WithClassificationTagsOutsideAlbums(0.10, ClassificationTags)
            .WithDuplicateGroups((int)Math.Round(assets * 0.01), 2)
            .WithPartnerAssets(partnerId, Math.Max(3, assets / 200))
            .Build();

        // Four cameras and files without EXIF make/model, in turn: what a camera condition (--workflow-camera) reads.
        (string Make, string Model)?[] cameras = [("Apple", "iPhone 13 Pro"), ("samsung", "SM-G991B"), ("SONY", "ILCE-7M3"), ("Canon", "Canon EOS R6"), null];
        var index = 0;
        foreach (var id in summary.AssetIds)
        {
            if (cameras[index++ % cameras.Length] is { } camera)
            {
                state.SetCamera(id, camera.Make, camera.Model);
            }
        }

        return new BenchLibrary(state, ownerId, partnerId, summary, seed);
    }

    /// <summary>
    /// Changes 1 % of the owner's assets the way a user would between runs: half of them are unclassified
    /// assets filed into an event album (their unknown tag must go), half are album members put into a second
    /// album (they become conflicts). Returns how many assets changed.
    /// </summary>
    public int ChangeOnePercent()
    {
        var count = Math.Max(2, (int)Math.Round(_summary.AssetIds.Count * 0.01));
        var albums = _summary.AlbumIds.ToList();
        var changed = 0;
        foreach (var id in Take(_unclassified, count / 2))
        {
            _state.AddAlbumAssets(albums[_random.Next(albums.Count)], id);
            changed++;
        }

        if (albums.Count >= 2)
        {
            foreach (var id in Take(_singleAlbum, count - (count / 2)))
            {
                var first = _albumOf[id];
                var second = albums[_random.Next(albums.Count)];
                if (second == first)
                {
                    second = albums[(albums.IndexOf(first) + 1) % albums.Count];
                }

                _state.AddAlbumAssets(second, id);
                changed++;
            }
        }

        return changed;
    }

    /// <summary>
    /// What a run against the current state must read at least: the asset walk, every album's members and
    /// every relevant tag's assets, each in pages of 1000, plus the fixed calls; and how many assets carry
    /// each output tag (so the caller can derive the write floor from the change).
    /// </summary>
    public LibraryFacts Inspect()
    {
        var owners = new HashSet<Guid> { _ownerId, _partnerId };
        var visible = _state.Assets
            .Where(a => owners.Contains(a.OwnerId) && !a.IsTrashed && a.Visibility is "timeline" or "archive")
            .Select(a => a.Id)
            .ToHashSet();

        var floor = FixedCalls + Pages(visible.Count);
        var albums = _state.Albums.Where(a => a.OwnerId == _ownerId).ToList();
        foreach (var album in albums)
        {
            floor += Pages(_state.AlbumAssetIds(album.Id).Count(visible.Contains));
        }

        var relevant = _state.Tags
            .Where(t => ClassificationTags.Contains(t.Name, StringComparer.Ordinal) || t.Value is UnknownTag or ConflictTag)
            .ToDictionary(t => t.Id);
        var perTag = relevant.Keys.ToDictionary(id => id, _ => 0);
        foreach (var id in visible)
        {
            foreach (var tagId in _state.DirectTagIdsOf(id))
            {
                if (perTag.TryGetValue(tagId, out var n))
                {
                    perTag[tagId] = n + 1;
                }
            }
        }

        floor += perTag.Values.Sum(Pages);
        var outputs = new Dictionary<string, int>(StringComparer.Ordinal) { [UnknownTag] = 0, [ConflictTag] = 0 };
        foreach (var (tagId, n) in perTag)
        {
            if (outputs.ContainsKey(relevant[tagId].Value))
            {
                outputs[relevant[tagId].Value] = n;
            }
        }

        var existing = relevant.Values.Select(t => t.Value).Where(outputs.ContainsKey).Order(StringComparer.Ordinal).ToList();
        return new LibraryFacts(floor, visible.Count, albums.Count, relevant.Count, outputs, existing);
    }

    public static int Pages(int assets) => (assets + 999) / 1000;

    private IEnumerable<Guid> Take(List<Guid> pool, int count)
    {
        // Drawn without replacement, so a later 1 % change never undoes an earlier one.
        for (var i = 0; i < count && pool.Count > 0; i++)
        {
            var index = _random.Next(pool.Count);
            var id = pool[index];
            pool[index] = pool[^1];
            pool.RemoveAt(pool.Count - 1);
            yield return id;
        }
    }
}

/// <param name="RequestFloor">Least read requests the API allows for the library as it is now.</param>
/// <param name="VisibleAssets">Assets a search walk returns (own and partner, trash excluded).</param>
/// <param name="OutputTagAssets">Output tag path → assets carrying it now (0 when the tag does not exist).</param>
/// <param name="ExistingOutputTags">Output tags that exist on the server now.</param>
internal sealed record LibraryFacts(
    int RequestFloor,
    int VisibleAssets,
    int Albums,
    int RelevantTags,
    IReadOnlyDictionary<string, int> OutputTagAssets,
    IReadOnlyList<string> ExistingOutputTags);
