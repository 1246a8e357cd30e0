using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImmichAutoTag.TestKit.Schema;

/// <summary>
/// Validates JSON against OpenAPI 3.0 schema objects: $ref, type, nullable, format (uuid, date-time, date),
/// pattern, enum, required, properties, additionalProperties, items, allOf/oneOf/anyOf, numeric and array bounds.
/// </summary>
public sealed partial class JsonSchemaValidator(JsonElement document)
{
    private readonly Dictionary<string, Regex?> _patterns = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Validate(JsonElement schema, JsonElement instance)
    {
        var errors = new List<string>();
        Check(schema, instance, "$", errors, depth: 0);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string at, List<string> errors, int depth)
    {
        if (depth > 64)
        {
            errors.Add($"{at}: schema nesting too deep (cyclic $ref?)");
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        // OpenAPI 3.0: a $ref replaces the whole schema object; siblings are ignored.
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Check(Resolve(reference.GetString() ?? ""), value, at, errors, depth + 1);
            return;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            var nullable = schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True;
            var typed = schema.TryGetProperty("type", out _) || schema.TryGetProperty("allOf", out _)
                || schema.TryGetProperty("oneOf", out _) || schema.TryGetProperty("anyOf", out _);
            if (!nullable && typed)
            {
                errors.Add($"{at}: null is not allowed");
            }

            return;
        }

        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray())
            {
                Check(part, value, at, errors, depth + 1);
            }
        }

        if (schema.TryGetProperty("anyOf", out var anyOf)
            && !anyOf.EnumerateArray().Any(part => Passes(part, value, at, depth)))
        {
            errors.Add($"{at}: matches none of anyOf");
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var matches = oneOf.EnumerateArray().Count(part => Passes(part, value, at, depth));
            if (matches != 1)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: matches {matches} of oneOf, expected exactly 1"));
            }
        }

        if (schema.TryGetProperty("type", out var type) && !HasType(value, type.GetString()))
        {
            errors.Add($"{at}: expected {type.GetString()}, got {Describe(value)}");
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed)
            && !allowed.EnumerateArray().Any(option => JsonElement.DeepEquals(option, value)))
        {
            errors.Add($"{at}: {value.GetRawText()} is not one of the enum values");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                CheckString(schema, value.GetString() ?? "", at, errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(schema, value.GetDouble(), at, errors);
                break;
            case JsonValueKind.Array:
                CheckArray(schema, value, at, errors, depth);
                break;
            case JsonValueKind.Object:
                CheckObject(schema, value, at, errors, depth);
                break;
            default:
                break;
        }
    }

    private bool Passes(JsonElement schema, JsonElement value, string at, int depth)
    {
        var probe = new List<string>();
        Check(schema, value, at, probe, depth + 1);
        return probe.Count == 0;
    }

    private JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Only local $ref is supported: {reference}");
        }

        var node = document;
        foreach (var raw in reference[2..].Split('/'))
        {
            var key = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (!node.TryGetProperty(key, out node))
            {
                throw new KeyNotFoundException($"Unresolvable $ref {reference}");
            }
        }

        return node;
    }

    private static bool HasType(JsonElement value, string? type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        _ => true,
    };

    private static bool IsInteger(JsonElement value) =>
        value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && Math.Floor(d) == d && !double.IsInfinity(d));

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => IsInteger(value) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private void CheckString(JsonElement schema, string text, string at, List<string> errors)
    {
        if (schema.TryGetProperty("format", out var format))
        {
            var ok = format.GetString() switch
            {
                "uuid" => Guid.TryParseExact(text, "D", out _),
                "date-time" => DateTimeShape().IsMatch(text)
                    && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _),
                "date" => DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                _ => true,
            };
            if (!ok)
            {
                errors.Add($"{at}: \"{text}\" is not a valid {format.GetString()}");
            }
        }

        if (schema.TryGetProperty("pattern", out var pattern) && Pattern(pattern.GetString() ?? "") is { } regex
            && !regex.IsMatch(text))
        {
            errors.Add($"{at}: \"{text}\" does not match the pattern {pattern.GetString()}");
        }
    }

    private Regex? Pattern(string pattern)
    {
        if (!_patterns.TryGetValue(pattern, out var regex))
        {
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                // An ECMAScript-only construct: skip the pattern rather than report false errors.
                regex = null;
            }

            _patterns[pattern] = regex;
        }

        return regex;
    }

    private static void CheckNumber(JsonElement schema, double number, string at, List<string> errors)
    {
        if (schema.TryGetProperty("minimum", out var min) && number < min.GetDouble())
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: {number} is below the minimum {min.GetDouble()}"));
        }

        if (schema.TryGetProperty("maximum", out var max) && number > max.GetDouble())
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: {number} is above the maximum {max.GetDouble()}"));
        }
    }

    private void CheckArray(JsonElement schema, JsonElement array, string at, List<string> errors, int depth)
    {
        var length = array.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && length < min.GetInt32())
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: {length} items, at least {min.GetInt32()} required"));
        }

        if (schema.TryGetProperty("maxItems", out var max) && length > max.GetInt32())
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: {length} items, at most {max.GetInt32()} allowed"));
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                Check(items, item, string.Create(CultureInfo.InvariantCulture, $"{at}[{i++}]"), errors, depth + 1);
            }
        }
    }

    private void CheckObject(JsonElement schema, JsonElement obj, string at, List<string> errors, int depth)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString() ?? ""))
            {
                if (!obj.TryGetProperty(name, out _))
                {
                    errors.Add($"{at}: required property '{name}' is missing");
                }
            }
        }

        var hasProperties = schema.TryGetProperty("properties", out var properties);
        schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var property in obj.EnumerateObject())
        {
            var path = $"{at}.{property.Name}";
            if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Check(propertySchema, property.Value, path, errors, depth + 1);
            }
            else if (additional.ValueKind == JsonValueKind.False)
            {
                errors.Add($"{path}: additional property is not allowed");
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                Check(additional, property.Value, path, errors, depth + 1);
            }
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeShape();
}
