using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Booru;

public sealed class BooruSecretsAndRegistrationTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Keys_never_appear_in_logs_or_exception_messages_even_when_a_service_echoes_them()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(originalOnDanbooru: true, sauceNao: 95, iqdb: 95);
        var refused = library.Add(sauceNaoStatus: -3);
        await using var host = await BooruTestHost.StartAsync(library, new VirtualClock(Start));
        var messages = new List<string>();
        async Task Collect(Task task)
        {
            try
            {
                await task;
            }
            catch (BooruException ex)
            {
                messages.Add(ex.ToString());
            }
        }

        // Every path that builds a message: success, retries, errors that quote the key, 429, refused images.
        await Collect(host.Danbooru.GetPostByMd5Async(picture.OriginalMd5, CancellationToken.None));
        host.Fakes.Danbooru.Faults.Fail("danbooru.md5", 502, times: 1);
        await Collect(host.Danbooru.GetPostByMd5Async(picture.OriginalMd5, CancellationToken.None));
        host.Fakes.Danbooru.Faults.FailWithMessage("danbooru.post", 400, "bad request for api_key=" + BooruFakes.DanbooruApiKey);
        await Collect(host.Danbooru.GetPostAsync(picture.Post!.Id, CancellationToken.None));
        host.Fakes.Danbooru.Faults.FailWithMessage("danbooru.post", 403, "key " + BooruFakes.DanbooruApiKey + " may not read");
        await Collect(host.Danbooru.GetPostAsync(picture.Post.Id, CancellationToken.None));
        await Collect(host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None));
        await Collect(host.SauceNao.SearchAsync(refused.Upload, "t.webp", CancellationToken.None));
        host.Fakes.SauceNao.Faults.FailWithMessage("saucenao.search", 400, "api_key " + BooruFakes.SauceNaoKey + " is malformed");
        await Collect(host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None));
        host.Fakes.SauceNao.Faults.FailWithMessage("saucenao.search", 429, "Search Rate Too High for " + Uri.EscapeDataString(BooruFakes.SauceNaoKey));
        await Collect(host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None));
        host.Fakes.SauceNao.Faults.Fail("saucenao.search", 503, times: 1);
        await Collect(host.SauceNao.SearchAsync(picture.Upload, "t.webp", CancellationToken.None));
        await Collect(host.Iqdb.SearchAsync(picture.Upload, "t.webp", CancellationToken.None));

        messages.Should().HaveCount(5, "the 400 and 403 of Danbooru, SauceNAO's -3, 400 and 429 fail");
        host.Fakes.Danbooru.UserAgents.Should().ContainSingle().Which.Should().EndWith("; by autotag_tester)", "Danbooru asks API clients to name their user");
        host.Fakes.SauceNao.UserAgents.Concat(host.Fakes.Iqdb.UserAgents).Should().NotBeEmpty()
            .And.OnlyContain(a => a.StartsWith("ImmichAutoTag/", StringComparison.Ordinal) && !a.Contains("autotag_tester", StringComparison.Ordinal), "the services that receive thumbnails do not learn the Danbooru login");
        messages.Should().Contain(m => m.Contains("***", StringComparison.Ordinal), "the echoed keys were scrubbed");
        host.Logs.Lines.Should().Contain(l => l.Contains("Retrying", StringComparison.Ordinal), "retries are logged");
        host.Logs.Lines.Should().Contain(l => l.Contains("Sending HTTP request", StringComparison.Ordinal), "the factory's own request logging is on");
        foreach (var text in messages.Concat(host.Logs.Lines))
        {
            text.Should().NotContain(BooruFakes.SauceNaoKey).And.NotContain(BooruFakes.DanbooruApiKey)
                .And.NotContain(Uri.EscapeDataString(BooruFakes.SauceNaoKey));
        }
    }

    [Fact]
    public void Options_print_without_secrets_and_read_them_from_the_environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["SAUCENAO_API_KEY"] = "sauce-secret-1",
            ["DANBOORU_LOGIN"] = "someone",
            ["DANBOORU_API_KEY"] = "danbooru-secret-2",
        };

        var options = new BooruClientOptions().WithSecretsFrom(name => environment.GetValueOrDefault(name));

        options.SauceNao.ApiKey.Should().Be("sauce-secret-1");
        options.Danbooru.Login.Should().Be("someone");
        options.Danbooru.ApiKey.Should().Be("danbooru-secret-2");
        options.UserAgentFor(BooruService.Danbooru).Should().EndWith("; by someone)");
        foreach (var other in new[] { BooruService.SauceNao, BooruService.Iqdb, BooruService.Ascii2d })
        {
            options.UserAgentFor(other).Should().NotContain("someone", "only Danbooru asks for the login; the others receive thumbnails");
        }

        var printed = options.ToString();
        printed.Should().Contain("someone").And.NotContain("sauce-secret-1").And.NotContain("danbooru-secret-2");
        options.SauceNao.ToString().Should().NotContain("sauce-secret-1");
        new BooruClientOptions().WithSecretsFrom(_ => "  ").SauceNao.ApiKey.Should().BeNull("blank variables count as unset");
    }

    [Fact]
    public async Task The_registration_gives_every_client_and_the_reverse_searches_in_order()
    {
        var library = new IllustrationLibrary();
        await using var fakes = await BooruFakes.StartAsync(library, new FakeTimeProvider(Start), listen: false);
        await using var withAscii = new ServiceCollection().AddBooruClients(fakes.ClientOptions()).BuildServiceProvider();
        var withoutOptions = fakes.ClientOptions() with { Ascii2d = fakes.ClientOptions().Ascii2d with { Enabled = false } };
        await using var without = new ServiceCollection().AddBooruClients(withoutOptions).BuildServiceProvider();

        withAscii.GetRequiredService<IDanbooruClient>().Should().BeOfType<DanbooruClient>();
        withAscii.GetServices<IReverseImageSearch>().Select(s => s.Source).Should().Equal(BooruSource.SauceNao, BooruSource.Iqdb, BooruSource.Ascii2d);
        without.GetServices<IReverseImageSearch>().Select(s => s.Source).Should().Equal(BooruSource.SauceNao, BooruSource.Iqdb);
        withAscii.GetRequiredService<SauceNaoClient>().Should().BeSameAs(withAscii.GetServices<IReverseImageSearch>().First());
    }
}
