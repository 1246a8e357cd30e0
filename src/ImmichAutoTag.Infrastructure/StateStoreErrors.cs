using System.Data.Common;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// The run state store with SQLite's errors turned into <see cref="StateUnavailableException"/>, the port's error:
/// the run then does a full pass instead of failing.
/// </summary>
public sealed class StateStoreErrors(IRunStateStore inner) : IRunStateStore
{
    /// <inheritdoc/>
    public async Task<IncrementalState?> LoadAsync(string scope, CancellationToken ct)
    {
        try
        {
            return await inner.LoadAsync(scope, ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new StateUnavailableException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public async Task CheckReadableAsync(CancellationToken ct)
    {
        try
        {
            await inner.CheckReadableAsync(ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new StateUnavailableException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public async Task SaveAsync(string scope, IncrementalState state, CancellationToken ct)
    {
        try
        {
            await inner.SaveAsync(scope, state, ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new StateUnavailableException(e.Message, e);
        }
    }
}
