using System.Security.Cryptography;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;
using FakeLibrary = ImmichAutoTag.Tests.Engine.FakeLibrary;

namespace ImmichAutoTag.Tests.Enrichment;

/// <summary>The booru step inside whole runs of the engine (fake Immich in-process, in-memory booru services).</summary>
public sealed class BooruStepRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("booru-run-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_dry_run_plans_booru_tags_with_provenance_and_sends_no_write_then_the_run_applies_them_and_a_second_run_plans_and_looks_up_nothing()
    {
        using var immich = new FakeLibrary();
        var exact = immich.AddAsset("hu_tao.png");
        var searched = immich.AddAsset("rider.jpg");
        var review = immich.AddAsset("maybe.png");
        var photo = immich.AddAsset("camera.jpg");
        foreach (var asset in new[] { exact, searched, review })
        {
            immich.TagAsset(asset, "fanart");
        }

        immich.TagAsset(exact, "booru/general/stale");
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
        };
        RunOptions Options(bool dryRun) => new() { DryRun = dryRun, Booru = new BooruServices(booru, SqliteBooruStore.InFolder(_folder)) };
        Task<RunResult> Run(bool dryRun) => new AutoTagEngine(dryRun ? new ReadOnlyImmichGateway(immich.Gateway) : immich.Gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, Options(dryRun), CancellationToken.None);

        var dry = await Run(dryRun: true);

        immich.WriteCalls.Should().Be(0);
        var changes = dry.Plan.Changes.Where(c => c.Reason.Step == BooruFeatureStep.StepName).ToList();
        changes.OfType<AddTag>().Where(c => c.AssetId == exact.Id).Select(c => (c.TagPath, c.Reason.Text)).Should().BeEquivalentTo(new[]
        {
            ("booru/character/hu tao (genshin impact)", "danbooru md5 exact, danbooru post 7000001"),
            ("booru/series/genshin impact", "danbooru md5 exact, danbooru post 7000001"),
            ("booru/artist/example artist", "danbooru md5 exact, danbooru post 7000001"),
            ("booru/general/1girl", "danbooru md5 exact, danbooru post 7000001"),
            ("booru/rating/sensitive", "danbooru md5 exact, danbooru post 7000001"),
        });
        changes.OfType<RemoveTag>().Should().ContainSingle().Which.Should().Match<RemoveTag>(c => c.AssetId == exact.Id && c.TagPath == "booru/general/stale");
        changes.OfType<AddTag>().Where(c => c.AssetId == searched.Id).Should().Contain(c => c.TagPath == "booru/character/rider (fate\u2215zero)" && c.Reason.Text == "saucenao 94.6 %, danbooru post 7000002");
        changes.OfType<AddTag>().Where(c => c.AssetId == review.Id).Select(c => (c.TagPath, c.Reason.Text)).Should().Equal(("autotag_output_booru_review", "review: saucenao 81 % below the accept bar"));
        changes.OfType<AddTag>().Should().NotContain(c => c.AssetId == photo.Id);

        var plan = ReportWriter.Plan(immich.Gateway.ServerUrl, dry);
        plan.Should().Contain("# Booru: 3 asset(s) selected: 2 matched (danbooru_md5 1, saucenao 1), 1 for review, 0 not found, 0 queued");
        plan.Should().Contain($"+ booru/rating/questionable | {immich.Gateway.ServerUrl.AbsoluteUri.TrimEnd('/')}/photos/{searched.Id} | rider.jpg | booru: saucenao 94.6 %, danbooru post 7000002");
        var links = ReportWriter.Links(immich.Gateway.ServerUrl, config, dry);
        links.Should().Contain("## Booru: for review (1 assets)").And.Contain("saucenao 81 %: <https://danbooru.donmai.us/posts/7000003>");
        var looked = booru.Calls.Count;

        var applied = await Run(dryRun: false);

        applied.Errors.Should().BeEmpty();
        immich.TagPathsOf(exact).Should().Contain("booru/character/hu tao (genshin impact)").And.NotContain("booru/general/stale");
        immich.TagPathsOf(searched).Should().Contain("booru/rating/questionable");
        immich.TagPathsOf(review).Should().Contain("autotag_output_booru_review");
        booru.Calls.Should().HaveCount(looked, "the dry run's look-ups are cached");

        immich.ResetCounters();
        var second = await Run(dryRun: false);

        second.Plan.Changes.Should().NotContain(c => c.Reason.Step == BooruFeatureStep.StepName);
        immich.WriteCalls.Should().Be(0);
        booru.Calls.Should().HaveCount(looked, "nothing is looked up again");
    }

    [Fact]
    public async Task By_default_a_dry_run_sends_no_look_up_and_reads_no_original_but_uses_the_answers_a_real_run_cached()
    {
        using var immich = new FakeLibrary();
        var exact = immich.AddAsset("hu_tao.png");
        var other = immich.AddAsset("other.png");
        immich.TagAsset(exact, "fanart");
        var clock = new VirtualClock(Start);
        var booru = new MemoryBooruServices(clock);
#pragma warning disable CA5351 // Danbooru's file id, not security
        booru.Posts.Add(MemoryBooruServices.Post(7000001, Convert.ToHexStringLower(MD5.HashData(exact.Original()))));
#pragma warning restore CA5351
        var config = TestConfig() with { Booru = new BooruConfig { Enabled = true, Rules = [new RuleConfig { TagNames = ["fanart"] }] } };
        RunOptions Options(bool dryRun) => new() { DryRun = dryRun, Booru = new BooruServices(booru, SqliteBooruStore.InFolder(_folder)) };
        Task<RunResult> Run(bool dryRun) => new AutoTagEngine(dryRun ? new ReadOnlyImmichGateway(immich.Gateway) : immich.Gateway, clock, NullLogger<AutoTagEngine>.Instance)
            .RunAsync(config, Options(dryRun), CancellationToken.None);

        var dry = await Run(dryRun: true);

        booru.Calls.Should().BeEmpty("booru.dry_run_lookups is off by default");
        immich.CallsTo("downloadAsset").Should().Be(0, "no original is read for an MD5 that would not be sent");
        dry.Facts.Get<BooruTags>()!.Stats.Should().Match<BooruRunStats>(s => s.DryRunWithoutLookups && s.Pending == 1 && s.LookedUp.Count == 0);
        dry.Plan.Changes.Should().NotContain(c => c.Reason.Step == BooruFeatureStep.StepName);
        ReportWriter.Plan(immich.Gateway.ServerUrl, dry).Should().Contain("1 queued; 0 look-up(s) sent, 0 answered from the cache; dry run: nothing was sent to the booru services (booru.dry_run_lookups is off), a real run looks up the 1 queued asset(s)");

        await Run(dryRun: false);
        var looked = booru.Calls.Count;
        looked.Should().BePositive();
        immich.TagAsset(other, "fanart");

        // The next dry run plans from the cache for the looked-up asset and sends nothing for the new one.
        var again = await Run(dryRun: true);
        booru.Calls.Should().HaveCount(looked);
        again.Facts.Get<BooruTags>()!.Results[exact.Id].Verdict.Should().Be(BooruVerdict.Accepted);
        again.Facts.Get<BooruTags>()!.Results[other.Id].Verdict.Should().Be(BooruVerdict.Pending);
    }
}
