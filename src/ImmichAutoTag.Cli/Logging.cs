using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace ImmichAutoTag.Cli;

/// <summary>Serilog is configured here and nowhere else; the rest of the code logs through ILogger.</summary>
internal static class Logging
{
    public const string LevelVariable = "IMMICH_AUTOTAG_LOG_LEVEL";

    private const string Template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <param name="logFile">The run's full log; it always records Debug and above, whatever the console shows.</param>
    public static ILoggerFactory Create(CliContext context, bool verbose, string? logFile = null)
    {
        var level = verbose ? LogEventLevel.Debug : ParseLevel(context.Environment(LevelVariable)) ?? LogEventLevel.Information;
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .WriteTo.TextWriter(context.Err, restrictedToMinimumLevel: level, outputTemplate: Template, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (logFile is not null)
        {
            configuration = configuration.WriteTo.File(
                logFile,
                outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        return new SerilogLoggerFactory(configuration.CreateLogger(), dispose: true);
    }

    private static LogEventLevel? ParseLevel(string? text) =>
        text?.Trim().ToUpperInvariant() switch
        {
            "VERBOSE" or "TRACE" => LogEventLevel.Verbose,
            "DEBUG" => LogEventLevel.Debug,
            "INFO" or "INFORMATION" => LogEventLevel.Information,
            "WARN" or "WARNING" => LogEventLevel.Warning,
            "ERROR" => LogEventLevel.Error,
            _ => null,
        };
}
