using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Applies YAML 1.1 merge keys (<c>&lt;&lt;: *anchor</c> or <c>&lt;&lt;: [*a, *b]</c>) to a loaded document, as PyYAML
/// (upstream's loader) does: a map's own keys win over merged ones, and among several merged maps the first one wins.
/// </summary>
/// <remarks>
/// YamlDotNet's <c>MergingParser</c> replays the merged entries as events, so a map that overrides a merged key is
/// then refused as a duplicate key; merging on the loaded nodes keeps the override semantics. Merged entries keep
/// their own nodes, so an error in one points at the line where the anchor wrote it.
/// </remarks>
internal static class YamlMergeKeys
{
    private const string MergeKey = "<<";

    /// <summary>Merges every <c>&lt;&lt;</c> entry below <paramref name="root"/> in place; a value that is not a map
    /// (or a list of maps) is left where it is, so the reader reports it as an unknown key at its line.</summary>
    public static void Apply(YamlNode root) => Visit(root, new HashSet<YamlNode>(ReferenceEqualityComparer.Instance));

    private static void Visit(YamlNode node, HashSet<YamlNode> seen)
    {
        if (!seen.Add(node))
        {
            return;
        }

        switch (node)
        {
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Visit(item, seen);
                }

                break;
            case YamlMappingNode map:
                foreach (var value in map.Children.Values.ToList())
                {
                    Visit(value, seen);
                }

                Merge(map, seen);
                break;
        }
    }

    private static void Merge(YamlMappingNode map, HashSet<YamlNode> seen)
    {
        var mergeKey = new YamlScalarNode(MergeKey);
        if (!map.Children.TryGetValue(mergeKey, out var source))
        {
            return;
        }

        IReadOnlyList<YamlNode> sources = source is YamlSequenceNode list ? list.Children.ToList() : [source];
        if (!sources.All(s => s is YamlMappingNode))
        {
            return;
        }

        map.Children.Remove(mergeKey);
        foreach (var from in sources.Cast<YamlMappingNode>())
        {
            Visit(from, seen);
            foreach (var (key, value) in from.Children)
            {
                if (!map.Children.ContainsKey(key))
                {
                    map.Children.Add(key, value);
                }
            }
        }
    }
}
