using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Gateway;

/// <summary>
/// The ids-only search the membership reads use must see what the full search sees: the same ids, in the same
/// pages and order, with the same requests.
/// </summary>
public sealed class SearchAssetIdsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private FakeImmichServer _server = null!;
    private string _key = null!;
    private Guid _albumId;
    private Guid _parentTagId;
    private Guid _childTagId;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        var state = _server.State;
        var user = state.AddUser("Alice", "alice@example.com").Id;
        _key = state.AddApiKey(user, "all");
        var parent = state.UpsertTag("event");
        var child = state.UpsertTag("event/beach");
        (_parentTagId, _childTagId) = (parent.Id, child.Id);
        var albumMembers = new List<Guid>();
        for (var i = 0; i < 2300; i++)
        {
            // Several assets share a capture time, so the order also depends on the id.
            var asset = state.AddAsset(user, $"IMG_{i:D5}.jpg", T0.AddMinutes(i / 3));
            if (i % 2 == 0)
            {
                albumMembers.Add(asset.Id);
            }

            if (i % 5 == 0)
            {
                state.TagAsset(parent.Id, asset.Id);
            }

            if (i % 7 == 0)
            {
                state.TagAsset(child.Id, asset.Id);
            }

            if (i % 97 == 0)
            {
                state.TrashAsset(asset.Id);
            }
        }

        state.AddLivePhoto(user, "IMG_LIVE.HEIC", T0.AddDays(1));
        _albumId = state.AddAlbum(user, "2019-07-04 Beach", albumMembers).Id;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, int> Queries() => new()
    {
        { "all", 1000 }, { "all", 7 }, { "album", 1000 }, { "album", 13 }, { "tag", 1000 }, { "child tag", 250 }, { "empty", 1000 },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Ids_only_search_reads_the_same_ids_pages_and_requests_as_the_full_search(string name, int pageSize)
    {
        var query = name switch
        {
            "all" => AssetQuery.All,
            "album" => new AssetQuery { AlbumIds = [_albumId] },
            "tag" => new AssetQuery { TagIds = [_parentTagId] },
            "child tag" => new AssetQuery { TagIds = [_childTagId] },
            _ => new AssetQuery { AlbumIds = [Guid.NewGuid()] },
        } with { PageSize = pageSize };
        using var gateway = _server.ConnectInProcess(_key);

        var before = _server.Requests.Count("searchAssets");
        var full = new List<List<Guid>>();
        await foreach (var page in gateway.SearchAssetsAsync(query, CancellationToken.None))
        {
            page.Unreadable.Should().BeEmpty();
            full.Add(page.Select(a => a.Id).ToList());
        }

        var fullRequests = _server.Requests.Count("searchAssets") - before;
        var idsOnly = new List<List<Guid>>();
        await foreach (var page in gateway.SearchAssetIdsAsync(query, CancellationToken.None))
        {
            idsOnly.Add([.. page]);
        }

        var idRequests = _server.Requests.Count("searchAssets") - before - fullRequests;
        if (name != "empty")
        {
            full.Should().NotBeEmpty();
        }

        idsOnly.Should().HaveSameCount(full);
        for (var i = 0; i < full.Count; i++)
        {
            idsOnly[i].Should().Equal(full[i], $"page {i + 1}");
        }

        idRequests.Should().Be(fullRequests);
    }
}
