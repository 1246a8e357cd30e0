using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Corrections;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Tests.Corrections;

/// <summary>The correction memory on hand-built snapshots: keyed by step, generic over steps, opt-in CLIP threshold raise.</summary>
public sealed class CorrectionMemoryTests
{
    private const string Root = "autotag_clip/style";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly UserInfo User = new(Guid.NewGuid(), "Alice", "alice@example.com");

    private static Asset NewAsset() => new(Guid.NewGuid(), User.Id, AssetType.Image, "a.jpg", "/a.jpg", Now, Now, Now, null, false, false, false, AssetVisibility.Timeline);

    private static LibrarySnapshot Snapshot(IReadOnlyList<Asset> assets, IReadOnlyList<Tag> tags, Dictionary<Guid, IReadOnlyList<Tag>> carried) =>
        new(User, assets, [], tags, new Dictionary<Guid, IReadOnlyList<Album>>(), carried, 0);

    private static Tag NewTag(string path) => new(Guid.NewGuid(), path[(path.LastIndexOf('/') + 1)..], path, null);

    [Fact]
    public void Removals_are_found_per_step_and_any_steps_later_addition_of_them_is_left_out()
    {
        var assets = Enumerable.Range(0, 3).Select(_ => NewAsset()).ToList();
        var booru = NewTag("booru/character/alice");
        var anime = NewTag($"{Root}/anime");
        var state = new CorrectionState(
        [
            new ToolAddition(assets[0].Id, AdditionKind.Tag, booru.Value, booru.Value, "booru", Now.AddDays(-1)),
            new ToolAddition(assets[1].Id, AdditionKind.Tag, booru.Value, booru.Value, "booru", Now.AddDays(-1)),
            new ToolAddition(assets[2].Id, AdditionKind.Tag, anime.Value, anime.Value, ClipFeatureStep.StepName, Now.AddDays(-1)),
        ], []);

        // Asset 0 lost its booru tag; asset 1 kept it; asset 2 lost its label, but that tag was not read by the walk.
        var snapshot = Snapshot(assets, [booru, anime], new() { [assets[1].Id] = [booru] });
        var memory = CorrectionMemory.Detect(new CorrectionsConfig(), state, snapshot, p => p.StartsWith("booru/", StringComparison.Ordinal), Now);

        memory.Found.Should().ContainSingle().Which.Addition.Should().Be(state.Additions[0]);
        var plan = new TagPlan(new ChangeList(
        [
            new AddTag(assets[0].Id, booru.Value, booru.Id, new ChangeReason("another_step", "same tag from elsewhere")),
            new AddTag(assets[2].Id, anime.Value, anime.Id, new ChangeReason(ClipFeatureStep.StepName, "anime 90%")),
        ]), new Dictionary<Guid, ClassificationStatus>());
        var (filtered, skipped, raised) = memory.Filter(plan, null, new ClipConfig());

        skipped.Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(assets[0].Id);
        filtered.Changes.Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(assets[2].Id);
        raised.Should().BeEmpty();
        memory.Figures().Should().Equal(
            new AcceptanceFigure("booru", null, 1, 1),
            new AcceptanceFigure("booru", booru.Value, 1, 1),
            new AcceptanceFigure(ClipFeatureStep.StepName, null, 1, 0),
            new AcceptanceFigure(ClipFeatureStep.StepName, anime.Value, 1, 0));
    }

    [Fact]
    public void The_tools_own_removal_forgets_the_addition_and_adding_again_lifts_a_correction()
    {
        var asset = NewAsset();
        var tag = NewTag("autotag_output_unknown");
        var memory = CorrectionMemory.Detect(new CorrectionsConfig(), CorrectionState.Empty, Snapshot([asset], [tag], []), _ => true, Now);
        var reason = new ChangeReason("classification", "output tag");
        memory.Record([new AppliedChange(asset.Id, "a.jpg", tag.Value, ChangeKind.Added, Now) { Reason = reason }], []);
        memory.State.Additions.Should().ContainSingle().Which.Step.Should().Be("classification");

        memory.Record([new AppliedChange(asset.Id, "a.jpg", tag.Value, ChangeKind.Removed, Now) { Reason = reason }], []);
        memory.State.Additions.Should().BeEmpty();
        memory.State.Corrections.Should().BeEmpty("the tool's own removal is not the user's correction");

        var stillWrong = new AppliedChange(asset.Id, "a.jpg", tag.Value, ChangeKind.Added, Now) { Reason = reason };
        memory.Record([stillWrong], [stillWrong]);
        memory.State.Additions.Should().BeEmpty("an addition Immich did not keep is not remembered");
    }

    [Fact]
    public void A_clip_label_accepted_too_rarely_needs_a_higher_probability_when_opted_in()
    {
        var assets = Enumerable.Range(0, 12).Select(_ => NewAsset()).ToList();
        var anime = NewTag($"{Root}/anime");
        var photo = NewTag($"{Root}/photo");

        // anime: 3 kept, 7 removed (30 % over 10 judged). Two fresh assets score anime at 62 % and 80 %.
        var history = assets.Take(10)
            .Select(a => new ToolAddition(a.Id, AdditionKind.Tag, anime.Value, anime.Value, ClipFeatureStep.StepName, Now.AddDays(-2)))
            .ToList();
        var kept = history.Take(3).ToList();
        var removed = history.Skip(3).Take(7).Select(a => new UserCorrection(a, Now.AddDays(-1))).ToList();
        var snapshot = Snapshot(assets, [anime, photo], assets.Take(3).ToDictionary(a => a.Id, _ => (IReadOnlyList<Tag>)[anime]));
        var clip = new ClipLabels(new ClipModelId("m"), Root, ["anime", "photo"], [assets[10].Id, assets[11].Id], new ClipPipelineResult(
            new Dictionary<Guid, ZeroShotResult>
            {
                [assets[10].Id] = new([new LabelProbability("anime", 0.62), new LabelProbability("photo", 0.38)], "anime", 0.24),
                [assets[11].Id] = new([new LabelProbability("anime", 0.80), new LabelProbability("photo", 0.20)], "anime", 0.60),
            },
            0, 0, new Dictionary<Guid, string>(), new ClipPipelineTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)));
        var plan = new TagPlan(new ChangeList(
        [
            new AddTag(assets[10].Id, anime.Value, anime.Id, new ChangeReason(ClipFeatureStep.StepName, "anime 62%")),
            new AddTag(assets[11].Id, anime.Value, anime.Id, new ChangeReason(ClipFeatureStep.StepName, "anime 80%")),
        ]), new Dictionary<Guid, ClassificationStatus>());
        var state = new CorrectionState(kept, removed);

        var off = CorrectionMemory.Detect(new CorrectionsConfig(), state, snapshot, _ => true, Now).Filter(plan, clip, new ClipConfig());
        off.Skipped.Should().BeEmpty("raising thresholds is opt-in");

        var config = new CorrectionsConfig { RaiseClipThresholds = true, MinAcceptancePercent = 50, MinSamples = 10, RaiseByPercent = 15 };
        var on = CorrectionMemory.Detect(config, state, snapshot, _ => true, Now).Filter(plan, clip, new ClipConfig { MinProbabilityPercent = 50 });
        on.Raised.Should().Equal(new Dictionary<string, int> { [anime.Value] = 65 });
        on.Skipped.Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(assets[10].Id, "62 % is under the raised 65 %");
        on.Plan.Changes.Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(assets[11].Id);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void A_correction_lasts_while_its_tag_exists_and_is_forgotten_when_the_tag_is_deleted_as_a_whole(bool tagStillExists, int leftOut)
    {
        var asset = NewAsset();
        var booru = NewTag("booru/character/alice");
        var addition = new ToolAddition(asset.Id, AdditionKind.Tag, booru.Value, booru.Value, "booru", Now.AddDays(-2));
        var state = new CorrectionState([], [new UserCorrection(addition, Now.AddDays(-1))]);
        var snapshot = Snapshot([asset], tagStillExists ? [booru] : [], []);

        var memory = CorrectionMemory.Detect(new CorrectionsConfig(), state, snapshot, _ => true, Now);
        var plan = new TagPlan(new ChangeList([new AddTag(asset.Id, booru.Value, tagStillExists ? booru.Id : null, new ChangeReason("booru", "saucenao 95%"))]), new Dictionary<Guid, ClassificationStatus>());
        var (_, skipped, _) = memory.Filter(plan, null, new ClipConfig());

        skipped.Should().HaveCount(leftOut);
        memory.State.Corrections.Should().HaveCount(leftOut, "what is saved for the next run is what this run kept");
    }
}
