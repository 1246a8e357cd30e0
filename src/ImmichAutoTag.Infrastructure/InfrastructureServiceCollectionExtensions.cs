using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.Infrastructure.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImmichAutoTag.Infrastructure;

/// <summary>Dependency-injection registration of Infrastructure: the run's file and SQLite adapters.</summary>
public static class InfrastructureServiceCollectionExtensions
{
    /// <summary>
    /// Registers the run lock, status.json, the queue-pause markers, the run folders and reports, and the SQLite
    /// stores (state.db), all in <paramref name="locations"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="locations">The output and state folders.</param>
    /// <param name="environment">Where the booru keys are read (<c>SAUCENAO_API_KEY</c>, <c>DANBOORU_LOGIN</c>,
    /// <c>DANBOORU_API_KEY</c>): the command's environment; null: the process's.</param>
    public static IServiceCollection AddImmichAutoTagInfrastructure(this IServiceCollection services, RunLocations locations, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(locations);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(locations);
        services.AddSingleton<IRunLock, FileRunLock>();
        services.AddSingleton(new StatusFile(locations.StateFolder));
        services.AddSingleton<IRunStatusSink>(sp => sp.GetRequiredService<StatusFile>());
        services.AddSingleton<IQueuePauseMarkerFactory, FileQueuePauseMarkers>();
        services.AddSingleton<IRunOutputs, RunFolders>();
        services.AddSingleton<IRunReportSink, FileRunReportSink>();
        services.AddSingleton<IUndoReportSink, UndoReportSink>();
        services.AddSingleton<IRunStateStore>(new StateStoreErrors(SqliteRunStateStore.InFolder(locations.StateFolder)));
        services.AddSingleton<IPendingDateWriteStore>(SqlitePendingDateWriteStore.InFolder(locations.StateFolder));
        services.AddSingleton<INonStickingChangeStore>(SqliteNonStickingChangeStore.InFolder(locations.StateFolder));
        services.AddSingleton<IRootTagLinkStore>(SqliteRootTagLinkStore.InFolder(locations.StateFolder));
        services.AddSingleton<ISidecarEntryStore>(SqliteSidecarEntryStore.InFolder(locations.StateFolder));

        services.AddSingleton<ICorrectionStore>(SqliteCorrectionStore.InFolder(locations.StateFolder));

        // Used only by a run whose config turns sidecars: on (with a path mapping).
        services.AddSingleton<ISidecarWriter, Sidecars.XmpSidecarWriter>();

        // Nothing of CLIP is opened here: the model is loaded only by a run whose config turns clip: on.
        var clipStore = SqliteClipEmbeddingStore.InFolder(locations.StateFolder);
        services.AddSingleton(new ClipServices(new OnnxClipModels(Path.Combine(locations.StateFolder, "clip-int8")), clipStore, clipStore, clipStore));

        // Nothing of booru is contacted here: the clients are built by the first run whose config turns booru: on.
        services.AddSingleton(sp => new Core.Enrichment.Booru.BooruServices(
            new BooruClientsForConfig(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, sp.GetRequiredService<TimeProvider>(), environment),
            SqliteBooruStore.InFolder(locations.StateFolder)));
        return services;
    }
}
