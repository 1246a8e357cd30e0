namespace ImmichAutoTag.Cli;

/// <summary>
/// What a command may touch of the outside world. Tests run the whole CLI in-process with their own
/// writers, environment and home folder.
/// </summary>
public sealed record CliContext(
    TextWriter Out,
    TextWriter Err,
    Func<string, string?> Environment,
    string Home,
    string WorkingDirectory,
    bool Interactive = false)
{
    /// <summary>
    /// Adjusts every Immich connection a run opens (time-outs, retry back-off); null keeps the defaults. In-process
    /// tests shorten the waits here so fault-injected runs stay quick.
    /// </summary>
    public Func<ImmichAutoTag.Immich.ImmichConnectionOptions, ImmichAutoTag.Immich.ImmichConnectionOptions>? Connection { get; init; }

    public static CliContext FromProcess() => new(
        Console.Out,
        Console.Error,
        System.Environment.GetEnvironmentVariable,
        System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
        Directory.GetCurrentDirectory(),
        Interactive: !Console.IsErrorRedirected);
}
