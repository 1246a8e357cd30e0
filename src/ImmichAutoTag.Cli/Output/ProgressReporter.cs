using System.Globalization;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Cli.Output;

/// <summary>
/// Progress of a run: a redrawn bar with ETA on a terminal; otherwise a plain line at most every
/// <see cref="PlainInterval"/> and at each phase change, so container logs stay readable.
/// </summary>
internal sealed class ProgressReporter(TextWriter writer, bool interactive, TimeProvider time) : IProgress<EngineProgress>
{
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private EnginePhase? _phase;
    private long _phaseStarted;
    private long _lastWrite;
    private bool _barOpen;

    public void Report(EngineProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var phaseChanged = _phase != value.Phase;
            if (phaseChanged)
            {
                _phase = value.Phase;
                _phaseStarted = now;
            }

            var finished = value.Total is { } total && value.Done >= total;
            var due = time.GetElapsedTime(_lastWrite, now) >= (interactive ? RedrawInterval : PlainInterval);
            if (!phaseChanged && !finished && !due)
            {
                return;
            }

            _lastWrite = now;
            var line = Describe(value, time.GetElapsedTime(_phaseStarted, now));
            if (interactive)
            {
                if (phaseChanged && _barOpen)
                {
                    writer.WriteLine();
                }

                writer.Write("\r" + line.PadRight(Math.Max(line.Length, 79)));
                _barOpen = true;
            }
            else
            {
                writer.WriteLine(line);
            }
        }
    }

    /// <summary>Ends the bar's line so later output starts on a fresh line.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (interactive && _barOpen)
            {
                writer.WriteLine();
                _barOpen = false;
            }
        }
    }

    internal static string Describe(EngineProgress value, TimeSpan elapsed)
    {
        var label = value.Phase switch
        {
            EnginePhase.Assets => "Reading assets",
            EnginePhase.Albums => "Reading albums",
            EnginePhase.Tags => "Reading tags",
            EnginePhase.ResolveTags => "Resolving tags",
            EnginePhase.Evaluate => "Classifying",
            EnginePhase.Apply => "Applying",
            _ => value.Phase.ToString(),
        };
        if (value.Total is not { } total || total <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{label}: {value.Done} ({Format(elapsed)})");
        }

        var fraction = Math.Clamp((double)value.Done / total, 0, 1);
        const int width = 24;
        var filled = (int)Math.Round(fraction * width);
        var bar = new string('#', filled) + new string('-', width - filled);
        var eta = fraction > 0 && fraction < 1
            ? " ETA " + Format(TimeSpan.FromTicks((long)(elapsed.Ticks * (1 - fraction) / fraction)))
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{label} [{bar}] {value.Done}/{total} {fraction:P0}{eta}");
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
