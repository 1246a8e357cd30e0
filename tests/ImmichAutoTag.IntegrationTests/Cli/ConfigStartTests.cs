using ImmichAutoTag.Cli;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Starting without a config file: built-in default rules, `config init`, and which file `validate` read.</summary>
public sealed class ConfigStartTests : IAsyncLifetime
{
    private FakeImmichServer _server = null!;
    private Guid _userId;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _userId = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_userId, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task With_only_the_server_in_the_environment_a_run_uses_the_built_in_rules_and_says_so_in_one_line()
    {
        var taken = new DateTimeOffset(2024, 7, 14, 10, 0, 0, TimeSpan.Zero);
        var inEvent = _server.State.AddAsset(_userId, "IMG_1.jpg", taken).Id;
        var meme = _server.State.AddAsset(_userId, "IMG_2.jpg", taken).Id;
        var loose = _server.State.AddAsset(_userId, "IMG_3.jpg", taken).Id;
        _server.State.AddAlbum(_userId, "2024-07-14 Beach", [inEvent]);
        _server.State.TagAsset(_server.State.UpsertTag("meme").Id, meme);
        using var cli = new CliHarness().WithStateFolder().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = result.Err.Split('\n');
        lines.Where(l => l.Contains("built-in default rules", StringComparison.Ordinal) && !l.StartsWith('[')).Should().ContainSingle("one notice, beside the log");
        lines.Should().Contain(l => l.StartsWith('[') && l.Contains("config (built-in default rules)", StringComparison.Ordinal), "the run's log names the rules it used");
        result.Err.Should().Contain(Path.Combine(cli.Home, ".config", "immich_autotag", "config.yaml"), "the line says where it looked");
        var unknown = _server.State.Tags.Single(t => t.Value == "autotag_output_unknown").Id;
        _server.State.DirectTagIdsOf(loose).Should().Contain(unknown);
        _server.State.DirectTagIdsOf(inEvent).Should().NotContain(unknown, "albums whose name starts with a date classify");
        _server.State.DirectTagIdsOf(meme).Should().NotContain(unknown, "the meme tag classifies");
    }

    [Fact]
    public async Task An_explicit_config_path_that_does_not_exist_never_falls_back_to_the_built_in_rules()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("validate", "--config", "missing.yaml");

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain("missing.yaml").And.Contain("does not exist")
            .And.NotContain("using the built-in default rules").And.NotContain("Looked in", "--config names one file, not a search");
    }

    [Fact]
    public async Task A_bad_schedule_is_reported_at_its_line_with_the_other_errors()
    {
        using var cli = new CliHarness();
        var path = cli.WriteConfig(
            "server: {url: 'http://127.0.0.1:1', api_key: k}\nenable_album_name_strip: true\n" +
            "classification:\n" +
            "  rules:\n" +
            "    - album_name_patterns: ['^(2019']\n" +
            "schedule: \"99 * * * *\"\n",
            "bad.yaml");

        var result = await cli.RunAsync("validate", "--config", path);

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain($"{path}:5:").And.Contain("unterminated subpattern");
        result.Err.Should().Contain($"{path}:6:").And.Contain("99 is not a valid minute");
        result.Err.Should().Contain($"2 error(s) in {path}");
    }

    [Fact]
    public async Task An_explicit_config_path_that_is_a_folder_says_so()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);
        Directory.CreateDirectory(Path.Combine(cli.Home, "configs"));

        var result = await cli.RunAsync("validate", "--config", Path.Combine(cli.Home, "configs"));

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain("is a folder, not a config file");
        result.Err.Should().Contain($"immich-autotag config init {Path.Combine(cli.Home, "configs", "config.yaml")}'").And.NotContain("config init FILE");
    }

    [Fact]
    public async Task A_folder_given_to_config_init_and_then_to_config_is_the_same_config_yaml()
    {
        // Y10: `config init FOLDER` writes FOLDER/config.yaml, and `--config FOLDER` then told the user to write it again.
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);
        var folder = Path.Combine(cli.Home, "configs");
        Directory.CreateDirectory(folder);

        var init = await cli.RunAsync("config", "init", folder);
        var validate = await cli.RunAsync("validate", "--config", folder);

        init.ExitCode.Should().Be(0, init.ToString());
        File.Exists(Path.Combine(folder, "config.yaml")).Should().BeTrue();
        validate.ExitCode.Should().Be(0, validate.ToString());
        validate.Err.Should().NotContain("is a folder, not a config file");
        (validate.Out + validate.Err).Should().Contain(Path.Combine(folder, "config.yaml"));
    }

    [Fact]
    public async Task Validate_warns_when_a_sidecar_mapping_points_at_a_folder_that_is_not_there()
    {
        using var cli = new CliHarness();
        var missing = Path.Combine(cli.Root, "nas-not-mounted");
        var path = cli.WriteConfig(
            "server: {url: 'http://127.0.0.1:1', api_key: k}\nenable_album_name_strip: true\n" +
            $"sidecars:\n  enabled: true\n  path_mappings:\n    - immich_path: /mnt/nas\n      local_path: {missing}\n    - immich_path: /mnt/other\n      local_path: {cli.Root}\n");

        var result = await cli.RunAsync("validate", "--config", path);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Err.Should().Contain($"sidecars.path_mappings: local_path {missing} (for /mnt/nas) does not exist here").And.NotContain("(for /mnt/other)");
    }

    [Fact]
    public async Task An_explicit_config_path_that_does_not_exist_names_that_path_in_the_config_init_hint()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);
        var missing = Path.Combine(cli.Home, "mine.yaml");

        var result = await cli.RunAsync("validate", "--config", missing);

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain($"'immich-autotag config init {missing}'").And.NotContain("config init FILE");
    }

    [Fact]
    public async Task A_config_named_by_the_environment_in_a_folder_that_does_not_exist_is_an_error_not_the_built_in_rules()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);
        var named = Path.Combine(cli.Home, "no-such-folder", "config.yaml");
        cli.WithEnv("IMMICH_AUTOTAG_CONFIG", named);

        var result = await cli.RunAsync("run", "--dry-run", "--output", "out");

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain(named).And.Contain("does not exist").And.NotContain("using the built-in default rules");
        _server.Requests.Total.Should().Be(0, "nothing is sent before the config is read");
    }

    [Fact]
    public async Task A_config_named_by_the_environment_in_an_existing_folder_without_the_file_uses_the_built_in_rules_as_the_image_does()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_URL", _server.BaseUrl.ToString()).WithEnv("IMMICH_API_KEY", _key);
        var folder = Directory.CreateDirectory(Path.Combine(cli.Home, "config")).FullName;
        cli.WithEnv("IMMICH_AUTOTAG_CONFIG", Path.Combine(folder, "config.yaml"));

        var result = await cli.RunAsync("run", "--dry-run", "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Err.Should().Contain("using the built-in default rules");
    }

    [Fact]
    public async Task Config_init_writes_the_commented_example_where_runs_look_first_and_it_validates()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", "from-env");
        var expected = Path.Combine(cli.Home, ".config", "immich_autotag", "config.yaml");

        var init = await cli.RunAsync("config", "init");
        var validate = await cli.RunAsync("validate");

        init.ExitCode.Should().Be(0, init.ToString());
        init.Out.Should().Contain(expected);
        (await File.ReadAllTextAsync(expected)).Should().Be(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "rules", "config.example.yaml")));
        validate.ExitCode.Should().Be(0, validate.ToString());
        validate.Out.Should().StartWith($"Read {expected}: valid");
    }

    [Fact]
    public async Task Config_init_never_overwrites_a_file_unless_forced()
    {
        using var cli = new CliHarness();
        var path = cli.WriteConfig("# mine\n", "mine.yaml");

        var refused = await cli.RunAsync("config", "init", path);
        var mineAfterRefusal = await File.ReadAllTextAsync(path);
        var forced = await cli.RunAsync("config", "init", path, "--force");

        refused.ExitCode.Should().Be((int)RunExitCode.Usage, refused.ToString());
        refused.Err.Should().Contain("already exists");
        mineAfterRefusal.Should().Be("# mine\n");
        forced.ExitCode.Should().Be(0, forced.ToString());
        (await File.ReadAllTextAsync(path)).Should().Contain("classification:");
    }

    [Fact]
    public async Task Config_init_given_a_folder_writes_config_yaml_into_it_and_never_overwrites_it()
    {
        using var cli = new CliHarness();
        var folder = Directory.CreateDirectory(Path.Combine(cli.Root, "volume")).FullName;
        var expected = Path.Combine(folder, "config.yaml");

        var init = await cli.RunAsync("config", "init", folder);
        var again = await cli.RunAsync("config", "init", folder);
        var fresh = await cli.RunAsync("config", "init", Path.Combine(cli.Root, "new") + Path.DirectorySeparatorChar);

        init.ExitCode.Should().Be(0, init.ToString());
        init.Out.Should().Contain($"Wrote {expected}.");
        (await File.ReadAllTextAsync(expected)).Should().Contain("classification:");
        again.ExitCode.Should().Be((int)RunExitCode.Usage, again.ToString());
        again.Err.Should().Contain($"error: {expected} already exists");
        fresh.ExitCode.Should().Be(0, fresh.ToString());
        File.Exists(Path.Combine(cli.Root, "new", "config.yaml")).Should().BeTrue(fresh.ToString());
    }

    [Fact]
    public void The_built_in_rules_load_without_a_file_when_the_environment_names_the_server()
    {
        var loaded = BuiltInRules.Load(name => name switch { "IMMICH_URL" => "http://photos.lan:2283", "IMMICH_API_KEY" => "k", _ => null });

        loaded.IsValid.Should().BeTrue(string.Join("; ", loaded.Errors));
        loaded.Config!.Classification.Rules.Should().HaveCount(3);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ImmichAutoTag.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
