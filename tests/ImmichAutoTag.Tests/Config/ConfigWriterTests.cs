using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class ConfigWriterTests
{
    private const string Rich = """
        description: "yes"
        server: {url: "https://photos.example.net/base", api_key: "s3cr3t-Key-987"}
        enable_album_name_strip: true
        skip: {skip_n: 3, max_items: 10}
        filters:
          filter_in: [{asset_links: ["https://photos.example.net/base/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90"]}]
        conversions:
          conversions:
            - {source: {tag_names: ["null", "2020"]}, destination: {album_names: [Trips]}, mode: copy, description: d}
        classification:
          rules:
            - {album_name_patterns: ['^(?P<y>\d{4})'], tag_names: ['true']}
          autotag_conflict: null
        duplicate_processing:
          date_correction: {enabled: true, extraction_timezone: Europe/Madrid}
        album_detection_from_folders: {enabled: true, excluded_paths: ["whats ?app"]}
        album_permissions:
          enabled: true
          user_groups: [{name: fam, members: [a@b.c], description: family}]
          selection_rules: [{name: r, keyword: trip, groups: [fam], access: admin}]
        """;

    [Fact]
    public void Dump_never_contains_the_api_key()
    {
        var config = Load(Rich).Config!;

        var yaml = ConfigWriter.ToRedactedYaml(config);

        yaml.Should().NotContain("s3cr3t-Key-987");
        yaml.Should().Contain("***REDACTED***");
        yaml.Should().Contain("https://photos.example.net/base/");
    }

    [Fact]
    public void Dump_reloads_to_the_same_config_apart_from_the_key()
    {
        var original = Load(Rich).Config!;

        var reloaded = Load(ConfigWriter.ToRedactedYaml(original));

        reloaded.Errors.Should().BeEmpty();
        reloaded.Warnings.Select(w => w.KeyPath).Should().Equal(["skip.skip_n", "skip.max_items"], "the upstream window keys warn that they have no effect, nothing else");
        reloaded.Config!.Server.ApiKey.Should().Be(ConfigWriter.Redacted);
        reloaded.Config.Should().BeEquivalentTo(
            original with { Server = original.Server with { ApiKey = ConfigWriter.Redacted } },
            o => o.ComparingRecordsByMembers());
        reloaded.Config.Classification.AutotagConflict.Should().BeNull();
        reloaded.Config.Conversions.Conversions[0].Source.TagNames.Should().Equal("null", "2020");
    }

    [Fact]
    public void Dump_uses_upstream_key_names()
    {
        var yaml = ConfigWriter.ToRedactedYaml(Load(Minimal).Config!);

        foreach (var key in new[] { "enable_album_name_strip:", "resume_previous:", "autotag_unknown:", "threshold_days:", "extraction_timezone:", "create_album_from_date_if_missing:" })
        {
            yaml.Should().Contain(key);
        }
    }

    [Fact]
    public void Dump_of_a_hand_built_config_with_a_key_like_value_elsewhere_still_redacts_only_the_key()
    {
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(new Uri("http://h:1/"), "topsecret"),
            Classification = new ClassificationConfig { Rules = [new RuleConfig { TagNames = ["keep-me"] }] },
        };

        var yaml = ConfigWriter.ToRedactedYaml(config);

        yaml.Should().NotContain("topsecret").And.Contain("keep-me");
    }
}
