using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Booru;

public sealed class IqdbAndAscii2dClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Iqdb_finds_the_best_match_and_paces_its_searches()
    {
        var library = new IllustrationLibrary();
        var hit = library.Add(iqdb: 96);
        var weak = library.Add(iqdb: 62);
        var unknown = library.Add();
        var clock = new VirtualClock(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock);

        var best = await host.Iqdb.SearchAsync(hit.Upload, "t.jpg", CancellationToken.None);
        var possible = await host.Iqdb.SearchAsync(weak.Upload, "t.jpg", CancellationToken.None);
        var miss = await host.Iqdb.SearchAsync(unknown.Upload, "t.jpg", CancellationToken.None);

        best.Matches[0].SimilarityPercent.Should().Be(96);
        best.Matches[0].DanbooruPostId.Should().Be(hit.Post!.Id);
        best.Quota.Should().BeNull();
        possible.Matches[0].SimilarityPercent.Should().Be(62);
        possible.Matches[0].DanbooruPostId.Should().Be(weak.Post!.Id);
        miss.Matches.Should().OnlyContain(m => m.DanbooruPostId == null && m.SimilarityPercent < 62);
        host.Fakes.Iqdb.SmallestGap.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(6), "IQDB gets one search every 6 s at most");
    }

    [Fact]
    public async Task Iqdb_error_pages_refuse_the_image()
    {
        var library = new IllustrationLibrary();
        var broken = library.Add(iqdbFixture: IqdbFixture.NotAnImage);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));

        (await host.Iqdb.SearchAsync(broken.Upload, "t.jpg", CancellationToken.None).FailsWith(BooruFailure.ImageRefused)).Message.Should().Contain("Not an image");
        (await host.Iqdb.SearchAsync(new byte[(8 * 1024 * 1024) + 1], "big.jpg", CancellationToken.None).FailsWith(BooruFailure.ImageRefused)).Message.Should().Contain("too large");
        host.Fakes.Iqdb.Faults.Fail("iqdb.search", 503, times: null);
        await host.Iqdb.SearchAsync(broken.Upload, "t.jpg", CancellationToken.None).FailsWith(BooruFailure.Unavailable);
    }

    [Fact]
    public async Task Ascii2d_follows_the_redirect_and_gives_unscored_candidates()
    {
        var library = new IllustrationLibrary();
        var listed = library.Add(ascii2d: true);
        var unknown = library.Add();
        await using var fakes = await BooruFakes.StartAsync(library, new VirtualClock(Start), listen: false);
        await using var services = new ServiceCollection().AddBooruClients(fakes.ClientOptions()).BuildServiceProvider();
        var ascii2d = services.GetServices<IReverseImageSearch>().Single(s => s.Source == BooruSource.Ascii2d);

        var found = await ascii2d.SearchAsync(listed.Upload, "t.jpg", CancellationToken.None);
        var none = await ascii2d.SearchAsync(unknown.Upload, "t.jpg", CancellationToken.None);

        found.Matches.Should().ContainSingle().Which.SimilarityPercent.Should().BeNull();
        found.Matches[0].Urls.Should().Contain(u => u.Host == "www.pixiv.net");
        none.Matches.Should().BeEmpty();
        fakes.Ascii2d.Requests.All.Select(r => r.OperationId).Should().Equal("ascii2d.upload", "ascii2d.color", "ascii2d.upload", "ascii2d.color");
    }
}
