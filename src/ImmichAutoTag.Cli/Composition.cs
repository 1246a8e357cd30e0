using System.Globalization;
using ImmichAutoTag.Cli.Output;
using ImmichAutoTag.Cli.Runtime;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ImmichAutoTag.Cli;

/// <summary>
/// The composition root of `run`, `daemon` and `demo`: each project registers its own services, the CLI adds the console
/// presenter, and a dry run gets the read-only gateway. All three then resolve and call <see cref="AutoTagRunService"/>.
/// </summary>
internal static class Composition
{
    public const string SettleVariable = "IMMICH_AUTOTAG_SETTLE_SECONDS";

    /// <param name="connection">Replaces the HTTP gateway (the demo's in-memory library); null: HTTP to server.url.</param>
    public static IServiceCollection AddRunServices(
        this IServiceCollection services, CliContext context, LogSettings logs, string outputRoot, string stateFolder, bool dryRun, IImmichConnectionFactory? connection = null)
    {
        services
            .AddImmichAutoTagCore()
            .AddImmichAutoTagConfig()
            .AddImmichAutoTagInfrastructure(new RunLocations(outputRoot, stateFolder, $"choose another with --state or {Locations.StateVariable}"), context.Environment);
        if (connection is null)
        {
            services.AddImmichGateway(context.Connection);
        }
        else
        {
            services.AddSingleton(connection);
        }

        services.AddSingleton<IRunPresenter>(sp => new CliRunPresenter(context, logs, sp.GetRequiredService<TimeProvider>()));
        if (dryRun)
        {
            // Dry run by construction: every connection a run opens refuses writes.
            services.UseReadOnlyImmichGateway();
        }

        return services;
    }

    /// <summary>A provider for one command invocation.</summary>
    public static ServiceProvider Build(CliContext context, LogSettings logs, string outputRoot, string stateFolder, bool dryRun, IImmichConnectionFactory? connection = null) =>
        new ServiceCollection().AddRunServices(context, logs, outputRoot, stateFolder, dryRun, connection).BuildServiceProvider();

    /// <summary>The run request, with what the environment adds (IMMICH_AUTOTAG_SETTLE_SECONDS).</summary>
    public static RunRequest Request(CliContext context, AutoTagConfig config, bool dryRun, string trigger) =>
        new(config, dryRun, trigger, SettleDelay(context));

    /// <summary>The largest IMMICH_AUTOTAG_SETTLE_SECONDS (a day): a longer wait is a typo, and a huge one overflows a TimeSpan.</summary>
    public const int MaxSettleSeconds = 86_400;

    /// <summary>IMMICH_AUTOTAG_SETTLE_SECONDS: the wait between re-checks of pending date writes when the key cannot read the queues.</summary>
    private static TimeSpan? SettleDelay(CliContext context) =>
        double.TryParse(context.Environment(SettleVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= MaxSettleSeconds
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
