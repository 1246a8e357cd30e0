using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="INonStickingChangeStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/>
/// uses), table <c>non_sticking_changes</c>. The run lock keeps writers apart.
/// </summary>
public sealed class SqliteNonStickingChangeStore(string databasePath) : INonStickingChangeStore
{
    public static SqliteNonStickingChangeStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<IReadOnlyList<NonStickingChange>> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT asset_id, library_id, kind, tag, file_name, checksum, first_seen, last_seen, runs
            FROM non_sticking_changes WHERE scope = $scope ORDER BY asset_id, kind, tag
            """;
        command.Parameters.AddWithValue("$scope", scope);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var result = new List<NonStickingChange>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            result.Add(new NonStickingChange(
                Guid.Parse(reader.GetString(0)),
                reader.IsDBNull(1) ? null : Guid.Parse(reader.GetString(1)),
                reader.GetString(2) == Removed ? ChangeKind.Removed : ChangeKind.Added,
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                StateDatabase.Parse(reader.GetString(6)),
                StateDatabase.Parse(reader.GetString(7)),
                reader.GetInt32(8)));
        }

        return result;
    }

    public async Task SaveAsync(string scope, IReadOnlyList<NonStickingChange> changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM non_sticking_changes WHERE scope = $scope";
            delete.Parameters.AddWithValue("$scope", scope);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        foreach (var change in changes)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO non_sticking_changes (scope, asset_id, kind, tag, library_id, file_name, checksum, first_seen, last_seen, runs)
                VALUES ($scope, $asset, $kind, $tag, $library, $name, $checksum, $first, $last, $runs)
                """;
            insert.Parameters.AddWithValue("$scope", scope);
            insert.Parameters.AddWithValue("$asset", change.AssetId.ToString("D"));
            insert.Parameters.AddWithValue("$kind", change.Kind == ChangeKind.Removed ? Removed : Added);
            insert.Parameters.AddWithValue("$tag", change.TagName);
            insert.Parameters.AddWithValue("$library", change.LibraryId is { } library ? library.ToString("D") : DBNull.Value);
            insert.Parameters.AddWithValue("$name", change.FileName);
            insert.Parameters.AddWithValue("$checksum", change.Checksum is { } checksum ? checksum : DBNull.Value);
            insert.Parameters.AddWithValue("$first", StateDatabase.Format(change.FirstSeen));
            insert.Parameters.AddWithValue("$last", StateDatabase.Format(change.LastSeen));
            insert.Parameters.AddWithValue("$runs", change.Runs);
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private const string Added = "tag_added";
    private const string Removed = "tag_removed";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS non_sticking_changes (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          tag TEXT NOT NULL,
          library_id TEXT,
          file_name TEXT NOT NULL,
          checksum TEXT,
          first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          runs INTEGER NOT NULL,
          PRIMARY KEY (scope, asset_id, kind, tag))
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);
}
