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
/// Docker cannot build on the development machines, so the images' invariants are checked here: one build stage
/// shared by both images, pinned bases, a non-root user, tini as PID 1, a health check, and paths and variable
/// names that match what the CLI reads. scripts/container-smoke.sh runs the published app the way the images do.
/// </summary>
public sealed partial class DockerFilesTests
{
    private const string File_ = "Dockerfile";

    public static TheoryData<string, string> Images => new()
    {
        { "oneshot", "run" },
        { "scheduled", "daemon" },
    };

    [Fact]
    public void Base_images_are_pinned_to_exact_versions_and_the_sdk_matches_global_json()
    {
        var froms = Parse().Where(i => i.Keyword == "FROM").Select(i => i.Args.Split(' ')[0]).ToList();
        using var global = JsonDocument.Parse(File.ReadAllText(Path.Combine(ConfigTestHelpers.RepoRoot(), "global.json")));
        var sdk = global.RootElement.GetProperty("sdk").GetProperty("version").GetString();
        var bases = froms.Where(f => f.Contains('/', StringComparison.Ordinal)).ToList();

        bases.Should().HaveCount(2, "one build stage and one runtime stage, which both images start from");
        bases.Should().AllSatisfy(image => PinnedTag().IsMatch(image).Should().BeTrue($"{image} must name an exact version (x.y.z)"));
        bases[0].Should().Be($"mcr.microsoft.com/dotnet/sdk:{sdk}-noble");
        bases[1].Should().StartWith("mcr.microsoft.com/dotnet/runtime:10.0.", "the final images carry the .NET runtime only, no ASP.NET Core");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Both_images_start_from_the_one_runtime_stage_that_copies_the_one_build(string target, string _)
    {
        Stage(target)[0].Args.Should().Be($"runtime AS {target}");
        var copies = Parse().Where(i => i.Keyword == "COPY" && i.Args.StartsWith("--from=", StringComparison.Ordinal)).ToList();
        copies.Should().ContainSingle().Which.Args.Should().StartWith("--from=build ");
        Parse().Count(i => i.Keyword == "RUN" && i.Args.Contains("dotnet publish", StringComparison.Ordinal)).Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_image_runs_as_a_non_root_user(string target, string _)
    {
        var image = Image(target);
        var user = image.Last(i => i.Keyword == "USER").Args.Split(':')[0];

        new[] { "root", "0" }.Should().NotContain(user);
        image.Where(i => i.Keyword == "RUN").Should().Contain(i => i.Args.Contains($"chown {user}:", StringComparison.Ordinal),
            "the volumes must be writable by that user");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Tini_is_PID_1_and_starts_the_cli_assembly(string target, string _)
    {
        var entrypoint = JsonArray(Image(target).Single(i => i.Keyword == "ENTRYPOINT").Args);
        var assembly = typeof(CliApp).Assembly.GetName().Name + ".dll";

        entrypoint.Should().Equal("/usr/bin/tini", "--", "dotnet", "/app/" + assembly);
        Image(target).Where(i => i.Keyword == "RUN").Should().Contain(i => i.Args.Contains("install", StringComparison.Ordinal) && i.Args.Contains("tini", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_command_is_a_real_cli_command(string target, string command)
    {
        var cmd = JsonArray(Image(target).Last(i => i.Keyword == "CMD").Args);
        cmd.Should().Equal(command);

        using var output = new StringWriter();
        var code = await CliApp.RunAsync([.. cmd, "--help"], new CliContext(output, output, _ => null, "/nonexistent", "/"), CancellationToken.None);
        code.Should().Be(0, output.ToString());
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Config_output_and_state_point_at_the_volumes_through_the_variables_the_cli_reads(string target, string _)
    {
        var image = Image(target);
        var env = Env(image);
        var volumes = JsonArray(image.Single(i => i.Keyword == "VOLUME").Args);

        env.Should().Contain(ConfigLocator.EnvConfig, "/config/config.yaml");
        env.Should().Contain(Locations.OutputVariable, "/logs");
        env.Should().Contain(Locations.StateVariable, "/state");
        volumes.Should().BeEquivalentTo(["/config", "/logs", "/state"]);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_health_check_is_the_status_command(string target, string _)
    {
        var health = Image(target).Single(i => i.Keyword == "HEALTHCHECK").Args;

        health.Should().Contain("CMD [\"dotnet\", \"/app/immich-autotag.dll\", \"status\"]");
    }

    [Fact]
    public void The_images_leave_the_schedule_variable_unset_so_the_configs_schedule_applies()
    {
        // Set in the image, CRON_SCHEDULE would always win over the config's `schedule:` (W10); the daemon's own
        // default is the same 02:00.
        Env(Image("scheduled")).Should().NotContainKey(DaemonCommand.ScheduleVariable);
        Env(Image("oneshot")).Should().NotContainKey(DaemonCommand.ScheduleVariable);
        CronSchedule.Default.Should().Be("0 2 * * *");
    }

    [Fact]
    public void A_plain_docker_build_gives_the_one_shot_image()
    {
        Parse().Last(i => i.Keyword == "FROM").Args.Should().EndWith("AS oneshot");
    }

    [Fact]
    public void Compose_runs_the_scheduled_image_on_the_immich_network_with_secrets_from_env()
    {
        var path = Path.Combine(ConfigTestHelpers.RepoRoot(), "docker", "docker-compose.yml");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var service = (YamlMappingNode)((YamlMappingNode)root["services"]).Children.Values.Single();

        var build = (YamlMappingNode)service["build"];
        ((YamlScalarNode)build["dockerfile"]).Value.Should().Be(File_);
        ((YamlScalarNode)build["target"]).Value.Should().Be("scheduled");
        var environment = ((YamlMappingNode)service["environment"]).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());
        environment["IMMICH_API_KEY"].Should().StartWith("${IMMICH_API_KEY", "the key comes from .env, never from the file");
        environment[DaemonCommand.ScheduleVariable].Should().Be("${CRON_SCHEDULE:-}", "empty unless .env sets it, so the config's schedule can apply");
        foreach (var secret in new[] { "SAUCENAO_API_KEY", "DANBOORU_LOGIN", "DANBOORU_API_KEY" })
        {
            environment[secret].Should().StartWith("${" + secret, "booru keys set in .env reach the container, never written in the file");
        }

        File.ReadAllText(path).Should().Contain("model-cache:/cache:ro", "the CLIP model cache mount is there to switch on");
        var mounts = ((YamlSequenceNode)service["volumes"]).Select(v => v.ToString().Split(':')[1]).ToList();
        mounts.Should().BeEquivalentTo(["/config", "/logs", "/state"]);
        var network = ((YamlMappingNode)((YamlMappingNode)root["networks"]).Children.Values.Single());
        network["external"].ToString().Should().Be("true");
        service.Children.Should().ContainKey(new YamlScalarNode("stop_grace_period"));
    }

    [Fact]
    public void The_tool_needs_no_shared_framework_beyond_the_runtime_image()
    {
        // The runtime image ships Microsoft.NETCore.App only: no assembly the tool loads may come from ASP.NET Core.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<System.Reflection.AssemblyName>([typeof(CliApp).Assembly.GetName()]);
        var aspNet = new List<string>();
        while (queue.TryDequeue(out var name))
        {
            if (!seen.Add(name.Name!) || name.Name!.StartsWith("System.", StringComparison.Ordinal))
            {
                continue;
            }

            if (name.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal))
            {
                aspNet.Add(name.Name);
                continue;
            }

            foreach (var reference in System.Reflection.Assembly.Load(name).GetReferencedAssemblies())
            {
                queue.Enqueue(reference);
            }
        }

        aspNet.Should().BeEmpty();
        seen.Should().NotContain(n => n.Contains("TestKit", StringComparison.Ordinal), "test code must not ship in the product");
    }

    [Fact]
    public void No_product_project_references_test_code()
    {
        var root = ConfigTestHelpers.RepoRoot();
        var references = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(project => ProjectReference().Matches(File.ReadAllText(project))
                .Select(m => (Project: Path.GetFileName(project), Target: Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, m.Groups[1].Value.Replace('\\', '/'))))))
            .ToList();

        references.Should().NotBeEmpty();
        references.Should().AllSatisfy(r => r.Target.Should().StartWith(Path.Combine(root, "src") + Path.DirectorySeparatorChar, $"{r.Project} is product code"));
    }

    private sealed record Instruction(string Keyword, string Args);

    private static List<Instruction> Parse()
    {
        var text = File.ReadAllText(Path.Combine(ConfigTestHelpers.RepoRoot(), File_));
        var joined = Regex.Replace(text, @"\\\r?\n", " ");
        return joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2))
            .Select(p => new Instruction(p[0].ToUpperInvariant(), p.Length > 1 ? Regex.Replace(p[1], @"\s+", " ").Trim() : string.Empty))
            .ToList();
    }

    /// <summary>The instructions from `FROM ... AS name` up to the next FROM.</summary>
    private static List<Instruction> Stage(string name)
    {
        var all = Parse();
        var start = all.FindIndex(i => i.Keyword == "FROM" && i.Args.EndsWith(" AS " + name, StringComparison.Ordinal));
        start.Should().BeGreaterThanOrEqualTo(0, $"the Dockerfile has a stage '{name}'");
        var end = all.FindIndex(start + 1, i => i.Keyword == "FROM");
        return all[start..(end < 0 ? all.Count : end)];
    }

    /// <summary>What an image target holds: its stage after the stages it builds on (FROM another stage).</summary>
    private static List<Instruction> Image(string target)
    {
        var stage = Stage(target);
        var parent = stage[0].Args.Split(' ')[0];
        return parent.Contains('/', StringComparison.Ordinal) ? stage : [.. Image(parent), .. stage.Skip(1)];
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

    [GeneratedRegex("<ProjectReference Include=\"([^\"]+)\"")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@":\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")]
    private static partial Regex PinnedTag();

    [GeneratedRegex("(?<k>[A-Za-z_][A-Za-z0-9_]*)=(?:\"(?<q>[^\"]*)\"|(?<v>\\S+))")]
    private static partial Regex EnvPair();
}
