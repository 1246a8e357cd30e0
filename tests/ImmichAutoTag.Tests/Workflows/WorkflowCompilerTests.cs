using CsCheck;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Workflows;

namespace ImmichAutoTag.Tests.Workflows;

/// <summary>
/// The compiled rule set's shortcuts keep the outcome: the pre-filter leaves out only facts no rule fires for, and a
/// rule collecting the facts it holds for records itself on each of them as one activation per fact would.
/// </summary>
public sealed class WorkflowCompilerTests
{
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Tag Meme = new(Guid.NewGuid(), "meme", "meme", null);
    private static readonly Tag Holiday = new(Guid.NewGuid(), "holiday", "trips/holiday", null);
    private static readonly Album[] Albums = [new(Guid.NewGuid(), "2020 Summer", 1, Owner, false), new(Guid.NewGuid(), "Family", 1, Owner, false)];
    private static readonly string[] Files = ["IMG_1234.jpg", "IMG_2005.jpg", "DSC_0007.jpg", "clip5.mp4", "scan.png", "IMG_15.jpg"];
    private static readonly string[] Folders = ["/photos/2019", "/photos/2021/summer", "/phone", "/photos/2019/old"];
    private static readonly string[] Days = ["2019-03-01", "2021-01-01", "2021-06-30", "2021-07-01", "2024-12-31"];

    // The benchmark's kinds of condition (file name, folder, album, media type, dates, classification, duplicates,
    // favourite, nested any/not/all) plus tags by leaf and by path.
    private static readonly string[] Conditions =
    [
        "{file_name_patterns: ['^IMG_1']}",
        "{folder_patterns: ['/2019']}",
        "{album_name_patterns: ['^2020']}",
        "{media_types: [video]}",
        "{taken_from: '2021-01-01', taken_to: '2021-06-30'}",
        "{classification: [conflict]}",
        "{in_duplicate_group: true}",
        "{favorite: true, media_types: [image]}",
        "{any: [{file_name_patterns: ['5\\\\.jpg$']}, {not: {media_types: [image]}}]}",
        "{all: [{classification: [unclassified]}, {file_name_patterns: ['7']}]}",
        "{tags: [meme], not: {archived: true}}",
        "{any: [{tags: [trips/holiday]}, {min_duplicates: 3}]}",
    ];

    private static WorkflowsConfig Rules(IEnumerable<int> kinds)
    {
        var yaml = new System.Text.StringBuilder("server: {url: 'http://x', api_key: k}\nworkflows:\n  rules:\n");
        var i = 0;
        foreach (var kind in kinds)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"    - name: rule {i}\n      priority: {i % 3}\n      when: {Conditions[kind]}\n      then: {{add_tags: [wf/rule_{i}]}}\n");
            i++;
        }

        var result = ConfigLoader.LoadYaml(yaml.ToString(), "config.yaml", _ => null);
        result.Errors.Should().BeEmpty();
        return result.Config!.Workflows;
    }

    private sealed record FactSpec(int File, int Folder, int Day, AssetType Type, bool Favorite, bool Archived, bool InAlbum, bool Meme, bool Holiday, ClassificationStatus Status, int Duplicates)
    {
        public WorkflowFact Build()
        {
            var day = DateTimeOffset.Parse(Days[Day] + "T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
            var asset = new Asset(Guid.NewGuid(), Owner, Type, Files[File], $"{Folders[Folder]}/{Files[File]}", day, day, day, Duplicates > 0 ? Guid.NewGuid() : null, false, Archived, Favorite, Archived ? AssetVisibility.Archive : AssetVisibility.Timeline);
            Tag[] tags = [.. Meme ? [WorkflowCompilerTests.Meme] : Array.Empty<Tag>(), .. Holiday ? [WorkflowCompilerTests.Holiday] : Array.Empty<Tag>()];
            return new WorkflowFact(asset, InAlbum ? [Albums[File % 2]] : [], tags) { Status = Status, DuplicateCount = Duplicates };
        }
    }

    private static readonly Gen<FactSpec> FactGen =
        Gen.Select(
            Gen.Select(Gen.Int[0, Files.Length - 1], Gen.Int[0, Folders.Length - 1], Gen.Int[0, Days.Length - 1], Gen.Enum<AssetType>(), Gen.Bool, Gen.Bool),
            Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool, Gen.Enum<ClassificationStatus>(), Gen.Int[0, 4]),
            (a, b) => new FactSpec(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, b.Item1, b.Item2, b.Item3, b.Item4, b.Item5));

    [Fact]
    public void A_fact_the_pre_filter_leaves_out_fires_no_rule_and_every_other_fact_fires_the_same_rules()
    {
        Gen.Select(Gen.Int[0, Conditions.Length - 1].Array[1, 8], FactGen.Array[1, 40]).Sample((kinds, specs) =>
        {
            var compiled = WorkflowCompiler.Compile(Rules(kinds));
            var filtered = specs.Select(s => s.Build()).ToList();
            var everything = filtered.Select(f => new WorkflowFact(f.Asset, f.Albums, f.Tags) { Status = f.Status, DuplicateCount = f.DuplicateCount }).ToList();

            var plain = filtered.Select(f => new WorkflowFact(f.Asset, f.Albums, f.Tags) { Status = f.Status, DuplicateCount = f.DuplicateCount }).ToList();

            var inserted = compiled.Fire(filtered, preFilter: true, CancellationToken.None);
            compiled.Fire(everything, preFilter: false, CancellationToken.None).Should().Be(specs.Length);
            WorkflowCompiler.Compile(Rules(kinds), null, remember: false).Fire(plain, preFilter: false, CancellationToken.None);

            inserted.Should().Be(everything.Count(f => f.Fired.Count > 0), "only facts some rule holds for go into the session");
            for (var i = 0; i < specs.Length; i++)
            {
                filtered[i].Fired.Order().Should().Equal(everything[i].Fired.Order(), "asset {0}: {1}", i, specs[i]);
                filtered[i].Fired.Should().OnlyHaveUniqueItems("a rule fires once per asset");
                plain[i].Fired.Order().Should().Equal(everything[i].Fired.Order(), "asset {0}: remembered tests give what tests made each time give", i);
            }
        });
    }

    [Fact]
    public void The_rule_set_kept_for_the_process_is_keyed_by_every_value_of_the_section()
    {
        // Loaded twice, as a daemon reads its config before each run: the same key, so the kept rule set is used.
        var key = WorkflowCompiler.KeyOf(Rules([0, 3, 7]), ToolTagRoots.None);
        WorkflowCompiler.KeyOf(Rules([0, 3, 7]), ToolTagRoots.None).Should().Be(key);

        // Any change compiles anew: another condition, another order, a pattern's time-out, an action, the tool's tag roots.
        var config = Rules([0, 3, 7]);
        var full = ConfigLoader.LoadYaml("server: {url: 'http://x', api_key: k}\n", "config.yaml", _ => null).Config!;
        var slower = config with { MatchTimeoutMs = config.MatchTimeoutMs + 1, Rules = [.. config.Rules.Select(r => r with { When = r.When with { FileNamePatterns = [.. r.When.FileNamePatterns.Select(p => new CompiledPattern(p.Written, p.Source, new System.Text.RegularExpressions.Regex(p.Regex.ToString(), p.Regex.Options & ~System.Text.RegularExpressions.RegexOptions.NonBacktracking, TimeSpan.FromSeconds(5))))] } })] };
        string[] others =
        [
            WorkflowCompiler.KeyOf(Rules([0, 3, 8]), ToolTagRoots.None),
            WorkflowCompiler.KeyOf(Rules([3, 0, 7]), ToolTagRoots.None),
            WorkflowCompiler.KeyOf(slower, ToolTagRoots.None),
            WorkflowCompiler.KeyOf(config with { Rules = [config.Rules[0] with { Then = config.Rules[0].Then with { AddTags = ["wf/other"] } }, .. config.Rules.Skip(1)] }, ToolTagRoots.None),
            WorkflowCompiler.KeyOf(config, ToolTagRoots.Of(full with { Clip = full.Clip with { Enabled = true, TagRoot = "styles" } })),
        ];
        others.Should().NotContain(key).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public void The_kept_rule_set_fires_the_rules_of_the_config_it_is_asked_for()
    {
        var image = new FactSpec(0, 0, 0, AssetType.Image, Favorite: false, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build(); // IMG_1234
        var video = new FactSpec(3, 0, 0, AssetType.Video, Favorite: false, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build(); // clip5.mp4

        WorkflowCompiler.Shared(Rules([0])).Fire([image, video], CancellationToken.None);
        WorkflowCompiler.Shared(Rules([3])).Fire([image, video], CancellationToken.None);

        image.Fired.Should().Equal(0);
        video.Fired.Should().Equal(0);
    }

    [Fact]
    public void Each_rule_records_itself_on_exactly_the_assets_it_holds_for()
    {
        var config = Rules([0, 3, 7]);
        var compiled = WorkflowCompiler.Compile(config);
        var image = new FactSpec(0, 0, 0, AssetType.Image, Favorite: true, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build(); // IMG_1234: rules 0 and 2
        var video = new FactSpec(3, 0, 0, AssetType.Video, Favorite: true, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build(); // clip5.mp4: rule 1
        var plain = new FactSpec(2, 0, 0, AssetType.Image, Favorite: false, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build(); // none

        compiled.Fire([image, video, plain], CancellationToken.None).Should().Be(2);

        image.Fired.Order().Should().Equal(0, 2);
        video.Fired.Should().Equal(1);
        plain.Fired.Should().BeEmpty();
    }

    [Fact]
    public void Equal_condition_tests_are_made_once_per_fact_and_their_result_remembered()
    {
        // Rules 0 and 1 test the same file pattern (rule 1 with a media type too); rule 2 tests another pattern, rule 3 a tag.
        var yaml = """
            server: {url: 'http://x', api_key: k}
            workflows:
              rules:
                - {name: a, when: {file_name_patterns: ['^IMG_1']}, then: {add_tags: [wf/a]}}
                - {name: b, when: {file_name_patterns: ['^IMG_1'], media_types: [video]}, then: {add_tags: [wf/b]}}
                - {name: c, when: {file_name_patterns: ['^DSC']}, then: {add_tags: [wf/c]}}
                - {name: d, when: {any: [{tags: [meme]}, {file_name_patterns: ['^DSC']}]}, then: {add_tags: [wf/d]}}
            """;
        var result = ConfigLoader.LoadYaml(yaml, "config.yaml", _ => null);
        result.Errors.Should().BeEmpty();
        var compiled = WorkflowCompiler.Compile(result.Config!.Workflows);
        compiled.RememberedTests.Should().Be(3, "'^IMG_1' is one test for rules a and b, '^DSC' one for rules c and d, plus the tag look-up");

        // A fact answers an asked test from its memory: told that '^IMG_1' (the first test numbered) holds, a scan
        // fires rule a without the pattern being matched again.
        var scan = new FactSpec(4, 2, 0, AssetType.Image, Favorite: false, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build();
        WorkflowFact.IsKnown(scan, 0).Should().BeFalse();
        WorkflowFact.Remember(scan, 0, true).Should().BeTrue();
        var dsc = new FactSpec(2, 2, 0, AssetType.Image, Favorite: false, Archived: false, InAlbum: false, Meme: false, Holiday: false, ClassificationStatus.Classified, 0).Build();

        compiled.Fire([scan, dsc], CancellationToken.None).Should().Be(2);

        scan.Fired.Should().Equal(0);
        dsc.Fired.Order().Should().Equal(2, 3);
        for (var slot = 0; slot < 3; slot++)
        {
            WorkflowFact.IsKnown(dsc, slot).Should().BeTrue("the pre-check and the rules asked each test of the DSC file");
        }
    }
}
