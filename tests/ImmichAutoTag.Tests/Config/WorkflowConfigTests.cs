using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class WorkflowConfigTests
{
    [Fact]
    public void Without_the_section_there_are_no_rules()
    {
        var config = Load(Minimal).Config!;
        config.Workflows.Rules.Should().BeEmpty();
        config.Workflows.Enabled.Should().BeTrue();
        config.Workflows.AllowFavorite.Should().BeFalse();
        config.Workflows.AllowArchive.Should().BeFalse();
    }

    [Fact]
    public void Nested_conditions_and_actions_are_read_into_the_records()
    {
        var result = Load(Minimal + """

            workflows:
              allow_archive: true
              rules:
                - name: ' memes '
                  priority: 5
                  when:
                    any:
                      - tags: [meme, Pics/Memes]
                      - all:
                          - file_name_patterns: ['^IMG']
                          - not: {media_types: [video]}
                    taken_from: '2020-01-01'
                    camera_make_patterns: ['^apple$']
                    camera_model_patterns: ['iphone 1[0-5]']
                    classification: [unclassified, conflict]
                    booru: {ratings: [e], min_similarity: 70}
                  then:
                    add_tags: [wf/funny]
                    add_to_albums: [Memes]
                    archive: true
            """);

        result.Errors.Should().BeEmpty();
        var rule = result.Config!.Workflows.Rules.Should().ContainSingle().Subject;
        rule.Name.Should().Be("memes");
        rule.Priority.Should().Be(5);
        rule.When.Any.Should().HaveCount(2);
        rule.When.Any[0].Tags.Should().Equal("meme", "Pics/Memes");
        rule.When.Any[1].All[0].FileNamePatterns.Single().Written.Should().Be("^IMG");
        rule.When.Any[1].All[1].Not!.MediaTypes.Should().Equal("video");
        rule.When.TakenFrom.Should().Be("2020-01-01");
        rule.When.Classification.Should().Equal("unclassified", "conflict");
        rule.When.Booru!.Ratings.Should().Equal("e");
        rule.When.Booru.MinSimilarity.Should().Be(70);
        rule.When.Favorite.Should().BeNull("a condition key left out does not apply");
        rule.When.CameraMakePatterns.Should().ContainSingle().Which.IsMatch("Apple").Should().BeTrue("the patterns are case-insensitive");
        rule.When.CameraModelPatterns.Should().ContainSingle().Which.IsMatch("iPhone 13 Pro").Should().BeTrue("the pattern is searched anywhere");
        rule.Then.AddTags.Should().Equal("wf/funny");
        rule.Then.AddToAlbums.Should().Equal("Memes");
        rule.Then.Archive.Should().BeTrue();
        rule.Then.Favorite.Should().BeNull();
    }

    [Theory]
    [InlineData("        media_types: [picture]\n", 10, "unknown media type 'picture'")]
    [InlineData("        classification: [unknown]\n", 10, "unknown classification status 'unknown'")]
    [InlineData("        taken_from: '2024-13-01'\n", 10, "'2024-13-01' is not a day")]
    [InlineData("        any:\n          - not:\n              booru: {ratings: [nsfw]}\n", 12, "unknown booru rating 'nsfw'")]
    [InlineData("        booru: {verdicts: [accepted, reveiw]}\n", 10, "unknown booru verdict 'reveiw'")]
    [InlineData("        album_name_patterns: ['(unclosed']\n", 10, "invalid regex")]
    [InlineData("        camera_make_patterns: [apple]\n        camera_model_patterns: ['iphone[']\n", 11, "invalid regex")]
    [InlineData("        colour: red\n", 10, "unknown key 'colour'")]
    [InlineData("        any:\n        # - tags: [meme]\n        favorite: false\n", 10, "any is empty (or all its entries are commented out)")]
    [InlineData("        any: []\n", 10, "any is empty")]
    [InlineData("        all: []\n", 10, "all is empty")]
    [InlineData("        not:\n        #  tags: [keep]\n        media_types: [image]\n", 10, "not is empty")]
    [InlineData("        not: {}\n", 10, "not is empty")]
    [InlineData("        tags: []\n", 10, "tags is empty")]
    [InlineData("        file_name_patterns: []\n", 10, "file_name_patterns is empty")]
    [InlineData("        media_types: []\n", 10, "media_types is empty")]
    [InlineData("        classification: []\n", 10, "classification is empty")]
    [InlineData("        any:\n          - tags: [meme]\n          - booru: {characters: []}\n", 12, "characters is empty")]
    public void A_bad_condition_is_an_error_at_its_position(string condition, int line, string message)
    {
        var error = SingleError(Minimal + "\nworkflows:\n  rules:\n    - name: r\n      when:\n" + condition + "      then:\n        add_tags: [wf/x]\n");
        error.ToString().Should().Contain(message);
        error.Line.Should().Be(line);
        error.File.Should().Be(FileName);
    }

    [Theory]
    [InlineData("    - name: a\n      when: {}\n      then: {add_tags: [wf/x]}\n    - name: a\n      when: {}\n      then: {add_tags: [wf/y]}\n", "listed twice")]
    [InlineData("    - name: a\n      when: {}\n      then: {}\n", "needs at least one action")]
    [InlineData("    - name: a\n      when: {}\n      then: {favorite: true}\n", "allow_favorite")]
    [InlineData("    - name: a\n      when: {}\n      then: {archive: true}\n", "allow_archive")]
    [InlineData("    - name: a\n      when: {}\n      then: {remove_tags: [people/mum]}\n", "not a tag the workflows add")]
    [InlineData("    - name: a\n      then: {add_tags: [wf/x]}\n", "missing required key 'when'")]
    [InlineData("    - name: a\n      when: {tags: [x]}\n      then: {add_tags: [meme]}\n", "workflows run after them")]
    [InlineData("    - name: a\n      when: {clip_label: {label: sketch}}\n      then: {add_tags: [wf/x]}\n", "not a label of clip.labels")]
    [InlineData("    - name: a\n      when: {not: {tags: [x]}}\n      then: {add_tags: [wf/x]}\n", "must not read what the workflows write")]
    public void A_bad_rule_is_an_error(string rules, string message)
    {
        var yaml = Minimal + "\nclassification:\n  rules:\n    - tag_names: [meme]\nworkflows:\n  rules:\n" + rules;
        SingleError(yaml).ToString().Should().Contain(message);
    }

    [Theory]
    [InlineData("", "autotag_output_booru_review", "is the status tag booru.review_tag")]
    [InlineData("", "booru/character/mine", "is below booru.tag_root 'booru', which the booru step owns")]
    [InlineData("booru: {tag_root: imported/booru}\n", "imported/booru/series/x", "is below booru.tag_root 'imported/booru'")]
    [InlineData("", "autotag_output_duplicate_asset_album_conflict", "is the status tag duplicate_processing.autotag_album_conflict")]
    [InlineData("duplicate_processing: {autotag_album_conflict: autotag_workflow/dupconf}\n", "autotag_workflow/dupconf", "is the status tag duplicate_processing.autotag_album_conflict")]
    [InlineData("", "autotag_output_album_date_mismatch", "is the status tag album_date_consistency.autotag_album_date_mismatch")]
    [InlineData("", "autotag_output_duplicate_asset_classification_conflict_x", "is a status tag")]
    public void A_workflow_tag_another_feature_keeps_true_is_refused_at_its_position(string sections, string tag, string message)
    {
        // V8: the other feature adds and removes its tag on every run; the two would fight over it.
        var error = SingleError(Minimal + "\n" + sections + "workflows:\n  rules:\n    - name: r\n      when: {tags: [fanart]}\n      then:\n        add_tags: [wf/ok, " + tag + "]\n");

        error.Message.Should().Contain($"add_tags: '{tag}' {message}").And.Contain("give the workflow a tag of its own");
        error.Line.Should().Be(sections.Length == 0 ? 11 : 12);
        error.Column.Should().Be(27);
    }

    [Fact]
    public void Actions_that_change_favourites_or_visibility_load_when_allowed()
    {
        var result = Load(Minimal + "\nworkflows:\n  allow_favorite: true\n  allow_archive: true\n  rules:\n    - name: a\n      when: {favorite: false}\n      then: {favorite: true, archive: false}\n");
        result.Errors.Should().BeEmpty();
        result.Config!.Workflows.Rules[0].Then.Favorite.Should().BeTrue();
        result.Config.Workflows.Rules[0].Then.Archive.Should().BeFalse();
        result.Config.Workflows.Rules[0].When.Favorite.Should().BeFalse();
    }

    [Fact]
    public void An_action_that_makes_the_rules_own_condition_false_is_warned_about_at_the_action()
    {
        // Archiving an asset the rule selected as "not archived" switches the rule off: its tag is never kept. Rule c
        // has no tag to lose: its archive move simply happens, nothing to warn about.
        var result = Load(Minimal + "\nworkflows:\n  allow_favorite: true\n  allow_archive: true\n  rules:\n    - name: a\n      when: {tags: [meme], archived: false, favorite: false}\n      then: {add_tags: [wf/y], archive: true, favorite: true}\n    - name: b\n      when: {tags: [meme], archived: true}\n      then: {add_tags: [wf/z], archive: true}\n    - name: c\n      when: {tags: [meme], archived: false}\n      then: {archive: true}\n");

        result.Errors.Should().BeEmpty();
        result.Warnings.Where(w => w.Message.Contains("its add_tags are never kept", StringComparison.Ordinal))
            .Select(w => (w.Line, w.KeyPath.Split('.')[^1])).Should().BeEquivalentTo(new[] { (12, "archive"), (12, "favorite") });
    }

    [Fact]
    public void The_dump_writes_nested_conditions_back()
    {
        var config = Load(Minimal + "\nworkflows:\n  rules:\n    - name: a\n      when:\n        not: {any: [{tags: [x]}, {media_types: [video]}]}\n      then: {add_tags: [wf/y]}\n").Config!;
        var dumped = ImmichAutoTag.Config.ConfigWriter.ToRedactedYaml(config);
        var reloaded = Load(dumped).Config!;
        reloaded.Workflows.Rules[0].When.Not!.Any[1].MediaTypes.Should().Equal("video");
        reloaded.Workflows.Rules[0].When.Not!.Any[0].Tags.Should().Equal("x");
    }

    [Fact]
    public void A_clip_or_booru_selection_by_a_workflow_tag_is_warned_about_at_its_entry()
    {
        // V14: CLIP and booru choose their assets before the workflows plan, so they see a workflow's tag one run late.
        var result = Load(Minimal + """

            clip:
              enabled: true
              model_folder: /cache
              assets:
                rules:
                  - tag_names: [to_label, People/Alice]
            booru:
              enabled: true
              assets:
                rules:
                  - tag_names: [autotag_workflow/to_booru]
            workflows:
              rules:
                - name: mark
                  when: {tags: [fanart]}
                  then: {add_tags: [autotag_workflow/to_label, autotag_workflow/to_booru]}
            """);

        result.Errors.Should().BeEmpty();
        result.Warnings.Where(w => w.Message.Contains("chooses its assets before the workflows run", StringComparison.Ordinal))
            .Select(w => (w.Line, w.Column, w.Message[..w.Message.IndexOf(':', 12)])).Should().BeEquivalentTo(new[]
            {
                (11, 21, "tag_names: 'to_label' names the workflow tag 'autotag_workflow/to_label'"),
                (16, 21, "tag_names: 'autotag_workflow/to_booru' names the workflow tag 'autotag_workflow/to_booru'"),
            });
    }

    [Fact]
    public void A_condition_on_archived_assets_while_the_run_leaves_them_out_is_warned_about_at_its_position()
    {
        var result = Load(Minimal + """

            classification:
              include_archived: false
            workflows:
              allow_archive: true
              rules:
                - name: bring back
                  when: {all: [{archived: true}], file_name_patterns: ['^a']}
                  then: {archive: false}
                - name: not archived is fine
                  when: {archived: false}
                  then: {add_tags: [wf/x]}
            """);

        result.Errors.Should().BeEmpty();
        var warning = result.Warnings.Should().ContainSingle(w => w.Message.Contains("never holds", StringComparison.Ordinal)).Subject;
        warning.Message.Should().StartWith("archived: true never holds: classification.include_archived is false");
        warning.Line.Should().Be(12);
        warning.Column.Should().BeGreaterThan(13, "it points into the all: list");
    }

    [Fact]
    public void A_workflow_album_filter_out_protects_is_warned_about_at_its_entry()
    {
        var result = Load(Minimal + """

            filters:
              filter_out:
                - album_name_patterns: ['^Screenshots']
            workflows:
              rules:
                - name: screenshots album
                  when: {file_name_patterns: ['^screenshot']}
                  then: {add_to_albums: [Memes, Screenshots]}
            """);

        result.Errors.Should().BeEmpty();
        var warning = result.Warnings.Should().ContainSingle(w => w.Message.Contains("filters.filter_out", StringComparison.Ordinal)).Subject;
        warning.Message.Should().StartWith("add_to_albums: 'Screenshots' matches the filters.filter_out album pattern '^Screenshots'");
        (warning.Line, warning.Column).Should().Be((13, 37));
    }

    [Fact]
    public void What_cannot_converge_in_one_run_is_refused_or_warned_about_at_its_position()
    {
        var yaml = Minimal + """

            classification:
              rules:
                - album_name_patterns: ['^\d{4}-']
            tag_album_sync:
              enabled: true
              direction: both
              tag_prefix: 'album/'
              album_name_patterns: ['^Best']
            workflows:
              allow_archive: true
              rules:
                - name: inbox
                  when: {classification: [unclassified], clip_label: {label: anime, min_percent: 50}}
                  then: {add_to_albums: ['2099-01-01 Inbox', 'Best pics'], add_tags: ['album/Best videos']}
                - name: temp
                  when: {any: [{booru: {ratings: [explicit]}}]}
                  then: {add_to_albums: ['2024-05-01-autotag-temp-unclassified']}
                - name: both
                  when: {media_types: [video]}
                  then: {add_tags: [wf/y], remove_tags: [wf/y]}
            conversions:
              conversions:
                - source: {tag_names: [fanart]}
                  destination: {album_names: ['Best art']}
            """;

        var result = Load(yaml);

        result.Errors.Select(e => (e.File, e.Line, Fragment(e.Message))).Should().BeEquivalentTo(new[]
        {
            (FileName, 22, "named like the tool's temporary albums"),
            (FileName, 25, "is also in this rule's add_tags"),
        });
        result.Warnings.Select(w => (w.File, w.Line, Fragment(w.Message))).Should().BeEquivalentTo(new[]
        {
            (FileName, 18, "clip_label needs clip.enabled: true"),
            (FileName, 21, "booru needs booru.enabled: true"),
        });

        // A workflow album a classification rule or the sync reads, a workflow tag below the sync's prefix and a
        // conversion album the sync reads settle in one run (the run plans again on its own result): no warning.
        result.Errors.Concat(result.Warnings).Should().OnlyContain(d => d.Column > 0);

        static string Fragment(string message) => new[]
        {
            "named like the tool's temporary albums", "is also in this rule's add_tags", "clip_label needs clip.enabled: true",
            "booru needs booru.enabled: true", "matches the classification album pattern '^\\d{4}-'", "matches tag_album_sync.album_name_patterns '^Best'",
            "lies below tag_album_sync.tag_prefix 'album/'",
        }.FirstOrDefault(f => message.Contains(f, StringComparison.Ordinal)) ?? message;
    }

    [Fact]
    public void Switched_off_workflows_are_not_warned_about_features_that_are_off()
    {
        var result = Load(Minimal + "\nworkflows:\n  enabled: false\n  rules:\n    - name: a\n      when: {booru: {ratings: [explicit]}}\n      then: {add_tags: [wf/y]}\n");

        result.Errors.Should().BeEmpty();
        result.Warnings.Should().NotContain(w => w.Message.Contains("booru needs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_backtracking_condition_pattern_gets_the_configured_time_out_and_a_nested_quantifier_runs_on_the_linear_engine()
    {
        var config = Load(Minimal + "\nworkflows:\n  match_timeout_ms: 250\n  rules:\n    - name: a\n      when: {file_name_patterns: ['^(a+)+$', '(?=x)y']}\n      then: {add_tags: [wf/y]}\n").Config!;
        var patterns = config.Workflows.Rules[0].When.FileNamePatterns;

        config.Workflows.MatchTimeoutMs.Should().Be(250);
        patterns[0].IsLinearTime.Should().BeTrue("'^(a+)+$' on a 240-character file name used to end the run");
        patterns[1].IsLinearTime.Should().BeFalse("a look-ahead needs the backtracking engine");
    }
}
