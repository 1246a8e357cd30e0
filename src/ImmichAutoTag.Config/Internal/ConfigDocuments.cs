using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Writes the files that describe the config for people and editors — the JSON schema, the commented example and
/// the docs' key table — from <see cref="ConfigKeys"/>, so they cannot drift from what the loader accepts. The
/// committed copies are compared with a fresh generation by a test (scripts/generate-config-files.sh rewrites them).
/// </summary>
internal static class ConfigDocuments
{
    /// <summary>Repository-relative paths of the generated files.</summary>
    public const string SchemaPath = "rules/config.schema.json";

    public const string ExamplePath = "rules/config.example.yaml";

    public const string KeyTablePath = "docs/config-reference.md";

    private const int Width = 100;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The JSON Schema (draft-07) of the config file.</summary>
    public static string Schema()
    {
        var shared = SharedBlocks();
        var definitions = new JsonObject();
        foreach (var block in shared)
        {
            definitions[block.Name] = BlockSchema(block, shared, nullable: false);
        }

        var root = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["$id"] = "https://github.com/immich-autotag/ImmichAutoTag/rules/config.schema.json",
            ["title"] = "ImmichAutoTag configuration",
        };
        foreach (var (name, value) in BlockSchema(ConfigKeys.Root, shared, nullable: false).ToList())
        {
            if (name == "properties")
            {
                root["definitions"] = definitions;
            }

            root[name] = value?.DeepClone();
        }

        return root.ToJsonString(JsonOptions).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    /// <summary>The commented example config: every key with its help, example values where the default would say little.</summary>
    public static string Example()
    {
        var text = new StringBuilder();
        text.Append("""
            # yaml-language-server: $schema=./config.schema.json
            #
            # Example configuration for immich-autotag (C# port). Copy it to
            # ~/.config/immich_autotag/config.yaml (`immich-autotag config init` does) and adapt it. Every key is
            # shown with what it does; most have sensible defaults and can be left out. Files written for the
            # Python tool work unchanged. Keys marked "(not in upstream)" are additions of this port.

            """);
        foreach (var key in ConfigKeys.Root.Keys)
        {
            text.Append('\n');
            ExampleKey(text, key, "", comment: true);
        }

        return text.ToString();
    }

    /// <summary>The Markdown table of every key: path, type, default, origin and help.</summary>
    public static string KeyTable()
    {
        var text = new StringBuilder();
        text.Append("""
            # Configuration keys

            Every key of `config.yaml`, generated from the config's key descriptions (the same descriptions give the
            loader's checks, `rules/config.schema.json`, `rules/config.example.yaml` and the effective-config dump).
            `[]` marks the items of a list. "ours" marks a key the upstream Python tool does not have.

            | Key | Type | Default | Origin | Meaning |
            |---|---|---|---|---|

            """);
        // A key below one of ours is ours too: upstream has no such section to hold it.
        var oursPrefixes = new List<string>();
        foreach (var (path, _, key) in ConfigKeys.Walk())
        {
            var underOurs = oursPrefixes.Exists(p => path.StartsWith(p + ".", StringComparison.Ordinal) || path.StartsWith(p + "[]", StringComparison.Ordinal));
            if (key.Extension && !underOurs)
            {
                oursPrefixes.Add(path);
            }

            var origin = key.Extension || underOurs ? "ours" : "upstream";
            var help = key.Help + (key.Secret ? " Secret: never written to dumps, logs or reports." : "");
            text.Append(CultureInfo.InvariantCulture, $"| `{path}` | {TypeText(key)} | {(key.HasDefault ? $"`{Yaml(key.Default)}`" : "")} | {origin} | {help.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        return text.ToString();
    }

    private static string TypeText(KeySpec key)
    {
        var type = key.Choices is { } choices
            ? "one of " + string.Join(", ", choices.Select(c => $"`{c}`"))
            : key.Kind switch
            {
                KeyKind.Bool => "bool",
                KeyKind.Int => "int",
                KeyKind.String => "string",
                KeyKind.StringList => "list of strings",
                KeyKind.Map => "map",
                _ => "list of maps",
            };
        if (key.Minimum is { } min)
        {
            type += key.Maximum is { } max ? string.Create(CultureInfo.InvariantCulture, $" {min}–{max}") : string.Create(CultureInfo.InvariantCulture, $" ≥ {min}");
        }

        return key.Nullable && key.Kind is KeyKind.Bool or KeyKind.Int or KeyKind.String ? type + " or null" : type;
    }

    // A block referenced from several keys (the rule) is written once under "definitions".
    private static HashSet<BlockSpec> SharedBlocks() =>
        ConfigKeys.Walk().Where(k => k.Key.Child is not null).GroupBy(k => k.Key.Child!).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

    private static JsonObject BlockSchema(BlockSpec block, HashSet<BlockSpec> shared, bool nullable)
    {
        var schema = new JsonObject { ["type"] = Type("object", nullable) };
        if (block.Strict)
        {
            schema["additionalProperties"] = false;
        }

        schema["description"] = block.Help;
        var required = block.Keys.Where(k => k.Required).Select(k => (JsonNode)k.Name).ToArray();
        if (required.Length > 0)
        {
            schema["required"] = new JsonArray(required);
        }

        var properties = new JsonObject();
        foreach (var key in block.Keys)
        {
            properties[key.Name] = KeySchema(key, shared);
        }

        schema["properties"] = properties;
        return schema;
    }

    private static JsonObject KeySchema(KeySpec key, HashSet<BlockSpec> shared)
    {
        JsonObject schema;
        switch (key.Kind)
        {
            case KeyKind.Map when shared.Contains(key.Child!):
                schema = new JsonObject { ["$ref"] = $"#/definitions/{key.Child!.Name}" };
                break;
            case KeyKind.Map:
                schema = BlockSchema(key.Child!, shared, key.Nullable);
                schema.Remove("description");
                break;
            case KeyKind.MapList:
                schema = new JsonObject
                {
                    ["type"] = Type("array", key.Nullable),
                    ["items"] = shared.Contains(key.Child!)
                        ? new JsonObject { ["$ref"] = $"#/definitions/{key.Child!.Name}" }
                        : BlockSchema(key.Child!, shared, nullable: false),
                };
                break;
            case KeyKind.StringList:
                schema = new JsonObject { ["type"] = Type("array", key.Nullable), ["items"] = new JsonObject { ["type"] = "string" } };
                break;
            case KeyKind.Bool:
                schema = new JsonObject { ["type"] = Type("boolean", key.Nullable) };
                break;
            case KeyKind.Int:
                schema = new JsonObject { ["type"] = Type("integer", key.Nullable) };
                if (key.Minimum is { } min)
                {
                    schema["minimum"] = min;
                }

                if (key.Maximum is { } max)
                {
                    schema["maximum"] = max;
                }

                break;
            default:
                schema = new JsonObject { ["type"] = Type("string", key.Nullable) };
                if (key.NonEmpty)
                {
                    schema["minLength"] = 1;
                }

                if (key.SchemaPattern is { } pattern)
                {
                    schema["pattern"] = pattern;
                }

                if (key.Choices is { } choices)
                {
                    var values = choices.Concat(key.ChoicesIgnoreCase ? choices.Select(c => c.ToUpperInvariant()) : []).Select(c => (JsonNode?)c);
                    schema["enum"] = new JsonArray([.. values, .. key.Nullable ? new JsonNode?[] { null } : []]);
                }

                break;
        }

        if (key.HasDefault)
        {
            schema["default"] = key.Default switch
            {
                null => null,
                bool b => b,
                int i => i,
                string s => s,
                IEnumerable<string> items => new JsonArray([.. items.Select(i => (JsonNode?)i)]),
                _ => new JsonArray(),
            };
        }

        schema["description"] = key.Help + (key.Extension ? " (not in upstream)" : "");
        return schema;
    }

    private static JsonNode Type(string type, bool nullable) => nullable ? new JsonArray(type, "null") : type;

    private static void ExampleKey(StringBuilder text, KeySpec key, string indent, bool comment)
    {
        if (comment)
        {
            foreach (var line in Wrap(key.Help + (key.Extension ? " (not in upstream)" : ""), Width - indent.Length - 2))
            {
                text.Append(indent).Append("# ").Append(line).Append('\n');
            }
        }

        var prefix = indent + (key.ExampleCommentedOut ? "# " : "");
        switch (key.Kind)
        {
            case KeyKind.Map:
                text.Append(prefix).Append(key.Name).Append(":\n");
                foreach (var child in key.Child!.Keys)
                {
                    // Descriptions of nested blocks are self-explanatory; the root one says what the key is for.
                    ExampleKey(text, child, indent + "  ", comment: child.Name != "description");
                }

                break;
            case KeyKind.MapList when key.Example is { } example && example.Contains('\n', StringComparison.Ordinal):
                text.Append(prefix).Append(key.Name).Append(":\n");
                foreach (var line in example.TrimEnd().Split('\n'))
                {
                    text.Append(indent).Append("  ").Append(line).Append('\n');
                }

                break;
            default:
                text.Append(prefix).Append(key.Name).Append(": ").Append(key.Example ?? Yaml(key.Default)).Append('\n');
                break;
        }
    }

    /// <summary>A default as YAML: plain when it reads back as the same string, double-quoted otherwise.</summary>
    private static string Yaml(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        string s when s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            && !char.IsAsciiDigit(s[0]) && s is not ("true" or "false" or "yes" or "no" or "on" or "off" or "null") => s,
        string s => JsonSerializer.Serialize(s, JsonOptions),

        // A list default is written out: "[]" for a non-empty one would tell the reader the wrong default.
        IEnumerable<string> items => "[" + string.Join(", ", items.Select(Yaml)) + "]",
        _ => "[]",
    };

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(word);
        }

        if (line.Length > 0)
        {
            yield return line.ToString();
        }
    }
}
