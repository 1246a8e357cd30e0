using System.Globalization;
using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IThumbnailCache"/> in the state folder's SQLite file, table <c>thumbnail_cache</c>. It holds only the
/// thumbnails the last report showed (a few hundred at most), so it stays small.
/// </summary>
public sealed class SqliteThumbnailCache(string databasePath) : IThumbnailCache
{
    public static SqliteThumbnailCache InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<IReadOnlyDictionary<Guid, byte[]>> GetAsync(IReadOnlyCollection<Guid> assetIds, DateTimeOffset notBefore, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assetIds);
        var wanted = assetIds.ToHashSet();
        var found = new Dictionary<Guid, byte[]>();
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT asset_id, bytes FROM thumbnail_cache WHERE stored_at >= $since";
        command.Parameters.AddWithValue("$since", Format(notBefore));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (Guid.TryParse(reader.GetString(0), out var id) && wanted.Contains(id))
            {
                found[id] = (byte[])reader.GetValue(1);
            }
        }

        return found;
    }

    public async Task StoreAsync(IReadOnlyDictionary<Guid, byte[]> thumbnails, IReadOnlyCollection<Guid> keep, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(thumbnails);
        ArgumentNullException.ThrowIfNull(keep);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var kept = keep.Select(id => id.ToString("D")).ToHashSet(StringComparer.Ordinal);
        var stale = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.Transaction = transaction;
            list.CommandText = "SELECT asset_id FROM thumbnail_cache";
            await using var reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (!kept.Contains(reader.GetString(0)))
                {
                    stale.Add(reader.GetString(0));
                }
            }
        }

        foreach (var id in stale)
        {
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM thumbnail_cache WHERE asset_id = $id";
            delete.Parameters.AddWithValue("$id", id);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        foreach (var (id, bytes) in thumbnails)
        {
            await using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO thumbnail_cache (asset_id, stored_at, bytes) VALUES ($id, $at, $bytes)
                ON CONFLICT (asset_id) DO UPDATE SET stored_at = excluded.stored_at, bytes = excluded.bytes
                """;
            upsert.Parameters.AddWithValue("$id", id.ToString("D"));
            upsert.Parameters.AddWithValue("$at", Format(now));
            upsert.Parameters.AddWithValue("$bytes", bytes);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS thumbnail_cache (
          asset_id TEXT PRIMARY KEY,
          stored_at TEXT NOT NULL,
          bytes BLOB NOT NULL)
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);

    private static string Format(DateTimeOffset value) => StateDatabase.Format(value);
}
