using System.Globalization;
using System.Reflection;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>
/// How the booru clients reach their services: base URLs (the public sites by default; a mirror or a local fake
/// otherwise), credentials, pacing and retries. Secrets come from the composition root (which reads
/// <c>SAUCENAO_API_KEY</c>, <c>DANBOORU_LOGIN</c> and <c>DANBOORU_API_KEY</c> from the environment); they are sent
/// only as the services require (HTTP Basic for Danbooru, a form field for SauceNAO) and never printed:
/// <see cref="ToString"/> of every options record leaves them out.
/// </summary>
public sealed record BooruClientOptions
{
    /// <summary>Danbooru's read API.</summary>
    public DanbooruOptions Danbooru { get; init; } = new();

    /// <summary>SauceNAO's JSON search.</summary>
    public SauceNaoOptions SauceNao { get; init; } = new();

    /// <summary>IQDB's multipart search.</summary>
    public IqdbOptions Iqdb { get; init; } = new();

    /// <summary>ASCII2D's colour search (off unless <see cref="Ascii2dOptions.Enabled"/>).</summary>
    public Ascii2dOptions Ascii2d { get; init; } = new();

    /// <summary>
    /// The clock of the polite pacing (requests per second, SauceNAO's 30 s window): a test or the simulated-day
    /// benchmark passes a virtual clock. Null uses the <see cref="TimeProvider"/> registered in the container, else the
    /// system clock. Retries and time-outs of the HTTP pipeline always run on the system clock: they concern real sockets.
    /// </summary>
    public TimeProvider? PacingClock { get; init; }

    /// <summary>
    /// The transport at the bottom of every booru HttpClient (a test's in-process fake, a proxy); null uses the
    /// factory's default <see cref="SocketsHttpHandler"/>. Called once per handler the factory builds.
    /// </summary>
    public Func<BooruService, HttpMessageHandler>? PrimaryHandler { get; init; }

    /// <summary>
    /// The product part of the User-Agent: <c>ImmichAutoTag/&lt;version&gt; (+&lt;url&gt;; by &lt;login&gt;)</c>. Danbooru's
    /// Cloudflare blocks library defaults and browser look-alikes, so every booru call names the tool and who runs it.
    /// </summary>
    public Uri ProjectUrl { get; init; } = new("https://github.com/immich-autotag/ImmichAutoTag");

    /// <summary>
    /// The User-Agent of <paramref name="service"/>'s requests (see <see cref="ProjectUrl"/>). Only Danbooru's carries
    /// the Danbooru login (<c>; by &lt;login&gt;</c>), as Danbooru asks API clients to name their user; SauceNAO, IQDB
    /// and ASCII2D receive the user's thumbnails and have no use for that name. The login is a public name, not a secret.
    /// </summary>
    public string UserAgentFor(BooruService service)
    {
        var version = typeof(BooruClientOptions).Assembly.GetName().Version ?? new Version(0, 0, 0);
        var by = service != BooruService.Danbooru || string.IsNullOrWhiteSpace(Danbooru.Login) ? "" : "; by " + Danbooru.Login;
        return string.Create(CultureInfo.InvariantCulture, $"ImmichAutoTag/{version.ToString(3)} (+{ProjectUrl.AbsoluteUri}{by})");
    }

    /// <summary>
    /// Options with the secrets read through <paramref name="environment"/> (e.g. <see cref="Environment.GetEnvironmentVariable(string)"/>):
    /// <c>SAUCENAO_API_KEY</c>, <c>DANBOORU_LOGIN</c>, <c>DANBOORU_API_KEY</c>. Empty values count as unset.
    /// </summary>
    public BooruClientOptions WithSecretsFrom(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        static string? Value(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        return this with
        {
            SauceNao = SauceNao with { ApiKey = Value(environment(SauceNaoApiKeyVariable)) ?? SauceNao.ApiKey },
            Danbooru = Danbooru with
            {
                Login = Value(environment(DanbooruLoginVariable)) ?? Danbooru.Login,
                ApiKey = Value(environment(DanbooruApiKeyVariable)) ?? Danbooru.ApiKey,
            },
        };
    }

    /// <summary>The environment variable holding SauceNAO's API key.</summary>
    public const string SauceNaoApiKeyVariable = "SAUCENAO_API_KEY";

    /// <summary>The environment variable holding the Danbooru user name.</summary>
    public const string DanbooruLoginVariable = "DANBOORU_LOGIN";

    /// <summary>The environment variable holding the Danbooru API key.</summary>
    public const string DanbooruApiKeyVariable = "DANBOORU_API_KEY";

    /// <summary>Every secret these options carry (non-empty), so messages can be scrubbed of them.</summary>
    internal IReadOnlyList<string> Secrets =>
        [.. new[] { SauceNao.ApiKey, Danbooru.ApiKey }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!)];

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Danbooru = {Danbooru}, SauceNao = {SauceNao}, Iqdb = {Iqdb}, Ascii2d = {Ascii2d}, UserAgent = {UserAgentFor(BooruService.Danbooru)}");
        return true;
    }
}

/// <summary>Which booru service a named HttpClient or a pacer serves.</summary>
public enum BooruService
{
    /// <summary>Danbooru's JSON API.</summary>
    Danbooru,

    /// <summary>SauceNAO's search.</summary>
    SauceNao,

    /// <summary>IQDB's search.</summary>
    Iqdb,

    /// <summary>ASCII2D's search.</summary>
    Ascii2d,
}

/// <summary>Retries and time-outs of one service's HttpClient (Microsoft.Extensions.Http.Resilience).</summary>
public sealed record BooruRetryOptions
{
    /// <summary>Per attempt. A retried call may take up to (MaxRetries + 1) × Timeout plus back-off.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after 5xx, 408, a time-out or a connection failure; 0 turns retries off. 429 is never retried here: the caller learns of it.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First back-off; it doubles on each retry, with jitter, unless the service's <c>Retry-After</c> says longer.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Attempts in a row without an answer (connection refused or reset, time-out) after which the client's circuit
    /// breaker opens and the booru step stops the source for the run; at least 2.
    /// </summary>
    public int BreakAfterFailures { get; init; } = 3;

    /// <summary>The window in which those attempts must all have failed (Polly's sampling duration).</summary>
    public TimeSpan BreakSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the open breaker refuses calls before one trial attempt (a daemon's next run tries again).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Danbooru (<c>https://danbooru.donmai.us</c>, or <c>https://testbooru.donmai.us</c>, or a fake).</summary>
public sealed record DanbooruOptions
{
    /// <summary>The site root; the API is <c>posts.json</c>, <c>posts/{id}.json</c> under it.</summary>
    public Uri BaseUrl { get; init; } = new("https://danbooru.donmai.us/");

    /// <summary>User name (<c>DANBOORU_LOGIN</c>): sent with the key as HTTP Basic, and named in the User-Agent.</summary>
    public string? Login { get; init; }

    /// <summary>API key (<c>DANBOORU_API_KEY</c>); anonymous reads when null. A secret.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Requests per second at most (reads have no server limit, but Cloudflare bites above a few per second).</summary>
    public double RequestsPerSecond { get; init; } = 2;

    /// <summary>How many requests may go back to back before the pace applies.</summary>
    public int Burst { get; init; } = 2;

    /// <summary>Retries and time-outs.</summary>
    public BooruRetryOptions Retry { get; init; } = new();

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"BaseUrl = {Core.Configuration.UrlRedaction.Redact(BaseUrl)}, Login = {Login ?? "(anonymous)"}, ApiKey = {(ApiKey is null ? "(none)" : "***")}, RequestsPerSecond = {RequestsPerSecond}, Burst = {Burst}, Retry = {Retry}");
        return true;
    }
}

/// <summary>SauceNAO (<c>https://saucenao.com/search.php</c>, JSON output).</summary>
public sealed record SauceNaoOptions
{
    /// <summary>The site root; searches go to <c>search.php</c> under it.</summary>
    public Uri BaseUrl { get; init; } = new("https://saucenao.com/");

    /// <summary>API key (<c>SAUCENAO_API_KEY</c>), sent as the form field <c>api_key</c>, never in the URL; anonymous (IP-pooled) when null. A secret.</summary>
    public string? ApiKey { get; init; }

    /// <summary><c>numres</c>: results wanted.</summary>
    public int ResultCount { get; init; } = 8;

    /// <summary><c>dbmask</c>: the indexes searched as a 64-bit mask (bit n = index n); null searches all (<c>db=999</c>).</summary>
    public long? IndexMask { get; init; }

    /// <summary>
    /// Searches per 30 s assumed until the first answer tells <c>short_limit</c> (4 for a free account in recent
    /// reports; unregistered users share an IP pool of about 3). The pace then follows what SauceNAO says.
    /// </summary>
    public int InitialShortLimit { get; init; } = 3;

    /// <summary>The short window's length, as SauceNAO documents it.</summary>
    public TimeSpan ShortWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Added to every gap between searches (ShortWindow / short_limit), against clock drift between us and the service.</summary>
    public TimeSpan PaceMargin { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Retries and time-outs.</summary>
    public BooruRetryOptions Retry { get; init; } = new();

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"BaseUrl = {Core.Configuration.UrlRedaction.Redact(BaseUrl)}, ApiKey = {(ApiKey is null ? "(none)" : "***")}, ResultCount = {ResultCount}, IndexMask = {IndexMask}, InitialShortLimit = {InitialShortLimit}, Retry = {Retry}");
        return true;
    }
}

/// <summary>IQDB (<c>https://iqdb.org/</c>; <c>https://danbooru.iqdb.org/</c> searches Danbooru only).</summary>
public sealed record IqdbOptions
{
    /// <summary>Where the multipart form is posted (<c>POST /</c>).</summary>
    public Uri BaseUrl { get; init; } = new("https://iqdb.org/");

    /// <summary>The least time between two searches: IQDB publishes no limit, so the tool stays well under any.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Retries and time-outs.</summary>
    public BooruRetryOptions Retry { get; init; } = new();
}

/// <summary>ASCII2D (<c>https://ascii2d.net/search/file</c>): no similarity score, so its matches are for review only.</summary>
public sealed record Ascii2dOptions
{
    /// <summary>Off by default: the service sits behind Cloudflare and must never be bulk-queried.</summary>
    public bool Enabled { get; init; }

    /// <summary>The site root; uploads go to <c>search/file</c>.</summary>
    public Uri BaseUrl { get; init; } = new("https://ascii2d.net/");

    /// <summary>The least time between two searches.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries and time-outs.</summary>
    public BooruRetryOptions Retry { get; init; } = new();
}
