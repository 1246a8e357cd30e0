using ImmichAutoTag.Infrastructure.Booru;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>
/// The four booru fakes over one <see cref="IllustrationLibrary"/> and one clock, with client options pointing at them:
/// <code>
/// var clock = new FakeTimeProvider(start);
/// await using var fakes = await BooruFakes.StartAsync(library, clock, listen: false);
/// services.AddBooruClients(fakes.ClientOptions());   // in-process transport, pacing on the same clock
/// </code>
/// </summary>
public sealed class BooruFakes : IAsyncDisposable
{
    /// <summary>The SauceNAO key the fake knows (4 searches per 30 s, 100 per day unless set otherwise).</summary>
    public const string SauceNaoKey = "fake-saucenao-key-0123456789abcdef";

    /// <summary>The Danbooru login the fake knows.</summary>
    public const string DanbooruLogin = "autotag_tester";

    /// <summary>The Danbooru API key the fake knows.</summary>
    public const string DanbooruApiKey = "fake-danbooru-key-fedcba9876543210";

    private BooruFakes(IllustrationLibrary library, TimeProvider clock, FakeDanbooru danbooru, FakeSauceNao sauceNao, FakeIqdb iqdb, FakeAscii2d ascii2d, bool listening)
    {
        Library = library;
        Clock = clock;
        Danbooru = danbooru;
        SauceNao = sauceNao;
        Iqdb = iqdb;
        Ascii2d = ascii2d;
        Listening = listening;
    }

    /// <summary>The pictures all fakes know.</summary>
    public IllustrationLibrary Library { get; }

    /// <summary>The clock of the fakes' windows (and of the clients' pacing in <see cref="ClientOptions"/>).</summary>
    public TimeProvider Clock { get; }

    /// <summary>The fake Danbooru.</summary>
    public FakeDanbooru Danbooru { get; }

    /// <summary>The fake SauceNAO.</summary>
    public FakeSauceNao SauceNao { get; }

    /// <summary>The fake IQDB.</summary>
    public FakeIqdb Iqdb { get; }

    /// <summary>The fake ASCII2D.</summary>
    public FakeAscii2d Ascii2d { get; }

    /// <summary>True when the fakes listen on 127.0.0.1 (else they are reached in-process only).</summary>
    public bool Listening { get; }

    /// <summary>
    /// Creates the fakes; with <paramref name="listen"/> they also listen on 127.0.0.1 (a CLI process, a test over real
    /// sockets). The SauceNAO account is <see cref="SauceNaoKey"/> with <paramref name="shortLimit"/> and
    /// <paramref name="longLimit"/>; the Danbooru account <see cref="DanbooruLogin"/>/<see cref="DanbooruApiKey"/>.
    /// </summary>
    public static async Task<BooruFakes> StartAsync(
        IllustrationLibrary library, TimeProvider clock, bool listen = true, int shortLimit = 4, int longLimit = 100, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(clock);
        var danbooru = new FakeDanbooru(library, new FakeDanbooruOptions { Clock = clock, Account = (DanbooruLogin, DanbooruApiKey) });
        var sauceNao = new FakeSauceNao(library, new FakeSauceNaoOptions
        {
            Clock = clock,
            Accounts = [new FakeSauceNaoAccount(SauceNaoKey, shortLimit, longLimit)],
        });
        var iqdb = new FakeIqdb(library, new FakeIqdbOptions { Clock = clock });
        var ascii2d = new FakeAscii2d(library);
        if (listen)
        {
            await danbooru.ListenAsync(ct);
            await sauceNao.ListenAsync(ct);
            await iqdb.ListenAsync(ct);
            await ascii2d.ListenAsync(ct);
        }

        return new BooruFakes(library, clock, danbooru, sauceNao, iqdb, ascii2d, listen);
    }

    /// <summary>
    /// Client options aimed at these fakes, with their keys, pacing on <see cref="Clock"/>, fast retries (10 ms
    /// back-off) and, unless the fakes listen, the in-process transport. Adjust with <c>with</c>.
    /// </summary>
    public BooruClientOptions ClientOptions()
    {
        var retry = new BooruRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), AttemptTimeout = TimeSpan.FromSeconds(30) };
        return new BooruClientOptions
        {
            PacingClock = Clock,
            PrimaryHandler = Listening ? null : service => service switch
            {
                BooruService.Danbooru => Danbooru.CreateHandler(),
                BooruService.SauceNao => SauceNao.CreateHandler(),
                BooruService.Iqdb => Iqdb.CreateHandler(),
                _ => Ascii2d.CreateHandler(),
            },
            Danbooru = new DanbooruOptions { BaseUrl = Danbooru.BaseUrl, Login = DanbooruLogin, ApiKey = DanbooruApiKey, Retry = retry },
            SauceNao = new SauceNaoOptions { BaseUrl = SauceNao.BaseUrl, ApiKey = SauceNaoKey, Retry = retry },
            Iqdb = new IqdbOptions { BaseUrl = Iqdb.BaseUrl, Retry = retry },
            Ascii2d = new Ascii2dOptions { BaseUrl = Ascii2d.BaseUrl, Enabled = true, Retry = retry },
        };
    }

    /// <summary>Stops the fakes.</summary>
    public async ValueTask DisposeAsync()
    {
        await Danbooru.DisposeAsync();
        await SauceNao.DisposeAsync();
        await Iqdb.DisposeAsync();
        await Ascii2d.DisposeAsync();
    }
}
