using System.Text;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Booru;

public sealed class DanbooruClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Finds_a_post_by_the_md5_of_the_original_and_by_id_and_answers_null_for_a_miss()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        var other = library.Add(sauceNao: 95);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));

        var byMd5 = await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5.ToUpperInvariant(), CancellationToken.None);
        var missByMd5 = await host.Danbooru.GetPostByMd5Async(other.OriginalMd5, CancellationToken.None);
        var byId = await host.Danbooru.GetPostAsync(other.Post!.Id, CancellationToken.None);
        var missById = await host.Danbooru.GetPostAsync(1, CancellationToken.None);

        byMd5!.Id.Should().Be(exact.Post!.Id);
        byMd5.Md5.Should().Be(exact.OriginalMd5);
        byMd5.Characters.Should().Equal(exact.Post.Characters);
        missByMd5.Should().BeNull("Danbooru's file of that post is not the user's file");
        byId!.Copyrights.Should().Equal(other.Post.Copyrights);
        missById.Should().BeNull();
        host.Fakes.Danbooru.Requests.All.Select(r => r.StatusCode).Should().Equal(200, 404, 200, 404);
    }

    [Fact]
    public async Task Sends_the_named_user_agent_and_basic_auth_never_the_key_in_the_url()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));

        (await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None)).Should().NotBeNull();

        host.Fakes.Danbooru.Blocked.Should().Be(0);
        host.Fakes.Danbooru.CredentialsInUrl.Should().Be(0);
        var options = host.Services.GetRequiredService<BooruClientOptions>();
        options.UserAgentFor(BooruService.Danbooru).Should().MatchRegex(@"^ImmichAutoTag/\d+\.\d+\.\d+ \(\+https://\S+; by autotag_tester\)$");
        host.Fakes.Danbooru.Requests.All.Should().OnlyContain(r => !r.Path.Contains(BooruFakes.DanbooruApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_without_the_key_in_the_message()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        const string wrong = "wrong-danbooru-key-123";
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start),
            adjust: o => o with { Danbooru = o.Danbooru with { ApiKey = wrong } });

        var ex = await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None).FailsWith(BooruFailure.KeyRefused);

        ex.Message.Should().Contain("Invalid API key").And.Contain("DANBOORU_API_KEY").And.NotContain(wrong);
        ex.Service.Should().Be(BooruSource.DanbooruMd5);
    }

    [Fact]
    public async Task A_cloudflare_challenge_is_blocked_not_retried()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        await using var host = await BooruTestHost.StartAsync(library, new FakeTimeProvider(Start));
        host.Fakes.Danbooru.Options.BlockEveryone = true;

        var ex = await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None).FailsWith(BooruFailure.Blocked);

        ex.Message.Should().Contain("HTML").And.Contain("User-Agent");
        host.Fakes.Danbooru.Requests.Total.Should().Be(1);
    }

    [Fact]
    public async Task The_fake_blocks_clients_without_a_name_or_with_a_browser_user_agent()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        await using var danbooru = new FakeDanbooru(library);
        using var http = new HttpClient(danbooru.CreateHandler());

        using var anonymous = await http.GetAsync(new Uri(danbooru.BaseUrl, "posts.json?md5=" + exact.OriginalMd5));
        using var browserRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(danbooru.BaseUrl, "posts.json?md5=" + exact.OriginalMd5));
        browserRequest.Headers.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64)");
        using var browser = await http.SendAsync(browserRequest);

        ((int)anonymous.StatusCode).Should().Be(403);
        (await anonymous.Content.ReadAsStringAsync()).Should().Contain("Just a moment");
        ((int)browser.StatusCode).Should().Be(403);
        danbooru.Blocked.Should().Be(2);
    }

    [Fact]
    public async Task A_429_carries_retry_after_holds_the_pacer_and_is_not_retried()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        var clock = new FakeTimeProvider(Start);
        await using var host = await BooruTestHost.StartAsync(library, clock);
        host.Fakes.Danbooru.Faults.Throttle("danbooru.md5", retryAfterSeconds: 42);

        var ex = await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None).FailsWith(BooruFailure.ShortWindowExhausted);

        ex.RetryAfter.Should().Be(TimeSpan.FromSeconds(42));
        host.Fakes.Danbooru.Requests.Total.Should().Be(1);
        var next = host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(41));
        next.IsCompleted.Should().BeFalse("the client waits out the service's Retry-After");
        clock.Advance(TimeSpan.FromSeconds(1));
        (await next).Should().NotBeNull();
    }

    [Fact]
    public async Task The_fakes_read_limit_answers_danbooru_s_429_body_without_retry_after()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        var clock = new FakeTimeProvider(Start);
        await using var danbooru = new FakeDanbooru(library, new FakeDanbooruOptions { Clock = clock, ReadsPerSecond = 1 });
        using var http = new HttpClient(danbooru.CreateHandler());
        http.DefaultRequestHeaders.UserAgent.ParseAdd("ImmichAutoTag/0.1.0 (test)");
        var url = new Uri(danbooru.BaseUrl, "posts.json?md5=" + exact.OriginalMd5);

        using var first = await http.GetAsync(url);
        using var second = await http.GetAsync(url);
        clock.Advance(TimeSpan.FromSeconds(1));
        using var third = await http.GetAsync(url);

        ((int)first.StatusCode).Should().Be(200);
        ((int)second.StatusCode).Should().Be(429);
        (await second.Content.ReadAsStringAsync()).Should().Contain("You're doing that too fast");
        ((int)third.StatusCode).Should().Be(200);
        danbooru.Throttled.Should().Be(1);
    }

    [Fact]
    public async Task Server_errors_are_retried_then_reported_unavailable()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));
        host.Fakes.Danbooru.Faults.Fail("danbooru.md5", 502, times: 2);

        (await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None)).Should().NotBeNull();
        host.Fakes.Danbooru.Requests.Total.Should().Be(3);

        host.Fakes.Danbooru.Faults.Fail("danbooru.post", 503, times: null);
        var ex = await host.Danbooru.GetPostAsync(exact.Post!.Id, CancellationToken.None).FailsWith(BooruFailure.Unavailable);
        ex.Message.Should().Contain("HTTP 503");
        host.Fakes.Danbooru.Requests.Count("danbooru.post").Should().Be(4, "one try and three retries");
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        var library = new IllustrationLibrary();
        var exact = library.Add(originalOnDanbooru: true);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));
        host.Fakes.Danbooru.Faults.Drop("danbooru.md5", times: 1);

        (await host.Danbooru.GetPostByMd5Async(exact.OriginalMd5, CancellationToken.None)).Should().NotBeNull();
        host.Fakes.Danbooru.Requests.All.Select(r => r.StatusCode).Should().Equal(0, 200);
    }

    [Fact]
    public async Task A_service_that_refuses_connections_opens_the_breaker_and_is_reported_unreachable_with_its_url()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var down = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop();
        var logs = new LogLines();
        var retry = new BooruRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 3 };
        await using var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
            .AddBooruClients(new BooruClientOptions { Danbooru = new DanbooruOptions { BaseUrl = down, Retry = retry } })
            .BuildServiceProvider();
        var client = services.GetRequiredService<DanbooruClient>();

        var ex = await client.GetPostByMd5Async(new string('0', 32), CancellationToken.None).FailsWith(BooruFailure.Unreachable);
        ex.Message.Should().Contain(down.AbsoluteUri).And.Contain("did not answer");
        logs.Lines.Count(l => l.Contains("Retrying a Danbooru request", StringComparison.Ordinal)).Should().Be(3, "three refused attempts open the breaker; the fourth is not sent");
        (await client.GetPostAsync(1, CancellationToken.None).FailsWith(BooruFailure.Unreachable)).Message.Should().Contain(down.AbsoluteUri);
        logs.Lines.Count(l => l.Contains("Retrying a Danbooru request", StringComparison.Ordinal)).Should().Be(3, "while the breaker is open nothing is sent or retried");
    }

    [Fact]
    public async Task An_unreadable_answer_is_unavailable()
    {
        var options = new BooruClientOptions { PrimaryHandler = _ => new FixedAnswer(200, "application/json", "{\"id\": \"not a number\"}") };
        var services = new ServiceCollection().AddBooruClients(options).BuildServiceProvider();
        await using var _ = services;

        var ex = await services.GetRequiredService<IDanbooruClient>().GetPostAsync(5, CancellationToken.None).FailsWith(BooruFailure.Unavailable);

        ex.Message.Should().Contain("could not be read");
        Encoding.UTF8.GetByteCount(ex.Message).Should().BeLessThan(700);
    }

    [Fact]
    public async Task An_md5_must_be_32_hex_digits() =>
        await Assert.ThrowsAsync<ArgumentException>(() => new ServiceCollection().AddBooruClients(new BooruClientOptions()).BuildServiceProvider()
            .GetRequiredService<IDanbooruClient>().GetPostByMd5Async("../../etc/passwd", CancellationToken.None));
}
