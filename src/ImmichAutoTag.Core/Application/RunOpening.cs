using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Application;

/// <summary>Why a command that works on the library did not start.</summary>
/// <param name="Code"><see cref="RunExitCode.Busy"/> when another run holds the lock; <see cref="RunExitCode.Failure"/> when the state folder cannot be used.</param>
/// <param name="Message">The one error line the user was shown.</param>
/// <param name="LockHeld">Whether the run lock was taken (the output folder could not be made): what the caller records of the refusal is still written under the lock.</param>
internal sealed record RunRefusal(RunExitCode Code, string Message, bool LockHeld);

/// <summary>The run lock and output folder of a command that was let in, or why it was not; disposing releases the lock.</summary>
internal sealed class RunEntry(IDisposable? held, IRunOutput? output, RunRefusal? refusal) : IDisposable
{
    /// <summary>The command's own run folder; null when it was refused.</summary>
    public IRunOutput? Output { get; } = output;

    /// <summary>Why the command did not start; null when it was let in.</summary>
    public RunRefusal? Refusal { get; } = refusal;

    public void Dispose() => held?.Dispose();
}

/// <summary>A started command's console and log session and its server connection; disposing closes the connection, then the session.</summary>
internal sealed class RunConnection(IRunSession session, IImmichConnection gateway) : IDisposable
{
    /// <summary>The console and log file of the command (disposing flushes and closes the log).</summary>
    public IRunSession Session { get; } = session;

    /// <summary>The server, read-only under a dry run.</summary>
    public IImmichConnection Gateway { get; } = gateway;

    public void Dispose()
    {
        Gateway.Dispose();
        Session.Dispose();
    }
}

/// <summary>
/// The opening every command that works on a library shares (`run`, each daemon firing, `demo` and `undo`): the
/// state folder's run lock (so two commands never work on one library at once), the command's own output folder, and,
/// once both are held, the redacted config dump, the console and log session and the server connection — under a dry
/// run the read-only gateway, by construction.
/// </summary>
internal sealed class RunOpening(
    IRunLock runLock,
    IRunOutputs outputs,
    IRunPresenter presenter,
    IImmichConnectionFactory connections,
    IConfigRedactor redactor,
    TimeProvider time)
{
    /// <summary>
    /// Takes the run lock and makes the output folder. A refusal is printed (<see cref="IRunPresenter.RefusedAsync"/>)
    /// and returned, never thrown: another run holding the lock, or a state folder that cannot be used.
    /// </summary>
    /// <param name="nothingDone">What the busy message says was not done, e.g. "nothing was done".</param>
    public async Task<RunEntry> EnterAsync(string nothingDone)
    {
        IDisposable? held;
        try
        {
            held = runLock.TryAcquire();
        }
        catch (StateUnavailableException e)
        {
            return await RefuseAsync(null, RunExitCode.Failure, e.Message).ConfigureAwait(false);
        }

        if (held is null)
        {
            return await RefuseAsync(null, RunExitCode.Busy, $"another immich-autotag run is in progress (it holds {runLock.Location}); {nothingDone}. Try again when it has finished.").ConfigureAwait(false);
        }

        try
        {
            return new RunEntry(held, outputs.Create(time.GetLocalNow(), Environment.ProcessId), null);
        }
        catch (StateUnavailableException e)
        {
            return await RefuseAsync(held, RunExitCode.Failure, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the redacted config dump into <paramref name="output"/>, opens the command's log and connects to the server.</summary>
    /// <param name="dryRun">The command may not write: the connection must be the read-only gateway.</param>
    /// <param name="command">The command's name in the wiring error, e.g. "run" or "undo".</param>
    /// <exception cref="InvalidOperationException">A dry run got a gateway that can write (the composition root did not register the read-only one).</exception>
    public async Task<RunConnection> ConnectAsync(IRunOutput output, AutoTagConfig config, bool dryRun, string command)
    {
        await output.WriteConfigDumpAsync(redactor.ToRedactedYaml(config), CancellationToken.None).ConfigureAwait(false);
        var session = presenter.Open(output);
        IImmichConnection? gateway = null;
        try
        {
            gateway = connections.Connect(config, session.LoggerFactory);
            if (dryRun && gateway is not ReadOnlyImmichGateway)
            {
                // Dry run by construction: anything but the read-only gateway is a wiring bug.
                throw new InvalidOperationException($"A dry {command} needs the read-only gateway (ReadOnlyImmichConnectionFactory); the composition root did not register it.");
            }

            return new RunConnection(session, gateway);
        }
        catch
        {
            gateway?.Dispose();
            session.Dispose();
            throw;
        }
    }

    private async Task<RunEntry> RefuseAsync(IDisposable? held, RunExitCode code, string message)
    {
        await presenter.RefusedAsync(message).ConfigureAwait(false);
        return new RunEntry(held, null, new RunRefusal(code, message, held is not null));
    }
}
