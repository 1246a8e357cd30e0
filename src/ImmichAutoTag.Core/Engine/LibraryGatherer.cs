using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Everything a run needs to know about the library, read with as few requests as the API allows.</summary>
public sealed record LibrarySnapshot(
    UserInfo User,
    IReadOnlyList<Asset> Assets,
    IReadOnlyList<Album> Albums,
    IReadOnlyList<Tag> Tags,
    IReadOnlyDictionary<Guid, IReadOnlyList<Album>> AlbumsByAsset,
    IReadOnlyDictionary<Guid, IReadOnlyList<Tag>> TagsByAsset,
    int AmbiguousAssetsResolved)
{
    /// <summary>Search items that could not be read; they are not in <see cref="Assets"/> and the run leaves them alone.</summary>
    public IReadOnlyList<UnreadableAsset> Unreadable { get; init; } = [];

    public IReadOnlyList<Album> AlbumsOf(Guid assetId) => AlbumsByAsset.TryGetValue(assetId, out var a) ? a : [];

    /// <summary>The relevant tags (rule inputs and output tags) attached directly to the asset.</summary>
    public IReadOnlyList<Tag> TagsOf(Guid assetId) => TagsByAsset.TryGetValue(assetId, out var t) ? t : [];
}

/// <summary>
/// Reads the library with bulk searches: the asset walk, one search per album, and one search per tag that
/// matters. Search items carry neither tags nor albums, so membership comes from filtered searches; a
/// per-asset read happens only where a parent-tag search cannot say which tag is attached directly.
/// </summary>
public sealed class LibraryGatherer(IImmichGateway gateway, ILogger logger)
{
    /// <param name="ruleTagNames">Tag entries the rules look for: leaf names, and full paths where they contain '/'.</param>
    /// <param name="outputTagPaths">Full paths of the enabled output tags.</param>
    /// <param name="isOutputTag">Also relevant: output tags named by pattern (the per-duplicate-group families).</param>
    /// <param name="withExif">Whether the walk asks for EXIF data (camera make and model); only when a step needs it, as it makes every page larger.</param>
    public async Task<LibrarySnapshot> GatherAsync(
        IReadOnlySet<string> ruleTagNames,
        IReadOnlyCollection<string> outputTagPaths,
        IProgress<EngineProgress>? progress,
        CancellationToken ct,
        Func<string, bool>? isOutputTag = null,
        UserInfo? knownUser = null,
        bool withExif = false)
    {
        ArgumentNullException.ThrowIfNull(ruleTagNames);
        ArgumentNullException.ThrowIfNull(outputTagPaths);

        var user = knownUser ?? await gateway.GetMyUserAsync(ct);
        var (assets, unreadable) = await WalkAssetsAsync(withExif, progress, ct);
        var known = new HashSet<Guid>(assets.Count);
        foreach (var asset in assets)
        {
            known.Add(asset.Id);
        }


        var albums = await gateway.GetAlbumsAsync(ct);
        var albumsByAsset = await ReadAlbumMembershipAsync(albums, known, progress, ct);

        var tags = await gateway.GetTagsAsync(ct);
        var outputs = outputTagPaths.ToHashSet(StringComparer.Ordinal);
        var relevant = tags.Where(t => ruleTagNames.Contains(t.Name) || ruleTagNames.Contains(t.Value) || outputs.Contains(t.Value) || (isOutputTag?.Invoke(t.Value) ?? false)).ToList();
        var (tagsByAsset, ambiguous) = await ReadTagMembershipAsync(tags, relevant, known, progress, ct);
        await ResolveAmbiguousAsync(ambiguous, relevant, tagsByAsset, progress, ct);

        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Read {Assets} assets, {Albums} albums, {Tags} tags ({Relevant} relevant, {Ambiguous} assets read one by one)",
                assets.Count,
                albums.Count,
                tags.Count,
                relevant.Count,
                ambiguous.Count);
        }

        return new LibrarySnapshot(
            user,
            assets,
            albums,
            tags,
            albumsByAsset.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Album>)kv.Value),
            tagsByAsset.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Tag>)kv.Value),
            ambiguous.Count)
        {
            Unreadable = unreadable,
        };
    }

    private async Task<(List<Asset> Assets, List<UnreadableAsset> Unreadable)> WalkAssetsAsync(bool withExif, IProgress<EngineProgress>? progress, CancellationToken ct)
    {
        var assets = new List<Asset>();
        var unreadable = new List<UnreadableAsset>();

        // Offset paging can repeat an asset whose date changed during the walk; keep the first copy.
        var seen = new HashSet<Guid>();
        await foreach (var page in gateway.SearchAssetsAsync(AssetQuery.All with { PageSize = 1000, WithExif = withExif }, ct))
        {
            foreach (var asset in page)
            {
                if (!asset.IsTrashed && seen.Add(asset.Id))
                {
                    assets.Add(asset);
                }
            }

            foreach (var item in page.Unreadable)
            {
                if (item.Id is not { } id || seen.Add(id))
                {
                    unreadable.Add(item);
                    logger.LogWarning("Skipping asset {AssetId} ({FileName}): its search item could not be read: {Reason}", item.Id, item.FileName, item.Reason);
                }
            }

            progress?.Report(new EngineProgress(EnginePhase.Assets, assets.Count, null));
        }

        return (assets, unreadable);
    }

    private async Task<Dictionary<Guid, List<Album>>> ReadAlbumMembershipAsync(
        IReadOnlyList<Album> albums,
        HashSet<Guid> known,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        var byAsset = new Dictionary<Guid, List<Album>>(known.Count);
        for (var i = 0; i < albums.Count; i++)
        {
            var album = albums[i];
            foreach (var id in await SearchIdsAsync(new AssetQuery { AlbumIds = [album.Id] }, known, ct))
            {
                Add(byAsset, id, album);
            }

            progress?.Report(new EngineProgress(EnginePhase.Albums, i + 1, albums.Count));
        }

        return byAsset;
    }

    /// <summary>
    /// A tagIds search of a tag also returns the assets of its descendants. For a tag without children the
    /// result is exact; otherwise an asset found under none of its direct children is tagged directly, and
    /// an asset found under a child too is ambiguous and returned for a per-asset read.
    /// </summary>
    private async Task<(Dictionary<Guid, List<Tag>> ByAsset, HashSet<Guid> Ambiguous)> ReadTagMembershipAsync(
        IReadOnlyList<Tag> allTags,
        List<Tag> relevant,
        HashSet<Guid> known,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        var children = allTags
            .Where(t => t.ParentId is not null)
            .ToLookup(t => t.ParentId!.Value); // non-null: filtered just above
        var searches = new Dictionary<Guid, HashSet<Guid>>();

        async Task<HashSet<Guid>> TaggedAsync(Guid tagId)
        {
            if (!searches.TryGetValue(tagId, out var ids))
            {
                ids = await SearchIdsAsync(new AssetQuery { TagIds = [tagId] }, known, ct);
                searches[tagId] = ids;
            }

            return ids;
        }

        var byAsset = new Dictionary<Guid, List<Tag>>();
        var ambiguous = new HashSet<Guid>();
        for (var i = 0; i < relevant.Count; i++)
        {
            var tag = relevant[i];
            var tagged = await TaggedAsync(tag.Id);
            var underChild = new HashSet<Guid>();
            foreach (var child in children[tag.Id])
            {
                underChild.UnionWith(await TaggedAsync(child.Id));
            }

            foreach (var id in tagged)
            {
                if (underChild.Contains(id))
                {
                    ambiguous.Add(id);
                }
                else
                {
                    Add(byAsset, id, tag);
                }
            }

            progress?.Report(new EngineProgress(EnginePhase.Tags, i + 1, relevant.Count));
        }

        return (byAsset, ambiguous);
    }

    /// <summary>The asset's own tag list is authoritative, so it replaces whatever the searches suggested.</summary>
    private async Task ResolveAmbiguousAsync(
        HashSet<Guid> ambiguous,
        IReadOnlyList<Tag> relevant,
        Dictionary<Guid, List<Tag>> byAsset,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        var relevantById = relevant.ToDictionary(t => t.Id);
        var done = 0;
        foreach (var id in ambiguous)
        {
            var detail = await gateway.GetAssetAsync(id, ct);
            var direct = detail.Tags
                .Where(t => relevantById.ContainsKey(t.Id))
                .Select(t => relevantById[t.Id])
                .ToList();
            if (direct.Count == 0)
            {
                byAsset.Remove(id);
            }
            else
            {
                byAsset[id] = direct;
            }

            progress?.Report(new EngineProgress(EnginePhase.ResolveTags, ++done, ambiguous.Count));
        }
    }

    /// <summary>
    /// The ids a membership search returns that the walk read (<paramref name="known"/>), each once (offset paging may
    /// hand out the same asset twice while the library changes), in the order the search returned them.
    /// </summary>
    private async Task<HashSet<Guid>> SearchIdsAsync(AssetQuery query, HashSet<Guid> known, CancellationToken ct)
    {
        // One set, filled as the pages come: a tag a workflow adds to thousands of assets is read on every run, and a
        // list, a set to drop repeats and a set of the known ids cost three copies (and their growth) per search.
        HashSet<Guid>? ids = null;
        // Membership needs ids only: the walk has read the assets themselves (docs/performance.md).
        await foreach (var page in gateway.SearchAssetIdsAsync(query with { PageSize = 1000 }, ct))
        {
            ids ??= new HashSet<Guid>(page.Count);
            foreach (var id in page)
            {
                if (known.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ids ?? [];
    }

    private static void Add<T>(Dictionary<Guid, List<T>> map, Guid key, T value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(value);
    }
}
