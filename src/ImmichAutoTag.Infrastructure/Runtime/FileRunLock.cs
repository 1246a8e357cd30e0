using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Infrastructure.Runtime;

/// <summary>The run lock as <see cref="ProcessLock.RunLockFile"/> in the state folder (an OS file lock).</summary>
public sealed class FileRunLock(RunLocations locations) : IRunLock
{
    /// <inheritdoc/>
    public string Location => Path.Combine(locations.StateFolder, ProcessLock.RunLockFile);

    /// <inheritdoc/>
    public IDisposable? TryAcquire()
    {
        try
        {
            return ProcessLock.TryAcquire(locations.StateFolder, ProcessLock.RunLockFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var hint = locations.StateFolderHint is { } h ? $" ({h})" : string.Empty;
            throw new StateUnavailableException($"cannot use the state folder {locations.StateFolder}: {e.Message}{hint}", e);
        }
    }
}

/// <summary>The queue-pause markers as files in the state folder, one per state scope (Immich user).</summary>
public sealed class FileQueuePauseMarkers(RunLocations locations, TimeProvider time) : IQueuePauseMarkerFactory
{
    /// <inheritdoc/>
    public Core.Ports.IQueuePauseMarker For(string scope, Uri server) => new FileQueuePauseMarker(locations.StateFolder, scope, server, time);
}
