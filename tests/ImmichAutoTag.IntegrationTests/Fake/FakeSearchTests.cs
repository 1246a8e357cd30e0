using System.Text.Json;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Fake;

public sealed class FakeSearchTests : FakeServerTest
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    protected override FakeImmichOptions Options => new() { Clock = _clock };

    private List<FakeAsset> AddDays(int count) =>
        Enumerable.Range(0, count).Select(i => Server.State.AddAsset(User.Id, $"IMG_{i:D4}.jpg", Day0.AddDays(i))).ToList();

    [Fact]
    public async Task Pages_in_ascending_order_with_string_nextPage_and_page_sized_total()
    {
        var assets = AddDays(5);
        var seen = new List<Guid>();
        var pages = new List<string?>();
        for (var page = 1; page <= 3; page++)
        {
            var json = await JsonAsync(HttpMethod.Post, "search/metadata", new { page, size = 2, order = "asc" });
            var a = json.GetProperty("assets");
            var items = a.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
            a.GetProperty("total").GetInt32().Should().Be(items.Count, "the real server reports the page length as total");
            a.GetProperty("count").GetInt32().Should().Be(items.Count);
            pages.Add(a.GetProperty("nextPage").ValueKind == JsonValueKind.Null ? null : a.GetProperty("nextPage").GetString());
            seen.AddRange(items);
        }

        seen.Should().Equal(assets.Select(x => x.Id));
        pages.Should().Equal("2", "3", null);
    }

    [Fact]
    public async Task Default_order_is_newest_first_and_ties_break_on_id()
    {
        var same = Enumerable.Range(0, 4).Select(i => Server.State.AddAsset(User.Id, $"S{i}.jpg", Day0)).ToList();
        var newest = Server.State.AddAsset(User.Id, "new.jpg", Day0.AddDays(3));

        var desc = await SearchIdsAsync(new { });
        var asc = await SearchIdsAsync(new { order = "asc" });

        desc[0].Should().Be(newest.Id);
        asc.Take(4).Should().Equal(same.Select(a => a.Id).OrderBy(id => id.ToString(), StringComparer.Ordinal));
        desc.Should().Equal(Enumerable.Reverse(asc));
    }

    [Fact]
    public async Task Default_page_size_is_250()
    {
        AddDays(251);
        var json = await JsonAsync(HttpMethod.Post, "search/metadata", new { });
        json.GetProperty("assets").GetProperty("items").GetArrayLength().Should().Be(250);
        json.GetProperty("assets").GetProperty("nextPage").GetString().Should().Be("2");
    }

    [Theory]
    [InlineData(1001, 1, "size must not be greater than 1000")]
    [InlineData(0, 1, "size must not be less than 1")]
    [InlineData(10, 0, "page must not be less than 1")]
    public async Task Out_of_range_paging_is_a_validation_error(int size, int page, string message)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "search/metadata", new { size, page });
        status.Should().Be(400);
        using var doc = JsonDocument.Parse(body);
        doc.RootElement.GetProperty("error").GetString().Should().Be("Bad Request");
        doc.RootElement.GetProperty("statusCode").GetInt32().Should().Be(400);
        doc.RootElement.GetProperty("message").EnumerateArray().Select(m => m.GetString()).Should().Contain(message);
    }

    [Fact]
    public async Task Size_1000_is_accepted()
    {
        AddDays(3);
        (await SearchIdsAsync(new { size = 1000 })).Should().HaveCount(3);
    }

    [Fact]
    public async Task Tag_filter_matches_descendants_and_needs_every_given_tag()
    {
        var state = Server.State;
        var child = state.UpsertTag("p/c");
        var parent = state.FindTag("p")!;
        var other = state.UpsertTag("q");
        var a = state.AddAsset(User.Id, "a.jpg", Day0);
        var b = state.AddAsset(User.Id, "b.jpg", Day0.AddDays(1));
        state.AddAsset(User.Id, "untagged.jpg", Day0.AddDays(2));
        state.TagAsset(child.Id, a.Id);
        state.TagAsset(child.Id, b.Id);
        state.TagAsset(other.Id, b.Id);

        (await SearchIdsAsync(new { tagIds = new[] { parent.Id } })).Should().BeEquivalentTo([a.Id, b.Id]);
        (await SearchIdsAsync(new { tagIds = new[] { parent.Id, other.Id } })).Should().Equal(b.Id);
        (await SearchIdsAsync(new { tagIds = new[] { child.Id } })).Should().HaveCount(2);
    }

    [Fact]
    public async Task Album_filter_needs_every_given_album()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        var one = Server.State.AddAlbum(User.Id, "one", [a.Id, b.Id]);
        var two = Server.State.AddAlbum(User.Id, "two", [b.Id]);

        (await SearchIdsAsync(new { albumIds = new[] { one.Id } })).Should().BeEquivalentTo([a.Id, b.Id]);
        (await SearchIdsAsync(new { albumIds = new[] { one.Id, two.Id } })).Should().Equal(b.Id);
    }

    [Fact]
    public async Task Search_items_carry_no_tags_but_do_carry_duplicateId()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        Server.State.TagAsset(Server.State.UpsertTag("x").Id, a.Id);
        var group = Server.State.AddDuplicateGroup([a.Id, b.Id]);

        var json = await JsonAsync(HttpMethod.Post, "search/metadata", new { });
        foreach (var item in json.GetProperty("assets").GetProperty("items").EnumerateArray())
        {
            item.TryGetProperty("tags", out var tags).Should().BeFalse(tags.ToString());
            item.GetProperty("duplicateId").GetGuid().Should().Be(group);
        }
    }

    [Fact]
    public async Task Trashed_assets_need_withDeleted_and_locked_ones_never_show()
    {
        var kept = Server.State.AddAsset(User.Id, "kept.jpg", Day0);
        var trashed = Server.State.AddAsset(User.Id, "trashed.jpg", Day0);
        Server.State.AddAsset(User.Id, "locked.jpg", Day0, visibility: "locked");
        var archived = Server.State.AddAsset(User.Id, "archived.jpg", Day0, visibility: "archive");
        Server.State.TrashAsset(trashed.Id);

        (await SearchIdsAsync(new { })).Should().BeEquivalentTo([kept.Id, archived.Id]);
        (await SearchIdsAsync(new { withDeleted = true })).Should().BeEquivalentTo([kept.Id, archived.Id, trashed.Id]);
        (await SearchIdsAsync(new { visibility = "archive" })).Should().Equal(archived.Id);
        var stats = await JsonAsync(HttpMethod.Post, "search/statistics", new { });
        stats.GetProperty("total").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Partner_assets_are_included_with_their_own_owner()
    {
        var bob = Server.State.AddUser("Bob", "bob@example.com");
        var carol = Server.State.AddUser("Carol", "carol@example.com");
        Server.State.AddPartner(User.Id, bob.Id);
        var mine = Server.State.AddAsset(User.Id, "mine.jpg", Day0);
        var bobs = Server.State.AddAsset(bob.Id, "bobs.jpg", Day0);
        Server.State.AddAsset(carol.Id, "carols.jpg", Day0);

        var json = await JsonAsync(HttpMethod.Post, "search/metadata", new { });
        var owners = json.GetProperty("assets").GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("id").GetGuid(), i => i.GetProperty("ownerId").GetGuid());
        owners.Should().BeEquivalentTo(new Dictionary<Guid, Guid> { [mine.Id] = User.Id, [bobs.Id] = bob.Id });

        // Partnership is one-way: Bob does not see Alice's assets.
        using var bobClient = NewClient(Server.State.AddApiKey(bob.Id, "all"));
        var (_, bobBody, _) = await SendAsync(bobClient, HttpMethod.Post, "search/metadata", new { });
        bobBody.Should().Contain(bobs.Id.ToString()).And.NotContain(mine.Id.ToString());
    }

    [Fact]
    public async Task Attribute_filters_narrow_the_result()
    {
        var fav = Server.State.AddAsset(User.Id, "Holiday_Beach.JPG", Day0);
        var video = Server.State.AddAsset(User.Id, "clip.mp4", Day0.AddDays(10), type: "VIDEO");
        Server.State.AddAsset(User.Id, "other.jpg", Day0.AddDays(20));
        await JsonAsync(HttpMethod.Put, "assets", new { ids = new[] { fav.Id }, isFavorite = true }, expected: 204);

        (await SearchIdsAsync(new { originalFileName = "beach" })).Should().Equal(fav.Id);
        (await SearchIdsAsync(new { type = "VIDEO" })).Should().Equal(video.Id);
        (await SearchIdsAsync(new { isFavorite = true })).Should().Equal(fav.Id);
        (await SearchIdsAsync(new { id = video.Id })).Should().Equal(video.Id);
        (await SearchIdsAsync(new { checksum = video.Checksum })).Should().Equal(video.Id);
        (await SearchIdsAsync(new { takenAfter = Day0.AddDays(5), takenBefore = Day0.AddDays(15) })).Should().Equal(video.Id);
    }

    [Fact]
    public async Task UpdatedAfter_sees_only_assets_changed_since()
    {
        var a = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        var b = Server.State.AddAsset(User.Id, "b.jpg", Day0);
        _clock.Advance(TimeSpan.FromHours(1));
        var since = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var tag = Server.State.UpsertTag("t");
        await JsonAsync(HttpMethod.Put, "tags/assets", new { tagIds = new[] { tag.Id }, assetIds = new[] { b.Id } });
        (await SearchIdsAsync(new { updatedAfter = since })).Should().BeEmpty("the write-back job, not the tag call, moves updatedAt");
        _clock.Advance(Server.State.SidecarDelay);

        (await SearchIdsAsync(new { updatedAfter = since })).Should().Equal(b.Id);
        (await SearchIdsAsync(new { updatedBefore = since })).Should().Equal(a.Id);
    }
}
