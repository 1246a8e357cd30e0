using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmichAutoTag.TestKit.Schema;

/// <summary>
/// Rewrites an answer so that every integer the official spec declares in it carries the largest value the spec
/// allows (its <c>maximum</c>, or 2^53−1, JavaScript's largest safe integer, when it names none). A client that
/// reads any of those fields into a type too narrow for the spec fails on such an answer.
/// </summary>
public static class ExtremeIntegers
{
    /// <summary>2^53−1: the bound Immich's spec puts on its byte counts, sizes, totals and statistics.</summary>
    public const long MaxSafeInteger = 9_007_199_254_740_991;

    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A rewrite for <see cref="FakeImmichServer.RewriteResponse"/>; <paramref name="rewritten"/> collects "operation: path" of each integer changed.</summary>
    /// <param name="keep">(operation id, JSON path) of integers to leave as the fake's model answered them.</param>
    public static Func<string, ReadOnlyMemory<byte>, ReadOnlyMemory<byte>> Rewriter(OpenApiSpec spec, ICollection<string>? rewritten = null, Func<string, string, bool>? keep = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (operationId, body) =>
        {
            if (body.Length == 0 || spec.Operations().All(o => o.OperationId != operationId))
            {
                return body;
            }

            var op = spec.Operation(operationId);
            JsonElement? schema = null;
            foreach (var status in (string[])["200", "201"])
            {
                if (op.Element.GetProperty("responses").TryGetProperty(status, out var response)
                    && response.TryGetProperty("content", out var content)
                    && content.TryGetProperty("application/json", out var json)
                    && json.TryGetProperty("schema", out var found))
                {
                    schema = found;
                    break;
                }
            }

            if (schema is null)
            {
                return body;
            }

            var node = JsonNode.Parse(body.Span);
            var changed = new List<string>();
            node = Walk(spec.Root, schema.Value, node, "$", changed, path => keep?.Invoke(operationId, path) ?? false);
            lock (rewritten ?? (object)changed)
            {
                foreach (var path in changed)
                {
                    rewritten?.Add($"{operationId}: {path}");
                }
            }

            return JsonSerializer.SerializeToUtf8Bytes(node, Options);
        };
    }

    private static JsonNode? Walk(JsonElement root, JsonElement schema, JsonNode? node, string path, List<string> changed, Func<string, bool> keep)
    {
        schema = Resolve(root, schema);
        if (node is null)
        {
            return null;
        }

        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (node)
        {
            case JsonObject obj when schema.TryGetProperty("properties", out var properties):
                foreach (var property in properties.EnumerateObject())
                {
                    if (obj.TryGetPropertyValue(property.Name, out var child))
                    {
                        obj[property.Name] = Walk(root, property.Value, child?.DeepClone(), $"{path}.{property.Name}", changed, keep);
                    }
                }

                return obj;
            case JsonArray array when schema.TryGetProperty("items", out var items):
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Walk(root, items, array[i]?.DeepClone(), $"{path}[{i}]", changed, keep);
                }

                return array;
            case JsonValue when type == "integer" && !keep(path):
                var max = schema.TryGetProperty("maximum", out var m) ? m.GetDecimal() : MaxSafeInteger;
                changed.Add(path);
                return JsonValue.Create(max);
            default:
                return node;
        }
    }

    /// <summary>Follows $ref and the single-entry allOf Immich writes for nullable references.</summary>
    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        while (true)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                var name = reference.GetString()![(reference.GetString()!.LastIndexOf('/') + 1)..]; // non-null: $ref is a string
                schema = root.GetProperty("components").GetProperty("schemas").GetProperty(name);
                continue;
            }

            if (schema.TryGetProperty("allOf", out var allOf) && allOf.GetArrayLength() == 1)
            {
                schema = allOf[0];
                continue;
            }

            return schema;
        }
    }
}
