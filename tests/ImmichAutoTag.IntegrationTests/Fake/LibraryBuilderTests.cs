using System.Text.Json;
using System.Text.RegularExpressions;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Fake;

public sealed class LibraryBuilderTests
{
    private static (FakeImmichState State, FakeUser Owner, FakeUser Partner) NewState()
    {
        var state = new FakeImmichState();
        return (state, state.AddUser("Owner", "owner@example.com"), state.AddUser("Partner", "partner@example.com"));
    }

    private static LibrarySummary BuildTypical(FakeImmichState state, Guid owner, Guid partner, int assets, int seed = 42) =>
        new LibraryBuilder(state, owner, seed)
            .WithAssets(assets)
            .WithAlbumShare(0.4)
            .WithClassificationTags(0.1, "Auto/Beach", "Auto/Dog")
            .WithAssetsInTwoAlbums(20)
            .WithDuplicateGroups(30, 3)
            .WithPartnerAssets(partner, 50)
            .WithTrashedAssets(40)
            .Build();

    [Fact]
    public void Builds_100k_assets_with_the_requested_categories()
    {
        var (state, owner, partner) = NewState();
        var summary = BuildTypical(state, owner.Id, partner.Id, 100_000);

        summary.AssetIds.Should().HaveCount(100_000);
        state.Assets.Should().HaveCount(100_050);
        summary.AlbumIds.Should().HaveCount(500, "about 0.5 % of the asset count");
        summary.AssetsInAlbums.Should().HaveCount(40_000);
        summary.AssetsInTwoAlbums.Should().HaveCount(20);
        summary.DuplicateGroupIds.Should().HaveCount(30);
        summary.DuplicateAssetIds.Should().HaveCount(90);
        summary.TrashedAssetIds.Should().HaveCount(40);
        summary.PartnerAssetIds.Should().HaveCount(50);
        summary.TaggedAssets.Values.Sum(v => v.Count).Should().Be(10_000);
    }

    [Fact]
    public void Same_seed_gives_the_same_library_and_another_seed_a_different_one()
    {
        var (s1, o1, p1) = NewState();
        var (s2, o2, p2) = NewState();
        var (s3, o3, p3) = NewState();
        var a = BuildTypical(s1, o1.Id, p1.Id, 2000);
        var b = BuildTypical(s2, o2.Id, p2.Id, 2000);
        var c = BuildTypical(s3, o3.Id, p3.Id, 2000, seed: 7);

        b.AssetIds.Should().Equal(a.AssetIds);
        b.AssetsInTwoAlbums.Should().Equal(a.AssetsInTwoAlbums);
        s2.Albums.Select(x => x.Name).Order().Should().Equal(s1.Albums.Select(x => x.Name).Order());
        c.AssetIds.Should().NotIntersectWith(a.AssetIds);
    }

    [Fact]
    public void Tags_outside_albums_never_land_on_album_members_duplicates_or_trash()
    {
        var (state, owner, _) = NewState();

        var summary = new LibraryBuilder(state, owner.Id)
            .WithAssets(2000)
            .WithAlbumShare(0.75)
            .WithClassificationTagsOutsideAlbums(0.10, "screenshot", "meme")
            .WithDuplicateGroups(20, 2)
            .WithTrashedAssets(10)
            .Build();

        var tagged = summary.TaggedAssets.Values.SelectMany(ids => ids).ToList();
        tagged.Should().HaveCount(200).And.OnlyHaveUniqueItems();
        tagged.Should().NotIntersectWith(summary.AssetsInAlbums)
            .And.NotIntersectWith(summary.DuplicateAssetIds)
            .And.NotIntersectWith(summary.TrashedAssetIds);
        summary.TaggedAssets.Keys.Should().BeEquivalentTo("screenshot", "meme");
    }

    [Fact]
    public void Albums_are_date_named_events_and_categories_do_not_overlap()
    {
        var (state, owner, partner) = NewState();
        var summary = BuildTypical(state, owner.Id, partner.Id, 4000);
        var assets = state.Assets.ToDictionary(x => x.Id);

        var twice = summary.AssetsInTwoAlbums.ToHashSet();
        foreach (var album in state.Albums)
        {
            var match = Regex.Match(album.Name, @"^(\d{4}-\d{2}-\d{2}) \S");
            match.Success.Should().BeTrue(album.Name);
            var members = state.AlbumAssetIds(album.Id);
            var days = members.Select(id => assets[id].FileCreatedAt.ToString("yyyy-MM-dd")).ToHashSet();
            days.Should().Contain(match.Groups[1].Value, "the album is named after the day its event starts");
            var ownRun = members.Where(id => !twice.Contains(id)).Select(id => assets[id].FileCreatedAt).ToList();
            if (ownRun.Count > 0)
            {
                ownRun.Min().ToString("yyyy-MM-dd").Should().BeOneOf([match.Groups[1].Value], album.Name);
            }
        }

        var inAlbums = summary.AssetsInAlbums.ToHashSet();
        summary.DuplicateAssetIds.Should().NotIntersectWith(inAlbums);
        summary.TrashedAssetIds.Should().NotIntersectWith(inAlbums).And.NotIntersectWith(summary.DuplicateAssetIds);
        summary.AssetsInTwoAlbums.Should().OnlyContain(id => state.Albums.Count(al => state.AlbumAssetIds(al.Id).Contains(id)) == 2);
        summary.TrashedAssetIds.Should().OnlyContain(id => assets[id].IsTrashed);
        summary.PartnerAssetIds.Should().OnlyContain(id => assets[id].OwnerId == partner.Id);
        foreach (var (path, ids) in summary.TaggedAssets)
        {
            var tag = state.FindTag(path)!;
            ids.Should().OnlyContain(id => state.DirectTagIdsOf(id).Contains(tag.Id));
        }
    }

    [Fact]
    public async Task Paging_a_100k_library_through_the_fake_returns_every_searchable_asset_once()
    {
        await using var server = await FakeImmichServer.StartAsync();
        var owner = server.State.AddUser("Owner", "owner@example.com");
        var partner = server.State.AddUser("Partner", "partner@example.com");
        var summary = BuildTypical(server.State, owner.Id, partner.Id, 100_000);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl, "api/") };
        http.DefaultRequestHeaders.Add("x-api-key", server.State.AddApiKey(owner.Id, "all"));

        var seen = new HashSet<Guid>();
        string? next = "1";
        while (next is not null)
        {
            using var response = await http.PostAsync("search/metadata",
                new StringContent($$"""{"page":{{next}},"size":1000}""", System.Text.Encoding.UTF8, "application/json"));
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            var assets = doc.RootElement.GetProperty("assets");
            foreach (var item in assets.GetProperty("items").EnumerateArray())
            {
                seen.Add(item.GetProperty("id").GetGuid()).Should().BeTrue("no asset appears on two pages");
            }

            next = assets.GetProperty("nextPage").GetString();
        }

        seen.Should().HaveCount(summary.SearchableOwnAssetCount + summary.PartnerAssetIds.Count);
    }
}
