using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Tests.Classification;

public sealed class RuleClassifierTests
{
    private static readonly Guid AssetId = Guid.NewGuid();

    private static Tag RootTag(string name) => new(Guid.NewGuid(), name, name, null);

    private static Tag ChildTag(string parent, string leaf) => new(Guid.NewGuid(), leaf, parent + "/" + leaf, Guid.NewGuid());

    private static AssetFacts Facts(IEnumerable<Tag>? tags = null, IEnumerable<string>? albums = null, Guid? id = null) =>
        new(id ?? AssetId, (tags ?? []).ToList(), (albums ?? []).ToList());

    private static AssetClassification Classify(AssetFacts facts, params RuleConfig[] rules) =>
        RuleClassifier.Compile(rules).Classify(facts);

    private static RuleConfig Albums(params string[] patterns) => AlbumsWithin(null, patterns);

    private static RuleConfig AlbumsWithin(TimeSpan? timeout, params string[] patterns) =>
        new() { AlbumNamePatterns = [.. patterns.Select(p => PatternCompiler.AlbumName(p, timeout))] };

    private static RuleConfig Tags(params string[] names) => new() { TagNames = names };

    [Fact]
    public void No_rules_leave_every_asset_unclassified()
    {
        var result = Classify(Facts([RootTag("meme")], ["2019 Summer"]));

        result.Status.Should().Be(ClassificationStatus.Unclassified);
        result.Matches.Should().BeEmpty();
    }

    [Fact]
    public void An_exact_tag_name_classifies_and_is_remembered()
    {
        var result = Classify(Facts([RootTag("meme"), RootTag("other")]), Tags("meme"));

        result.Status.Should().Be(ClassificationStatus.Classified);
        result.Matches.Should().ContainSingle().Which.MatchedTagNames.Should().Equal("meme");
    }

    [Fact]
    public void Tag_names_are_case_sensitive()
    {
        Classify(Facts([RootTag("Meme")]), Tags("meme")).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Fact]
    public void Tag_names_must_match_whole_not_as_prefix()
    {
        Classify(Facts([RootTag("memes")]), Tags("meme")).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Theory]
    [InlineData(false, false, "autotag_clip/style", "booru/general")]
    [InlineData(true, false, "autotag_clip/style", "my_labels", "booru/general")]
    [InlineData(false, true, "autotag_clip/style", "booru/general")]
    public void A_plain_entry_never_matches_a_tag_below_the_tools_enrichment_roots(bool clipOn, bool booruOn, params string[] parents)
    {
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(new Uri("http://h:1/"), "key"),
            Clip = new ClipConfig { Enabled = clipOn, TagRoot = clipOn ? "my_labels" : ClipConfig.DefaultTagRoot },
            Booru = new BooruConfig { Enabled = booruOn },
        };
        var roots = ToolTagRoots.Of(config);
        foreach (var parent in parents)
        {
            var guess = ChildTag(parent, "meme");
            var covered = parent != "booru/general" || booruOn;
            var classifier = RuleClassifier.Compile([Tags("meme")], roots);

            classifier.Classify(Facts([guess])).Status.Should().Be(covered ? ClassificationStatus.Unclassified : ClassificationStatus.Classified, parent);
            RuleClassifier.TagEntryMatches("meme", guess, roots).Should().Be(!covered, parent);
            RuleClassifier.Compile([Tags(guess.Value)], roots).Classify(Facts([guess])).Status.Should().Be(ClassificationStatus.Classified, "a full path is an explicit choice");
            classifier.Classify(Facts([guess, RootTag("meme")])).Matches.Should().ContainSingle().Which.MatchedTagNames.Should().HaveCount(covered ? 1 : 2, "the user's own 'meme' still matches");
        }

        roots.Covers("autotag_clip/style").Should().BeFalse("the root itself is no label");
        roots.Covers("autotag_clip/styles/meme").Should().BeFalse("only paths below the root, not beside it");
        RuleClassifier.Compile([Tags("meme")]).Classify(Facts([ChildTag("autotag_clip/style", "meme")])).Status
            .Should().Be(ClassificationStatus.Classified, "without roots (rule sets outside a run) upstream's leaf match is unchanged");
    }

    [Fact]
    public void A_plain_entry_matches_the_leaf_name_and_an_entry_with_a_slash_the_full_path()
    {
        var child = ChildTag("Holidays", "Beach");

        Classify(Facts([child]), Tags("Beach")).Status.Should().Be(ClassificationStatus.Classified, "upstream's leaf-name match");
        Classify(Facts([child]), Tags("Holidays/Beach")).Status.Should().Be(ClassificationStatus.Classified, "the full path");
        Classify(Facts([child]), Tags("/Holidays/Beach/")).Status.Should().Be(ClassificationStatus.Classified, "outer slashes are ignored");
        Classify(Facts([child]), Tags("Travel/Beach")).Status.Should().Be(ClassificationStatus.Unclassified, "another path with the same leaf");
        Classify(Facts([child]), Tags("holidays/Beach")).Status.Should().Be(ClassificationStatus.Unclassified, "paths are case-sensitive");
        Classify(Facts([child]), Tags("Holidays")).Status.Should().Be(ClassificationStatus.Unclassified, "a parent names no child");
        Classify(Facts([child]), Tags("Holidays/Beach")).Matches.Single().MatchedTagNames.Should().Equal("Holidays/Beach");
    }

    [Fact]
    public void Album_pattern_is_anchored_at_the_start()
    {
        Classify(Facts(albums: ["2019 Summer"]), Albums("2019")).Status.Should().Be(ClassificationStatus.Classified);
        Classify(Facts(albums: ["2019 Summer"]), Albums("Summer")).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Fact]
    public void Album_pattern_is_not_anchored_at_the_end()
    {
        var result = Classify(Facts(albums: ["2019-07-04 Beach trip"]), Albums(@"\d{4}-\d{2}"));

        result.Status.Should().Be(ClassificationStatus.Classified);
        result.Matches[0].MatchedAlbumNames.Should().Equal("2019-07-04 Beach trip");
    }

    [Fact]
    public void An_explicit_end_anchor_in_the_pattern_still_works()
    {
        Classify(Facts(albums: ["meme dump"]), Albums("^meme$")).Status.Should().Be(ClassificationStatus.Unclassified);
        Classify(Facts(albums: ["meme"]), Albums("^meme$")).Status.Should().Be(ClassificationStatus.Classified);
    }

    [Fact]
    public void Every_alternative_of_a_pattern_is_anchored_at_the_start()
    {
        // Without the group, "\ASummer|2019" would let the second alternative match anywhere.
        Classify(Facts(albums: ["Trip 2019"]), Albums("Summer|2019")).Status.Should().Be(ClassificationStatus.Unclassified);
        Classify(Facts(albums: ["2019 Trip"]), Albums("Summer|2019")).Status.Should().Be(ClassificationStatus.Classified);
    }

    [Fact]
    public void Album_patterns_are_case_sensitive()
    {
        Classify(Facts(albums: ["summer 2019"]), Albums("Summer")).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Fact]
    public void Album_names_are_used_verbatim_without_trimming()
    {
        Classify(Facts(albums: [" 2019 Summer"]), Albums("2019")).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Fact]
    public void An_asset_link_classifies_that_asset_only()
    {
        var linked = Guid.NewGuid();
        var rule = new RuleConfig { AssetIds = [linked] };

        var hit = Classify(Facts(id: linked), rule);
        hit.Status.Should().Be(ClassificationStatus.Classified);
        hit.Matches[0].MatchedAssetLinks.Should().Equal(linked);

        Classify(Facts(id: Guid.NewGuid()), rule).Status.Should().Be(ClassificationStatus.Unclassified);
    }

    [Fact]
    public void One_rule_matching_two_albums_is_a_conflict()
    {
        var result = Classify(Facts(albums: ["2019-07 Beach", "2020-01 Ski"]), Albums(@"\d{4}"));

        result.Status.Should().Be(ClassificationStatus.Conflict);
        result.Matches.Should().ContainSingle().Which.MatchedAlbumNames.Should().Equal("2019-07 Beach", "2020-01 Ski");
    }

    [Fact]
    public void One_rule_with_several_matching_tags_is_classified()
    {
        var result = Classify(Facts([RootTag("meme"), RootTag("autotag_input_meme")]), Tags("meme", "autotag_input_meme"));

        result.Status.Should().Be(ClassificationStatus.Classified);
        result.Matches[0].MatchedTagNames.Should().BeEquivalentTo("meme", "autotag_input_meme");
    }

    [Fact]
    public void One_rule_matching_by_tag_and_one_album_is_classified()
    {
        var rule = new RuleConfig { TagNames = ["meme"], AlbumNamePatterns = [PatternCompiler.AlbumName("^memes$")] };

        var result = Classify(Facts([RootTag("meme")], ["memes"]), rule);

        result.Status.Should().Be(ClassificationStatus.Classified);
        result.Matches.Should().ContainSingle();
        result.MatchedAlbumCount.Should().Be(1);
    }

    [Fact]
    public void Only_matching_albums_count_towards_a_conflict()
    {
        var result = Classify(Facts(albums: ["2019 Summer", "Favourites", "Family"]), Albums(@"\d{4}"));

        result.Status.Should().Be(ClassificationStatus.Classified);
    }

    [Fact]
    public void Two_matching_rules_are_a_conflict_and_both_are_reported_in_rule_order()
    {
        var result = Classify(
            Facts([RootTag("meme")], ["2019 Summer"]),
            Albums(@"\d{4}"),
            Tags("unrelated"),
            Tags("meme"));

        result.Status.Should().Be(ClassificationStatus.Conflict);
        result.Matches.Select(m => m.RuleIndex).Should().Equal(0, 2);
    }

    [Fact]
    public void Output_tags_are_not_rule_inputs_unless_listed()
    {
        var facts = Facts([RootTag("autotag_output_unknown"), RootTag("autotag_output_conflict")]);

        Classify(facts, Tags("meme"), Albums(".*")).Status.Should().Be(ClassificationStatus.Unclassified);
        Classify(facts, Tags("autotag_output_unknown")).Status.Should().Be(ClassificationStatus.Classified);
    }

    [Fact]
    public void Rule_tag_names_are_collected_for_gathering()
    {
        var classifier = RuleClassifier.Compile([Tags("a", "b"), Albums("x"), Tags("b", "c")]);

        classifier.TagNames.Should().BeEquivalentTo("a", "b", "c");
        classifier.RuleCount.Should().Be(3);
    }

    [Fact]
    public void An_invalid_pattern_fails_at_compile_time()
    {
        var act = () => PatternCompiler.AlbumName("(unclosed");

        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("(a+)+$")]
    [InlineData("^2019")]
    [InlineData("(?i)summer|winter")]
    [InlineData("[0-9]{4}-(0[1-9]|1[0-2])")]
    public void A_pattern_the_linear_engine_supports_runs_without_a_time_out(string pattern)
    {
        // A one-tick bound stands for a starved machine: a pattern on the linear engine must not depend on it.
        var compiled = PatternCompiler.AlbumName(pattern, TimeSpan.FromTicks(1));

        compiled.IsLinearTime.Should().BeTrue();
        compiled.Regex.MatchTimeout.Should().Be(System.Text.RegularExpressions.Regex.InfiniteMatchTimeout);
    }

    [Fact]
    public void A_catastrophic_pattern_on_the_linear_engine_neither_hangs_nor_times_out()
    {
        var classifier = RuleClassifier.Compile([AlbumsWithin(TimeSpan.FromTicks(1), "(a+)+$")]);

        var result = classifier.Classify(Facts(albums: [new string('a', 40) + "!", new string('a', 40)]));

        result.Matches.Single().MatchedAlbumNames.Should().Equal(new string('a', 40));
        classifier.TimedOut.Should().BeEmpty();
    }

    [Theory]
    [InlineData(@"(?=(a+)+$)")]
    [InlineData(@"(a)\1")]
    [InlineData(@"(?>a+)b")]
    [InlineData(@"x(?<!y)")]
    public void A_pattern_only_the_backtracking_engine_supports_keeps_a_time_out(string pattern)
    {
        var compiled = PatternCompiler.AlbumName(pattern, TimeSpan.FromSeconds(7));

        compiled.IsLinearTime.Should().BeFalse();
        compiled.Regex.MatchTimeout.Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void A_backtracking_pattern_that_runs_out_of_time_does_not_match_that_album_and_is_listed()
    {
        // Look-ahead forces the backtracking engine; (a+)+ on 40 'a's and a '!' needs ~2^40 steps, far beyond one tick.
        var slowAlbum = new string('a', 40) + "!";
        var classifier = RuleClassifier.Compile([AlbumsWithin(TimeSpan.FromTicks(1), @"(?=(a+)+$)", "Trip")]);

        var act = () => classifier.Classify(Facts(albums: [slowAlbum]));

        act.Should().NotThrow().Which.Status.Should().Be(ClassificationStatus.Unclassified);
        classifier.TimedOut.Should().ContainSingle().Which.Should().Be(new PatternTimeout(@"(?=(a+)+$)", slowAlbum, TimeSpan.FromTicks(1)));
        classifier.TimedOutOn([slowAlbum]).Should().BeTrue();
        classifier.TimedOutOn(["Trip"]).Should().BeFalse();
    }

    [Fact]
    public void A_reused_classifier_gives_the_same_answer_for_a_repeated_album_name()
    {
        var classifier = RuleClassifier.Compile([Albums("2019")]);

        classifier.Classify(Facts(albums: ["2019 Summer"])).Status.Should().Be(ClassificationStatus.Classified);
        classifier.Classify(Facts(albums: ["2019 Summer"])).Status.Should().Be(ClassificationStatus.Classified);
        classifier.Classify(Facts(albums: ["2018 Summer"])).Status.Should().Be(ClassificationStatus.Unclassified);
    }
}
