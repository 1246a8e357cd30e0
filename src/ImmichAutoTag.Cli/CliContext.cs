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
    public static CliContext FromProcess() => new(
        Console.Out,
        Console.Error,
        System.Environment.GetEnvironmentVariable,
        System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
        Directory.GetCurrentDirectory(),
        Interactive: !Console.IsErrorRedirected);
}
