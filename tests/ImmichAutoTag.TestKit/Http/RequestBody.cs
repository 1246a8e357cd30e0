using System.Globalization;
using System.Text.Json;

namespace ImmichAutoTag.TestKit.Http;

/// <summary>
/// Reads a JSON request body field by field and collects class-validator style messages,
/// so a bad DTO answers 400 with every problem at once, as Immich does.
/// </summary>
internal sealed class RequestBody
{
    private readonly JsonElement _root;

    private RequestBody(JsonElement root) => _root = root;

    public List<string> Errors { get; } = [];

    public static RequestBody? Parse(string? body, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new RequestBody(JsonDocument.Parse("{}").RootElement);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add("body must be an object");
                return null;
            }

            return new RequestBody(doc.RootElement.Clone());
        }
        catch (JsonException)
        {
            errors.Add("body must be valid JSON");
            return null;
        }
    }

    /// <summary>The body's properties except the named ones, as a stable text key.</summary>
    public string KeyWithout(params string[] names) =>
        string.Join('\u0001', _root.EnumerateObject()
            .Where(p => !names.Contains(p.Name, StringComparer.Ordinal))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value.GetRawText()));

    public bool Has(string name) => _root.TryGetProperty(name, out _);

    public bool IsNull(string name) => _root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Null;

    private bool TryGet(string name, out JsonElement value) =>
        _root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string name, bool required = false)
    {
        if (!TryGet(name, out var v))
        {
            if (required)
            {
                Errors.Add($"{name} must be a string");
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            Errors.Add($"{name} must be a string");
            return null;
        }

        return v.GetString();
    }

    public bool? Bool(string name)
    {
        if (!TryGet(name, out var v))
        {
            return null;
        }

        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetBoolean();
        }

        Errors.Add($"{name} must be a boolean value");
        return null;
    }

    public long? Int(string name, long min, long max)
    {
        if (!TryGet(name, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
        {
            Errors.Add($"{name} must be an integer number");
            return null;
        }

        if (n < min)
        {
            Errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must not be less than {min}"));
            return null;
        }

        if (n > max)
        {
            Errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must not be greater than {max}"));
            return null;
        }

        return n;
    }

    public double? Number(string name)
    {
        if (!TryGet(name, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            Errors.Add($"{name} must be a number");
            return null;
        }

        return v.GetDouble();
    }

    public Guid? Uuid(string name)
    {
        var s = String(name);
        if (s is null)
        {
            return null;
        }

        if (!Guid.TryParseExact(s, "D", out var id))
        {
            Errors.Add($"{name} must be a UUID");
            return null;
        }

        return id;
    }

    public DateTimeOffset? Date(string name)
    {
        var s = String(name);
        if (s is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d))
        {
            Errors.Add($"{name} must be a valid ISO 8601 date string");
            return null;
        }

        return d;
    }

    public string? Enum(string name, params string[] allowed)
    {
        var s = String(name);
        if (s is null)
        {
            return null;
        }

        if (!allowed.Contains(s, StringComparer.Ordinal))
        {
            Errors.Add($"{name} must be one of the following values: {string.Join(", ", allowed)}");
            return null;
        }

        return s;
    }

    public List<Guid>? UuidArray(string name, bool required = false)
    {
        if (!TryGet(name, out var v))
        {
            if (required)
            {
                Errors.Add($"{name} must be an array");
                Errors.Add($"each value in {name} must be a UUID");
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Errors.Add($"{name} must be an array");
            return null;
        }

        var result = new List<Guid>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !Guid.TryParseExact(item.GetString(), "D", out var id))
            {
                Errors.Add($"each value in {name} must be a UUID");
                return null;
            }

            result.Add(id);
        }

        return result;
    }

    public List<string>? StringArray(string name, bool required = false)
    {
        if (!TryGet(name, out var v))
        {
            if (required)
            {
                Errors.Add($"{name} must be an array");
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Errors.Add($"{name} must be an array");
            return null;
        }

        var result = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Errors.Add($"each value in {name} must be a string");
                return null;
            }

            result.Add(item.GetString()!); // non-null: checked ValueKind == String
        }

        return result;
    }

    public IEnumerable<JsonElement> ObjectArray(string name)
    {
        if (!TryGet(name, out var v))
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Errors.Add($"{name} must be an array");
            return [];
        }

        return v.EnumerateArray().ToList();
    }
}
