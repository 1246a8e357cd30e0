using System.Globalization;
using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IPendingDateWriteStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/>
/// uses), table <c>pending_date_writes</c>. The run lock keeps writers apart.
/// </summary>
public sealed class SqlitePendingDateWriteStore(string databasePath) : IPendingDateWriteStore
{
    public static SqlitePendingDateWriteStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<IReadOnlyList<PendingDateWrite>> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT asset_id, old_date, new_date, new_value, written_at FROM pending_date_writes WHERE scope = $scope ORDER BY asset_id";
        command.Parameters.AddWithValue("$scope", scope);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var result = new List<PendingDateWrite>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            result.Add(new PendingDateWrite(
                Guid.Parse(reader.GetString(0)),
                Parse(reader.GetString(1)),
                Parse(reader.GetString(2)),
                reader.GetString(3),
                Parse(reader.GetString(4))));
        }

        return result;
    }

    public async Task SaveAsync(string scope, IReadOnlyList<PendingDateWrite> pending, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pending);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM pending_date_writes WHERE scope = $scope";
            delete.Parameters.AddWithValue("$scope", scope);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        foreach (var write in pending)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO pending_date_writes (scope, asset_id, old_date, new_date, new_value, written_at)
                VALUES ($scope, $asset, $old, $new, $value, $at)
                """;
            insert.Parameters.AddWithValue("$scope", scope);
            insert.Parameters.AddWithValue("$asset", write.AssetId.ToString("D"));
            insert.Parameters.AddWithValue("$old", Format(write.OldDate));
            insert.Parameters.AddWithValue("$new", Format(write.NewDate));
            insert.Parameters.AddWithValue("$value", write.NewValue);
            insert.Parameters.AddWithValue("$at", Format(write.WrittenAt));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS pending_date_writes (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          old_date TEXT NOT NULL,
          new_date TEXT NOT NULL,
          new_value TEXT NOT NULL,
          written_at TEXT NOT NULL,
          PRIMARY KEY (scope, asset_id))
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);

    private static string Format(DateTimeOffset value) => StateDatabase.Format(value);

    private static DateTimeOffset Parse(string text) => StateDatabase.Parse(text);
}
