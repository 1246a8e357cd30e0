using System.Text.Json;

namespace ImmichAutoTag.TestKit.Schema;

/// <summary>The official Immich OpenAPI document, read (never copied) from the shared folder beside the repository.</summary>
public sealed class OpenApiSpec
{
    public const string PathVariable = "IMMICH_OPENAPI_SPEC";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    private static readonly Lazy<OpenApiSpec> OfficialSpec = new(() => Load(LocateOfficial()));

    private OpenApiSpec(JsonElement root)
    {
        Root = root;
        Validator = new JsonSchemaValidator(root);
    }

    public JsonElement Root { get; }

    public JsonSchemaValidator Validator { get; }

    /// <summary>Parsed once per test process: the file is large.</summary>
    public static OpenApiSpec Official => OfficialSpec.Value;

    public static OpenApiSpec Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new OpenApiSpec(doc.RootElement.Clone());
    }

    public static OpenApiSpec Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return new OpenApiSpec(doc.RootElement.Clone());
    }

    /// <summary>IMMICH_OPENAPI_SPEC, else &lt;repo root&gt;/../shared/immich/immich-openapi-specs.json.</summary>
    public static string LocateOfficial()
    {
        var overridden = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return File.Exists(overridden)
                ? overridden
                : throw new FileNotFoundException($"{PathVariable} points at a missing file.", overridden);
        }

        // <root>/../shared is the documented place; further ancestors are tried too so a git worktree nested
        // one level deeper than the main checkout still finds the same shared folder.
        var root = RepositoryRoot();
        for (var dir = Directory.GetParent(root); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "immich", "immich-openapi-specs.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"The official Immich spec was not found in <repo root>/../shared/immich/ (set {PathVariable}).");
    }

    /// <summary>The folder holding ImmichAutoTag.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImmichAutoTag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("No ImmichAutoTag.sln above " + AppContext.BaseDirectory);
    }

    public IEnumerable<SpecOperation> Operations()
    {
        foreach (var path in Root.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject())
            {
                if (Methods.Contains(method.Name, StringComparer.Ordinal)
                    && method.Value.TryGetProperty("operationId", out var id))
                {
                    yield return new SpecOperation(id.GetString() ?? "", method.Name.ToUpperInvariant(), path.Name, method.Value);
                }
            }
        }
    }

    public SpecOperation Operation(string operationId) =>
        Operations().FirstOrDefault(o => o.OperationId == operationId)
        ?? throw new KeyNotFoundException($"No operation {operationId} in the spec.");

    /// <summary>The JSON schema of a response, or null when the spec documents that status without a JSON body.</summary>
    public JsonElement? ResponseSchema(string operationId, int status)
    {
        var op = Operation(operationId);
        if (!op.Element.GetProperty("responses").TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response))
        {
            throw new KeyNotFoundException($"{operationId} documents no {status} response.");
        }

        if (response.TryGetProperty("content", out var content)
            && content.TryGetProperty("application/json", out var json)
            && json.TryGetProperty("schema", out var schema))
        {
            return schema;
        }

        return null;
    }

    /// <summary>Validates a response body; returns the problems found (empty when it conforms).</summary>
    public IReadOnlyList<string> ValidateResponse(string operationId, int status, string body)
    {
        var schema = ResponseSchema(operationId, status)
            ?? throw new InvalidOperationException($"{operationId} {status} has no JSON schema.");
        using var doc = JsonDocument.Parse(body);
        return Validator.Validate(schema, doc.RootElement);
    }
}

public sealed record SpecOperation(string OperationId, string Method, string Path, JsonElement Element)
{
    public string? Permission =>
        Element.TryGetProperty("x-immich-permission", out var p) ? p.GetString() : null;
}
