using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace ImmichAutoTag.Cli;

/// <summary>Serilog is configured here and nowhere else; the rest of the code logs through ILogger.</summary>
internal static class Logging
{
    public const string LevelVariable = "IMMICH_AUTOTAG_LOG_LEVEL";

    public static ILoggerFactory Create(CliContext context, bool verbose)
    {
        var level = verbose ? LogEventLevel.Debug : ParseLevel(context.Environment(LevelVariable)) ?? LogEventLevel.Information;
        var serilog = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .WriteTo.TextWriter(context.Err, outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        return new SerilogLoggerFactory(serilog, dispose: true);
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
