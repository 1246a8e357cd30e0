using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Infrastructure.Runtime;

/// <summary>
/// The "queues paused by us" marker as a small JSON file in the state folder, one per server, so a run
/// against one server never resumes the queues of another.
/// </summary>
public sealed class FileQueuePauseMarker(string stateFolder, Uri server, TimeProvider time) : IQueuePauseMarker
{
    public string FilePath { get; } = Path.Combine(stateFolder, FileName(server));

    public static string FileName(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);

        // Hash of the URL without credentials: stable per server, and no host name in a file name.
        var key = server.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"queues-paused-{hash}.json";
    }

    public async Task<IReadOnlyList<string>> ReadAsync(CancellationToken ct)
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        try
        {
            var text = await File.ReadAllTextAsync(FilePath, ct);
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
        return Task.CompletedTask;
    }
}

internal sealed record MarkerFile(
    [property: JsonPropertyName("queues")] List<string> Queues,
    [property: JsonPropertyName("server")] string Server,
    [property: JsonPropertyName("paused_at")] DateTimeOffset PausedAt,
    [property: JsonPropertyName("pid")] int ProcessId);

[JsonSerializable(typeof(MarkerFile))]
internal sealed partial class MarkerContext : JsonSerializerContext;
