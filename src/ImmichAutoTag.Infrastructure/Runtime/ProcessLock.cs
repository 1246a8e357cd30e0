namespace ImmichAutoTag.Infrastructure.Runtime;

/// <summary>
/// An OS file lock (FileShare.None: flock on Linux, a share lock on Windows) on a file in the state
/// folder. The OS drops it when the process dies, so a crash never leaves a stale lock behind, and it
/// works across processes and inside one (each acquisition opens its own handle).
/// </summary>
public sealed class ProcessLock : IDisposable
{
    /// <summary>Held for the duration of one run, by `run` and by each daemon run.</summary>
    public const string RunLockFile = "run.lock";

    /// <summary>Held for the lifetime of a daemon process: one daemon per state folder.</summary>
    public const string DaemonLockFile = "daemon.lock";

    private readonly FileStream _stream;

    private ProcessLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock, or returns null at once when another holder has it.</summary>
    /// <exception cref="IOException">The state folder cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The state folder cannot be written.</exception>
    public static ProcessLock? TryAcquire(string stateFolder, string fileName)
    {
        Directory.CreateDirectory(stateFolder);
        var path = System.IO.Path.Combine(stateFolder, fileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            return new ProcessLock(stream, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // The file exists but could not be opened exclusively: someone holds it.
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
