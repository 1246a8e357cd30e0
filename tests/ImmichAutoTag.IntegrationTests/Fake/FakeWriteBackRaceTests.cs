using System.Text.Json;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>
/// The fake's model of Immich's sidecar write-back race, driven over HTTP on a hand-moved clock, checked
/// against what was measured on a real 3.1 server (shared/reference/immich-api.md).
/// </summary>
public sealed class FakeWriteBackRaceTests : FakeServerTest
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    protected override FakeImmichOptions Options => new() { Clock = _clock, SidecarDelay = Delay };

    private (FakeAsset Asset, FakeTag A, FakeTag B) Seed()
    {
        var asset = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        return (asset, Server.State.UpsertTag("a"), Server.State.UpsertTag("b"));
    }

    private Task<JsonElement> TagAsync(FakeTag tag, FakeAsset asset) =>
        JsonAsync(HttpMethod.Put, "tags/assets", new { tagIds = new[] { tag.Id }, assetIds = new[] { asset.Id } });

    [Fact]
    public async Task A_second_change_inside_the_write_back_window_is_reverted_when_it_lands()
    {
        var (asset, a, b) = Seed();

        await TagAsync(a, asset);
        await TagAsync(b, asset);
        Server.State.DirectTagIdsOf(asset.Id).Should().BeEquivalentTo([a.Id, b.Id], "the write-back has not landed yet");

        _clock.Advance(Delay);

        Server.State.DirectTagIdsOf(asset.Id).Should().Equal([a.Id], "the re-read restores the sidecar as of the first change");
        Server.State.RevertedWriteBacks.Should().Be(1);
    }

    [Fact]
    public async Task A_removal_inside_the_window_comes_back_and_a_change_after_the_window_sticks()
    {
        var (asset, a, b) = Seed();

        await TagAsync(a, asset);
        await JsonAsync(HttpMethod.Delete, $"tags/{a.Id}/assets", new { ids = new[] { asset.Id } });
        _clock.Advance(Delay);
        Server.State.DirectTagIdsOf(asset.Id).Should().Equal([a.Id]);

        await TagAsync(b, asset);
        _clock.Advance(Delay);
        Server.State.DirectTagIdsOf(asset.Id).Should().BeEquivalentTo([a.Id, b.Id]);
    }

    [Fact]
    public async Task One_bulk_call_with_several_tags_is_one_change()
    {
        var (asset, a, b) = Seed();

        await JsonAsync(HttpMethod.Put, "tags/assets", new { tagIds = new[] { a.Id, b.Id }, assetIds = new[] { asset.Id } });
        _clock.Advance(Delay);

        Server.State.DirectTagIdsOf(asset.Id).Should().BeEquivalentTo([a.Id, b.Id]);
        Server.State.RevertedWriteBacks.Should().Be(0);
    }

    [Fact]
    public async Task Paused_queues_hold_the_write_back_until_resumed_and_then_keep_the_final_state()
    {
        var (asset, a, b) = Seed();
        await JsonAsync(HttpMethod.Put, "queues/sidecar", new { isPaused = true });
        await JsonAsync(HttpMethod.Put, "queues/metadataExtraction", new { isPaused = true });

        await TagAsync(a, asset);
        await TagAsync(b, asset);
        await JsonAsync(HttpMethod.Delete, $"tags/{a.Id}/assets", new { ids = new[] { asset.Id } });
        _clock.Advance(Delay * 10);
        var queues = await JsonAsync(HttpMethod.Get, "queues");
        var sidecar = queues.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "sidecar");
        sidecar.GetProperty("isPaused").GetBoolean().Should().BeTrue();
        sidecar.GetProperty("statistics").GetProperty("waiting").GetInt32().Should().Be(1, "one held write-back for the asset");

        await JsonAsync(HttpMethod.Put, "queues/sidecar", new { isPaused = false });
        await JsonAsync(HttpMethod.Put, "queues/metadataExtraction", new { isPaused = false });
        _clock.Advance(Delay * 10);

        Server.State.DirectTagIdsOf(asset.Id).Should().Equal([b.Id]);
        Server.State.PendingWriteBacks.Should().Be(0);
        Server.State.RevertedWriteBacks.Should().Be(0);
    }

    [Fact]
    public async Task Queues_report_running_write_backs_as_active_until_they_land()
    {
        var (asset, a, _) = Seed();
        await TagAsync(a, asset);

        var busy = await JsonAsync(HttpMethod.Get, "queues");
        _clock.Advance(Delay);
        var idle = await JsonAsync(HttpMethod.Get, "queues");

        Stats(busy, "sidecar").GetProperty("active").GetInt32().Should().Be(1);
        Stats(idle, "sidecar").GetProperty("active").GetInt32().Should().Be(0);
        idle.GetArrayLength().Should().Be(19, "Immich lists every queue");
    }

    [Fact]
    public async Task Queue_routes_need_their_permissions_and_a_known_name()
    {
        using var reader = NewClient(Server.State.AddApiKey(User.Id, "queue.read"));

        (await SendAsync(reader, HttpMethod.Get, "queues")).Status.Should().Be(200);
        (await SendAsync(reader, HttpMethod.Put, "queues/sidecar", new { isPaused = true })).Status.Should().Be(403);
        var (status, body, _) = await SendAsync(HttpMethod.Put, "queues/nope", new { isPaused = true });
        status.Should().Be(400);
        body.Should().Contain("name must be one of");
        Server.State.IsQueuePaused("sidecar").Should().BeFalse();
    }

    [Fact]
    public async Task With_the_race_switched_off_every_change_sticks()
    {
        var (asset, a, b) = Seed();
        Server.State.SidecarRace = false;

        await TagAsync(a, asset);
        await TagAsync(b, asset);
        _clock.Advance(Delay);

        Server.State.DirectTagIdsOf(asset.Id).Should().BeEquivalentTo([a.Id, b.Id]);
    }

    private static JsonElement Stats(JsonElement queues, string name) =>
        queues.EnumerateArray().Single(q => q.GetProperty("name").GetString() == name).GetProperty("statistics");
}
