using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IBooruClientFactory"/> over the HTTP clients of <c>Infrastructure/Booru</c>: the base URLs come from the
/// run's <c>booru:</c> config, the keys only from the environment (<c>SAUCENAO_API_KEY</c>, <c>DANBOORU_LOGIN</c>,
/// <c>DANBOORU_API_KEY</c>). The clients are built once, on the first run that asks for them.
/// </summary>
public sealed class BooruClientsForConfig(ILoggerFactory loggers, TimeProvider time, Func<string, string?>? environment = null) : IBooruClientFactory, IDisposable
{
    private readonly Lock _gate = new();
    private ServiceProvider? _provider;

    /// <inheritdoc />
    public IDanbooruClient Danbooru(BooruConfig config) => Provider(config).GetRequiredService<IDanbooruClient>();

    /// <inheritdoc />
    public IReverseImageSearch? Search(BooruSourceConfig source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var provider = _provider ?? throw new InvalidOperationException("the booru clients are built with the Danbooru client first");
        return provider.GetServices<IReverseImageSearch>().FirstOrDefault(s => s.Source == source.Source);
    }

    /// <inheritdoc />
    public void Dispose() => _provider?.Dispose();

    private ServiceProvider Provider(BooruConfig config)
    {
        lock (_gate)
        {
            if (_provider is null)
            {
                Uri Base(BooruSource source, Uri fallback) =>
                    config.Sources.FirstOrDefault(s => s.Source == source)?.BaseUrl is { } url ? new Uri(url.TrimEnd('/') + "/") : fallback;
                var defaults = new BooruClientOptions();
                var options = new BooruClientOptions
                {
                    Danbooru = defaults.Danbooru with { BaseUrl = new Uri(config.DanbooruUrl.TrimEnd('/') + "/") },
                    SauceNao = defaults.SauceNao with { BaseUrl = Base(BooruSource.SauceNao, defaults.SauceNao.BaseUrl) },
                    Iqdb = defaults.Iqdb with { BaseUrl = Base(BooruSource.Iqdb, defaults.Iqdb.BaseUrl) },
                    Ascii2d = defaults.Ascii2d with { Enabled = config.Sources.Any(s => s.Source == BooruSource.Ascii2d), BaseUrl = Base(BooruSource.Ascii2d, defaults.Ascii2d.BaseUrl) },
                    PacingClock = time,
                }.WithSecretsFrom(environment ?? Environment.GetEnvironmentVariable);
                var services = new ServiceCollection();
                services.AddSingleton(loggers);
                services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
                services.AddSingleton(time);
                services.AddBooruClients(options);
                _provider = services.BuildServiceProvider();
            }

            return _provider;
        }
    }
}
