using System.Globalization;
using ImmichAutoTag.Config.Internal;
using ImmichAutoTag.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Config;

/// <summary>Dumps the effective config (defaults filled in) in upstream's key names, for the run folder and --show-config.</summary>
public static class ConfigWriter
{
    public const string Redacted = "***REDACTED***";

    /// <summary>
    /// The effective config as YAML in upstream's key names (snake_case), walked from the config's key descriptions:
    /// every stored key in declaration order, secret ones (the API key) replaced by <see cref="Redacted"/>.
    /// </summary>
    public static string ToRedactedYaml(AutoTagConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var root = Block(ConfigKeys.Root, config);

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        // The emitter closes the document with "..."; drop it so the dump reads like a hand-written file.
        var text = writer.ToString().TrimEnd();
        return (text.EndsWith("...", StringComparison.Ordinal) ? text[..^3].TrimEnd() : text) + "\n";
    }

    private static YamlMappingNode Block(BlockSpec spec, object record)
    {
        var map = new YamlMappingNode();
        foreach (var key in spec.Keys)
        {
            if (key.Get is null)
            {
                continue; // folded into another key (server.host/port) or free text nobody stores
            }

            var value = key.Get(record);
            if (key.DumpOmitsEmpty && (value is null || (value is IEnumerable<object> items && !items.Any())))
            {
                continue;
            }

            map.Add(key.Name, key.Secret ? Str(Redacted) : Node(key, value));
        }

        return map;
    }

    private static YamlNode Node(KeySpec key, object? value) => (key.Kind, value) switch
    {
        (_, null) => Null(),
        (KeyKind.Bool, bool b) => Bool(b),
        (KeyKind.Int, int i) => Int(i),
        (KeyKind.String, string s) => Str(s),
        (KeyKind.StringList, IEnumerable<string> list) => Strs(list),
        (KeyKind.Map, _) => Block(key.Child!, value),
        (KeyKind.MapList, IEnumerable<object> list) => Seq(list.Select(item => (YamlNode)Block(key.Child!, item))),
        _ => throw new InvalidOperationException($"Key '{key.Name}' ({key.Kind}) reads a {value.GetType().Name}"),
    };

    private static YamlSequenceNode Seq(IEnumerable<YamlNode> items)
    {
        var seq = new YamlSequenceNode(items);
        if (seq.Children.Count == 0)
        {
            seq.Style = YamlDotNet.Core.Events.SequenceStyle.Flow;
        }

        return seq;
    }

    private static YamlSequenceNode Strs(IEnumerable<string> items) => Seq(items.Select(s => (YamlNode)Str(s)));

    // Strings are always quoted so values such as "yes", "null" or "2020" keep their type when reloaded.
    private static YamlScalarNode Str(string? value) =>
        value is null ? Null() : new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    private static YamlScalarNode Int(int value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Null() => new("null") { Style = ScalarStyle.Plain };
}
