using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// Applies the configured conversions (tag → tags and/or albums) to one asset's desired state, in config
/// order, before classification sees it. Each conversion sees what the previous ones did. In move mode the
/// source tags the match used are dropped, but only once every destination album could be resolved, so a
/// failed destination never loses the user's tag.
/// </summary>
internal sealed class Conversions
{
    /// <summary>Album creation text "conversion" is what plan.txt has always shown for these albums.</summary>
    internal static readonly ChangeReason AlbumReason = new("conversions", "conversion");

    /// <summary>A tag a conversion adds (its destination) or drops (its source, in move mode).</summary>
    internal static readonly ChangeReason TagReason = new("conversions", "conversion of its tags or albums");

    private readonly List<(ConversionConfig Config, RuleClassifier Source)> _conversions;
    private readonly Dictionary<string, Tag> _tagsByPath = new(StringComparer.Ordinal);
    private readonly AlbumChanges _albums;
    private readonly Func<string, bool> _isFilteredAlbum;
    private readonly Action<PlanNoteKind, Guid, string, string?> _note;
    private readonly ToolTagRoots _toolTags;
    private readonly Func<PlannedChange, bool> _refused;

    public Conversions(
        ConversionsConfig config,
        IReadOnlyList<Tag> allTags,
        AlbumChanges albums,
        Func<string, bool> isFilteredAlbum,
        Action<PlanNoteKind, Guid, string, string?> note,
        ToolTagRoots? toolTags = null,
        Func<PlannedChange, bool>? refused = null)
    {
        _toolTags = toolTags ?? ToolTagRoots.None;
        _refused = refused ?? (_ => false);
        _conversions = config.Enabled
            ? config.Conversions.Select(c => (c, RuleClassifier.Compile([c.Source], _toolTags))).ToList()
            : [];
        foreach (var tag in allTags)
        {
            _tagsByPath.TryAdd(tag.Value, tag);
        }

        _albums = albums;
        _isFilteredAlbum = isFilteredAlbum;
        _note = note;
    }

    public bool Any => _conversions.Count > 0;

    /// <summary>Tag leaf names the conversions read or write, so the gatherer reads who carries them.</summary>
    public static IEnumerable<string> TagNames(ConversionsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Conversions.SelectMany(c => c.Source.TagNames.Concat(c.DestinationTagNames.Select(Leaf)));
    }

    /// <param name="tags">The asset's tags, updated to the state after the conversions.</param>
    /// <param name="albums">The asset's albums, updated likewise.</param>
    /// <param name="copies">Tag paths to add to the asset.</param>
    /// <param name="drops">Existing tags to remove from the asset.</param>
    public void Apply(Guid assetId, List<Tag> tags, List<Album> albums, List<string> copies, List<Tag> drops)
    {
        foreach (var (config, source) in _conversions)
        {
            var albumNames = albums.Where(a => !TemporaryAlbums.IsTemporary(a.Name)).Select(a => a.Name).ToList();
            var match = source.Classify(new AssetFacts(assetId, tags, albumNames));
            if (match.Matches.Count == 0)
            {
                continue;
            }

            var resolved = true;
            foreach (var path in config.DestinationTagNames)
            {
                if (tags.Exists(t => string.Equals(t.Value, path, StringComparison.Ordinal)))
                {
                    continue;
                }

                var known = _tagsByPath.GetValueOrDefault(path);
                if (_refused(new AddTag(assetId, path, known?.Id, TagReason)))
                {
                    // The user took this tag off the asset after the conversion had added it: it stays off, and a
                    // move keeps the source tag (nothing replaces it).
                    resolved = false;
                    continue;
                }

                tags.Add(known ?? new Tag(Guid.Empty, Leaf(path), path, null));
                copies.Add(path);
            }

            foreach (var name in config.DestinationAlbumNames)
            {
                if (albums.Exists(a => string.Equals(a.Name, name, StringComparison.Ordinal)))
                {
                    continue;
                }

                if (_isFilteredAlbum(name))
                {
                    _note(PlanNoteKind.AmbiguousAlbum, assetId, $"conversion destination album '{name}' matches filters.filter_out; not added", name);
                    resolved = false;
                    continue;
                }

                if (_albums.Join(assetId, name, AlbumReason, out var problem) is { } album)
                {
                    albums.Add(album);
                }
                else
                {
                    // No problem: the user took the asset out of that album after the conversion had added it.
                    if (problem is not null)
                    {
                        _note(PlanNoteKind.AmbiguousAlbum, assetId, $"conversion: {problem}", name);
                    }

                    resolved = false;
                }
            }

            if (config.Mode != ConversionMode.Move || !resolved)
            {
                continue;
            }

            var matched = match.Matches.SelectMany(m => m.MatchedTagNames).ToHashSet(StringComparer.Ordinal);
            // A CLIP label or booru tag is never moved away, even when a source names it by path: its step would put it back.
            foreach (var tag in tags.Where(t => (matched.Contains(t.Name) || matched.Contains(t.Value)) && !_toolTags.Covers(t.Value) && !config.DestinationTagNames.Contains(t.Value, StringComparer.Ordinal)).ToList())
            {
                tags.Remove(tag);
                if (!copies.Remove(tag.Value))
                {
                    drops.Add(tag);
                }
            }
        }
    }

    private static string Leaf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? path : path[(slash + 1)..];
    }
}
