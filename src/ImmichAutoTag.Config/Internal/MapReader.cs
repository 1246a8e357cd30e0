using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Typed, position-aware access to one YAML map, checked against its <see cref="BlockSpec"/>. Type errors are
/// reported and the value treated as absent, so validation continues and all problems surface in one run.
/// </summary>
internal sealed class MapReader
{
    private const string PythonTagPrefix = "tag:yaml.org,2002:python/";

    private readonly YamlMappingNode _map;
    private readonly BlockSpec _spec;
    private readonly Diagnostics _diag;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _queried = new(StringComparer.Ordinal);
    private readonly HashSet<string> _invalid = new(StringComparer.Ordinal);

    public MapReader(YamlMappingNode map, BlockSpec spec, Loc loc, Diagnostics diag)
    {
        _map = map;
        _spec = spec;
        _diag = diag;
        Loc = loc;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalarKey)
            {
                diag.Error(At(keyNode, loc), "keys must be plain strings");
                continue;
            }

            if (spec.Find(key) is null)
            {
                var message = $"unknown key '{key}'{Suggest.Hint(key, spec.Keys.Select(k => k.Name))}";
                if (spec.Strict)
                {
                    diag.Error(At(keyNode, loc.Child(key)), message);
                }
                else
                {
                    // Upstream tolerates extra keys here, so an old or newer config must still load.
                    diag.Warning(At(keyNode, loc.Child(key)), message + "; ignored");
                }

                continue;
            }

            _entries[key] = (scalarKey, valueNode);
        }
    }

    /// <summary>Position of the map itself (used for "missing required key" errors).</summary>
    public Loc Loc { get; }

    /// <summary>The keys this map may hold.</summary>
    public BlockSpec Spec => _spec;

    public static Loc At(YamlNode node, Loc loc) =>
        loc with { Line = (int)node.Start.Line, Column = (int)node.Start.Column };

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode s
        && (TagOf(s) == "tag:yaml.org,2002:null"
            || (s.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any
                && s.Tag.IsEmpty
                && s.Value is null or "" or "~" or "null" or "Null" or "NULL"));

    public bool Has(string key)
    {
        KeyOf(key);
        return _entries.ContainsKey(key);
    }

    /// <summary>Where the key is written (its key scalar), with the key's path; null when the file does not write it.</summary>
    public Loc? KeyLoc(string key) => _entries.TryGetValue(key, out var entry) ? At(entry.Key, Loc.Child(key)) : null;

    /// <summary>Keys whose value (or an item of it) had the wrong type and was already reported.</summary>
    public IReadOnlySet<string> Invalid => _invalid;

    public Val<bool>? Bool(string key)
    {
        if (!TryGet(key, KeyKind.Bool, out var node, out var loc))
        {
            return null;
        }

        if (node is YamlScalarNode s && !IsNull(s) && ParseBool(s.Value) is { } b)
        {
            return new Val<bool>(b, loc);
        }

        TypeError(key, node, loc, "bool (true/false)");
        return null;
    }

    public Val<int>? Int(string key, bool allowNull = false)
    {
        if (!TryGet(key, KeyKind.Int, out var node, out var loc))
        {
            return null;
        }

        if (allowNull && IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode s && !IsNull(s)
            && int.TryParse(s.Value?.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            return InRange(key, i, loc) ? new Val<int>(i, loc) : null;
        }

        TypeError(key, node, loc, "int");
        return null;
    }

    /// <summary>A string; an explicit YAML null comes back as a present value of null.</summary>
    public Val<string?>? String(string key)
    {
        if (!TryGet(key, KeyKind.String, out var node, out var loc))
        {
            return null;
        }

        if (IsNull(node))
        {
            return new Val<string?>(null, loc);
        }

        if (node is YamlScalarNode s && !IsPython(s))
        {
            return new Val<string?>(s.Value ?? "", loc);
        }

        TypeError(key, node, loc, "string");
        return null;
    }

    /// <summary>
    /// One of the key's <see cref="KeySpec.Choices"/>, returned as declared (so "MOVE" comes back as "move"); an
    /// explicit null comes back as a present value of null. Anything else is reported with a "did you mean" hint.
    /// </summary>
    public Val<string?>? Choice(string key)
    {
        var spec = KeyOf(key);
        var choices = spec.Choices ?? throw new InvalidOperationException($"Key '{_spec.Name}.{key}' declares no choices");
        var raw = spec.PythonEnum ? Mode(key) : String(key);
        if (raw is not { Value: { } text })
        {
            return raw;
        }

        var comparison = spec.ChoicesIgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (choices.FirstOrDefault(c => string.Equals(c, text.Trim(), comparison)) is { } match)
        {
            return new Val<string?>(match, raw.Loc);
        }

        _invalid.Add(key);
        var expected = choices.Count == 1 ? choices[0] : string.Join(", ", choices.Take(choices.Count - 1)) + " or " + choices[^1];
        _diag.Error(raw.Loc, $"unknown {key} '{text}': expected {expected}{Suggest.Hint(text, choices)}");
        return null;
    }

    /// <summary>
    /// A conversion mode: a plain string, or the python enum tag upstream's YAML dumper wrote for
    /// ConversionMode (a tagged scalar, or a tagged one-item sequence holding the value).
    /// </summary>
    private Val<string?>? Mode(string key)
    {
        if (!TryGet(key, KeyKind.String, out var node, out var loc))
        {
            return null;
        }

        if (IsNull(node))
        {
            return new Val<string?>(null, loc);
        }

        if (IsPython(node) && !TagOf(node).Contains("ConversionMode", StringComparison.Ordinal))
        {
            _invalid.Add(key);
            _diag.Error(loc, $"unsupported YAML tag '{TagOf(node)}'");
            return null;
        }

        switch (node)
        {
            case YamlScalarNode s:
                return new Val<string?>(s.Value ?? "", loc);
            case YamlSequenceNode { Children: [YamlScalarNode inner] } when IsPython(node):
                return new Val<string?>(inner.Value ?? "", loc);
            default:
                TypeError(key, node, loc, "string (move or copy)");
                return null;
        }
    }

    /// <summary>A list of strings; null and absent both come back as null.</summary>
    public IReadOnlyList<Val<string>>? StringList(string key)
    {
        if (!TryGet(key, KeyKind.StringList, out var node, out var loc) || IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode seq)
        {
            TypeError(key, node, loc, "list of strings");
            return null;
        }

        var result = new List<Val<string>>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var itemLoc = At(item, loc.Index(i));
            if (item is YamlScalarNode s && !IsNull(s) && !IsPython(s))
            {
                result.Add(new Val<string>(s.Value ?? "", itemLoc));
            }
            else
            {
                TypeError(key, item, itemLoc, "string");
            }
        }

        return result;
    }

    public MapReader? Map(string key)
    {
        var spec = KeyOf(key);
        if (!TryGet(key, KeyKind.Map, out var node, out var loc) || IsNull(node))
        {
            return null;
        }

        if (node is YamlMappingNode m)
        {
            return new MapReader(m, spec.Child!, loc, _diag);
        }

        TypeError(key, node, loc, "map");
        return null;
    }

    public IReadOnlyList<MapReader>? MapList(string key)
    {
        var spec = KeyOf(key);
        if (!TryGet(key, KeyKind.MapList, out var node, out var loc) || IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode seq)
        {
            TypeError(key, node, loc, "list of maps");
            return null;
        }

        var result = new List<MapReader>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var itemLoc = At(item, loc.Index(i));
            if (item is YamlMappingNode m)
            {
                result.Add(new MapReader(m, spec.Child!, itemLoc, _diag));
            }
            else
            {
                TypeError(key, item, itemLoc, "map");
            }
        }

        return result;
    }

    /// <summary>
    /// Guards against the reader and <see cref="ConfigKeys"/> drifting apart: every declared key must be read.
    /// </summary>
    public void Done()
    {
        var missed = _spec.Keys.Select(k => k.Name).Where(k => !_queried.Contains(k)).ToList();
        if (missed.Count > 0)
        {
            throw new InvalidOperationException($"Config reader for '{_spec.Name}' never reads: {string.Join(", ", missed)}");
        }
    }

    private KeySpec KeyOf(string key)
    {
        _queried.Add(key);
        return _spec.Find(key) ?? throw new InvalidOperationException($"Key '{key}' is not declared for '{_spec.Name}'");
    }

    private bool TryGet(string key, KeyKind kind, out YamlNode node, out Loc loc)
    {
        var spec = KeyOf(key);
        if (spec.Kind != kind)
        {
            throw new InvalidOperationException($"Key '{_spec.Name}.{key}' is declared as {spec.Kind}, read as {kind}");
        }

        if (_entries.TryGetValue(key, out var entry))
        {
            node = entry.Value;
            loc = At(entry.Value, Loc.Child(key));
            return true;
        }

        node = null!;
        loc = Loc.Child(key);
        return false;
    }

    /// <summary>Checks the key's declared <see cref="KeySpec.Minimum"/> and <see cref="KeySpec.Maximum"/>.</summary>
    private bool InRange(string key, int value, Loc loc)
    {
        var spec = KeyOf(key);
        if (value >= (spec.Minimum ?? int.MinValue) && value <= (spec.Maximum ?? int.MaxValue))
        {
            return true;
        }

        _invalid.Add(key);
        _diag.Error(loc, spec is { Minimum: 0, Maximum: null }
            ? $"{key} must not be negative{spec.RangeNote}"
            : string.Create(CultureInfo.InvariantCulture, $"{key} {value} is out of range {spec.Minimum}-{spec.Maximum}"));
        return false;
    }

    private void TypeError(string key, YamlNode node, Loc loc, string expected)
    {
        _invalid.Add(key);
        _diag.Error(loc, $"wrong type: expected {expected}, got {Describe(node)}");
    }

    private static bool IsPython(YamlNode node) => TagOf(node).StartsWith(PythonTagPrefix, StringComparison.Ordinal);

    // TagName.Value throws on an untagged node, so read it only when a tag is there.
    private static string TagOf(YamlNode node) => node.Tag.IsEmpty ? "" : node.Tag.Value;

    private static string Describe(YamlNode node) => node switch
    {
        _ when IsPython(node) => $"python object '{TagOf(node)[PythonTagPrefix.Length..]}'",
        _ when IsNull(node) => "null",
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "list",
        YamlMappingNode => "map",
        _ => node.NodeType.ToString(),
    };

    // YAML 1.1 booleans, which is what upstream's PyYAML safe loader understands.
    private static bool? ParseBool(string? value) => value?.ToUpperInvariant() switch
    {
        "TRUE" or "YES" or "ON" => true,
        "FALSE" or "NO" or "OFF" => false,
        _ => null,
    };
}
