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

    public void RunStarted(RunStatus run) => Update(s => s with { Current = run });

    public void RunFinished(RunStatus run) => Update(s => s with
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

    public RunStatus? LastRun { get; init; }

    public RunStatus? LastSuccess { get; init; }

    /// <summary>The last <c>undo</c> (kept apart from <see cref="LastRun"/>: health judges runs, not undos).</summary>
    public RunStatus? LastUndo { get; init; }

    /// <summary>The last runs, oldest first.</summary>
    public IReadOnlyList<RunStatus> RecentRuns { get; init; } = [];
}

public sealed record DaemonStatus(int Pid, DateTimeOffset StartedAt, string Schedule, string State, DateTimeOffset? NextRunAt);
