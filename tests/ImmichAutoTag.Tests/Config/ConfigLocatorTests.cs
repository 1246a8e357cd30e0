using ImmichAutoTag.Config;

namespace ImmichAutoTag.Tests.Config;

public sealed class ConfigLocatorTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("iat-locate-");

    private string Home => Path.Combine(_root.FullName, "home");

    public void Dispose() => _root.Delete(recursive: true);

    private string Touch(params string[] parts)
    {
        var path = Path.Combine([_root.FullName, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x: 1\n");
        return path;
    }

    private static Func<string, string?> Env(Dictionary<string, string> vars) => n => vars.GetValueOrDefault(n);

    [Fact]
    public void Explicit_path_wins_over_everything()
    {
        var explicitPath = Touch("elsewhere", "mine.yaml");
        var fromEnv = Touch("env.yaml");
        Touch("home", ".config", "immich_autotag", "config.yaml");

        var location = ConfigLocator.Locate(explicitPath, Env(new() { ["IMMICH_AUTOTAG_CONFIG"] = fromEnv }), Home);

        location.Path.Should().Be(explicitPath);
        location.Searched.Should().Equal(explicitPath);
    }

    [Fact]
    public void Missing_explicit_path_does_not_fall_back()
    {
        Touch("home", ".config", "immich_autotag", "config.yaml");
        var missing = Path.Combine(_root.FullName, "nope.yaml");

        var location = ConfigLocator.Locate(missing, Env([]), Home);

        location.Path.Should().BeNull();
        location.Searched.Should().Equal(missing);
    }

    [Fact]
    public void Env_variable_wins_over_xdg_and_legacy()
    {
        var fromEnv = Touch("env.yaml");
        Touch("home", ".config", "immich_autotag", "config.yaml");

        ConfigLocator.Locate(null, Env(new() { ["IMMICH_AUTOTAG_CONFIG"] = fromEnv }), Home).Path.Should().Be(fromEnv);
    }

    [Fact]
    public void Xdg_config_home_is_used_when_set()
    {
        var xdg = Path.Combine(_root.FullName, "xdg");
        var expected = Touch("xdg", "immich_autotag", "config.yml");
        Touch("home", ".config", "immich_autotag", "config.yaml");

        ConfigLocator.Locate(null, Env(new() { ["XDG_CONFIG_HOME"] = xdg }), Home).Path.Should().Be(expected);
    }

    [Fact]
    public void Dot_config_is_the_xdg_default_and_beats_legacy()
    {
        var expected = Touch("home", ".config", "immich_autotag", "config.yaml");
        Touch("home", ".immich_autotag", "config.yaml");

        ConfigLocator.Locate(null, Env([]), Home).Path.Should().Be(expected);
    }

    [Fact]
    public void Yaml_beats_yml_in_the_same_folder()
    {
        var yaml = Touch("home", ".config", "immich_autotag", "config.yaml");
        Touch("home", ".config", "immich_autotag", "config.yml");

        ConfigLocator.Locate(null, Env([]), Home).Path.Should().Be(yaml);
    }

    [Fact]
    public void Legacy_home_folder_is_the_last_resort()
    {
        var expected = Touch("home", ".immich_autotag", "config.yml");

        ConfigLocator.Locate(null, Env([]), Home).Path.Should().Be(expected);
    }

    [Fact]
    public void Python_config_is_found_so_the_loader_can_explain_it()
    {
        var expected = Touch("home", ".config", "immich_autotag", "config.py");

        ConfigLocator.Locate(null, Env([]), Home).Path.Should().Be(expected);
    }

    [Fact]
    public void Nothing_found_lists_every_place_in_order()
    {
        var location = ConfigLocator.Locate(null, Env([]), Home);

        location.Path.Should().BeNull();
        location.Searched.Should().Equal(
            Path.Combine(Home, ".config", "immich_autotag", "config.yaml"),
            Path.Combine(Home, ".config", "immich_autotag", "config.yml"),
            Path.Combine(Home, ".config", "immich_autotag", "config.py"),
            Path.Combine(Home, ".immich_autotag", "config.yaml"),
            Path.Combine(Home, ".immich_autotag", "config.yml"),
            Path.Combine(Home, ".immich_autotag", "config.py"));
    }

    [Fact]
    public void Located_file_loads_through_LoadFile()
    {
        var path = Path.Combine(_root.FullName, "real.yaml");
        File.WriteAllText(path, ConfigTestHelpers.Minimal);

        var result = ConfigLoader.LoadFile(path, ConfigTestHelpers.NoEnv);

        result.IsValid.Should().BeTrue();
        result.Config!.SourcePath.Should().Be(path);
    }
}
