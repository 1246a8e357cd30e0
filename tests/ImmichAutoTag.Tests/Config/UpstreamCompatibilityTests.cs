using ImmichAutoTag.Core.Configuration;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class UpstreamCompatibilityTests
{
    // Shaped like upstream's documented full example (every key), with our own values.
    private const string UpstreamStyle = """
        server:
          host: 192.168.1.40
          port: 2283
          api_key: "abcDEF123"
        enable_album_name_strip: true
        skip:
          skip_n: 10
          resume_previous: false
          max_items: 5000
        filters:
          filter_in:
            - asset_links: ["http://192.168.1.40:2283/photos/0d4b5b2e-7a61-4d0c-9b4f-2a8c1e5f6a70"]
          filter_out: []
        conversions:
          enabled: true
          conversions:
            - source: {tag_names: [funny, autotag_input_funny]}
              destination: {album_names: [autotag_input_funny]}
              mode: move
            - source: {album_name_patterns: ['^Scans']}
              destination: {tag_names: [scanned]}
              mode: copy
        classification:
          rules:
            - tag_names: [funny, autotag_input_funny]
              album_name_patterns: ['^autotag_input_funny$']
            - tag_names: [autotag_input_skip]
              album_name_patterns: ['^autotag_input_skip$']
            - album_name_patterns: ['^\d{4}(-\d{2}(-\d{2})?)?']
            - asset_links: ['8a1f0c36-3e0b-4f7e-9d6a-51c2b7e0d9aa']
          autotag_unknown: autotag_output_unknown
          autotag_conflict: autotag_output_conflict
        duplicate_processing:
          autotag_album_conflict: autotag_output_duplicate_asset_album_conflict
          autotag_classification_conflict: autotag_output_duplicate_asset_classification_conflict
          autotag_classification_conflict_prefix: autotag_output_duplicate_asset_classification_conflict_
          autotag_album_detection_conflict: autotag_output_album_detection_conflict
          date_correction:
            enabled: true
            extraction_timezone: Europe/Madrid
        album_date_consistency:
          enabled: true
          autotag_album_date_mismatch: autotag_output_album_date_mismatch
          threshold_days: 90
        album_detection_from_folders:
          enabled: true
          excluded_paths: [whatsapp, 'tele(gram)?']
        performance:
          enable_type_checking: false
          fail_fast_on_asset_errors: true
        album_permissions:
          enabled: true
          user_groups:
            - {name: relatives, members: [ana@example.org, luis@example.org]}
          selection_rules:
            - {name: share-relatives, keyword: familia, groups: [relatives], access: edit}
          log_unmatched: true
        create_album_from_date_if_missing: true
        """;

    [Fact]
    public void Upstream_shaped_config_loads_unchanged_with_every_value()
    {
        var result = Load(UpstreamStyle);

        result.Errors.Should().BeEmpty();
        result.Warnings.Select(w => (w.KeyPath, w.Line)).Should().Equal(("skip.skip_n", 7), ("skip.max_items", 9));
        result.Warnings.Should().OnlyContain(w => w.Message.Contains("has no effect", StringComparison.Ordinal));
        result.IsValid.Should().BeTrue();
        var c = result.Config!;
        c.Server.Url.Should().Be(new Uri("http://192.168.1.40:2283/"));
        c.Server.ApiUrl.Should().Be(new Uri("http://192.168.1.40:2283/api/"));
        c.Server.ApiKey.Should().Be("abcDEF123");
        c.Skip.Should().Be(new SkipConfig { SkipN = 10, ResumePrevious = false, MaxItems = 5000 });
        c.Filters.FilterIn.Should().ContainSingle().Which.AssetIds.Should().Equal(Guid.Parse("0d4b5b2e-7a61-4d0c-9b4f-2a8c1e5f6a70"));
        c.Conversions.Conversions.Should().HaveCount(2);
        c.Conversions.Conversions[0].Source.TagNames.Should().Equal("funny", "autotag_input_funny");
        c.Conversions.Conversions[0].DestinationAlbumNames.Should().Equal("autotag_input_funny");
        c.Conversions.Conversions[0].Mode.Should().Be(ConversionMode.Move);
        c.Conversions.Conversions[1].DestinationTagNames.Should().Equal("scanned");
        c.Conversions.Conversions[1].Mode.Should().Be(ConversionMode.Copy);
        c.Classification.Rules.Should().HaveCount(4);
        c.Classification.Rules[2].AlbumNamePatterns.Select(p => p.Written).Should().Equal(@"^\d{4}(-\d{2}(-\d{2})?)?");
        c.Classification.Rules[3].AssetIds.Should().Equal(Guid.Parse("8a1f0c36-3e0b-4f7e-9d6a-51c2b7e0d9aa"));
        c.DuplicateProcessing.DateCorrection.Should().Be(new DateCorrectionConfig { Enabled = true, ExtractionTimezone = "Europe/Madrid" });
        c.AlbumDateConsistency.ThresholdDays.Should().Be(90);
        c.AlbumDetectionFromFolders.Enabled.Should().BeTrue();
        c.AlbumDetectionFromFolders.ExcludedPaths.Select(p => p.Written).Should().Equal("whatsapp", "tele(gram)?");
        c.Performance.FailFastOnAssetErrors.Should().BeTrue();
        c.AlbumPermissions.Enabled.Should().BeTrue();
        c.AlbumPermissions.UserGroups.Should().ContainSingle().Which.Members.Should().Equal("ana@example.org", "luis@example.org");
        var rule = c.AlbumPermissions.SelectionRules.Should().ContainSingle().Subject;
        (rule.Name, rule.Keyword, rule.Access).Should().Be(("share-relatives", "familia", AlbumAccess.Edit));
        rule.Groups.Should().Equal("relatives");
        c.AlbumPermissions.LogUnmatched.Should().BeTrue();
        c.CreateAlbumFromDateIfMissing.Should().BeTrue();
        c.SourcePath.Should().Be(FileName);
    }

    [Fact]
    public void Yaml_merge_keys_apply_as_in_pyyaml_and_explicit_keys_win()
    {
        // PyYAML, upstream's loader, applies `<<` merge keys; a config that shares rule parts through them must load.
        var result = Load(Minimal + """

            classification:
              rules:
                - &base
                  tag_names: [meme]
                  album_name_patterns: ['^Memes']
                - <<: *base
                  album_name_patterns: ['^Screens']
                - {<<: *base}
            """);

        result.Errors.Should().BeEmpty();
        var rules = result.Config!.Classification.Rules;
        rules.Should().HaveCount(3);
        rules[1].TagNames.Should().Equal("meme");
        rules[1].AlbumNamePatterns.Select(p => p.Written).Should().Equal("^Screens");
        rules[2].AlbumNamePatterns.Select(p => p.Written).Should().Equal("^Memes");
    }

    [Fact]
    public void Omitted_blocks_get_upstream_defaults()
    {
        var c = Load(Minimal).Config!;

        c.Skip.SkipN.Should().Be(0);
        c.Skip.ResumePrevious.Should().BeTrue();
        c.Skip.MaxItems.Should().BeNull();
        c.Filters.FilterIn.Should().BeEmpty();
        c.Filters.FilterOut.Should().BeEmpty();
        c.Conversions.Enabled.Should().BeTrue();
        c.Conversions.Conversions.Should().BeEmpty();
        c.Classification.Rules.Should().BeEmpty();
        c.Classification.AutotagUnknown.Should().Be("autotag_output_unknown");
        c.Classification.AutotagConflict.Should().Be("autotag_output_conflict");
        c.DuplicateProcessing.AutotagAlbumConflict.Should().Be("autotag_output_duplicate_asset_album_conflict");
        c.DuplicateProcessing.AutotagClassificationConflict.Should().Be("autotag_output_duplicate_asset_classification_conflict");
        c.DuplicateProcessing.AutotagClassificationConflictPrefix.Should().Be("autotag_output_duplicate_asset_classification_conflict_");
        c.DuplicateProcessing.AutotagAlbumDetectionConflict.Should().Be("autotag_output_album_detection_conflict");
        c.AlbumDateConsistency.Enabled.Should().BeTrue();
        c.AlbumDateConsistency.AutotagAlbumDateMismatch.Should().Be("autotag_output_album_date_mismatch");
        c.AlbumDateConsistency.ThresholdDays.Should().Be(180);
        c.AlbumDetectionFromFolders.Enabled.Should().BeFalse();
        c.Performance.EnableTypeChecking.Should().BeFalse();
        c.Performance.FailFastOnAssetErrors.Should().BeFalse();
        c.AlbumPermissions.Enabled.Should().BeFalse();
        c.AlbumPermissions.LogUnmatched.Should().BeFalse();
        c.CreateAlbumFromDateIfMissing.Should().BeFalse();
    }

    [Fact]
    public void Null_output_tag_names_disable_the_tags()
    {
        var c = Load(Minimal + """

            classification:
              autotag_unknown: null
              autotag_conflict: ~
            duplicate_processing:
              autotag_album_conflict:
            album_date_consistency:
              autotag_album_date_mismatch: null
            """).Config!;

        c.Classification.AutotagUnknown.Should().BeNull();
        c.Classification.AutotagConflict.Should().BeNull();
        c.DuplicateProcessing.AutotagAlbumConflict.Should().BeNull();
        c.DuplicateProcessing.AutotagClassificationConflict.Should().NotBeNull();
        c.AlbumDateConsistency.AutotagAlbumDateMismatch.Should().BeNull();
    }

    [Theory]
    [InlineData("!!python/object/apply:immich_autotag.config.models.ConversionMode\n        - copy", ConversionMode.Copy)]
    [InlineData("!!python/object/apply:immich_autotag.config.models.ConversionMode [MOVE]", ConversionMode.Move)]
    [InlineData("!!python/object/apply:immich_autotag.config.models.ConversionMode COPY", ConversionMode.Copy)]
    [InlineData("COPY", ConversionMode.Copy)]
    public void Legacy_python_tagged_conversion_mode_is_accepted(string mode, ConversionMode expected)
    {
        var result = Load(Minimal + $"""

            conversions:
              conversions:
                - source: {"{"}tag_names: [a]{"}"}
                  destination: {"{"}tag_names: [b]{"}"}
                  mode: {mode}
            """);

        result.Errors.Should().BeEmpty();
        result.Config!.Conversions.Conversions.Single().Mode.Should().Be(expected);
    }

    [Fact]
    public void Unknown_keys_in_tolerant_blocks_are_warnings_not_errors()
    {
        var result = Load(Minimal + """

            classification:
              rules: [{tag_names: [meme]}]
              future_option: 1
            performance:
              enable_type_checkin: true
            """);

        result.IsValid.Should().BeTrue();
        result.Warnings.Should().HaveCount(2);
        result.Warnings[0].KeyPath.Should().Be("classification.future_option");
        result.Warnings[0].Line.Should().Be(8);
        result.Warnings[1].KeyPath.Should().Be("performance.enable_type_checkin");
        result.Warnings[1].Message.Should().Contain("did you mean 'enable_type_checking'");
    }

    [Fact]
    public void Description_is_accepted_in_every_block()
    {
        var result = Load("""
            description: whole file
            server: {description: s, host: h, port: 1, api_key: k}
            enable_album_name_strip: false
            skip: {description: s}
            filters: {description: s, filter_in: [{description: r, tag_names: [x]}]}
            conversions:
              description: s
              conversions:
                - description: c
                  source: {description: r, tag_names: [a]}
                  destination: {description: d, tag_names: [b]}
            classification: {description: s, rules: [{description: r, tag_names: [x]}]}
            duplicate_processing:
              description: s
              date_correction: {description: s, enabled: false, extraction_timezone: UTC}
            album_date_consistency: {description: s}
            album_detection_from_folders: {description: s, enabled: false, excluded_paths: []}
            performance: {description: s}
            album_permissions:
              description: s
              user_groups: [{description: g, name: g1, members: []}]
              selection_rules: [{description: r, name: n, keyword: k, groups: [g1]}]
            """);

        result.Errors.Should().BeEmpty();
        result.Warnings.Should().BeEmpty();
        result.Config!.Description.Should().Be("whole file");
        result.Config.EnableAlbumNameStrip.Should().BeFalse();
        result.Config.Conversions.Conversions[0].Description.Should().Be("c");
        result.Config.Filters.FilterIn[0].Description.Should().Be("r");
    }
}
