using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Runtime;

/// <summary>
/// The "queues paused by us" marker as a small JSON file in the state folder, one per state scope (the Immich user
/// id, <see cref="StateScope"/>), like the rest of the state: the same server reached under another URL (a proxy,
/// https, an IP address) finds the marker an interrupted run left. Markers of older versions were named after a hash
/// of the server URL (<c>queues-paused-&lt;16 hex&gt;.json</c>); as the state folder belongs to one server, they are
/// read as this scope's and removed when it is cleared.
/// </summary>
public sealed partial class FileQueuePauseMarker(string stateFolder, string scope, Uri server, TimeProvider time) : IQueuePauseMarker
{
    public string FilePath { get; } = Path.Combine(stateFolder, FileName(scope));

    /// <summary>The marker's file name for a state scope: a hash, so no id appears in a file name.</summary>
    public static string FileName(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..16];
        return $"queues-paused-user-{hash}.json";
    }

    /// <summary>The file name older versions gave the marker of a server (a hash of its URL without credentials).</summary>
    public static string LegacyFileName(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var key = server.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"queues-paused-{hash}.json";
    }

    /// <summary>Markers older versions left in the state folder, whatever URL spelling they were written under.</summary>
    private IEnumerable<string> LegacyFiles() => Directory.Exists(stateFolder)
        ? Directory.EnumerateFiles(stateFolder, "queues-paused-*.json").Where(f => LegacyName().IsMatch(Path.GetFileName(f)))
        : [];

    public async Task<IReadOnlyList<string>> ReadAsync(CancellationToken ct)
    {
        var queues = new List<string>();
        foreach (var file in LegacyFiles().Prepend(FilePath).Where(File.Exists))
        {
            foreach (var queue in await ReadFileAsync(file, ct))
            {
                if (!queues.Contains(queue, StringComparer.Ordinal))
                {
                    queues.Add(queue);
                }
            }
        }

        return queues;
    }

    private static async Task<IReadOnlyList<string>> ReadFileAsync(string file, CancellationToken ct)
    {
        try
        {
            var text = await File.ReadAllTextAsync(file, ct);
            var record = JsonSerializer.Deserialize(text, MarkerContext.Default.MarkerFile);
            if (record?.Queues is { Count: > 0 } queues)
            {
                return queues;
            }
        }
        catch (JsonException)
        {
            // A torn write (the process died while writing it): resuming both queues is the safe reading.
        }

        return QueueNames.WriteBack;
    }

    public async Task WriteAsync(IReadOnlyList<string> queueNames, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queueNames);
        Directory.CreateDirectory(stateFolder);
        var record = new MarkerFile([.. queueNames], server.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped), time.GetUtcNow(), Environment.ProcessId);

        // Write then rename, so a reader never sees half a file.
        var temp = FilePath + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(record, MarkerContext.Default.MarkerFile), ct);
        File.Move(temp, FilePath, overwrite: true);
    }

    public Task ClearAsync(CancellationToken ct)
    {
        File.Delete(FilePath);
        foreach (var legacy in LegacyFiles().ToList())
        {
            File.Delete(legacy);
        }

        return Task.CompletedTask;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^queues-paused-[0-9a-f]{16}\\.json$")]
    private static partial System.Text.RegularExpressions.Regex LegacyName();
}

internal sealed record MarkerFile(
    [property: JsonPropertyName("queues")] List<string> Queues,
    [property: JsonPropertyName("server")] string Server,
    [property: JsonPropertyName("paused_at")] DateTimeOffset PausedAt,
    [property: JsonPropertyName("pid")] int ProcessId);

[JsonSerializable(typeof(MarkerFile))]
internal sealed partial class MarkerContext : JsonSerializerContext;
