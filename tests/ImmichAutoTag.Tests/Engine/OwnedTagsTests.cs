using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

public sealed class OwnedTagsTests
{
    private const string Prefix = "autotag_output_duplicate_asset_classification_conflict_";
    private const string AlbumConflict = "autotag_output_duplicate_asset_album_conflict";

    private static OutputTags Outputs(bool duplicates = true) => OutputTags.From(TestConfig() with
    {
        DuplicateProcessing = new DuplicateProcessingConfig(),
        AlbumDateConsistency = new AlbumDateConsistencyConfig(),
    }, duplicates);

    private static Tag Root(string name) => new(Guid.NewGuid(), name, name, null);

    [Fact]
    public void Per_group_families_are_owned_only_with_a_canonical_uuid()
    {
        var outputs = Outputs();
        var id = Guid.NewGuid();

        outputs.IsOutputTag(Prefix + id.ToString("D")).Should().BeTrue();
        outputs.IsOutputTag(AlbumConflict + "_" + id.ToString("D")).Should().BeTrue();
        outputs.IsOutputTag("autotag_output_album_date_mismatch").Should().BeTrue();
        outputs.IsOutputTag(Prefix + "mine").Should().BeFalse();
        outputs.IsOutputTag(Prefix + id.ToString("N")).Should().BeFalse();
        outputs.IsOutputTag(Prefix + id.ToString("D") + "x").Should().BeFalse();
        outputs.IsOutputTag(AlbumConflict + id.ToString("D")).Should().BeFalse();
    }

    [Fact]
    public void Without_duplicates_read_the_duplicate_tags_are_not_managed()
    {
        var outputs = Outputs(duplicates: false);

        outputs.IsOutputTag(Prefix + Guid.NewGuid().ToString("D")).Should().BeFalse();
        outputs.IsOutputTag("autotag_output_duplicate_asset_classification_conflict").Should().BeFalse();
        outputs.Enabled.Should().Contain("autotag_output_album_date_mismatch");
    }

    [Fact]
    public void A_stale_per_group_tag_is_removed_and_a_user_lookalike_is_kept()
    {
        var outputs = Outputs();
        var asset = Guid.NewGuid();
        var stale = Root(Prefix + Guid.NewGuid().ToString("D"));
        var current = Root(Prefix + Guid.NewGuid().ToString("D"));
        var lookalike = Root(Prefix + "holiday");

        var plan = TagPlanner.Plan(
            [new TagTarget(asset, [stale, current, lookalike], new HashSet<string>(StringComparer.Ordinal) { current.Value }, ["meme"])],
            outputs,
            [stale, current, lookalike],
            new Dictionary<Guid, ClassificationStatus> { [asset] = ClassificationStatus.Classified });

        plan.Removals.Should().ContainSingle().Which.Key.Should().Be(stale.Id);
        plan.Additions.Keys.Should().Equal("meme");
        plan.TagsToCreate.Should().Equal("meme");
    }
}
