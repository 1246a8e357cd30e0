using System.Text.Json.Nodes;

namespace ImmichAutoTag.Tests.Contract;

/// <summary>Finds the project's openapi file and the official Immich spec that sits beside the clone.</summary>
internal static class SpecFiles
{
    public const string OverrideVariable = "IMMICH_OPENAPI_SPEC";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string OursPath => Path.Combine(RepoRoot, "openapi", "immich-autotag.openapi.json");

    /// <summary>
    /// The override variable, else shared/immich/ beside the clone; a git worktree nested deeper finds it
    /// beside one of its ancestors instead.
    /// </summary>
    public static string OfficialPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } path)
            {
                return path;
            }

            var beside = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "immich", "immich-openapi-specs.json"));
            for (var dir = Directory.GetParent(RepoRoot); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "immich", "immich-openapi-specs.json");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return beside;
        }
    }

    public static JsonObject LoadOurs() => Load(OursPath);

    public static JsonObject LoadOfficial() => Load(OfficialPath);

    private static JsonObject Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"OpenAPI file not found at {path} (set {OverrideVariable} to point at the official Immich spec).", path);
        }

        // non-null: both files are JSON objects; a parse failure throws with its own message.
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImmichAutoTag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ImmichAutoTag.sln above {AppContext.BaseDirectory}.");
    }
}
