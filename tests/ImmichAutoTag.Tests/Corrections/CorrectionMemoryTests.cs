using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Corrections;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;

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

    [Fact]
    public async Task A_run_that_finds_and_records_nothing_saves_nothing_and_any_change_is_saved()
    {
        var assets = Enumerable.Range(0, 3).Select(_ => NewAsset()).ToList();
        var wf = NewTag("wf/x");
        var status = NewTag("autotag_output_unknown");
        var state = new CorrectionState(
            [.. assets.Select(a => new ToolAddition(a.Id, AdditionKind.Tag, wf.Value, wf.Value, "workflows", Now.AddDays(-1)))],
            [new UserCorrection(new ToolAddition(assets[0].Id, AdditionKind.Album, Guid.NewGuid().ToString("D"), "Gone album", "workflows", Now.AddDays(-3)), Now.AddDays(-2))]);
        var carriedByAll = assets.ToDictionary(a => a.Id, _ => (IReadOnlyList<Tag>)[wf]);
        var reads = new ReadNeeds { OwnedTagPaths = [wf.Value] };
        var config = new CorrectionsConfig { Enabled = true };

        // Every addition is still there, but the correction's album no longer exists: it is forgotten, a change to save.
        var store = new CountingStore(state);
        var run = await CorrectionRun.StartAsync(store, config, "s", Snapshot(assets, [wf], carriedByAll), reads, Now, NullLogger.Instance, null, CancellationToken.None);
        await run.FinishAsync([], [], dryRun: false, verified: true, CancellationToken.None);
        store.Saves.Should().Be(1, "the correction of an album that no longer exists was forgotten");

        // The saved state again, same library: nothing found, nothing recorded, nothing to save.
        var rerun = await CorrectionRun.StartAsync(store, config, "s", Snapshot(assets, [wf], carriedByAll), reads, Now, NullLogger.Instance, null, CancellationToken.None);
        var outcome = await rerun.FinishAsync([], [], dryRun: false, verified: true, CancellationToken.None);
        store.Saves.Should().Be(1, "a rerun that changed nothing writes nothing");
        outcome.Figures.Should().Equal(new AcceptanceFigure("workflows", null, 3, 0), new AcceptanceFigure("workflows", wf.Value, 3, 0));

        // The user took the tag off one asset: found, saved.
        var removed = carriedByAll.Where(kv => kv.Key != assets[1].Id).ToDictionary(kv => kv.Key, kv => kv.Value);
        var found = await CorrectionRun.StartAsync(store, config, "s", Snapshot(assets, [wf], removed), reads, Now, NullLogger.Instance, null, CancellationToken.None);
        await found.FinishAsync([], [], dryRun: false, verified: true, CancellationToken.None);
        store.Saves.Should().Be(2);
        store.State.Corrections.Should().ContainSingle().Which.Addition.AssetId.Should().Be(assets[1].Id);

        // A run that recorded an addition saves; one whose only change is a removal of a tag it never recorded does not.
        var recorded = await CorrectionRun.StartAsync(store, config, "s", Snapshot(assets, [wf, status], removed), reads, Now, NullLogger.Instance, null, CancellationToken.None);
        await recorded.FinishAsync([new AppliedChange(assets[2].Id, "a.jpg", "other", ChangeKind.Removed, Now)], [], dryRun: false, verified: true, CancellationToken.None);
        store.Saves.Should().Be(2);
        var added = await CorrectionRun.StartAsync(store, config, "s", Snapshot(assets, [wf, status], removed), reads, Now, NullLogger.Instance, null, CancellationToken.None);
        await added.FinishAsync([new AppliedChange(assets[2].Id, "a.jpg", "wf/y", ChangeKind.Added, Now) { Reason = new ChangeReason("workflows", "rule") }], [], dryRun: false, verified: true, CancellationToken.None);
        store.Saves.Should().Be(3);
        store.State.Additions.Should().HaveCount(3);
    }

    [Fact]
    public void A_status_tag_record_dropped_on_load_makes_the_state_one_to_save()
    {
        var asset = NewAsset();
        var status = NewTag("autotag_output_unknown");
        var state = new CorrectionState([new ToolAddition(asset.Id, AdditionKind.Tag, status.Value, status.Value, "classification", Now.AddDays(-1))], []);
        var snapshot = Snapshot([asset], [status], new() { [asset.Id] = [status] });

        CorrectionMemory.Detect(new CorrectionsConfig { IncludeStatusTags = true }, state, snapshot, _ => true, Now, _ => true).Changed.Should().BeFalse();
        var dropped = CorrectionMemory.Detect(new CorrectionsConfig(), state, snapshot, _ => true, Now, _ => true);
        dropped.Changed.Should().BeTrue("the record of a status tag is dropped from the saved state unless opted in");
        dropped.State.Additions.Should().BeEmpty();
    }

    /// <summary>Keeps one scope's state in memory and counts the saves.</summary>
    private sealed class CountingStore(CorrectionState state) : ICorrectionStore
    {
        public CorrectionState State { get; private set; } = state;

        public int Saves { get; private set; }

        public Task<CorrectionState> LoadAsync(string scope, CancellationToken ct) => Task.FromResult(State);

        public Task SaveAsync(string scope, CorrectionState state, CancellationToken ct)
        {
            Saves++;
            State = state;
            return Task.CompletedTask;
        }
    }
}
