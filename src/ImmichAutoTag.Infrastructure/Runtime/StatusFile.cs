using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Infrastructure.Runtime;

/// <summary>
/// <c>&lt;state&gt;/status.json</c>: what health checks and people look at to know whether scheduled
/// runs happen and succeed. Written atomically (temp file + rename), so a reader never sees half a file.
/// </summary>
public sealed class StatusFile(string stateFolder) : IRunStatusSink
{
    public const string FileName = "status.json";

    private const int RecentRunsKept = 20;

    // One writer at a time within the process; across processes the run lock serialises run updates.
    private static readonly Lock Gate = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string Path { get; } = System.IO.Path.Combine(stateFolder, FileName);

    /// <summary>An outcome as status.json and the run history spell it (<c>partial_failure</c>), for console and log lines.</summary>
    public static string OutcomeName(RunOutcome outcome) => JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString());

    public static StatusDocument? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<StatusDocument>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public StatusDocument? Read() => Read(Path);

    public void Update(Func<StatusDocument, StatusDocument> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (Gate)
        {
            var current = Read() ?? new StatusDocument();
            var next = change(current) with { UpdatedAt = DateTimeOffset.UtcNow };
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var temp = Path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(next, Json));
            File.Move(temp, Path, overwrite: true);
        }
    }

    /// <summary>
    /// Records <paramref name="run"/> as in progress. Called under the run lock, so a run still recorded as in progress
    /// is one whose process died (killed, out of memory, power loss): it is recorded as failed first.
    /// </summary>
    public void RunStarted(RunStatus run) => Update(s =>
    {
        if (s.Current is { } dead)
        {
            var ended = dead with
            {
                Outcome = RunOutcome.Failed,
                EndedWithoutResult = true,
                Message = $"ended without a result: process {dead.Pid} stopped (killed or crashed) before it finished; found by the next run",
            };
            s = ended.DryRun
                ? s with { LastDryRun = ended, RecentRuns = [.. s.RecentRuns.Append(ended).TakeLast(RecentRunsKept)] }
                : s with { LastRun = ended, RecentRuns = [.. s.RecentRuns.Append(ended).TakeLast(RecentRunsKept)] };
        }

        return s with { Current = run with { Host = run.Host ?? Environment.MachineName } };
    });

    /// <summary>
    /// Whether the process of <paramref name="run"/> (in progress per status.json) still runs: null when that cannot be
    /// told (another host, or a status file without the host), false when no such process exists or the process with
    /// that id started after the run did (the id was reused).
    /// </summary>
    public static bool? IsAlive(RunStatus run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Host is null || !string.Equals(run.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(run.Pid);
            if (process.HasExited)
            {
                return false;
            }

            // A minute's slack: the run's start is taken after the process started, on another clock read.
            return process.StartTime.ToUniversalTime() <= run.StartedAt.UtcDateTime.AddMinutes(1);
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records <paramref name="run"/> as ended. A dry run goes to <see cref="StatusDocument.LastDryRun"/> and the recent
    /// runs only: it writes nothing, so it says nothing about whether the real runs' writes succeed.
    /// </summary>
    public void RunFinished(RunStatus run) => Update(s => run.DryRun
        ? s with
        {
            Current = null,
            LastDryRun = run,
            RecentRuns = [.. s.RecentRuns.Append(run).TakeLast(RecentRunsKept)],
        }
        : s with
        {
            Current = null,
            LastRun = run,
            LastSuccess = run.Outcome == RunOutcome.Success ? run : s.LastSuccess,
            RecentRuns = [.. s.RecentRuns.Append(run).TakeLast(RecentRunsKept)],
        });

    public void UndoFinished(RunStatus undo) => Update(s => s with
    {
        LastUndo = undo,
        RecentRuns = [.. s.RecentRuns.Append(undo).TakeLast(RecentRunsKept)],
    });
}

public sealed record StatusDocument
{
    public DateTimeOffset UpdatedAt { get; init; }

    public DaemonStatus? Daemon { get; init; }

    /// <summary>The run in progress, if any.</summary>
    public RunStatus? Current { get; init; }

    /// <summary>The last real run (status files of older versions may hold a dry run here).</summary>
    public RunStatus? LastRun { get; init; }

    /// <summary>The last real run that succeeded.</summary>
    public RunStatus? LastSuccess { get; init; }

    /// <summary>The last dry run (kept apart from <see cref="LastRun"/>: health judges real runs when there are any).</summary>
    public RunStatus? LastDryRun { get; init; }

    /// <summary>The last <c>undo</c> (kept apart from <see cref="LastRun"/>: health judges runs, not undos).</summary>
    public RunStatus? LastUndo { get; init; }

    /// <summary>The last runs, oldest first.</summary>
    public IReadOnlyList<RunStatus> RecentRuns { get; init; } = [];
}

public sealed record DaemonStatus(int Pid, DateTimeOffset StartedAt, string Schedule, string State, DateTimeOffset? NextRunAt);
