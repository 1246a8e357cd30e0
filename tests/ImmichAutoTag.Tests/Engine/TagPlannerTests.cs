using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

public sealed class TagPlannerTests
{
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly OutputTags Outputs = new(Unknown, Conflict);

    private static Asset NewAsset(Guid? owner = null) => new(
        Guid.NewGuid(), owner ?? Owner, AssetType.Image, "x.jpg", "/x.jpg", Start, Start, Start, null, false, false, false, AssetVisibility.Timeline);

    private static Tag Root(string name) => new(Guid.NewGuid(), name, name, null);

    private static AssetEvaluation Evaluation(Asset asset, ClassificationStatus status, params Tag[] tags)
    {
        var matches = status switch
        {
            ClassificationStatus.Unclassified => 0,
            ClassificationStatus.Classified => 1,
            _ => 2,
        };
        var rule = new ImmichAutoTag.Core.Configuration.RuleConfig();
        return new AssetEvaluation(asset, [], tags, new AssetClassification(status, Enumerable.Range(0, matches).Select(i => new RuleMatch(i, rule, [], [], [])).ToList()));
    }

    [Fact]
    public void Desired_minus_actual_are_additions_and_actual_minus_desired_are_removals()
    {
        var unknownTag = Root(Unknown);
        var userTag = Root("holiday");
        var needsUnknown = NewAsset();
        var hasStaleUnknown = NewAsset();
        var keepsUnknown = NewAsset();

        var plan = TagPlanner.Plan(
            [
                Evaluation(needsUnknown, ClassificationStatus.Unclassified, userTag),
                Evaluation(hasStaleUnknown, ClassificationStatus.Classified, unknownTag, userTag),
                Evaluation(keepsUnknown, ClassificationStatus.Unclassified, unknownTag),
            ],
            Outputs,
            [unknownTag, userTag],
            Owner);

        plan.Additions.Should().ContainSingle().Which.Should().BeEquivalentTo(new KeyValuePair<string, IReadOnlyList<Guid>>(Unknown, [needsUnknown.Id]));
        plan.Removals.Should().ContainSingle().Which.Should().BeEquivalentTo(new KeyValuePair<Guid, IReadOnlyList<Guid>>(unknownTag.Id, [hasStaleUnknown.Id]));
        plan.TagPaths[unknownTag.Id].Should().Be(Unknown);
        plan.TagsToCreate.Should().BeEmpty();
        plan.StatusCounts[ClassificationStatus.Unclassified].Should().Be(2);
        plan.StatusCounts[ClassificationStatus.Classified].Should().Be(1);
        plan.StatusCounts[ClassificationStatus.Conflict].Should().Be(0);
    }

    [Fact]
    public void Missing_output_tags_are_created_only_when_an_addition_needs_them()
    {
        var plan = TagPlanner.Plan([Evaluation(NewAsset(), ClassificationStatus.Conflict)], Outputs, [], Owner);

        plan.TagsToCreate.Should().Equal(Conflict);
    }

    [Fact]
    public void Assets_of_other_owners_are_ignored_even_if_passed_in()
    {
        var plan = TagPlanner.Plan([Evaluation(NewAsset(Guid.NewGuid()), ClassificationStatus.Unclassified)], Outputs, [], Owner);

        plan.HasChanges.Should().BeFalse();
        plan.Statuses.Should().BeEmpty();
    }

    [Fact]
    public void Non_output_tags_are_never_removed_even_when_named_like_output_tags_elsewhere()
    {
        var nested = new Tag(Guid.NewGuid(), Unknown, "old/" + Unknown, Guid.NewGuid());
        var other = Root("autotag_output_duplicate_asset_album_conflict");

        var plan = TagPlanner.Plan([Evaluation(NewAsset(), ClassificationStatus.Classified, nested, other)], Outputs, [nested, other], Owner);

        plan.HasChanges.Should().BeFalse();
    }

    [Fact]
    public void A_disabled_output_tag_is_out_of_the_plan()
    {
        var conflictTag = Root(Conflict);

        var plan = TagPlanner.Plan(
            [Evaluation(NewAsset(), ClassificationStatus.Conflict), Evaluation(NewAsset(), ClassificationStatus.Classified, conflictTag)],
            new OutputTags(Unknown, null),
            [conflictTag],
            Owner);

        plan.HasChanges.Should().BeFalse();
    }

    [Fact]
    public async Task The_applier_sends_one_call_per_distinct_tag_set_so_no_asset_is_touched_twice()
    {
        using var immich = new FakeLibrary();
        var a = immich.AddAsset("a.jpg");
        var b = immich.AddAsset("b.jpg");
        var c = immich.AddAsset("c.jpg");
        var x = immich.EnsureTag("x");
        var y = immich.EnsureTag("y");
        var why = new ChangeReason("classification", "test");
        var plan = TagPlan.Empty with
        {
            Changes = new ChangeList(
            [
                new AddTag(a.Id, "x", x.Id, why),
                new AddTag(b.Id, "x", x.Id, why),
                new AddTag(a.Id, "y", y.Id, why),
                new AddTag(b.Id, "y", y.Id, why),
                new AddTag(c.Id, "y", y.Id, why),
            ]),
        };

        var assets = await immich.ReadAssetsAsync();
        var tags = (await immich.Gateway.GetTagsAsync(CancellationToken.None)).Where(t => t.Id == x.Id || t.Id == y.Id).ToList();

        var outcome = await new PlanApplier(immich.Gateway, new FakeTimeProvider(Start), NullLogger.Instance)
            .ApplyAsync(plan, assets, tags, 1000, false, null, CancellationToken.None);

        immich.BulkTagCalls.Should().HaveCount(2);
        immich.BulkTagCalls.Should().ContainSingle(call => call.TagIds.Count == 2)
            .Which.Should().BeEquivalentTo((TagIds: new[] { x.Id, y.Id }, AssetIds: new[] { a.Id, b.Id }));
        immich.BulkTagCalls.Should().ContainSingle(call => call.TagIds.Count == 1)
            .Which.Should().BeEquivalentTo((TagIds: new[] { y.Id }, AssetIds: new[] { c.Id }));
        immich.BulkTagCalls.SelectMany(call => call.AssetIds).Should().OnlyHaveUniqueItems();
        outcome.Changes.Should().HaveCount(5);
    }
}
