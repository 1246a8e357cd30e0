using ImmichAutoTag.Config;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class ConfigErrorTests
{
    private static void ShouldBeAt(ConfigDiagnostic d, int line, int column, string path, string messagePart)
    {
        d.File.Should().Be(FileName);
        (d.Line, d.Column, d.KeyPath).Should().Be((line, column, path), because: d.ToString());
        d.Message.Should().Contain(messagePart);
    }

    [Fact]
    public void A_key_of_the_wrong_type_is_reported_once_not_also_as_missing_or_without_rules()
    {
        // W6: `server: http://x` was "missing required key 'server'" AND "wrong type"; a list classification also warned "no rules".
        var result = Load("""
            server: http://x
            classification: []
            """);

        result.Errors.Select(e => e.Message).Should().HaveCount(2).And.OnlyContain(m => m.Contains("wrong type"), because: string.Join("\n", result.Errors));
        result.Warnings.Should().NotContain(w => w.Message.Contains("no classification rules"));
    }

    [Theory]
    [InlineData("classification:\n  rules:\n    - album_name_patterns: ['', '^\\d{4}']\n", "every album name")]
    [InlineData("filters:\n  filter_out:\n    - album_name_patterns: ['']\n", "every album name")]
    [InlineData("workflows:\n  rules:\n    - name: all\n      when: {file_name_patterns: ['']}\n      then: {add_tags: [autotag_workflow/x]}\n", "every name and path")]
    public void An_empty_pattern_is_an_error_at_its_value(string yaml, string what)
    {
        // W6: an empty album pattern matched every album (every album asset became a conflict).
        var result = Load(Minimal + "\n" + yaml);

        result.Errors.Should().ContainSingle(because: string.Join("\n", result.Errors)).Which.Message.Should().Contain("empty pattern").And.Contain(what);
    }

    [Fact]
    public void Unknown_key_in_strict_block_is_an_error_with_suggestion()
    {
        var result = Load("""
            server:
              host: h
              port: 2283
              api_key: k
              api_kee: k2
            enable_album_name_strip: true
            """);

        result.Errors.Should().ContainSingle();
        ShouldBeAt(result.Errors[0], 5, 3, "server.api_kee", "unknown key 'api_kee' (did you mean 'api_key'?)");
    }

    [Fact]
    public void A_status_tag_named_like_a_rule_tag_or_another_status_tag_is_an_error_at_its_key()
    {
        // Status tags are taken off every asset the status does not hold for: the rule's own tag would go too.
        var result = Load(Minimal + """

            classification:
              autotag_unknown: People/Alice
              autotag_conflict: meme
              rules:
                - tag_names: [meme, People/Alice]
            duplicate_processing:
              autotag_album_conflict: autotag_output_album_date_mismatch
            """);

        result.Config.Should().BeNull();
        result.Errors.Select(e => (e.Line, e.KeyPath.Split('.')[^1])).Should().BeEquivalentTo(new[]
        {
            (7, "autotag_unknown"),
            (8, "autotag_conflict"),
            (12, "autotag_album_conflict"),
        });
        result.Errors[1].Message.Should().Contain("'meme'").And.Contain("classification rules");
        result.Errors[2].Message.Should().Contain("album_date_consistency.autotag_album_date_mismatch");
    }

    [Fact]
    public void Empty_or_space_padded_tag_path_levels_outside_workflows_are_errors_at_each_value()
    {
        // Immich splits a tag value on '/' and creates every level as written (U2).
        var yaml = Minimal + """

            classification:
              autotag_unknown: 'unknown / here'
              autotag_conflict: '/lead/trail/'
              rules:
                - tag_names: [meme, '', ' meme ', 'a//b', '/People/Alice/', 'with space/x']
            conversions:
              enabled: true
              conversions:
                - source: {tag_names: [x]}
                  destination: {tag_names: ['out/', 'fine/tag']}
            duplicate_processing:
              autotag_classification_conflict_prefix: 'dups/'
            clip:
              tag_root: 'autotag_clip/ style'
            """;
        var lines = yaml.Split('\n');
        (int Line, int Column) At(int line, string value) => (line, lines[line - 1].IndexOf(value, StringComparison.Ordinal) + 1);

        var result = Load(yaml);

        result.Config.Should().BeNull();
        result.Errors.Select(e => (e.Line, e.Column)).Should().BeEquivalentTo(new[]
        {
            At(7, "'unknown / here'"),
            At(8, "'/lead/trail/'"),
            At(10, "''"),
            At(10, "' meme '"),
            At(10, "'a//b'"),
            At(15, "'out/'"),
            At(19, "'autotag_clip/ style'"),
        }, string.Join("\n", result.Errors));
        var byLine = result.Errors.ToLookup(e => e.Line, e => e.Message);
        byLine[7].Single().Should().Contain("the level 'unknown ' starts or ends with a space").And.Contain("write 'unknown/here'");
        byLine[8].Single().Should().Contain("has an empty level (a leading, trailing or doubled '/')").And.Contain("write 'lead/trail'");
        byLine[10].Should().Contain("tag name must not be empty: it matches no tag")
            .And.Contain(m => m.Contains("' meme '", StringComparison.Ordinal) && m.Contains("matches only a tag named with those spaces", StringComparison.Ordinal) && m.Contains("write 'meme'", StringComparison.Ordinal))
            .And.Contain(m => m.Contains("'a//b' has an empty level (a doubled '/'), so it never matches a tag; write 'a/b'", StringComparison.Ordinal));
        byLine[15].Single().Should().Contain("'out/'").And.Contain("Immich would create a tag with an empty name");
        byLine[19].Single().Should().StartWith("clip.tag_root: ").And.Contain("write 'autotag_clip/style'");
    }

    [Fact]
    public void Well_formed_tag_paths_pass_including_a_prefix_ending_in_a_slash_and_read_paths_with_outer_slashes()
    {
        var result = Load(Minimal + """

            classification:
              autotag_unknown: autotag_output/unknown here
              rules:
                - tag_names: [meme, /People/Alice/, 'with space/x y']
            duplicate_processing:
              autotag_classification_conflict_prefix: 'dups/group '
            tag_album_sync:
              tag_prefix: album/
            """);

        result.Errors.Should().BeEmpty(string.Join("\n", result.Errors));
    }

    [Fact]
    public void Tags_other_sections_write_below_the_CLIP_or_booru_root_or_onto_a_status_tag_are_errors_at_their_entry()
    {
        // The CLIP and booru steps take off every tag below their root that is not their verdict, and the run keeps
        // status tags true: a conversion's or the sync's tag there would be added and taken off on every run.
        var result = Load(Minimal + """

            conversions:
              conversions:
                - source: {tag_names: [fanart]}
                  destination: {tag_names: [autotag_clip/style/blau, autotag_output_conflict, fanart_mine, booru/general/mine]}
                  mode: copy
            classification:
              autotag_unknown: autotag_clip/style/unknown
              rules:
                - tag_names: [fanart]
            booru:
              enabled: true
            tag_album_sync:
              enabled: true
              tag_prefix: booru/albums/
            """);

        result.Config.Should().BeNull();
        var errors = result.Errors.Select(e => (e.Line, e.Message)).ToList();
        errors.Should().HaveCount(5, string.Join("\n", result.Errors));
        errors.Where(e => e.Line == 9).Select(e => e.Message).Should().SatisfyRespectively(
            m => m.Should().Contain("destination tag 'autotag_clip/style/blau' lies below clip.tag_root 'autotag_clip/style'"),
            m => m.Should().Contain("destination tag 'autotag_output_conflict' is the status tag classification.autotag_conflict"),
            m => m.Should().Contain("destination tag 'booru/general/mine' lies below booru.tag_root 'booru'"));
        errors.Should().Contain(e => e.Line == 12 && e.Message.Contains("autotag_unknown: 'autotag_clip/style/unknown' lies below clip.tag_root", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Line == 19 && e.Message.Contains("tag_album_sync.tag_prefix 'booru/albums/' lies below booru.tag_root 'booru'", StringComparison.Ordinal));
        result.Errors.Should().NotContain(e => e.Message.Contains("fanart_mine", StringComparison.Ordinal));

        // With booru off, a tag tree named like its root is the user's own.
        Load(Minimal + """

            conversions:
              conversions:
                - source: {tag_names: [fanart]}
                  destination: {tag_names: [booru/general/mine]}
            """).Errors.Should().BeEmpty();
    }

    [Fact]
    public void Unknown_top_level_key_without_close_match_has_no_suggestion()
    {
        var d = SingleError(Minimal + "\nwibble: 3\n");
        ShouldBeAt(d, 6, 1, "wibble", "unknown key 'wibble'");
        d.Message.Should().NotContain("did you mean");
    }

    [Theory]
    [InlineData("enable_album_name_strip: maybe", 1, 26, "enable_album_name_strip", "expected bool")]
    [InlineData("skip: {skip_n: ten}", 1, 16, "skip.skip_n", "expected int")]
    [InlineData("classification: {rules: {tag_names: [a]}}", 1, 25, "classification.rules", "expected list of maps")]
    [InlineData("classification: {rules: [{tag_names: a}]}", 1, 38, "classification.rules[0].tag_names", "expected list of strings")]
    [InlineData("classification: {rules: [{tag_names: [a, [b]]}]}", 1, 42, "classification.rules[0].tag_names[1]", "expected string")]
    [InlineData("performance: [1, 2]", 1, 14, "performance", "expected map")]
    [InlineData("classification: {autotag_unknown: {a: 1}}", 1, 35, "classification.autotag_unknown", "expected string, got map")]
    public void Wrong_type_is_reported_at_the_value(string line, int l, int c, string path, string message)
    {
        var yaml = line + "\n" + (line.StartsWith("enable", StringComparison.Ordinal) ? Minimal.Replace("enable_album_name_strip: true", "", StringComparison.Ordinal) : Minimal);
        ShouldBeAt(SingleError(yaml), l, c, path, message);
    }

    [Fact]
    public void Invalid_regex_points_at_the_pattern_with_its_index_path()
    {
        var d = SingleError(Minimal + """

            classification:
              rules:
                - tag_names: [a]
                - tag_names: [b]
                - album_name_patterns: ['^ok$', '(unclosed']
            """);

        ShouldBeAt(d, 10, 37, "classification.rules[2].album_name_patterns[1]", "invalid regex '(unclosed'");
        d.ToString().Should().StartWith("config.yaml:10:37: classification.rules[2].album_name_patterns[1]: invalid regex '(unclosed': ");
    }

    [Fact]
    public void Invalid_excluded_path_regex_is_reported()
    {
        var d = SingleError(Minimal + """

            album_detection_from_folders:
              enabled: true
              excluded_paths: ['a[b']
            """);

        ShouldBeAt(d, 8, 20, "album_detection_from_folders.excluded_paths[0]", "invalid regex 'a[b'");
    }

    [Fact]
    public void Missing_required_key_is_reported_at_the_parent_map()
    {
        var d = SingleError(Minimal + """

            album_permissions:
              user_groups:
                - name: family
            """);

        ShouldBeAt(d, 8, 7, "album_permissions.user_groups[0].members", "missing required key 'members'");
    }

    [Fact]
    public void Missing_required_top_level_keys_are_reported_at_the_root()
    {
        var result = Load("skip: {skip_n: 1}\n");

        result.Errors.Select(e => (e.Line, e.Column, e.KeyPath)).Should().Equal((1, 1, "server"));
    }

    [Fact]
    public void Keys_upstream_requires_without_effect_or_with_an_obvious_default_may_be_left_out()
    {
        var config = Load(Minimal.Replace("enable_album_name_strip: true", "", StringComparison.Ordinal) + """

            duplicate_processing:
              date_correction: {description: left empty}
            album_detection_from_folders: {description: left empty}
            """).Config!;

        config.EnableAlbumNameStrip.Should().BeTrue();
        config.DuplicateProcessing.DateCorrection.Enabled.Should().BeFalse("date repair writes dates: it runs only when asked");
        config.DuplicateProcessing.DateCorrection.ExtractionTimezone.Should().Be("UTC");
        config.AlbumDetectionFromFolders.Enabled.Should().BeFalse();
        config.AlbumDetectionFromFolders.ExcludedPaths.Should().BeEmpty();
    }

    [Fact]
    public void Missing_api_key_is_an_error_unless_the_environment_supplies_it()
    {
        const string yaml = """
            server:
              url: https://photos.example.net
            enable_album_name_strip: true
            """;

        ShouldBeAt(SingleError(yaml), 2, 3, "server.api_key", "missing required key 'api_key'");
        Load(yaml, Env(("IMMICH_API_KEY", "from-env"))).Config!.Server.ApiKey.Should().Be("from-env");
    }

    [Theory]
    [InlineData("ftp://photos.example.net")]
    [InlineData("photos.example.net:2283")]
    [InlineData("https://photos.example.net/?x=1")]
    [InlineData("not a url")]
    public void Bad_url_is_an_error(string url)
    {
        var d = SingleError($"""
            server:
              url: "{url}"
              api_key: k
            enable_album_name_strip: true
            """);

        ShouldBeAt(d, 2, 8, "server.url", "invalid server URL");
    }

    [Fact]
    public void Host_with_scheme_is_rejected_with_a_pointer_to_url()
    {
        var d = SingleError("""
            server: {host: "http://nas", port: 2283, api_key: k}
            enable_album_name_strip: true
            """);

        ShouldBeAt(d, 1, 16, "server.host", "server.url");
    }

    [Fact]
    public void Unknown_time_zone_is_an_error()
    {
        var d = SingleError(Minimal + """

            duplicate_processing:
              date_correction: {enabled: true, extraction_timezone: Mars/Olympus_Mons}
            """);

        ShouldBeAt(d, 7, 57, "duplicate_processing.date_correction.extraction_timezone", "unknown time zone 'Mars/Olympus_Mons'");
    }

    [Fact]
    public void Bad_asset_link_is_an_error()
    {
        var d = SingleError(Minimal + """

            filters:
              filter_in:
                - asset_links: ['https://nas/albums/not-an-id']
            """);

        ShouldBeAt(d, 8, 21, "filters.filter_in[0].asset_links[0]", "neither a UUID nor an Immich photo URL");
    }

    [Fact]
    public void Bad_asset_link_in_a_classification_rule_is_a_warning_and_ignored_as_upstream_does()
    {
        var result = Load(Minimal + """

            classification:
              rules:
                - album_name_patterns: ['^\d{4}']
                - asset_links: ['https://photos.example.net/share/abcdef', '3fa85f64-5717-4562-b3fc-2c963f66afa6']
            """);

        result.IsValid.Should().BeTrue(string.Join("; ", result.Errors));
        var warning = result.Warnings.Should().ContainSingle(w => w.Message.Contains("asset link 'https://photos.example.net/share/abcdef'", StringComparison.Ordinal)).Subject;
        warning.Message.Should().Contain("ignored");
        ShouldBeAt(warning, 9, 21, "classification.rules[1].asset_links[0]", "neither a UUID nor an Immich photo URL");
        result.Config!.Classification.Rules.SelectMany(r => r.AssetIds).Should().Equal(Guid.Parse("3fa85f64-5717-4562-b3fc-2c963f66afa6"));
    }

    [Fact]
    public void Rule_with_all_lists_empty_is_an_error_at_the_rule()
    {
        var d = SingleError(Minimal + """

            classification:
              rules:
                - tag_names: [x]
                - {tag_names: [], album_name_patterns: null}
            """);

        ShouldBeAt(d, 9, 7, "classification.rules[1]", "at least one non-empty list");
    }

    [Fact]
    public void Conversion_destination_with_nothing_is_an_error()
    {
        var d = SingleError(Minimal + """

            conversions:
              conversions:
                - source: {tag_names: [a]}
                  destination: {album_names: []}
            """);

        ShouldBeAt(d, 9, 20, "conversions.conversions[0].destination", "album_names or tag_names");
    }

    [Fact]
    public void Unknown_conversion_mode_is_an_error()
    {
        var d = SingleError(Minimal + """

            conversions:
              conversions:
                - source: {tag_names: [a]}
                  destination: {tag_names: [b]}
                  mode: mvoe
            """);

        ShouldBeAt(d, 10, 13, "conversions.conversions[0].mode", "unknown mode 'mvoe'");
    }

    [Fact]
    public void Negative_threshold_is_an_error()
    {
        var d = SingleError(Minimal + "\nalbum_date_consistency: {threshold_days: -3}\n");
        ShouldBeAt(d, 6, 42, "album_date_consistency.threshold_days", "must not be negative");
    }

    [Fact]
    public void Unknown_access_value_is_an_error_with_suggestion()
    {
        var d = SingleError(Minimal + """

            album_permissions:
              user_groups: [{name: fam, members: [a@b.c]}]
              selection_rules:
                - {name: r, keyword: k, groups: [fam], access: viwe}
            """);

        ShouldBeAt(d, 9, 52, "album_permissions.selection_rules[0].access", "unknown access 'viwe'");
        d.Message.Should().Contain("did you mean 'view'");
    }

    [Fact]
    public void Selection_rule_naming_an_undefined_group_is_a_warning()
    {
        var result = Load(Minimal + """

            album_permissions:
              user_groups: [{name: family, members: []}]
              selection_rules: [{name: r, keyword: k, groups: [famliy]}]
            classification: {rules: [{tag_names: [meme]}]}
            """);

        result.IsValid.Should().BeTrue();
        result.Warnings.Should().ContainSingle().Which.Message.Should().Contain("did you mean 'family'");
    }

    [Fact]
    public void Yaml_syntax_error_has_line_and_column()
    {
        var result = Load("""
            server:
              host: h
              port: [2283
            enable_album_name_strip: true
            """);

        result.Config.Should().BeNull();
        var d = result.Errors.Should().ContainSingle().Subject;
        d.Message.Should().StartWith("YAML syntax error");
        d.Line.Should().BeInRange(3, 4);
        d.Column.Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData("server:\n  url: http://x\nworkflows:\n  rules:\n\t- name: a\n", 5, 1)]
    [InlineData("server:\n  url: http://x\nclassification:\n  rules:\n    - tag_names: [a]\n  \t  album_name_patterns: [b]\n", 6, 3)]
    public void A_tab_in_the_indentation_is_reported_at_the_tab_not_at_the_start_of_the_file(string yaml, int line, int column)
    {
        // YamlDotNet places "invalid tab as indentation" at the enclosing mapping's start (1:1 for the root).
        var result = Load(yaml);

        result.Config.Should().BeNull();
        var d = result.Errors.Should().ContainSingle().Subject;
        d.Message.Should().StartWith("YAML syntax error").And.Contain("tab").And.Contain("replace the tab with spaces");
        (d.Line, d.Column).Should().Be((line, column), d.ToString());
    }

    [Fact]
    public void Duplicate_key_is_reported_with_position()
    {
        var result = Load(Minimal + "\nskip: {}\nskip: {}\n");

        result.Config.Should().BeNull();
        var d = result.Errors.Should().ContainSingle().Subject;
        d.Line.Should().BeGreaterThan(5);
        d.Message.Should().Contain("skip");
    }

    [Fact]
    public void Non_map_document_is_an_error()
    {
        var d = SingleError("- a\n- b\n");
        d.Message.Should().Contain("must be a YAML map");
    }

    [Fact]
    public void Python_config_file_gets_a_clear_yaml_only_message()
    {
        var dir = Directory.CreateTempSubdirectory("iat-py-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.py");
            File.WriteAllText(path, "user_config = UserConfig()\n");
            var result = ConfigLoader.LoadFile(path, NoEnv);

            result.IsValid.Should().BeFalse();
            var message = result.Errors.Should().ContainSingle().Subject.Message;
            message.Should().Contain("only YAML").And.Contain("convert");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void All_errors_are_reported_in_one_load_in_file_order()
    {
        var result = Load("""
            server:
              url: gopher://nas
              api_key: k
            enable_album_name_strip: nope
            skip: {skip_n: -1, max_itmes: 3}
            classification:
              rules:
                - album_name_patterns: ['(?P<y>\d+']
                - asset_links: ['xyz']
            album_date_consistency: {threshold_days: -1}
            filters:
              filter_in:
                - asset_links: ['xyz']
            """);

        result.Config.Should().BeNull();
        result.Errors.Select(e => (e.Line, e.KeyPath)).Should().Equal(
            (2, "server.url"),
            (4, "enable_album_name_strip"),
            (5, "skip.skip_n"),
            (5, "skip.max_itmes"),
            (8, "classification.rules[0].album_name_patterns[0]"),
            (10, "album_date_consistency.threshold_days"),
            (13, "filters.filter_in[0].asset_links[0]"));
        result.Warnings.Should().Contain(w => w.Line == 9 && w.KeyPath == "classification.rules[1].asset_links[0]", "a rule's unreadable link is ignored with a warning, as upstream ignores it");
        result.Errors[3].Message.Should().Contain("did you mean 'max_items'");
    }
}
