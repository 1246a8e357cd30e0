using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImmichAutoTag.Core.Application;

/// <summary>Dependency-injection registration of Core: the run service and the clock.</summary>
public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AutoTagRunService"/>, <see cref="UndoService"/> and the system clock (unless a clock is registered already). The ports it
    /// needs come from the other projects' registrations (Infrastructure, Immich, Config) and the host (presenter).
    /// </summary>
    public static IServiceCollection AddImmichAutoTagCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AutoTagRunService>();
        services.TryAddSingleton<UndoService>();
        return services;
    }

    /// <summary>
    /// Dry run by construction: puts <see cref="ReadOnlyImmichConnectionFactory"/> in front of the registered
    /// <see cref="IImmichConnectionFactory"/>, so every connection a run opens refuses writes. Call it after the
    /// gateway's registration.
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="IImmichConnectionFactory"/> is registered yet.</exception>
    public static IServiceCollection UseReadOnlyImmichGateway(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IImmichConnectionFactory))
            ?? throw new InvalidOperationException("Register the Immich gateway (IImmichConnectionFactory) before making it read-only.");
        services.Remove(registered);
        services.AddSingleton<IImmichConnectionFactory>(sp => new ReadOnlyImmichConnectionFactory(Resolve(sp, registered)));
        return services;
    }

    private static IImmichConnectionFactory Resolve(IServiceProvider provider, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IImmichConnectionFactory
        ?? (descriptor.ImplementationFactory is { } factory
            ? (IImmichConnectionFactory)factory(provider)
            : (IImmichConnectionFactory)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));
}
