using ImmichAutoTag.Cli;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.IntegrationTests.Cli;

public sealed class CliBasicsTests
{
    private const string ValidConfig = """
        server:
          host: photos.lan
          port: 2283
          api_key: secret-key-value
        enable_album_name_strip: true
        classification:
          rules:
            - tag_names: [meme]
        """;

    [Fact]
    public async Task Version_prints_the_assembly_version()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("--version");

        result.ExitCode.Should().Be(0);
        result.Out.Trim().Should().StartWith(typeof(CliApp).Assembly.GetName().Version!.ToString(3));
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("--help");

        result.ExitCode.Should().Be(0);
        result.Out.Should().Contain("run").And.Contain("validate");
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("run", "--no-such-option");

        result.ExitCode.Should().Be((int)RunExitCode.Usage);
        result.Err.Should().Contain("--no-such-option");
    }

    [Fact]
    public async Task Validate_accepts_a_valid_config()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("validate", "--config", cli.WriteConfig(ValidConfig));

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("valid");
        (result.Out + result.Err).Should().NotContain("secret-key-value");
    }

    [Fact]
    public async Task Validate_checks_the_clip_model_folder_when_clip_is_on()
    {
        using var cli = new CliHarness();
        var cache = Path.Combine(cli.Root, "cache");
        string Config(string folder) => cli.WriteConfig(ValidConfig + $"\nclip:\n  enabled: true\n  model_folder: {folder}\n");

        // The value of model_folder: its line and column, like every other config error.
        var at = $"config.yaml:{ValidConfig.Split('\n').Length + 3}:17: clip.model_folder: ";

        var missing = await cli.RunAsync("validate", "--config", Config(Path.Combine(cli.Root, "nowhere")));
        missing.ExitCode.Should().Be(3, missing.ToString());
        missing.Err.Should().Contain($"{at}the folder {Path.Combine(cli.Root, "nowhere")} does not exist")
            .And.Contain("1 error(s) in").And.Contain("nothing was sent to the server");

        var model = Path.Combine(cache, "clip", "ViT-B-32__openai");
        Directory.CreateDirectory(Path.Combine(model, "visual"));
        var empty = await cli.RunAsync("validate", "--config", Config(cache));
        empty.ExitCode.Should().Be(3, empty.ToString());
        empty.Err.Should().Contain($"{at}CLIP model 'ViT-B-32__openai' not found: no visual/model.onnx in");

        File.WriteAllBytes(Path.Combine(model, "visual", "model.onnx"), [0]);
        var halfway = await cli.RunAsync("validate", "--config", Config(cache));
        halfway.ExitCode.Should().Be(3, halfway.ToString());
        halfway.Err.Should().Contain("has no textual/model.onnx");

        Directory.CreateDirectory(Path.Combine(model, "textual"));
        File.WriteAllBytes(Path.Combine(model, "textual", "model.onnx"), [0]);
        var named = await cli.RunAsync("validate", "--config", cli.WriteConfig(ValidConfig + $"\nclip:\n  enabled: true\n  model_folder: {cache}\n  model_name: ViT-L-14__openai\n"));
        named.ExitCode.Should().Be(3, named.ToString());
        named.Err.Should().Contain($"config.yaml:{ValidConfig.Split('\n').Length + 4}:15: clip.model_name: CLIP model 'ViT-L-14__openai' not found", "a model name that is not there is pointed at where it is written");

        var whole = await cli.RunAsync("validate", "--config", Config(cache));
        whole.ExitCode.Should().Be(0, whole.ToString());
        whole.Out.Should().Contain("valid");
    }

    [Fact]
    public async Task Validate_encodes_the_clip_prompts_and_refuses_a_label_set_the_run_would_stop_on()
    {
        // W6: validate said "valid" and the run then exited 3 on prompts the text tower embeds to zero.
        using var cli = new CliHarness();
        var cache = Path.Combine(cli.Root, "cache");
        ImmichAutoTag.TestKit.Clip.ClipTestModels.WriteColourModelFolder(cache);
        string Config(string prompt) => cli.WriteConfig(ValidConfig + $"\nclip:\n  enabled: true\n  model_folder: {cache}\n  labels:\n    - {{name: red, prompts: [r]}}\n    - {{name: photo, prompts: ['{prompt}']}}\n");

        var zero = await cli.RunAsync("validate", "--config", Config("a photo"));
        var usable = await cli.RunAsync("validate", "--config", Config("g"));

        zero.ExitCode.Should().Be(3, zero.ToString());
        zero.Err.Should().Contain("label 'photo', prompt 'a photo'").And.Contain("zero").And.Contain("nothing was sent to the server");
        zero.Out.Should().NotContain("valid");
        usable.ExitCode.Should().Be(0, usable.ToString());
        usable.Out.Should().Contain("valid");
    }

    [Fact]
    public async Task Validate_checks_the_daemons_CRON_SCHEDULE_and_TZ_with_the_config()
    {
        using var cli = new CliHarness();
        var config = cli.WriteConfig(ValidConfig);

        cli.WithEnv("CRON_SCHEDULE", "0 2 * *").WithEnv("TZ", "Europe/Madird");
        var bad = await cli.RunAsync("validate", "--config", config);

        bad.ExitCode.Should().Be(3, bad.ToString());
        bad.Out.Should().NotContain("valid");
        bad.Err.Should().Contain("error: CRON_SCHEDULE (environment): ")
            .And.Contain("error: TZ (environment): unknown time zone 'Europe/Madird'").And.Contain("(did you mean 'Europe/Madrid'?)")
            .And.Contain("2 error(s) in the environment the daemon reads; nothing was sent to the server.");

        // Both kinds at once: the config's own errors come with the environment's.
        var both = await cli.RunAsync("validate", "--config", cli.WriteConfig(ValidConfig.Replace("port: 2283", "port: many", StringComparison.Ordinal), "both.yaml"));
        both.ExitCode.Should().Be(3, both.ToString());
        both.Err.Should().Contain("both.yaml:3:").And.Contain("CRON_SCHEDULE (environment)");

        cli.WithEnv("CRON_SCHEDULE", "0 2 * * *").WithEnv("TZ", ":Europe/Madrid");
        var good = await cli.RunAsync("validate", "--config", config);
        good.ExitCode.Should().Be(0, good.ToString());
        good.Out.Should().Contain("valid");
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("Europe/Madird")]
    public async Task The_daemon_refuses_an_unknown_TZ_instead_of_running_in_UTC_and_sends_nothing(string zone)
    {
        using var cli = new CliHarness();
        cli.WithEnv("TZ", zone);

        var result = await cli.RunAsync("daemon", "--config", cli.WriteConfig(ValidConfig), "--schedule", "0 2 * * *");

        result.ExitCode.Should().Be(3, result.ToString());
        result.Err.Should().Contain($"error: TZ (environment): unknown time zone '{zone}'").And.Contain("the schedule would run in UTC");
        result.Out.Should().NotContain("next run");
    }

    [Fact]
    public async Task Validate_says_which_named_config_file_is_missing_or_is_a_folder()
    {
        using var cli = new CliHarness();
        var missing = Path.Combine(cli.Root, "nope.yaml");

        var result = await cli.RunAsync("validate", "--config", missing);
        result.ExitCode.Should().Be(3, result.ToString());
        result.Err.Should().Contain($"error: --config {missing} does not exist").And.NotContain("Looked in");

        var folder = await cli.RunAsync("validate", "--config", cli.Root);
        folder.ExitCode.Should().Be(3, folder.ToString());
        folder.Err.Should().Contain($"error: --config {cli.Root} is a folder");
    }

    [Fact]
    public async Task Validate_names_a_config_yml_beside_the_missing_config_yaml()
    {
        using var cli = new CliHarness();
        var yml = cli.WriteConfig(ValidConfig, "config.yml");

        var result = await cli.RunAsync("validate", "--config", Path.Combine(cli.Root, "config.yaml"));

        result.ExitCode.Should().Be(3, result.ToString());
        result.Err.Should().Contain($"note: {yml} exists beside it: rename it to config.yaml, or pass --config {yml}");
    }

    [Fact]
    public async Task Validate_warns_with_file_line_and_column_when_no_rule_classifies_anything()
    {
        using var cli = new CliHarness();
        var config = cli.WriteConfig("""
            server:
              host: photos.lan
              port: 2283
              api_key: secret-key-value
            enable_album_name_strip: true
            classification:
              rules: []
            """);

        var result = await cli.RunAsync("validate", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Err.Should().Contain($"warning: {config}:7:3: classification.rules: no classification rules: no asset can be classified");
    }

    [Fact]
    public async Task Validate_reports_every_error_at_once()
    {
        using var cli = new CliHarness();
        var path = cli.WriteConfig("""
            server:
              url: "ftp://nowhere"
              api_key: k
            enable_album_name_strip: maybe
            classification:
              rules:
                - album_name_patterns: ['[a-']
            """);

        var result = await cli.RunAsync("validate", "--config", path);

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain("server.url");
        result.Err.Should().Contain("enable_album_name_strip");
        result.Err.Should().Contain("classification.rules[0].album_name_patterns[0]");
        result.Err.Should().Contain("config.yaml:4:");
    }

    [Fact]
    public async Task No_config_anywhere_exits_3_listing_where_it_looked()
    {
        using var cli = new CliHarness();

        var result = await cli.RunAsync("validate");

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain(Path.Combine(cli.Home, ".config", "immich_autotag", "config.yaml"));
        result.Err.Should().Contain(Path.Combine(cli.Home, ".immich_autotag", "config.yaml"));
    }

    [Fact]
    public async Task Config_is_found_through_the_environment_variable()
    {
        using var cli = new CliHarness();
        var path = cli.WriteConfig(ValidConfig, "elsewhere.yaml");
        cli.WithEnv("IMMICH_AUTOTAG_CONFIG", path);

        var result = await cli.RunAsync("validate");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("elsewhere.yaml");
    }
}
