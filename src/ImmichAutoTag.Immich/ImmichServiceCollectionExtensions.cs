using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Immich;

/// <summary>Dependency-injection registration of the HTTP gateway.</summary>
public static class ImmichServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IImmichConnectionFactory"/>: each run connects to <c>server.url</c> with <c>server.api_key</c>
    /// over HTTP (<see cref="ImmichGateway"/>). <paramref name="configure"/> may adjust the connection (time-outs, a test transport).
    /// </summary>
    public static IServiceCollection AddImmichGateway(this IServiceCollection services, Func<ImmichConnectionOptions, ImmichConnectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IImmichConnectionFactory>(new HttpImmichConnectionFactory(configure));
        return services;
    }
}

/// <summary>Connects each run to the configured server over HTTP.</summary>
public sealed class HttpImmichConnectionFactory(Func<ImmichConnectionOptions, ImmichConnectionOptions>? configure = null) : IImmichConnectionFactory
{
    /// <inheritdoc/>
    public IImmichConnection Connect(AutoTagConfig config, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = new ImmichConnectionOptions(config.Server.Url, config.Server.ApiKey);
        return ImmichGateway.Create(configure is null ? options : configure(options), loggerFactory);
    }
}
