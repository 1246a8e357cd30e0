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
    public const string FormatVariable = "IMMICH_AUTOTAG_LOG_FORMAT";

    public static readonly string[] Levels = ["verbose", "debug", "information", "warning", "error"];
    public static readonly string[] Formats = ["text", "json"];

    private const string Template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    // Without -v a console line names the exception in one line; the stack trace goes to the run's log file only.
    private const string ShortTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{" + ExceptionSummary.Property + ":l}{NewLine}";

    /// <param name="logFile">The run's full log; it always records Debug and above, whatever the console shows.</param>
    public static ILoggerFactory Create(CliContext context, LogSettings settings, string? logFile = null) =>
        new SerilogLoggerFactory(CreateLogger(context, settings, logFile), dispose: true);

    /// <summary>The Serilog logger behind <see cref="Create"/>; the daemon's host takes it through AddSerilog.</summary>
    public static Logger CreateLogger(CliContext context, LogSettings settings, string? logFile = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        var level = ParseLevel(settings.Level)
            ?? (settings.Verbose ? LogEventLevel.Debug : (LogEventLevel?)null)
            ?? ParseLevel(context.Environment(LevelVariable))
            ?? LogEventLevel.Information;
        var json = IsJson(context, settings);

        // JSON lines on the console are for log collectors (docker logs, Loki); the run folder's file stays readable text.
        ITextFormatter console = json
            ? ConsoleJson.Formatter()
            : new MessageTemplateTextFormatter(level <= LogEventLevel.Debug ? Template : ShortTemplate, CultureInfo.InvariantCulture);
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.With<ExceptionSummary>()
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting", LogEventLevel.Warning)
            .WriteTo.Sink(new WriterSink(context.Err, console), level);
        if (logFile is not null)
        {
            configuration = configuration.WriteTo.File(
                logFile,
                outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: CultureInfo.InvariantCulture);
        }

        return configuration.CreateLogger();
    }

    /// <summary>In JSON mode every console line must be a JSON object, so plain status lines go through the logger.</summary>
    public static bool IsJson(CliContext context, LogSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        return string.Equals(settings.Format ?? context.Environment(FormatVariable)?.Trim(), "json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The context for a command's plain console lines written before (or outside) its logger: in JSON console mode
    /// its standard error turns each line into a JSON object (<see cref="JsonLineWriter"/>), so that every line a log
    /// collector reads is one; in text mode it is <paramref name="context"/> itself. Dispose the writer it returns
    /// (null in text mode).
    /// </summary>
    public static (CliContext Context, IDisposable? Writer) PlainLines(CliContext context, LogSettings settings)
    {
        if (!IsJson(context, settings))
        {
            return (context, null);
        }

        var writer = new JsonLineWriter(context.Err);
        return (context with { Err = writer }, writer);
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

/// <param name="Verbose">-v: debug on the console.</param>
/// <param name="Level">--log-level, which wins over -v and IMMICH_AUTOTAG_LOG_LEVEL.</param>
/// <param name="Format">--log-format text|json, which wins over IMMICH_AUTOTAG_LOG_FORMAT.</param>
internal sealed record LogSettings(bool Verbose = false, string? Level = null, string? Format = null);

/// <summary>Forwards whole lines (progress) to a logger, for JSON console mode.</summary>
internal sealed class LogLineWriter(Microsoft.Extensions.Logging.ILogger logger) : TextWriter
{
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void WriteLine(string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            logger.LogInformation("{Progress}", value.Trim());
        }
    }

    public override void Write(string? value) => WriteLine(value);
}

/// <summary>
/// Plain lines for standard output (a run's closing summary, its notices) as JSON objects in the log's own shape
/// (Serilog's JsonFormatter: Timestamp, Level, MessageTemplate <c>{Summary}</c>, RenderedMessage, Properties), for
/// JSON console mode: a log collector reads both streams, so every line of either must be a JSON object.
/// </summary>
internal sealed class JsonLineWriter(TextWriter output) : TextWriter
{
    private readonly Logger _lines = new LoggerConfiguration()
        .WriteTo.Sink(new WriterSink(output, ConsoleJson.Formatter()))
        .CreateLogger();

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    /// <summary>
    /// A line that starts "error: " or "warning: " (the text console's spelling) is written at that level with the
    /// prefix left out, so a collector filtering by Level sees it; every other line is Information.
    /// </summary>
    public override void WriteLine(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        var line = value.Trim();
        if (line.StartsWith("error: ", StringComparison.Ordinal))
        {
            _lines.Error("{Summary:l}", line["error: ".Length..]);
        }
        else if (line.StartsWith("warning: ", StringComparison.Ordinal))
        {
            _lines.Warning("{Summary:l}", line["warning: ".Length..]);
        }
        else
        {
            _lines.Information("{Summary:l}", line);
        }
    }

    public override void Write(string? value) => WriteLine(value);

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lines.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// One JSON object per log event for the console in JSON mode, in Serilog's JsonFormatter shape (Timestamp, Level,
/// MessageTemplate, RenderedMessage, Exception, Properties), written by Serilog.Expressions' template: its rendered
/// message shows text values as they are, where Serilog's own rendering wraps every string property in quotes
/// (<c>Run "20261201_…"</c>), which reads wrongly in a log viewer.
/// </summary>
internal static class ConsoleJson
{
    /// <summary>A new formatter (one per sink: templates are cheap and keep no state worth sharing).</summary>
    public static ITextFormatter Formatter() => new Serilog.Templates.ExpressionTemplate(
        "{ {Timestamp: @t, Level: @l, MessageTemplate: @mt, RenderedMessage: @m, Exception: @x, Properties: @p} }\n",
        CultureInfo.InvariantCulture);
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

/// <summary>Adds the logged exception's type and message as one property, for console lines that leave out the stack trace.</summary>
internal sealed class ExceptionSummary : ILogEventEnricher
{
    /// <summary>The property's name in the console's output template.</summary>
    public const string Property = "ExceptionSummary";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(propertyFactory);
        if (logEvent.Exception is { } ex)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(Property, $" ({ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")})"));
        }
    }
}
