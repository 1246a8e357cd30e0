using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="ICorrectionStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/> uses):
/// table <c>tool_additions</c> (what the tool added and Immich kept) and <c>user_corrections</c> (what the user
/// removed again, with when a run found it gone). The run lock keeps writers apart.
/// </summary>
public sealed class SqliteCorrectionStore(string databasePath) : ICorrectionStore
{
    public static SqliteCorrectionStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<CorrectionState> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var additions = new List<ToolAddition>();
        var corrections = new List<UserCorrection>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT asset_id, kind, target, label, step, added_at, removed_at FROM tool_additions WHERE scope = $scope
                UNION ALL
                SELECT asset_id, kind, target, label, step, added_at, removed_at FROM user_corrections WHERE scope = $scope
                ORDER BY asset_id, kind, target
                """;
            command.Parameters.AddWithValue("$scope", scope);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var addition = new ToolAddition(
                    Guid.Parse(reader.GetString(0)),
                    reader.GetString(1) == AlbumKind ? AdditionKind.Album : AdditionKind.Tag,
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    StateDatabase.Parse(reader.GetString(5)));
                if (reader.IsDBNull(6))
                {
                    additions.Add(addition);
                }
                else
                {
                    corrections.Add(new UserCorrection(addition, StateDatabase.Parse(reader.GetString(6))));
                }
            }
        }

        return new CorrectionState(additions, corrections);
    }

    public async Task SaveAsync(string scope, CorrectionState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var table in new[] { "tool_additions", "user_corrections" })
        {
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table} WHERE scope = $scope";
            delete.Parameters.AddWithValue("$scope", scope);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        // One prepared command per table, reused: a first run on a large library records an addition per asset.
        await InsertAllAsync("tool_additions", state.Additions.Select(a => (a, (DateTimeOffset?)null))).ConfigureAwait(false);
        await InsertAllAsync("user_corrections", state.Corrections.Select(c => (c.Addition, (DateTimeOffset?)c.RemovedAt))).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        async Task InsertAllAsync(string table, IEnumerable<(ToolAddition Addition, DateTimeOffset? RemovedAt)> rows)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"""
                INSERT OR REPLACE INTO {table} (scope, asset_id, kind, target, label, step, added_at, removed_at)
                VALUES ($scope, $asset, $kind, $target, $label, $step, $added, $removed)
                """;
            var parameters = Columns.Select(name => insert.Parameters.Add(name, SqliteType.Text)).ToArray();
            foreach (var (addition, removedAt) in rows)
            {
                parameters[0].Value = scope;
                parameters[1].Value = addition.AssetId.ToString("D");
                parameters[2].Value = addition.Kind == AdditionKind.Album ? AlbumKind : TagKind;
                parameters[3].Value = addition.Target;
                parameters[4].Value = addition.Label;
                parameters[5].Value = addition.Step;
                parameters[6].Value = StateDatabase.Format(addition.AddedAt);
                parameters[7].Value = removedAt is { } removed ? StateDatabase.Format(removed) : DBNull.Value;
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private static readonly string[] Columns = ["$scope", "$asset", "$kind", "$target", "$label", "$step", "$added", "$removed"];

    private const string TagKind = "tag";
    private const string AlbumKind = "album";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS tool_additions (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          label TEXT NOT NULL,
          step TEXT NOT NULL,
          added_at TEXT NOT NULL,
          removed_at TEXT,
          PRIMARY KEY (scope, asset_id, kind, target));
        CREATE TABLE IF NOT EXISTS user_corrections (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          label TEXT NOT NULL,
          step TEXT NOT NULL,
          added_at TEXT NOT NULL,
          removed_at TEXT NOT NULL,
          PRIMARY KEY (scope, asset_id, kind, target))
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);
}
