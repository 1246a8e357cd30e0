using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>The feature steps' read needs and their union, which is what the gatherer reads.</summary>
public sealed class FeatureStepsTests
{
    private static ReadNeeds Reads(AutoTagConfig config, RunOptions? options = null)
    {
        var classifier = RuleClassifier.Compile(config.Classification.Rules);
        var (steps, _) = FeatureSteps.For(config, options ?? new RunOptions(), classifier);
        return FeatureSteps.Reads(steps);
    }

    private static AutoTagConfig Config(params RuleConfig[] rules) => new()
    {
        Server = new ServerConfig(new Uri("http://immich.local"), "key"),
        Classification = new ClassificationConfig { Rules = rules },
        AlbumPermissions = new AlbumPermissionsConfig { Enabled = false },
    };

    [Fact]
    public void Rule_filter_and_conversion_tags_are_read_together()
    {
        var config = Config(new RuleConfig { TagNames = ["Rule"] }) with
        {
            Filters = new FiltersConfig { FilterOut = [new RuleConfig { TagNames = ["Private"] }] },
            Conversions = new ConversionsConfig { Conversions = [new ConversionConfig { Source = new RuleConfig { TagNames = ["Old"] }, DestinationTagNames = ["Parent/New"] }] },
        };

        Reads(config).TagNames.Should().BeEquivalentTo(["Rule", "Private", "Old", "New"]);
        Reads(config with { Conversions = config.Conversions with { Enabled = false } }).TagNames.Should().BeEquivalentTo(["Rule", "Private"], "a disabled step reads nothing");
    }

    [Fact]
    public void Duplicates_are_read_when_any_step_needs_them_and_the_key_may()
    {
        var dates = Config() with { DuplicateProcessing = new DuplicateProcessingConfig { DateCorrection = new DateCorrectionConfig { Enabled = true }, AutotagClassificationConflict = null, AutotagAlbumConflict = null, AutotagClassificationConflictPrefix = null } };
        var none = dates with { DuplicateProcessing = dates.DuplicateProcessing with { DateCorrection = new DateCorrectionConfig { Enabled = false } } };

        Reads(dates).Duplicates.Should().BeTrue("date repair compares duplicates");
        Reads(none).Duplicates.Should().BeFalse("no rule, no conflict tag and no date repair need them");
        Reads(Config(new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName("x")] })).Duplicates.Should().BeTrue("classification copies between duplicates");
        Reads(dates, new RunOptions { DuplicateDetection = false }).Duplicates.Should().BeFalse("the key may not read them");
    }

    [Fact]
    public void Owned_tags_are_the_output_tags_and_the_sync_prefix_and_users_are_read_for_sharing_only()
    {
        var config = Config(new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName("x")] });
        var reads = Reads(config with { TagAlbumSync = new TagAlbumSyncConfig { Enabled = true, TagPrefix = "album/" } });

        reads.OwnedTagPaths.Should().Contain("autotag_output_unknown");
        reads.Owns("autotag_output_unknown").Should().BeTrue();
        reads.Owns("album/Rome").Should().BeTrue();
        reads.Owns("Holiday").Should().BeFalse();
        Reads(config with { TagAlbumSync = new TagAlbumSyncConfig { Enabled = false, TagPrefix = "album/" } }).Owns("album/Rome").Should().BeFalse("tag_album_sync is off, so its step reads nothing");
        reads.Users.Should().BeFalse();
        Reads(config with { AlbumPermissions = new AlbumPermissionsConfig { Enabled = true } }).Users.Should().BeTrue();
    }
}
