using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.TestKit;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>A stop request (Ctrl-C, SIGTERM, daemon shutdown) finishes the write in flight and starts no other.</summary>
public sealed class CancellationTests
{
    [Fact]
    public async Task A_stop_during_a_bulk_write_finishes_that_chunk_and_starts_no_other()
    {
        // Given: an unknown asset and a conflicting one need different tag sets, so two tagging calls.
        using var immich = new FakeLibrary();
        var unknown = immich.AddAsset("unknown.jpg");
        var conflict = immich.AddAsset("conflict.jpg");
        immich.AddAlbum("2019-07 Beach", conflict);
        immich.AddAlbum("2020-01 Ski", conflict);
        using var stop = new CancellationTokenSource();
        immich.Server.BeforeServe = op =>
        {
            if (op == "bulkTagAssets")
            {
                stop.Cancel();
            }
        };

        // When
        var result = await CreateEngine(immich).RunAsync(TestConfig(), new RunOptions(), stop.Token);

        // Then: the first chunk is applied and reported, the second never sent.
        result.Cancelled.Should().BeTrue();
        immich.CallsTo("bulkTagAssets").Should().Be(1);
        var tagged = immich.TagPathsOf(unknown).Concat(immich.TagPathsOf(conflict)).ToList();
        tagged.Should().ContainSingle();
        result.AppliedChanges.Should().ContainSingle().Which.TagName.Should().Be(tagged[0]);
        result.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_stop_before_the_apply_phase_sends_no_write()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        var act = () => CreateEngine(immich).RunAsync(TestConfig(), new RunOptions(), stop.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        immich.WriteCalls.Should().Be(0);
    }

    [Fact]
    public async Task A_stop_after_the_tags_are_created_sends_no_tagging_call()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        using var stop = new CancellationTokenSource();
        immich.Server.BeforeServe = op =>
        {
            if (op == "upsertTags")
            {
                stop.Cancel();
            }
        };

        var result = await CreateEngine(immich).RunAsync(TestConfig(), new RunOptions(), stop.Token);

        result.Cancelled.Should().BeTrue();
        immich.CallsTo("upsertTags").Should().Be(1);
        immich.CallsTo("bulkTagAssets").Should().Be(0);
        immich.TagPathsOf(asset).Should().BeEmpty();
        result.AppliedChanges.Should().BeEmpty();
    }
}
