using ImmichAutoTag.Core.Engine;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>
/// The step interface as a new feature uses it: a step prepares facts before planning, a later step reads them and
/// plans the tags it owns as desired sets per asset; the run adds the missing ones and removes only the step's stale ones.
/// </summary>
public sealed class StepPipelineTests
{
    private const string Root = "mine";

    [Fact]
    public async Task A_step_plans_its_owned_tags_from_facts_an_earlier_step_prepared_and_a_second_run_plans_nothing()
    {
        using var immich = new FakeLibrary();
        var red = immich.AddAsset("red.jpg");
        var blue = immich.AddAsset("blue.jpg");
        var unscored = immich.AddAsset("unscored.jpg");
        var unlisted = immich.AddAsset("unlisted.jpg");
        immich.TagAsset(red, Root);
        immich.TagAsset(blue, $"{Root}/stale");
        immich.TagAsset(unscored, $"{Root}/kept");
        immich.TagAsset(unlisted, $"{Root}/old");
        var scorer = new Scorer(new Dictionary<string, string?> { ["red.jpg"] = "red", ["blue.jpg"] = "blue", ["unscored.jpg"] = null });
        var labeller = new Labeller();
        var options = new RunOptions { AdditionalSteps = [scorer, labeller] };

        var result = await RunAsync(immich, options: options);

        labeller.SawScoresWhilePreparing.Should().BeTrue("an earlier step's facts are there when a later step prepares");
        result.Facts.Get<Scores>().Should().BeSameAs(scorer.Recorded, "the run's result keeps the facts for the reports");
        immich.TagPathsOf(red).Should().BeEquivalentTo([Unknown, Root, $"{Root}/red"], "a tag outside the step's family is the user's");
        immich.TagPathsOf(blue).Should().BeEquivalentTo([Unknown, $"{Root}/blue"], "the step's stale tag goes, and only the asset's own label comes");
        immich.TagPathsOf(unscored).Should().BeEquivalentTo([Unknown, $"{Root}/kept"], "an asset the step keeps keeps its tags");
        immich.TagPathsOf(unlisted).Should().BeEquivalentTo([Unknown, $"{Root}/old"], "an asset the step does not list keeps its tags unless it asks otherwise");
        var labelChanges = result.Plan.Changes.Where(c => c.Reason.Step == "labeller").ToList();
        labelChanges.Should().HaveCount(3);
        labelChanges.OfType<AddTag>().Single(c => c.AssetId == red.Id).Reason.Text.Should().Be("score red");
        labelChanges.OfType<RemoveTag>().Single().Should().Match<RemoveTag>(c => c.AssetId == blue.Id && c.TagPath == $"{Root}/stale" && c.Reason.Text == "score blue");

        immich.ResetCounters();
        var second = await RunAsync(immich, options: new RunOptions { AdditionalSteps = [new Scorer(scorer.Labels), new Labeller()] });

        second.Plan.HasChanges.Should().BeFalse();
        immich.WriteCalls.Should().Be(0);
    }

    [Fact]
    public async Task Assets_given_the_same_wish_list_instance_share_nothing_another_step_adds_to_one_of_them()
    {
        using var immich = new FakeLibrary();
        var red = immich.AddAsset("red.jpg");
        var carries = immich.AddAsset("carries.jpg");
        var stale = immich.AddAsset("stale.jpg");
        var bare = immich.AddAsset("bare.jpg");
        immich.TagAsset(carries, $"{Shared}/x");
        immich.TagAsset(stale, $"{Shared}/old");
        var sharing = new SharingStep([red.Id, carries.Id, stale.Id, bare.Id]);
        var scorer = new Scorer(new Dictionary<string, string?> { ["red.jpg"] = "red" });
        var options = new RunOptions { AdditionalSteps = [sharing, scorer, new Labeller()] };

        var result = await RunAsync(immich, options: options);

        // One list instance for all four: the set built from it is shared, and the labeller's tag on red stays red's.
        immich.TagPathsOf(red).Should().BeEquivalentTo([Unknown, $"{Shared}/x", $"{Root}/red"]);
        immich.TagPathsOf(carries).Should().BeEquivalentTo([Unknown, $"{Shared}/x"]);
        immich.TagPathsOf(stale).Should().BeEquivalentTo([Unknown, $"{Shared}/x"], "the step's stale tag goes");
        immich.TagPathsOf(bare).Should().BeEquivalentTo([Unknown, $"{Shared}/x"]);
        var sharedChanges = result.Plan.Changes.Where(c => c.Reason.Step == SharingStep.StepName).ToList();
        sharedChanges.OfType<AddTag>().Select(c => c.AssetId).Should().BeEquivalentTo([red.Id, stale.Id, bare.Id]);
        sharedChanges.OfType<RemoveTag>().Should().ContainSingle().Which.Should().Match<RemoveTag>(c => c.AssetId == stale.Id && c.TagPath == $"{Shared}/old");

        immich.ResetCounters();
        var second = await RunAsync(immich, options: new RunOptions { AdditionalSteps = [new SharingStep([red.Id, carries.Id, stale.Id, bare.Id]), new Scorer(scorer.Labels), new Labeller()] });

        second.Plan.HasChanges.Should().BeFalse();
        immich.WriteCalls.Should().Be(0);
    }

    [Fact]
    public async Task A_step_that_fails_to_prepare_ends_the_run_before_anything_is_written()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");

        var run = () => RunAsync(immich, options: new RunOptions { AdditionalSteps = [new Failing()] });

        await run.Should().ThrowAsync<InvalidOperationException>().WithMessage("model missing");
        immich.WriteCalls.Should().Be(0);
    }

    [Fact]
    public void Sets_refuse_a_tag_the_step_does_not_own()
    {
        var sets = new OwnedTagSets("labeller", p => p.StartsWith(Root + "/", StringComparison.Ordinal));

        var set = () => sets.Set(Guid.NewGuid(), ["holiday"], new ChangeReason("labeller", "x"));

        set.Should().Throw<ArgumentException>().WithMessage("*does not own the tag 'holiday'*");
    }

    private sealed record Scores(IReadOnlyDictionary<Guid, string?> ByAsset);

    /// <summary>Scores every asset it knows by file name while preparing (a stand-in for a model or a look-up).</summary>
    private sealed class Scorer(IReadOnlyDictionary<string, string?> labels) : IFeatureStep
    {
        public IReadOnlyDictionary<string, string?> Labels => labels;

        public Scores? Recorded { get; private set; }

        public string Name => "scorer";

        public string ConfigSection => "scorer";

        public bool Enabled => true;

        public ReadNeeds Reads => ReadNeeds.None;

        public Task PrepareAsync(StepPrepareContext context, CancellationToken ct)
        {
            Recorded = new Scores(context.Snapshot.Assets
                .Where(a => labels.ContainsKey(a.OriginalFileName))
                .ToDictionary(a => a.Id, a => labels[a.OriginalFileName]));
            context.Facts.Set(Recorded);
            return Task.CompletedTask;
        }
    }

    /// <summary>Owns the tags below <see cref="Root"/>: one label per scored asset, the tags it has for an asset scored null.</summary>
    private sealed class Labeller : IFeatureStep
    {
        public bool SawScoresWhilePreparing { get; private set; }

        public string Name => "labeller";

        public string ConfigSection => "labeller";

        public bool Enabled => true;

        public ReadNeeds Reads { get; } = new() { OwnsTag = p => p.StartsWith(Root + "/", StringComparison.Ordinal) };

        public Task PrepareAsync(StepPrepareContext context, CancellationToken ct)
        {
            SawScoresWhilePreparing = context.Facts.Has<Scores>();
            return Task.CompletedTask;
        }

        public StepPlan Plan(StepContext context)
        {
            var sets = new OwnedTagSets(Name, p => p.StartsWith(Root + "/", StringComparison.Ordinal));
            foreach (var (id, label) in context.Facts.Get<Scores>()!.ByAsset)
            {
                if (label is null)
                {
                    sets.Keep(id, new ChangeReason(Name, "not scored"));
                }
                else
                {
                    sets.Set(id, [$"{Root}/{label}"], new ChangeReason(Name, "score " + label));
                }
            }

            return StepPlan.None with { OwnedTags = sets };
        }
    }

    private const string Shared = "shared";

    /// <summary>Owns the tags below <see cref="Shared"/> and wants <c>shared/x</c> on the listed assets, handing all of them one list instance.</summary>
    private sealed class SharingStep(IReadOnlyList<Guid> assets) : IFeatureStep
    {
        public const string StepName = "sharing";

        public string Name => StepName;

        public string ConfigSection => StepName;

        public bool Enabled => true;

        public ReadNeeds Reads { get; } = new() { OwnsTag = Owns };

        private static bool Owns(string path) => path.StartsWith(Shared + "/", StringComparison.Ordinal);

        public Task PrepareAsync(StepPrepareContext context, CancellationToken ct) => Task.CompletedTask;

        public StepPlan Plan(StepContext context) => StepPlan.None with { OwnedTags = new Wishes(assets.ToHashSet()) };

        private sealed class Wishes(HashSet<Guid> assets) : OwnedTagPlan(StepName)
        {
            private readonly IReadOnlyCollection<string> _one = [$"{Shared}/x"];

            public override bool SharesDesiredCollections => true;

            public override bool Owns(string path) => SharingStep.Owns(path);

            public override IReadOnlyCollection<string>? DesiredFor(Guid assetId) => assets.Contains(assetId) ? _one : null;

            public override ChangeReason ReasonFor(Guid assetId, string path) => new(StepName, "one list for all");
        }
    }

    private sealed class Failing : IFeatureStep
    {
        public string Name => "failing";

        public string ConfigSection => "failing";

        public bool Enabled => true;

        public ReadNeeds Reads => ReadNeeds.None;

        public Task PrepareAsync(StepPrepareContext context, CancellationToken ct) => throw new InvalidOperationException("model missing");
    }
}
