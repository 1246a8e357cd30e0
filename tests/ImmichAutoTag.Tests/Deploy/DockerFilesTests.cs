using System.Text.Json;
using System.Text.RegularExpressions;
using ImmichAutoTag.Cli;
using ImmichAutoTag.Cli.Commands;
using ImmichAutoTag.Cli.Daemon;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Config;
using ImmichAutoTag.Tests.Config;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Tests.Deploy;

/// <summary>
/// Docker cannot build on the development machines, so the images' invariants are checked here: pinned
/// bases, a non-root user, tini as PID 1, and paths and variable names that match what the CLI reads.
/// </summary>
public sealed partial class DockerFilesTests
{
    public static TheoryData<string, string> Images => new()
    {
        { "Dockerfile", "run" },
        { "Dockerfile.cron", "daemon" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Base_images_are_pinned_to_exact_versions_and_the_sdk_matches_global_json(string file, string _)
    {
        var froms = Parse(file).Where(i => i.Keyword == "FROM").Select(i => i.Args.Split(' ')[0]).ToList();
        using var global = JsonDocument.Parse(File.ReadAllText(Path.Combine(ConfigTestHelpers.RepoRoot(), "global.json")));
        var sdk = global.RootElement.GetProperty("sdk").GetProperty("version").GetString();

        froms.Should().HaveCount(2, "multi-stage: build, then a runtime-only image");
        froms.Should().AllSatisfy(image => PinnedTag().IsMatch(image).Should().BeTrue($"{image} must name an exact version (x.y.z)"));
        froms[0].Should().Be($"mcr.microsoft.com/dotnet/sdk:{sdk}-noble");
        froms[1].Should().StartWith("mcr.microsoft.com/dotnet/runtime:10.0.", "the final image carries the runtime only");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_final_stage_runs_as_a_non_root_user(string file, string _)
    {
        var final = FinalStage(file);
        var user = final.Last(i => i.Keyword == "USER").Args.Split(':')[0];

        new[] { "root", "0" }.Should().NotContain(user);
        final.Where(i => i.Keyword == "RUN").Should().Contain(i => i.Args.Contains($"chown {user}:", StringComparison.Ordinal),
            "the volumes must be writable by that user");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Tini_is_PID_1_and_starts_the_cli_assembly(string file, string _)
    {
        var entrypoint = JsonArray(FinalStage(file).Single(i => i.Keyword == "ENTRYPOINT").Args);
        var assembly = typeof(CliApp).Assembly.GetName().Name + ".dll";

        entrypoint.Should().Equal("/usr/bin/tini", "--", "dotnet", "/app/" + assembly);
        FinalStage(file).Where(i => i.Keyword == "RUN").Should().Contain(i => i.Args.Contains("install", StringComparison.Ordinal) && i.Args.Contains("tini", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_command_is_a_real_cli_command(string file, string command)
    {
        var cmd = JsonArray(FinalStage(file).Single(i => i.Keyword == "CMD").Args);
        cmd.Should().Equal(command);

        using var output = new StringWriter();
        var code = await CliApp.RunAsync([.. cmd, "--help"], new CliContext(output, output, _ => null, "/nonexistent", "/"), CancellationToken.None);
        code.Should().Be(0, output.ToString());
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Config_output_and_state_point_at_the_volumes_through_the_variables_the_cli_reads(string file, string _)
    {
        var final = FinalStage(file);
        var env = Env(final);
        var volumes = JsonArray(final.Single(i => i.Keyword == "VOLUME").Args);

        env.Should().Contain(ConfigLocator.EnvConfig, "/config/config.yaml");
        env.Should().Contain(Locations.OutputVariable, "/logs");
        env.Should().Contain(Locations.StateVariable, "/state");
        volumes.Should().BeEquivalentTo(["/config", "/logs", "/state"]);
    }

    [Fact]
    public void The_cron_image_defaults_to_the_daemons_schedule_and_checks_its_health_with_the_status_command()
    {
        var final = FinalStage("Dockerfile.cron");

        Env(final).Should().Contain(DaemonCommand.ScheduleVariable, CronSchedule.Default);
        var health = final.Single(i => i.Keyword == "HEALTHCHECK").Args;
        health.Should().Contain("CMD [\"dotnet\", \"/app/immich-autotag.dll\", \"status\"]");
    }

    [Fact]
    public void Compose_runs_the_cron_image_on_the_immich_network_with_secrets_from_env()
    {
        var path = Path.Combine(ConfigTestHelpers.RepoRoot(), "docker", "docker-compose.yml");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var service = (YamlMappingNode)((YamlMappingNode)root["services"]).Children.Values.Single();

        ((YamlScalarNode)((YamlMappingNode)service["build"])["dockerfile"]).Value.Should().Be("Dockerfile.cron");
        var environment = ((YamlMappingNode)service["environment"]).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());
        environment["IMMICH_API_KEY"].Should().StartWith("${IMMICH_API_KEY", "the key comes from .env, never from the file");
        environment.Should().ContainKey(DaemonCommand.ScheduleVariable);
        var mounts = ((YamlSequenceNode)service["volumes"]).Select(v => v.ToString().Split(':')[1]).ToList();
        mounts.Should().BeEquivalentTo(["/config", "/logs", "/state"]);
        var network = ((YamlMappingNode)((YamlMappingNode)root["networks"]).Children.Values.Single());
        network["external"].ToString().Should().Be("true");
        service.Children.Should().ContainKey(new YamlScalarNode("stop_grace_period"));
    }

    private sealed record Instruction(string Keyword, string Args);

    private static List<Instruction> Parse(string file)
    {
        var text = File.ReadAllText(Path.Combine(ConfigTestHelpers.RepoRoot(), file));
        var joined = Regex.Replace(text, @"\\\r?\n", " ");
        return joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2))
            .Select(p => new Instruction(p[0].ToUpperInvariant(), p.Length > 1 ? Regex.Replace(p[1], @"\s+", " ").Trim() : string.Empty))
            .ToList();
    }

    private static List<Instruction> FinalStage(string file)
    {
        var all = Parse(file);
        return all.Skip(all.FindLastIndex(i => i.Keyword == "FROM")).ToList();
    }

    private static string[] JsonArray(string args) => JsonSerializer.Deserialize<string[]>(args)!;

    private static Dictionary<string, string> Env(IEnumerable<Instruction> stage)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in stage.Where(i => i.Keyword == "ENV"))
        {
            foreach (Match m in EnvPair().Matches(instruction.Args))
            {
                env[m.Groups["k"].Value] = m.Groups["q"].Success ? m.Groups["q"].Value : m.Groups["v"].Value;
            }
        }

        return env;
    }

    [GeneratedRegex(@":\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")]
    private static partial Regex PinnedTag();

    [GeneratedRegex("(?<k>[A-Za-z_][A-Za-z0-9_]*)=(?:\"(?<q>[^\"]*)\"|(?<v>\\S+))")]
    private static partial Regex EnvPair();
}
