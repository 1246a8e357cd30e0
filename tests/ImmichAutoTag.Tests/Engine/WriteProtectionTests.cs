using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.TestKit;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>Queue pause/resume, the wave fallback and the crash marker, on the in-process fake.</summary>
public sealed class WriteProtectionTests
{
    /// <summary>Additions of existing tags (each path gets a tag id) and removals; removed tags are named by their id.</summary>
    private static TagPlan Plan(Dictionary<string, IReadOnlyList<Guid>> additions, Dictionary<Guid, IReadOnlyList<Guid>> removals)
    {
        var why = new ChangeReason("classification", "test");
        var tagIds = additions.Keys.ToDictionary(p => p, _ => Guid.NewGuid());
        return new(
            new ChangeList(
                additions.SelectMany(kv => kv.Value.Select(id => (PlannedChange)new AddTag(id, kv.Key, tagIds[kv.Key], why)))
                    .Concat(removals.SelectMany(kv => kv.Value.Select(id => new RemoveTag(id, kv.Key, kv.Key.ToString(), why))))),
            new Dictionary<Guid, ClassificationStatus>());
    }

    [Fact]
    public void Waves_touch_each_asset_at_most_once_and_keep_every_change()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        Guid t1 = Guid.NewGuid(), t2 = Guid.NewGuid();
        var plan = Plan(
            new() { ["x"] = [a, b], ["y"] = [a] },
            new() { [t1] = [a, c], [t2] = [a, c] });

        var waves = WavePlanner.Split(plan);

        waves.Should().HaveCount(3, "asset a has an addition set and two removals");
        foreach (var wave in waves)
        {
            var touched = wave.Additions.Values.SelectMany(ids => ids).Distinct()
                .Concat(wave.Removals.Values.SelectMany(ids => ids)).ToList();
            touched.Should().OnlyHaveUniqueItems("one change per asset per wave; additions of one asset are one bulk call");
        }

        waves.Sum(w => w.AdditionCount).Should().Be(plan.AdditionCount);
        waves.Sum(w => w.RemovalCount).Should().Be(plan.RemovalCount);
        waves[0].Additions.Should().ContainKeys("x", "y");
    }

    [Fact]
    public async Task Without_queue_access_the_run_writes_in_waves_and_says_why()
    {
        // Every wait ends at once on the virtual clock, shared by the server and the engine: the test neither
        // sleeps nor depends on the machine's speed.
        var clock = new VirtualClock(Start);
        using var immich = new FakeLibrary(clock, queueAccess: false);
        var asset = immich.AddAsset("a.jpg");
        immich.TagAsset(asset, Conflict);
        immich.TagAsset(asset, Unknown);
        var loose = immich.AddAsset("b.jpg");
        immich.AddAlbum("2020 Trip", asset);

        var result = await CreateEngine(immich, clock).RunAsync(TestConfig(), new RunOptions(), CancellationToken.None);

        result.WriteMode.Should().Be(WriteMode.WavesObserved);
        result.WriteFallbackReason.Should().Contain("not an Immich admin", "the key has the permissions; its user is no admin (Y1)");
        result.WriteWaves.Should().Be(2);
        immich.TagPathsOf(asset).Should().BeEmpty();
        immich.TagPathsOf(loose).Should().Equal(Unknown);
        immich.UntagCalls.Select(c => c.AssetIds.Single()).Should().Equal(asset.Id, asset.Id);

        // Each wave's write-back landed within the first poll's second: one read sees the bump, the next confirms it.
        immich.UpdatedAfterSearches.Should().Be(2 * 2);
    }

    [Fact]
    public async Task Without_queue_access_a_write_back_that_never_shows_is_waited_for_up_to_the_bound_only()
    {
        var clock = new VirtualClock(Start);
        using var immich = new FakeLibrary(clock, queueAccess: false);
        var asset = immich.AddAsset("a.jpg");
        immich.AddAlbum("2020 Trip", asset);
        immich.AddAsset("b.jpg");

        // An administrator paused the sidecar queue: the write-back jobs wait, so no updatedAt ever moves.
        immich.State.SetQueuePaused(QueueNames.Sidecar, true);

        var result = await CreateEngine(immich, clock)
            .RunAsync(TestConfig(), new RunOptions { MaxWriteBackWait = TimeSpan.FromSeconds(30) }, CancellationToken.None);

        result.WriteMode.Should().Be(WriteMode.WavesObserved);
        result.WriteWaves.Should().Be(1);

        // Polls after 1, 2, 4, 8, 10 and 10 s of waiting: 35 s is the first sum at or past the 30 s bound.
        immich.UpdatedAfterSearches.Should().Be(6);
        result.StillWrong.Should().BeEmpty();
    }

    [Fact]
    public async Task Queues_an_earlier_run_left_paused_are_resumed_first_even_when_nothing_changes()
    {
        using var immich = new FakeLibrary();
        immich.State.SetQueuePaused(QueueNames.Sidecar, true);
        var marker = new InMemoryQueuePauseMarker();
        await marker.WriteAsync([QueueNames.Sidecar], CancellationToken.None);

        var result = await RunAsync(immich, options: new RunOptions { QueuePauseMarker = marker });

        result.RecoveredQueues.Should().Equal(QueueNames.Sidecar);
        immich.QueueCalls.Should().Equal((QueueNames.Sidecar, false));
        immich.State.IsQueuePaused(QueueNames.Sidecar).Should().BeFalse();
        (await marker.ReadAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_run_cancelled_mid_apply_resumes_the_queues_and_clears_its_marker()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");
        var marker = new InMemoryQueuePauseMarker();
        IReadOnlyList<string> markedWhilePaused = [];
        using var stop = new CancellationTokenSource();
        immich.Server.BeforeServe = op =>
        {
            if (op == "upsertTags")
            {
                // Stopped while the tag is being created: the tagging call that follows is never sent.
                markedWhilePaused = marker.ReadAsync(CancellationToken.None).Result;
                stop.Cancel();
            }
        };

        var result = await RunAsync(immich, options: new RunOptions { QueuePauseMarker = marker }, ct: stop.Token);

        result.Cancelled.Should().BeTrue();
        immich.CallsTo("bulkTagAssets").Should().Be(0);
        markedWhilePaused.Should().Equal(QueueNames.Sidecar, QueueNames.MetadataExtraction);
        new[] { QueueNames.Sidecar, QueueNames.MetadataExtraction }.Should().OnlyContain(q => !immich.State.IsQueuePaused(q));
        (await marker.ReadAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task Queues_an_admin_paused_are_neither_paused_nor_resumed_by_the_run()
    {
        using var immich = new FakeLibrary();
        immich.State.SetQueuePaused(QueueNames.MetadataExtraction, true);
        immich.AddAsset("a.jpg");

        var result = await RunAsync(immich);

        result.WriteMode.Should().Be(WriteMode.PausedQueues);
        immich.QueueCalls.Should().Equal((QueueNames.Sidecar, true), (QueueNames.Sidecar, false));
        immich.State.IsQueuePaused(QueueNames.MetadataExtraction).Should().BeTrue();
    }
}
