using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Booru;

/// <summary>Dependency-injection registration of the booru clients.</summary>
public static class BooruServiceCollectionExtensions
{
    /// <summary>
    /// Registers one named HttpClient per service (IHttpClientFactory, with Microsoft.Extensions.Http.Resilience retries
    /// and time-outs, the named User-Agent) and the clients as singletons: <see cref="IDanbooruClient"/>
    /// (<see cref="DanbooruClient"/>), <see cref="SauceNaoClient"/>, <see cref="IqdbClient"/>, and
    /// <see cref="IReverseImageSearch"/> for each of them in the order they are asked (SauceNAO, IQDB, then ASCII2D when
    /// <see cref="Ascii2dOptions.Enabled"/>).
    /// </summary>
    public static IServiceCollection AddBooruClients(this IServiceCollection services, BooruClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        AddClient(services, options, BooruService.Danbooru, options.Danbooru.Retry);
        AddClient(services, options, BooruService.SauceNao, options.SauceNao.Retry);
        AddClient(services, options, BooruService.Iqdb, options.Iqdb.Retry);
        AddClient(services, options, BooruService.Ascii2d, options.Ascii2d.Retry);

        TimeProvider Clock(IServiceProvider sp) => options.PacingClock ?? sp.GetRequiredService<TimeProvider>();
        services.AddSingleton(sp => new DanbooruClient(sp.GetRequiredService<IHttpClientFactory>(), options, Clock(sp), sp.GetRequiredService<ILogger<DanbooruClient>>()));
        services.AddSingleton<IDanbooruClient>(sp => sp.GetRequiredService<DanbooruClient>());
        services.AddSingleton(sp => new SauceNaoClient(sp.GetRequiredService<IHttpClientFactory>(), options, Clock(sp), sp.GetRequiredService<ILogger<SauceNaoClient>>()));
        services.AddSingleton(sp => new IqdbClient(sp.GetRequiredService<IHttpClientFactory>(), options, Clock(sp), sp.GetRequiredService<ILogger<IqdbClient>>()));
        services.AddSingleton<IReverseImageSearch>(sp => sp.GetRequiredService<SauceNaoClient>());
        services.AddSingleton<IReverseImageSearch>(sp => sp.GetRequiredService<IqdbClient>());
        if (options.Ascii2d.Enabled)
        {
            services.AddSingleton(sp => new Ascii2dClient(sp.GetRequiredService<IHttpClientFactory>(), options, Clock(sp), sp.GetRequiredService<ILogger<Ascii2dClient>>()));
            services.AddSingleton<IReverseImageSearch>(sp => sp.GetRequiredService<Ascii2dClient>());
        }

        return services;
    }

    private static void AddClient(IServiceCollection services, BooruClientOptions options, BooruService service, BooruRetryOptions retry)
    {
        var builder = services.AddHttpClient(BooruHttp.ClientName(service), client =>
        {
            client.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgentFor(service));

            // The resilience pipeline's per-attempt time-out governs; the client's own would cut retries short.
            client.Timeout = Timeout.InfiniteTimeSpan;
        });
        if (options.PrimaryHandler is { } primary)
        {
            builder.ConfigurePrimaryHttpMessageHandler(() => primary(service));
        }

        builder.AddResilienceHandler(BooruHttp.ClientName(service), (pipeline, context) =>
            BooruHttp.AddRetries(pipeline, retry, service, context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("ImmichAutoTag.Booru." + service)));
    }
}
