using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Booru;

public sealed class SauceNaoClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(SauceNaoLink.DataIds)]
    [InlineData(SauceNaoLink.PostsUrl)]
    [InlineData(SauceNaoLink.PostShowUrl)]
    public async Task A_hit_names_the_danbooru_post_whichever_way_the_answer_says_it(SauceNaoLink link)
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 94.61, sauceNaoLink: link);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        var answer = await host.SauceNao.SearchAsync(picture.Upload, "thumbnail.webp", CancellationToken.None);

        var best = answer.Matches[0];
        best.SimilarityPercent.Should().Be(94.61);
        best.DanbooruPostId.Should().Be(picture.Post!.Id);
        best.Source.Should().Be(BooruSource.SauceNao);
        answer.Matches.Select(m => m.SimilarityPercent).Should().BeInDescendingOrder("the fake sends a lower Pixiv result first");
        answer.Matches.Skip(1).Should().OnlyContain(m => m.DanbooruPostId == null);
    }

    [Fact]
    public async Task A_gelbooru_only_result_names_the_gelbooru_post()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 92, sauceNaoLink: SauceNaoLink.GelbooruOnly);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        var best = (await host.SauceNao.SearchAsync(picture.Upload, "thumbnail.webp", CancellationToken.None)).Matches[0];

        best.DanbooruPostId.Should().BeNull();
        best.GelbooruPostId.Should().Be(picture.Post!.GelbooruId);
    }

    [Fact]
    public async Task An_unknown_picture_gets_only_low_similarity_results()
    {
        var library = new IllustrationLibrary();
        var unknown = library.Add();
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        var answer = await host.SauceNao.SearchAsync(unknown.Upload, "thumbnail.webp", CancellationToken.None);

        answer.Matches.Should().NotBeEmpty().And.OnlyContain(m => m.SimilarityPercent < 50 && m.DanbooruPostId == null);
    }

    [Fact]
    public async Task The_quota_is_learned_from_every_answer_and_sets_the_pace()
    {
        var library = new IllustrationLibrary();
        var a = library.Add(sauceNao: 95);
        var b = library.Add(sauceNao: 96);
        var clock = new FakeTimeProvider(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock, shortLimit: 6, longLimit: 200);
        host.SauceNao.LastQuota.Should().BeNull();

        var first = await host.SauceNao.SearchAsync(a.Upload, "a.webp", CancellationToken.None);

        first.Quota.Should().Be(new SearchQuota(6, 5, 200, 199));
        host.SauceNao.LastQuota.Should().Be(first.Quota);
        host.SauceNao.Pacer.Gap.Should().Be(TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(250), "30 s / short_limit 6, plus the margin");
        var second = host.SauceNao.SearchAsync(b.Upload, "b.webp", CancellationToken.None);
        second.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(5.25));
        (await second).Quota.Should().Be(new SearchQuota(6, 4, 200, 198), "both searches fall in one 30 s window");
    }

    [Fact]
    public async Task The_api_key_goes_as_a_form_field_never_in_the_url()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        await host.SauceNao.SearchAsync(picture.Upload, "thumbnail.webp", CancellationToken.None);

        host.Fakes.SauceNao.KeysInUrl.Should().Be(0);
        host.Fakes.SauceNao.SearchesBy(BooruFakes.SauceNaoKey).Should().Be(1, "the fake found the key in the form");
        host.Fakes.SauceNao.Requests.All.Should().OnlyContain(r => r.Path == "/search.php");
    }

    [Fact]
    public async Task A_429_for_the_short_window_is_short_window_exhausted_with_30_s()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        var clock = new FakeTimeProvider(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock, shortLimit: 2);
        await SpendAsync(host.Fakes.SauceNao, 2);

        var ex = await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.ShortWindowExhausted);

        ex.RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
        ex.Message.Should().Contain("Search Rate Too High").And.NotContain("<strong>");
        ex.Quota.Should().BeNull("a 429 answer has no counters");
        host.Fakes.SauceNao.ThrottledShort.Should().Be(1);
        host.Fakes.SauceNao.Requests.Count("saucenao.search").Should().Be(3, "429 is not retried by the client");
    }

    [Fact]
    public async Task A_429_for_the_day_is_daily_limit_reached()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        var clock = new FakeTimeProvider(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock, shortLimit: 4, longLimit: 1);

        var first = await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None);
        first.Quota!.LongRemaining.Should().Be(0);
        clock.Advance(TimeSpan.FromMinutes(1));
        var ex = await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.DailyLimitReached);

        ex.Message.Should().Contain("Daily Search Limit Exceeded");
        host.Fakes.SauceNao.ThrottledDaily.Should().Be(1);
        clock.Advance(TimeSpan.FromHours(24));
        (await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None)).Quota!.LongRemaining.Should().Be(0, "the window slid by a day");
    }

    [Theory]
    [InlineData(-3, BooruFailure.ImageRefused, "could not be fetched")]
    [InlineData(-4, BooruFailure.ImageRefused, "could not be processed")]
    [InlineData(-5, BooruFailure.ImageRefused, "too large")]
    [InlineData(-6, BooruFailure.ImageRefused, "could not be processed")]
    [InlineData(-1, BooruFailure.KeyRefused, "no API access")]
    public async Task Negative_statuses_are_classified_and_keep_the_quota(int status, BooruFailure failure, string meaning)
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNaoStatus: status);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        var ex = await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(failure);

        ex.Message.Should().Contain(meaning).And.Contain("status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ex.Quota.Should().Be(new SearchQuota(4, 3, 100, 99));
        host.SauceNao.LastQuota.Should().Be(ex.Quota);
    }

    [Fact]
    public async Task A_key_without_api_access_and_an_oversized_upload()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.FromMinutes(1) });

        var big = new byte[(20 * 1024 * 1024) + 1];
        var tooLarge = await host.SauceNao.SearchAsync(big, "big.jpg", CancellationToken.None).FailsWith(BooruFailure.ImageRefused);
        tooLarge.Message.Should().Contain("20MB");

        host.Fakes.SauceNao.Faults.Fail("saucenao.search", 413);
        (await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.ImageRefused)).Message.Should().Contain("413");
    }

    [Fact]
    public async Task A_wrong_key_is_a_key_error_both_when_ignored_and_when_refused()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        const string wrong = "not-a-real-saucenao-key";
        await using var ignored = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start),
            adjust: o => o with { SauceNao = o.SauceNao with { ApiKey = wrong } });
        var guestEx = await ignored.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.KeyRefused);
        guestEx.Message.Should().Contain("user_id 0").And.Contain("SAUCENAO_API_KEY").And.NotContain(wrong);

        var options = ignored.Fakes.ClientOptions() with { SauceNao = ignored.Fakes.ClientOptions().SauceNao with { ApiKey = wrong } };
        var strict = new FakeSauceNao(library, new FakeSauceNaoOptions { RejectUnknownKeys = true });
        options = options with { PrimaryHandler = _ => strict.CreateHandler(), SauceNao = options.SauceNao with { BaseUrl = strict.BaseUrl } };
        await using var services = new ServiceCollection().AddBooruClients(options).BuildServiceProvider();
        var refused = await services.GetRequiredService<SauceNaoClient>().SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.KeyRefused);
        refused.Message.Should().Contain("403").And.NotContain(wrong);
    }

    [Theory]
    [InlineData("""{"header":{"user_id":"1","account_type":"1","short_limit":"4","long_limit":"100","short_remaining":2,"long_remaining":-1,"status":0},"results":[]}""", BooruFailure.DailyLimitReached)]
    [InlineData("""{"header":{"user_id":"1","account_type":"1","short_limit":"4","long_limit":"100","short_remaining":-1,"long_remaining":50,"status":0},"results":[]}""", BooruFailure.ShortWindowExhausted)]
    public async Task Negative_remaining_counters_mean_the_limit_is_reached(string json, BooruFailure failure)
    {
        var options = new BooruClientOptions { PacingClock = new FakeTimeProvider(Start), PrimaryHandler = _ => new FixedAnswer(200, "application/json", json) };
        await using var services = new ServiceCollection().AddBooruClients(options).BuildServiceProvider();

        var ex = await services.GetRequiredService<SauceNaoClient>().SearchAsync(new byte[] { 1, 2, 3 }, "t.jpg", CancellationToken.None).FailsWith(failure);

        ex.Quota.Should().NotBeNull();
    }

    [Fact]
    public async Task A_positive_status_still_returns_the_results()
    {
        const string json = """
            {"header":{"user_id":"1","account_type":"1","short_limit":"4","long_limit":"100","short_remaining":3,"long_remaining":50,"status":1,"message":"Some indexes are down"},
             "results":[{"header":{"similarity":"91.00","index_id":9},"data":{"danbooru_id":77}}]}
            """;
        var options = new BooruClientOptions { PacingClock = new FakeTimeProvider(Start), PrimaryHandler = _ => new FixedAnswer(200, "application/json", json) };
        await using var services = new ServiceCollection().AddBooruClients(options).BuildServiceProvider();

        var answer = await services.GetRequiredService<SauceNaoClient>().SearchAsync(new byte[] { 1 }, "t.jpg", CancellationToken.None);

        answer.Matches.Should().ContainSingle().Which.DanbooruPostId.Should().Be(77);
    }

    [Fact]
    public async Task Html_where_json_was_asked_is_blocked_and_5xx_html_is_unavailable_after_retries()
    {
        var blockedOptions = new BooruClientOptions { PacingClock = new FakeTimeProvider(Start), PrimaryHandler = _ => new FixedAnswer(200, "text/html", "<html>Just a moment...</html>") };
        await using (var services = new ServiceCollection().AddBooruClients(blockedOptions).BuildServiceProvider())
        {
            await services.GetRequiredService<SauceNaoClient>().SearchAsync(new byte[] { 1 }, "t.jpg", CancellationToken.None).FailsWith(BooruFailure.Blocked);
        }

        var library = new IllustrationLibrary();
        var picture = library.Add(sauceNao: 95);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));
        host.Fakes.SauceNao.Faults.Fail("saucenao.search", 502, times: null);
        await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None).FailsWith(BooruFailure.Unavailable);
        host.Fakes.SauceNao.Requests.Total.Should().Be(4);
        host.Fakes.SauceNao.Searches.Should().Be(0);
    }

    [Fact]
    public async Task Pacing_on_a_virtual_clock_never_meets_a_429()
    {
        var library = IllustrationLibrary.Synthetic(40);
        var clock = new VirtualClock(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock, shortLimit: 4, longLimit: 1000);

        foreach (var picture in library.All)
        {
            await host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None);
        }

        host.Fakes.SauceNao.Searches.Should().Be(40);
        host.Fakes.SauceNao.ThrottledShort.Should().Be(0);
        (clock.GetUtcNow() - Start).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(39 * 7.5), "four searches per 30 s");
    }

    private static async Task SpendAsync(FakeSauceNao fake, int searches)
    {
        // Another user of the same key spends the window behind the client's back.
        using var http = new HttpClient(fake.CreateHandler());
        for (var i = 0; i < searches; i++)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent("2"), "output_type" },
                { new StringContent(BooruFakes.SauceNaoKey), "api_key" },
                { new ByteArrayContent([(byte)i]), "file", "x.jpg" },
            };
            using var response = await http.PostAsync(new Uri(fake.BaseUrl, "search.php"), form);
            response.IsSuccessStatusCode.Should().BeTrue();
        }
    }
}
