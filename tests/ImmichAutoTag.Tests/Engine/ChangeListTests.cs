using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>The one change list: the per-kind groupings the appliers send are projections of it, and reasons follow each change.</summary>
public sealed class ChangeListTests
{
    private static readonly ChangeReason Rule = new("classification", "rule");
    private static readonly ChangeReason Label = new("clip", "label 'beach' scored 0.31");

    [Fact]
    public void Groupings_are_derived_from_the_list_by_kind()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), existing = Guid.NewGuid(), gone = Guid.NewGuid(), zoo = Guid.NewGuid(), art = Guid.NewGuid();
        var plan = new TagPlan(
            new ChangeList(
            [
                new AddTag(a, "new/tag", null, Rule),
                new AddTag(b, "new/tag", null, Rule),
                new AddTag(a, "new/tag", null, Rule),
                new AddTag(a, "old", existing, Rule),
                new RemoveTag(b, gone, "stale", Rule),
                new AddAlbumMember(a, zoo, "Zoo", Rule),
                new AddAlbumMember(b, art, "Art", Rule),
                new CreateAlbum("New", [a, b], Rule),
                new SetDate(a, Start, Start.AddDays(-1), "2025-12-31T00:00:00+00:00", "FileName: a.jpg", Rule),
            ]),
            new Dictionary<Guid, ClassificationStatus>());

        plan.TagsToCreate.Should().Equal("new/tag");
        plan.Additions["new/tag"].Should().Equal(a, b);
        plan.AdditionCount.Should().Be(3, "an (asset, tag) pair the list names twice is sent once");
        plan.Removals[gone].Should().Equal(b);
        plan.TagPaths.Should().BeEquivalentTo(new Dictionary<Guid, string> { [existing] = "old", [gone] = "stale" });
        plan.AlbumAdditions.Select(x => x.AlbumName).Should().Equal("Art", "Zoo");
        plan.AlbumsToCreate.Should().ContainSingle().Which.AssetIds.Should().Equal(a, b);
        plan.DateUpdates.Should().ContainSingle().Which.Source.Should().Be("FileName: a.jpg");
        plan.HasChanges.Should().BeTrue();
        TagPlan.Empty.HasChanges.Should().BeFalse();
        (plan with { CreatesMissingTags = false }).TagsToCreate.Should().BeEmpty("the verifier's re-apply never re-creates a tag");
    }

    [Fact]
    public void An_accepted_change_finds_the_reason_of_the_planned_change_it_carries_out()
    {
        Guid a = Guid.NewGuid(), album = Guid.NewGuid();
        var groups = new ChangeList(
        [
            new AddTag(a, "clip/beach", null, Label),
            new AddAlbumMember(a, album, "Trips", Rule),
            new CreateAlbum("New", [a], Rule),
        ]).Groups;

        groups.ReasonOf(new AppliedChange(a, "a.jpg", "clip/beach", ChangeKind.Added, Start)).Should().Be(Label);
        groups.ReasonOf(new AppliedChange(a, "a.jpg", string.Empty, ChangeKind.AddedToAlbum, Start) { AlbumId = album, AlbumName = "Trips" }).Should().Be(Rule);
        groups.ReasonOf(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumCreated, Start) { AlbumName = "New" }).Should().Be(Rule);
        groups.ReasonOf(new AppliedChange(a, "a.jpg", "other", ChangeKind.Added, Start)).Should().BeNull("no step planned it");
    }

    [Fact]
    public void A_step_gives_each_asset_and_tag_its_own_reason_through_the_tag_target()
    {
        var asset = Guid.NewGuid();
        var stale = new Tag(Guid.NewGuid(), Unknown, Unknown, null);
        var outputs = new OutputTags(Unknown, Conflict);
        var plan = TagPlanner.Plan(
            [
                new TagTarget(asset, [stale], new HashSet<string>([Conflict], StringComparer.Ordinal), [])
                {
                    Reasons = new Dictionary<string, ChangeReason>(StringComparer.Ordinal) { [Conflict] = Label },
                },
            ],
            outputs,
            [stale],
            new Dictionary<Guid, ClassificationStatus> { [asset] = ClassificationStatus.Conflict });

        plan.Changes.OfKind<AddTag>().Should().ContainSingle().Which.Reason.Should().Be(Label);
        plan.Changes.OfKind<RemoveTag>().Should().ContainSingle().Which.Reason.Should().Be(new ChangeReason("classification", "owned output tag not wanted at status conflict"));
    }
}
