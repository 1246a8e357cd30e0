using ImmichAutoTag.Config;

namespace ImmichAutoTag.Tests.Config;

internal static class ConfigTestHelpers
{
    public const string FileName = "config.yaml";

    public static readonly Func<string, string?> NoEnv = _ => null;

    /// <summary>The smallest config upstream accepts.</summary>
    public const string Minimal = """
        server:
          host: nas.home
          port: 2283
          api_key: k-123
        enable_album_name_strip: true
        """;

    public static ConfigLoadResult Load(string yaml, Func<string, string?>? env = null) =>
        ConfigLoader.LoadYaml(yaml, FileName, env ?? NoEnv);

    public static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    public static ConfigDiagnostic SingleError(string yaml)
    {
        var result = Load(yaml);
        result.Config.Should().BeNull();
        result.Errors.Should().ContainSingle(because: string.Join("\n", result.Errors));
        return result.Errors[0];
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ImmichAutoTag.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ImmichAutoTag.sln not found above " + AppContext.BaseDirectory);
    }
}
