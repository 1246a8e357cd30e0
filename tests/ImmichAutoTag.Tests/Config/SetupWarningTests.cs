using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

/// <summary>Configs that validate but would not work as meant get a warning at file:line:col.</summary>
public sealed class SetupWarningTests
{
    [Fact]
    public void The_example_configs_placeholder_api_key_warns_unless_the_environment_sets_the_key()
    {
        var yaml = Minimal.Replace("api_key: k-123", "api_key: CHANGE_ME", StringComparison.Ordinal);

        var result = Load(yaml);
        result.Errors.Should().BeEmpty();
        result.Warnings.Should().ContainSingle(w => w.Message.Contains("server.api_key is the example's placeholder 'CHANGE_ME'", StringComparison.Ordinal))
            .Which.Line.Should().Be(4);

        Load(yaml, Env(("IMMICH_API_KEY", "real"))).Warnings.Should().NotContain(w => w.Message.Contains("placeholder", StringComparison.Ordinal));
        Load(Minimal).Warnings.Should().NotContain(w => w.Message.Contains("placeholder", StringComparison.Ordinal));
    }

    [Fact]
    public void Sidecars_on_without_a_mapping_or_with_a_relative_local_path_warn()
    {
        var none = Load(Minimal + "\nsidecars:\n  enabled: true\n");
        none.Errors.Should().BeEmpty();
        none.Warnings.Should().Contain(w => w.Message.Contains("without path_mappings no change goes through a sidecar", StringComparison.Ordinal));

        var relative = Load(Minimal + "\nsidecars:\n  enabled: true\n  path_mappings:\n    - immich_path: /mnt/nas\n      local_path: relative/dir\n");
        relative.Errors.Should().BeEmpty();
        relative.Warnings.Should().ContainSingle(w => w.Message.Contains("local_path 'relative/dir' is relative", StringComparison.Ordinal))
            .Which.Line.Should().Be(10);

        var absolute = Load(Minimal + "\nsidecars:\n  enabled: true\n  path_mappings:\n    - immich_path: /mnt/nas\n      local_path: /nas\n");
        absolute.Warnings.Should().NotContain(w => w.Message.StartsWith("sidecars", StringComparison.Ordinal));
    }
}
