using System.Text;
using XmpCore;
using XmpCore.Options;

namespace ImmichAutoTag.Infrastructure.Sidecars;

/// <summary>
/// The tag properties of an XMP packet, read and changed through Adobe's XMP Core (the XmpCore port): digiKam's
/// <c>digiKam:TagsList</c> (an <c>rdf:Seq</c> of <c>a/b/c</c> paths), Lightroom's <c>lr:hierarchicalSubject</c> (an
/// <c>rdf:Bag</c> of <c>a|b|c</c> paths; exiftool calls it HierarchicalSubject) and Dublin Core's <c>dc:subject</c>
/// (an <c>rdf:Bag</c> of flat keywords: the leaves). Every other property, of any namespace, is left as parsed: the
/// packet is re-serialised by XMP Core, which keeps each property's value, type and qualifiers but not the original
/// layout (attribute order, indentation).
/// </summary>
public sealed class XmpTagDocument
{
    /// <summary>digiKam's namespace (<c>digiKam:TagsList</c>).</summary>
    public const string DigiKamNamespace = "http://www.digikam.org/ns/1.0/";

    /// <summary>Lightroom's namespace (<c>lr:hierarchicalSubject</c>).</summary>
    public const string LightroomNamespace = "http://ns.adobe.com/lightroom/1.0/";

    /// <summary>Dublin Core (<c>dc:subject</c>).</summary>
    public const string DublinCoreNamespace = "http://purl.org/dc/elements/1.1/";

    private const string TagsList = "TagsList";
    private const string HierarchicalSubject = "hierarchicalSubject";
    private const string Subject = "subject";

    private static readonly ParseOptions Parsing = new() { OmitNormalization = true, DisallowDoctype = true };

    private readonly IXmpMeta _meta;
    private readonly bool _packetWrapper;
    private readonly bool _byteOrderMark;

    static XmpTagDocument()
    {
        // The registry is process-wide; registering a known namespace again is harmless.
        XmpMetaFactory.SchemaRegistry.RegisterNamespace(DigiKamNamespace, "digiKam");
        XmpMetaFactory.SchemaRegistry.RegisterNamespace(LightroomNamespace, "lr");
    }

    private XmpTagDocument(IXmpMeta meta, bool packetWrapper, bool byteOrderMark = false)
    {
        _meta = meta;
        _packetWrapper = packetWrapper;
        _byteOrderMark = byteOrderMark;
    }

    /// <summary>An empty packet, for a sidecar that does not exist yet (written without a byte order mark).</summary>
    public static XmpTagDocument Create() => new(XmpMetaFactory.Create(), packetWrapper: true);

    /// <summary>Parses a sidecar's bytes.</summary>
    /// <exception cref="XmpException">Not a well-formed XMP packet (the message says why).</exception>
    public static XmpTagDocument Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var head = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 256));
        return new XmpTagDocument(XmpMetaFactory.ParseFromBuffer(bytes, Parsing), head.Contains("<?xpacket", StringComparison.Ordinal), bytes.AsSpan().StartsWith(Utf8Bom));
    }

    /// <summary>The <c>digiKam:TagsList</c> entries, in order; null when the property is absent.</summary>
    public IReadOnlyList<string>? DigiKamTags => Items(DigiKamNamespace, TagsList);

    /// <summary>The <c>lr:hierarchicalSubject</c> entries (<c>|</c>-separated); null when absent.</summary>
    public IReadOnlyList<string>? LightroomTags => Items(LightroomNamespace, HierarchicalSubject);

    /// <summary>The <c>dc:subject</c> keywords; null when absent.</summary>
    public IReadOnlyList<string>? Subjects => Items(DublinCoreNamespace, Subject);

    /// <summary>
    /// The tags Immich 3.1 takes from this sidecar whatever the original holds (<c>MetadataService.getTagList</c> over
    /// exiftool's TagsList, HierarchicalSubject, Keywords): the first of <c>digiKam:TagsList</c>,
    /// <c>lr:hierarchicalSubject</c> (converted by <see cref="FromHierarchical"/>) and <c>dc:subject</c> (exiftool's MWG
    /// Keywords) that has entries; empty when all three are there but empty; null when a property the sidecar lacks
    /// comes first, since the original's value of it then decides. exiftool reports an empty list as an empty string,
    /// which Immich skips, but a property the sidecar has, even empty, hides the original's value of it.
    /// </summary>
    public IReadOnlyList<string>? ImmichTags
    {
        get
        {
            foreach (var property in new[] { DigiKamTags, LightroomTags?.Select(FromHierarchical).ToList(), Subjects })
            {
                if (property is null || property.Count > 0)
                {
                    return property;
                }
            }

            return [];
        }
    }

    /// <summary>Immich's reading of an <c>lr:hierarchicalSubject</c> entry: levels split at <c>|</c>, a <c>/</c> inside a level kept as <c>|</c>, levels joined with <c>/</c>.</summary>
    public static string FromHierarchical(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return string.Join('/', entry.Split('|').Select(level => level.Replace('/', '|')));
    }

    /// <summary>The inverse of <see cref="FromHierarchical"/>: an Immich tag path (<c>a/b|c</c>) as an <c>lr:hierarchicalSubject</c> entry (<c>a|b/c</c>).</summary>
    public static string ToHierarchical(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return string.Join('|', path.Split('/').Select(level => level.Replace('|', '/')));
    }


    /// <summary>
    /// Makes the three tag properties carry every path of <paramref name="add"/> and none of <paramref name="remove"/>
    /// (full <c>a/b/c</c> paths). A property that is absent is created and first given <paramref name="seed"/> (the
    /// tags Immich shows for the asset now, which a new property would otherwise hide). Entries the edit does not
    /// name are kept in their order; a <c>dc:subject</c> leaf is removed only when no remaining path ends in it.
    /// </summary>
    /// <returns>Whether anything changed.</returns>
    public bool Apply(IReadOnlyList<string> add, IReadOnlyList<string> remove, IReadOnlyList<string> seed)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        ArgumentNullException.ThrowIfNull(seed);
        var removed = remove.Where(r => !add.Contains(r, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var changed = false;

        changed |= Edit(DigiKamNamespace, TagsList, ordered: true, seed, add, removed);
        changed |= Edit(LightroomNamespace, HierarchicalSubject, ordered: false, [.. seed.Select(ToHierarchical)], [.. add.Select(ToHierarchical)], removed.Select(ToHierarchical).ToHashSet(StringComparer.Ordinal));

        // Leaves: a flat keyword may stand for several paths (People/Alice and Pets/Alice), so it goes only with the last.
        var kept = (DigiKamTags ?? []).ToHashSet(StringComparer.Ordinal);
        var leaves = add.Select(Leaf).Distinct(StringComparer.Ordinal).ToList();
        var goneLeaves = removed.Select(Leaf).Where(l => !kept.Any(p => Leaf(p) == l)).ToHashSet(StringComparer.Ordinal);
        changed |= Edit(DublinCoreNamespace, Subject, ordered: false, [.. seed.Select(Leaf).Distinct(StringComparer.Ordinal)], leaves, goneLeaves);
        return changed;
    }

    /// <summary>
    /// Whether the three tag properties hold nothing but what a new sidecar seeded with <paramref name="seed"/> (full
    /// paths) was given by <see cref="Apply"/>: each property is absent, or holds exactly the seed's entries in its own
    /// form (paths, <c>|</c>-separated paths, leaves). Other properties are not looked at (see <see cref="OtherProperties"/>).
    /// </summary>
    public bool HoldsOnly(IReadOnlyList<string> seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        static bool Same(IReadOnlyList<string>? items, IEnumerable<string> expected) =>
            items is null || items.ToHashSet(StringComparer.Ordinal).SetEquals(expected);

        return Same(DigiKamTags, seed)
            && Same(LightroomTags, seed.Select(ToHierarchical))
            && Same(Subjects, seed.Select(Leaf));
    }

    /// <summary>
    /// The packet as bytes (UTF-8), with an <c>xpacket</c> wrapper when the parsed one had one, and a UTF-8 byte order
    /// mark only when the parsed file began with one: a rewritten sidecar keeps its file's choice, a new one has none
    /// (the packet's own <c>begin="\uFEFF"</c> attribute carries the encoding; a BOM before it is unusual for <c>.xmp</c>).
    /// </summary>
    public byte[] Serialize()
    {
        var bytes = XmpMetaFactory.SerializeToBuffer(_meta, new SerializeOptions
        {
            OmitPacketWrapper = !_packetWrapper,
            UseCompactFormat = true,
            Padding = 0,
        });
        var body = bytes.AsSpan().StartsWith(Utf8Bom) ? bytes.AsSpan(Utf8Bom.Length) : bytes.AsSpan();
        return _byteOrderMark ? [.. Utf8Bom, .. body] : body.ToArray();
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Every property other than the three tag properties, as (namespace, path, value, options, language), in XMP
    /// Core's order: what must be equal before and after an edit. Schema nodes (one per namespace) are left out: a
    /// namespace used only by tag properties comes and goes with them.
    /// </summary>
    public IReadOnlyList<string> OtherProperties() =>
    [
        .. _meta.Properties
            .Where(p => !string.IsNullOrEmpty(p.Path) && !IsTagProperty(p.Path))
            .Select(p => $"{p.Namespace}\u0001{p.Path}\u0001{p.Value}\u0001{p.Options}\u0001{p.Language}"),
    ];

    private static bool IsTagProperty(string? path) =>
        path is not null && (path.StartsWith("digiKam:TagsList", StringComparison.Ordinal)
            || path.StartsWith("lr:hierarchicalSubject", StringComparison.Ordinal)
            || path.StartsWith("dc:subject", StringComparison.Ordinal));

    private static string Leaf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private List<string>? Items(string ns, string name)
    {
        if (!_meta.DoesPropertyExist(ns, name))
        {
            return null;
        }

        var count = _meta.CountArrayItems(ns, name);
        var items = new List<string>(count);
        for (var i = 1; i <= count; i++)
        {
            items.Add(_meta.GetArrayItem(ns, name, i).Value ?? string.Empty);
        }

        return items;
    }

    private bool Edit(string ns, string name, bool ordered, IReadOnlyList<string> seed, IReadOnlyList<string> add, HashSet<string> remove)
    {
        var options = new PropertyOptions { IsArray = true, IsArrayOrdered = ordered };
        var existing = Items(ns, name);
        if (existing is null)
        {
            // Absent: Immich shows the file's own tags (the seed); a new property must carry them too, or it hides them.
            if (add.Count == 0 && !seed.Any(remove.Contains))
            {
                return false;
            }

            _meta.SetProperty(ns, name, null, options);
            foreach (var item in seed.Where(s => !remove.Contains(s)).Concat(add).Distinct(StringComparer.Ordinal))
            {
                _meta.AppendArrayItem(ns, name, options, item, null);
            }

            return true;
        }

        var wanted = add.Where(a => !existing.Contains(a, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0 && !existing.Any(remove.Contains))
        {
            return false;
        }

        // From the end, so earlier indexes stay valid (XMP arrays are 1-based).
        for (var i = existing.Count; i >= 1; i--)
        {
            if (remove.Contains(existing[i - 1]))
            {
                _meta.DeleteArrayItem(ns, name, i);
            }
        }

        foreach (var item in wanted)
        {
            _meta.AppendArrayItem(ns, name, options, item, null);
        }

        return true;
    }
}
