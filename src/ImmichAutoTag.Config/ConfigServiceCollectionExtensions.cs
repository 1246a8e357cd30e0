using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImmichAutoTag.Config;

/// <summary>Dependency-injection registration of Config.</summary>
public static class ConfigServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IConfigRedactor"/> (the redacted YAML dump of <see cref="ConfigWriter"/>).</summary>
    public static IServiceCollection AddImmichAutoTagConfig(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IConfigRedactor, RedactedConfigYaml>();
        return services;
    }
}

/// <summary>The config as redacted YAML, through <see cref="ConfigWriter.ToRedactedYaml"/>.</summary>
public sealed class RedactedConfigYaml : IConfigRedactor
{
    /// <inheritdoc/>
    public string ToRedactedYaml(AutoTagConfig config) => ConfigWriter.ToRedactedYaml(config);
}
