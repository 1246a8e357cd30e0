using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="ISidecarEntryStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/> uses),
/// table <c>sidecar_entries</c>. The run lock keeps writers apart.
/// </summary>
public sealed class SqliteSidecarEntryStore(string databasePath) : ISidecarEntryStore
{
    public static SqliteSidecarEntryStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<IReadOnlyList<SidecarEntry>> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT asset_id, tag, sidecar, file_name, written_at FROM sidecar_entries WHERE scope = $scope ORDER BY asset_id, tag";
        command.Parameters.AddWithValue("$scope", scope);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var result = new List<SidecarEntry>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            result.Add(new SidecarEntry(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), StateDatabase.Parse(reader.GetString(4))));
        }

        return result;
    }

    public async Task SaveAsync(string scope, IReadOnlyList<SidecarEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM sidecar_entries WHERE scope = $scope";
            delete.Parameters.AddWithValue("$scope", scope);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO sidecar_entries (scope, asset_id, tag, sidecar, file_name, written_at)
                VALUES ($scope, $asset, $tag, $sidecar, $name, $at)
                """;
            var asset = insert.Parameters.Add("$asset", SqliteType.Text);
            var tag = insert.Parameters.Add("$tag", SqliteType.Text);
            var sidecar = insert.Parameters.Add("$sidecar", SqliteType.Text);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            insert.Parameters.AddWithValue("$scope", scope);
            foreach (var entry in entries)
            {
                asset.Value = entry.AssetId.ToString("D");
                tag.Value = entry.TagName;
                sidecar.Value = entry.Sidecar;
                name.Value = entry.FileName;
                at.Value = StateDatabase.Format(entry.WrittenAt);
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS sidecar_entries (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          tag TEXT NOT NULL,
          sidecar TEXT NOT NULL,
          file_name TEXT NOT NULL,
          written_at TEXT NOT NULL,
          PRIMARY KEY (scope, asset_id, tag))
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);
}
