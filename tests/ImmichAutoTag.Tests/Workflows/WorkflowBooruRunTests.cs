using System.Security.Cryptography;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Workflows;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Tests.Enrichment;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;
using FakeLibrary = ImmichAutoTag.Tests.Engine.FakeLibrary;

namespace ImmichAutoTag.Tests.Workflows;

/// <summary>Workflow rules over the booru step's own run fact (<see cref="BooruTags"/>), in whole engine runs with in-memory booru services.</summary>
public sealed class WorkflowBooruRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("workflow-booru-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static WorkflowRuleConfig Rule(string name, WorkflowBooruConditionConfig booru, WorkflowActionsConfig then) =>
        new() { Name = name, When = new WorkflowConditionConfig { Booru = booru }, Then = then };

    [Fact]
    public async Task Booru_conditions_read_the_booru_steps_results_the_dry_run_writes_nothing_and_a_second_run_plans_nothing()
    {
        using var immich = new FakeLibrary();
        var exact = immich.AddAsset("hu_tao.png");
        var searched = immich.AddAsset("rider.jpg");
        var review = immich.AddAsset("maybe.png");
        var missing = immich.AddAsset("unknown.png");
        foreach (var asset in new[] { exact, searched, review, missing })
        {
            immich.TagAsset(asset, "fanart");
        }

        var clock = new VirtualClock(Start);
        var booru = new MemoryBooruServices(clock);
#pragma warning disable CA5351 // Danbooru's file id, not security
        booru.Posts.Add(MemoryBooruServices.Post(7000001, Convert.ToHexStringLower(MD5.HashData(exact.Original()))));
#pragma warning restore CA5351
        booru.Posts.Add(MemoryBooruServices.Post(7000002, null, "rider_(fate/zero)", BooruRating.Questionable));
        booru.SauceNao.Answer(FakeThumbnails.Webp(FakeThumbnails.ColourOf(searched.Id)), (94.61, 7000002));
        booru.SauceNao.Answer(FakeThumbnails.Webp(FakeThumbnails.ColourOf(review.Id)), (81, 7000003));
        var config = TestConfig() with
        {
            Booru = new BooruConfig { Enabled = true, Rules = [new RuleConfig { TagNames = ["fanart"] }], GeneralTopN = 1, DryRunLookups = true },
            Workflows = new WorkflowsConfig
            {
                Rules =
                [
                    Rule("anime by series", new() { Copyrights = ["genshin_impact"], Ratings = ["sensitive"], MinSimilarity = 90 }, new() { AddTags = ["wf/anime/genshin_impact"] }),
                    Rule("review queue", new() { Verdicts = ["review"], MaxSimilarity = 85 }, new() { AddToAlbums = ["Booru review"] }),
                    Rule("nsfw", new() { Ratings = ["questionable", "explicit"] }, new() { AddTags = ["wf/nsfw"] }),
                    Rule("nothing found", new() { Verdicts = ["not_found"] }, new() { AddTags = ["wf/no_match"] }),
                ],
            },
        };
        RunOptions Options(bool dryRun) => new() { DryRun = dryRun, Booru = new BooruServices(booru, SqliteBooruStore.InFolder(_folder)) };
        Task<RunResult> Run(bool dryRun) => new AutoTagEngine(dryRun ? new ReadOnlyImmichGateway(immich.Gateway) : immich.Gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, Options(dryRun), CancellationToken.None);

        var dry = await Run(dryRun: true);

        immich.WriteCalls.Should().Be(0);
        var workflow = dry.Plan.Changes.Where(c => c.Reason.Step == WorkflowPlanner.StepName).ToList();
        workflow.OfType<AddTag>().Select(c => (c.AssetId, c.TagPath, c.Reason.Text)).Should().BeEquivalentTo(new[]
        {
            (exact.Id, "wf/anime/genshin_impact", "rule 'anime by series'"),
            (searched.Id, "wf/nsfw", "rule 'nsfw'"),
            (missing.Id, "wf/no_match", "rule 'nothing found'"),
        });
        workflow.OfType<CreateAlbum>().Should().ContainSingle().Which.Should().Match<CreateAlbum>(c =>
            c.AlbumName == "Booru review" && c.AssetIds.SequenceEqual(new[] { review.Id }) && c.Reason.Text == "rule 'review queue'");

        var applied = await Run(dryRun: false);

        applied.Errors.Should().BeEmpty();
        immich.TagPathsOf(exact).Should().Contain("wf/anime/genshin_impact");
        immich.TagPathsOf(searched).Should().Contain("wf/nsfw").And.NotContain("wf/anime/genshin_impact", "its rating is questionable");
        immich.TagPathsOf(missing).Should().Contain("wf/no_match");

        immich.ResetCounters();
        var second = await Run(dryRun: false);

        second.Plan.Changes.Should().NotContain(c => c.Reason.Step == WorkflowPlanner.StepName);
        immich.WriteCalls.Should().Be(0);
    }
}
