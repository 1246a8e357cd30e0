using System.Globalization;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Core;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Display;

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
            .WriteTo.Sink(new WriterSink(context.Err, new MessageTemplateTextFormatter(Template, CultureInfo.InvariantCulture)), level);
        if (logFile is not null)
        {
            configuration = configuration.WriteTo.File(
                logFile,
                outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: CultureInfo.InvariantCulture);
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

/// <summary>Console output goes through the CLI context's writer so in-process tests see it like a user would.</summary>
internal sealed class WriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
