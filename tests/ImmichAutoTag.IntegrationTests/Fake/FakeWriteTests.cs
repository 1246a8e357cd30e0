using System.Text.Json;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Fake;

public sealed class FakeWriteTests : FakeServerTest
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    protected override FakeImmichOptions Options => new() { Clock = _clock };

    [Fact]
    public async Task Asset_info_lists_only_directly_attached_tags()
    {
        var child = Server.State.UpsertTag("p/c");
        var asset = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        Server.State.TagAsset(child.Id, asset.Id);

        var json = await JsonAsync(HttpMethod.Get, $"assets/{asset.Id}");
        var tags = json.GetProperty("tags").EnumerateArray().ToList();
        tags.Should().ContainSingle();
        tags[0].GetProperty("name").GetString().Should().Be("c");
        tags[0].GetProperty("value").GetString().Should().Be("p/c");
        tags[0].GetProperty("parentId").GetGuid().Should().Be(Server.State.FindTag("p")!.Id);
    }

    [Fact]
    public async Task Asset_info_rejects_a_bad_uuid_and_hides_unknown_or_foreign_assets()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, "assets/not-a-uuid");
        status.Should().Be(400);
        body.Should().Contain("id must be a UUID");

        var stranger = Server.State.AddUser("Eve", "eve@example.com");
        var foreign = Server.State.AddAsset(stranger.Id, "x.jpg", Day0);
        foreach (var id in new[] { Guid.NewGuid(), foreign.Id })
        {
            (status, body, _) = await SendAsync(HttpMethod.Get, $"assets/{id}");
            status.Should().Be(400);
            JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()
                .Should().Be("Not found or no asset.read access");
        }
    }

    [Fact]
    public async Task Upsert_creates_parents_and_is_idempotent()
    {
        var first = await JsonAsync(HttpMethod.Put, "tags", new { tags = new[] { "A/B/C", "D" } });
        var second = await JsonAsync(HttpMethod.Put, "tags", new { tags = new[] { "A/B/C" } });

        first.GetArrayLength().Should().Be(2, "only the leaves are returned");
        first[0].GetProperty("value").GetString().Should().Be("A/B/C");
        second[0].GetProperty("id").GetGuid().Should().Be(first[0].GetProperty("id").GetGuid());
        var all = await JsonAsync(HttpMethod.Get, "tags");
        all.EnumerateArray().Select(t => t.GetProperty("value").GetString()).Should().BeEquivalentTo(["A", "A/B", "A/B/C", "D"]);
    }

    [Fact]
    public async Task Bulk_tagging_counts_only_new_links_and_its_write_back_bumps_updatedAt()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        var t1 = Server.State.UpsertTag("t1");
        var t2 = Server.State.UpsertTag("t2");
        Server.State.TagAsset(t1.Id, a.Id);
        var before = a.UpdatedAt;
        _clock.Advance(TimeSpan.FromSeconds(5));

        var body = new { tagIds = new[] { t1.Id, t2.Id }, assetIds = new[] { a.Id, b.Id } };
        (await JsonAsync(HttpMethod.Put, "tags/assets", body)).GetProperty("count").GetInt32().Should().Be(3);
        (await JsonAsync(HttpMethod.Put, "tags/assets", body)).GetProperty("count").GetInt32().Should().Be(0);

        // As on a real 3.1 server, the tag call leaves updatedAt alone; the sidecar write-back job moves it when it lands.
        a.UpdatedAt.Should().Be(before);
        _clock.Advance(Server.State.SidecarDelay);
        Server.State.PendingWriteBacks.Should().Be(0);
        a.UpdatedAt.Should().Be(before + TimeSpan.FromSeconds(5) + Server.State.SidecarDelay);
        Server.State.DirectTagIdsOf(b.Id).Should().BeEquivalentTo([t1.Id, t2.Id]);
    }

    [Fact]
    public async Task Tag_and_untag_report_per_id_results()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        var tag = Server.State.UpsertTag("t");
        Server.State.TagAsset(tag.Id, a.Id);

        var added = await JsonAsync(HttpMethod.Put, $"tags/{tag.Id}/assets", new { ids = new[] { a.Id, b.Id } });
        Results(added).Should().Equal((a.Id, false, "duplicate"), (b.Id, true, null));
        var removed = await JsonAsync(HttpMethod.Delete, $"tags/{tag.Id}/assets", new { ids = new[] { a.Id, a.Id } });
        Results(removed).Should().Equal((a.Id, true, null), (a.Id, false, "not_found"));
        Server.State.DirectTagIdsOf(a.Id).Should().BeEmpty();
    }

    [Fact]
    public async Task Deleting_a_parent_tag_removes_the_subtree_and_its_links()
    {
        var child = Server.State.UpsertTag("p/c/d");
        var keep = Server.State.UpsertTag("q");
        var asset = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        Server.State.TagAsset(child.Id, asset.Id);
        Server.State.TagAsset(keep.Id, asset.Id);

        (await SendAsync(HttpMethod.Delete, $"tags/{Server.State.FindTag("p")!.Id}")).Status.Should().Be(204);

        Server.State.Tags.Select(t => t.Value).Should().Equal("q");
        Server.State.DirectTagIdsOf(asset.Id).Should().Equal(keep.Id);
        (await SendAsync(HttpMethod.Delete, $"tags/{child.Id}")).Status.Should().Be(400);
    }

    [Fact]
    public async Task Date_update_moves_the_instant_keeps_the_wall_clock_and_bumps_updatedAt()
    {
        var asset = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        _clock.Advance(TimeSpan.FromMinutes(3));

        (await SendAsync(HttpMethod.Put, "assets", new { ids = new[] { asset.Id }, dateTimeOriginal = "2018-01-01T00:00:00-05:00" }))
            .Status.Should().Be(204);

        var json = await JsonAsync(HttpMethod.Get, $"assets/{asset.Id}");
        json.GetProperty("fileCreatedAt").GetString().Should().Be("2018-01-01T05:00:00.000Z");
        json.GetProperty("localDateTime").GetString().Should().Be("2018-01-01T00:00:00.000Z");
        json.GetProperty("updatedAt").GetDateTimeOffset().Should().Be(_clock.GetUtcNow());
        asset.TimeZone.Should().Be("UTC-5");
        json.GetProperty("exifInfo").GetProperty("timeZone").GetString().Should().Be("UTC-5");
        json.GetProperty("exifInfo").GetProperty("dateTimeOriginal").GetDateTimeOffset()
            .Should().Be(new DateTimeOffset(2018, 1, 1, 5, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Bulk_update_sets_and_clears_duplicateId_and_refuses_foreign_assets()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var group = Guid.NewGuid();
        await JsonAsync(HttpMethod.Put, "assets", new { ids = new[] { a.Id }, duplicateId = group, description = "d" }, expected: 204);
        a.DuplicateId.Should().Be(group);
        a.Description.Should().Be("d");
        await JsonAsync(HttpMethod.Put, "assets", new { ids = new[] { a.Id }, duplicateId = (Guid?)null }, expected: 204);
        a.DuplicateId.Should().BeNull();

        var bob = Server.State.AddUser("Bob", "bob@example.com");
        Server.State.AddPartner(User.Id, bob.Id);
        var bobs = Server.State.AddAsset(bob.Id, "b.jpg", Day0);
        var (status, body, _) = await SendAsync(HttpMethod.Put, "assets", new { ids = new[] { bobs.Id }, isFavorite = true });
        status.Should().Be(400);
        body.Should().Contain("Not found or no asset.update access");
        bobs.IsFavorite.Should().BeFalse();
    }

    [Fact]
    public async Task Albums_list_only_own_or_shared_and_filter_by_asset()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com");
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var mine = Server.State.AddAlbum(User.Id, "2020-01-01 Mine", [a.Id]);
        var empty = Server.State.AddAlbum(User.Id, "Empty");
        var shared = Server.State.AddAlbum(bob.Id, "Bob shares");
        Server.State.ShareAlbum(shared.Id, User.Id);
        Server.State.AddAlbum(bob.Id, "Bob private");

        var all = await JsonAsync(HttpMethod.Get, "albums");
        all.EnumerateArray().Select(x => x.GetProperty("id").GetGuid()).Should().BeEquivalentTo([mine.Id, empty.Id, shared.Id]);
        var withAsset = await JsonAsync(HttpMethod.Get, $"albums?assetId={a.Id}");
        withAsset.EnumerateArray().Select(x => x.GetProperty("id").GetGuid()).Should().Equal(mine.Id);

        var info = await JsonAsync(HttpMethod.Get, $"albums/{shared.Id}");
        info.TryGetProperty("assets", out _).Should().BeFalse("3.x albums carry no assets");
        info.GetProperty("albumUsers")[0].GetProperty("role").GetString().Should().Be("owner");
        info.GetProperty("albumUsers")[0].GetProperty("user").GetProperty("id").GetGuid().Should().Be(bob.Id);
        info.GetProperty("albumUsers")[1].GetProperty("user").GetProperty("id").GetGuid().Should().Be(User.Id);
        (await JsonAsync(HttpMethod.Get, $"albums/{mine.Id}")).GetProperty("assetCount").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Album_membership_changes_report_duplicate_and_not_found()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        var created = await JsonAsync(HttpMethod.Post, "albums", new { albumName = "2020-01-01 X", assetIds = new[] { a.Id } }, expected: 201);
        var albumId = created.GetProperty("id").GetGuid();

        var added = await JsonAsync(HttpMethod.Put, $"albums/{albumId}/assets", new { ids = new[] { a.Id, b.Id, Guid.NewGuid() } });
        Results(added).Take(2).Should().Equal((a.Id, false, "duplicate"), (b.Id, true, null));
        Results(added)[2].Error.Should().Be("no_permission");
        var removed = await JsonAsync(HttpMethod.Delete, $"albums/{albumId}/assets", new { ids = new[] { b.Id, b.Id } });
        Results(removed).Should().Equal((b.Id, true, null), (b.Id, false, "not_found"));
        Server.State.AlbumAssetIds(albumId).Should().Equal(a.Id);
    }

    [Fact]
    public async Task Duplicates_list_groups_of_two_or_more_live_assets()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        var c = Server.State.AddAsset(User.Id, "c.jpg", Day0);
        var d = Server.State.AddAsset(User.Id, "d.jpg", Day0);
        var live = Server.State.AddDuplicateGroup([a.Id, b.Id]);
        Server.State.AddDuplicateGroup([c.Id, d.Id]);
        Server.State.TrashAsset(d.Id);

        var json = await JsonAsync(HttpMethod.Get, "duplicates");
        json.GetArrayLength().Should().Be(1);
        json[0].GetProperty("duplicateId").GetGuid().Should().Be(live);
        json[0].GetProperty("assets").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()).Should().BeEquivalentTo([a.Id, b.Id]);
        json[0].GetProperty("suggestedKeepAssetIds").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task Thumbnail_and_preview_have_image_content_types()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        (await SendAsync(HttpMethod.Get, $"assets/{a.Id}/thumbnail")).ContentType!.MediaType.Should().Be("image/webp");
        (await SendAsync(HttpMethod.Get, $"assets/{a.Id}/thumbnail?size=thumbnail")).ContentType!.MediaType.Should().Be("image/webp");
        (await SendAsync(HttpMethod.Get, $"assets/{a.Id}/thumbnail?size=preview")).ContentType!.MediaType.Should().Be("image/jpeg");
        (await SendAsync(HttpMethod.Get, $"assets/{a.Id}/thumbnail?size=huge")).Status.Should().Be(400);
    }

    [Fact]
    public async Task Identity_endpoints_describe_the_key_and_its_user()
    {
        var key = Server.State.AddApiKey(User.Id, "asset.read", "user.read");
        using var client = NewClient(key);
        var (_, me, _) = await SendAsync(client, HttpMethod.Get, "users/me");
        JsonDocument.Parse(me).RootElement.GetProperty("id").GetGuid().Should().Be(User.Id);
        var (_, apiKey, _) = await SendAsync(client, HttpMethod.Get, "api-keys/me");
        JsonDocument.Parse(apiKey).RootElement.GetProperty("permissions").EnumerateArray().Select(p => p.GetString())
            .Should().Equal("asset.read", "user.read");
        var version = await JsonAsync(HttpMethod.Get, "server/version");
        (version.GetProperty("major").GetInt32(), version.GetProperty("minor").GetInt32()).Should().Be((3, 1));
    }

    private static List<(Guid Id, bool Success, string? Error)> Results(JsonElement array) =>
        array.EnumerateArray().Select(r => (
            r.GetProperty("id").GetGuid(),
            r.GetProperty("success").GetBoolean(),
            r.TryGetProperty("error", out var e) ? e.GetString() : null)).ToList();
}
