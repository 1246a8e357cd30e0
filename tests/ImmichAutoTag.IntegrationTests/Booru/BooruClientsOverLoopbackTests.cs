using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;

namespace ImmichAutoTag.IntegrationTests.Booru;

/// <summary>The booru clients over real sockets against the fakes on 127.0.0.1 (the in-process transport is covered by the unit tests).</summary>
public sealed class BooruClientsOverLoopbackTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_source_answers_over_http_with_the_real_shapes()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(originalOnDanbooru: true, sauceNao: 93.5, sauceNaoLink: SauceNaoLink.PostShowUrl, iqdb: 91, ascii2d: true);
        await using var fakes = await BooruFakes.StartAsync(library, new VirtualClock(Start), listen: true);
        fakes.Danbooru.BaseUrl.Host.Should().Be("127.0.0.1");
        await using var services = new ServiceCollection().AddBooruClients(fakes.ClientOptions()).BuildServiceProvider();

        var post = await services.GetRequiredService<IDanbooruClient>().GetPostByMd5Async(picture.OriginalMd5, CancellationToken.None);
        var answers = new Dictionary<BooruSource, ReverseSearchAnswer>();
        foreach (var search in services.GetServices<IReverseImageSearch>())
        {
            answers[search.Source] = await search.SearchAsync(picture.Upload, "thumbnail.webp", CancellationToken.None);
        }

        post!.Id.Should().Be(picture.Post!.Id);
        answers[BooruSource.SauceNao].Matches[0].DanbooruPostId.Should().Be(picture.Post.Id);
        answers[BooruSource.SauceNao].Quota.Should().Be(new SearchQuota(4, 3, 100, 99));
        answers[BooruSource.Iqdb].Matches[0].Should().Match<ReverseSearchMatch>(m => m.SimilarityPercent == 91 && m.DanbooruPostId == picture.Post.Id);
        answers[BooruSource.Ascii2d].Matches.Should().ContainSingle();
        fakes.Danbooru.Blocked.Should().Be(0, "the named User-Agent went over the wire");
        fakes.SauceNao.KeysInUrl.Should().Be(0);
    }

    [Fact]
    public async Task Connection_resets_and_server_errors_are_retried_over_sockets()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(originalOnDanbooru: true, sauceNao: 95);
        await using var fakes = await BooruFakes.StartAsync(library, new VirtualClock(Start), listen: true);
        await using var services = new ServiceCollection().AddBooruClients(fakes.ClientOptions()).BuildServiceProvider();
        fakes.Danbooru.Faults.Drop("danbooru.md5", times: 1);
        fakes.SauceNao.Faults.Fail("saucenao.search", 500, times: 2);

        (await services.GetRequiredService<IDanbooruClient>().GetPostByMd5Async(picture.OriginalMd5, CancellationToken.None)).Should().NotBeNull();
        (await services.GetRequiredService<SauceNaoClient>().SearchAsync(picture.Upload, "t.webp", CancellationToken.None)).Matches.Should().NotBeEmpty();

        fakes.Danbooru.Requests.All.Select(r => r.StatusCode).Should().Equal(0, 200);
        fakes.SauceNao.Requests.All.Select(r => r.StatusCode).Should().Equal(500, 500, 200);
        fakes.SauceNao.Searches.Should().Be(1, "failed attempts spend no quota");
    }
}
