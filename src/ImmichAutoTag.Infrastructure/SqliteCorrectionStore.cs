using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="ICorrectionStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/> uses):
/// table <c>tool_additions</c> (what the tool added or set and Immich kept) and <c>user_corrections</c> (what the user
/// removed or put back again, with when a run found it gone). Column <c>kind</c> is <c>tag</c>, <c>album</c>,
/// <c>favorite</c> or <c>archive</c> (<see cref="AdditionKind"/>). The run lock keeps writers apart.
/// </summary>
public sealed class SqliteCorrectionStore(string databasePath) : ICorrectionStore
{
    public static SqliteCorrectionStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task<CorrectionState> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var additions = new List<ToolAddition>();
        var corrections = new List<UserCorrection>();

        // One query per table, in the order the rows are stored: `+scope` keeps SQLite from walking the primary key's
        // index and looking each row up in the table from there (for 80,000 rows about seven times the work of
        // reading the table through; the order of the rows does not matter to the memory). A large library has a row
        // per asset and tag a step added, so a row is read from SQLite's own bytes (StateRows): targets (tag paths,
        // album ids), labels and steps repeat on every asset and are kept as one string each, and an instant equal to
        // the row before's is not parsed again.
        var text = new StateRows.SharedText();
        var instants = new StateRows.Instants();
        foreach (var table in (string[])["tool_additions", "user_corrections"])
        {
            ct.ThrowIfCancellationRequested();
            StateRows.Read(
                connection,
                $"""
                SELECT asset_id, CASE kind WHEN '{AlbumKind}' THEN 1 WHEN '{FavoriteKind}' THEN 2 WHEN '{ArchiveKind}' THEN 3 ELSE 0 END, target, CASE WHEN label = target THEN NULL ELSE label END, step, added_at, removed_at
                FROM {table} WHERE +scope = $scope
                """,
                scope,
                row =>
                {
                    var target = text.Get(row.Utf8(2));
                    var addition = new ToolAddition(
                        row.Guid(0),
                        row.Int64(1) switch { 1 => AdditionKind.Album, 2 => AdditionKind.Favorite, 3 => AdditionKind.Archive, _ => AdditionKind.Tag },
                        target,
                        row.IsNull(3) ? target : text.Get(row.Utf8(3)),
                        text.Get(row.Utf8(4)),
                        instants.Get(row.Utf8(5)));
                    if (row.IsNull(6))
                    {
                        additions.Add(addition);
                    }
                    else
                    {
                        corrections.Add(new UserCorrection(addition, StateDatabase.Parse(System.Text.Encoding.UTF8.GetString(row.Utf8(6)))));
                    }
                });
        }

        return new CorrectionState(additions, corrections);
    }

    /// <remarks>
    /// Writes only the difference with what the file holds: rows no longer in <paramref name="state"/> are deleted, new
    /// or changed rows written, equal rows left alone. A run that changes nothing (a rerun) then writes nothing, where
    /// rewriting every row cost a large library tens of thousands of inserts per run (one per tag a step added).
    /// </remarks>
    public async Task SaveAsync(string scope, CorrectionState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await SyncAsync("tool_additions", state.Additions.Select(a => Row(a, null))).ConfigureAwait(false);
        await SyncAsync("user_corrections", state.Corrections.Select(c => Row(c.Addition, c.RemovedAt))).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        async Task SyncAsync(string table, IEnumerable<StoredRow> rows)
        {
            var stored = new Dictionary<(string Asset, string Kind, string Target), StoredRow>();
            await using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = $"SELECT asset_id, kind, target, label, step, added_at, removed_at FROM {table} WHERE +scope = $scope";
                select.Parameters.AddWithValue("$scope", scope);
                await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var row = new StoredRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6));
                    stored[row.Key] = row;
                }
            }

            // One prepared command per kind of write, reused: a first run on a large library records an addition per asset.
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"""
                INSERT OR REPLACE INTO {table} (scope, asset_id, kind, target, label, step, added_at, removed_at)
                VALUES ($scope, $asset, $kind, $target, $label, $step, $added, $removed)
                """;
            var parameters = Columns.Select(name => insert.Parameters.Add(name, SqliteType.Text)).ToArray();
            foreach (var row in rows)
            {
                if (stored.Remove(row.Key, out var old) && old == row)
                {
                    continue;
                }

                parameters[0].Value = scope;
                parameters[1].Value = row.Asset;
                parameters[2].Value = row.Kind;
                parameters[3].Value = row.Target;
                parameters[4].Value = row.Label;
                parameters[5].Value = row.Step;
                parameters[6].Value = row.Added;
                parameters[7].Value = row.Removed is { } removed ? removed : DBNull.Value;
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (stored.Count == 0)
            {
                return;
            }

            // What is left was stored and is no longer in the state.
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table} WHERE scope = $scope AND asset_id = $asset AND kind = $kind AND target = $target";
            var keys = KeyColumns.Select(name => delete.Parameters.Add(name, SqliteType.Text)).ToArray();
            foreach (var (asset, kind, target) in stored.Keys)
            {
                keys[0].Value = scope;
                keys[1].Value = asset;
                keys[2].Value = kind;
                keys[3].Value = target;
                await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A row as the file stores it (text columns), so a stored row and a state row compare equal when the file would not change.</summary>
    private static StoredRow Row(ToolAddition a, DateTimeOffset? removedAt) => new(
        a.AssetId.ToString("D"),
        a.Kind switch { AdditionKind.Album => AlbumKind, AdditionKind.Favorite => FavoriteKind, AdditionKind.Archive => ArchiveKind, _ => TagKind },
        a.Target,
        a.Label,
        a.Step,
        StateDatabase.Format(a.AddedAt),
        removedAt is { } removed ? StateDatabase.Format(removed) : null);

    private sealed record StoredRow(string Asset, string Kind, string Target, string Label, string Step, string Added, string? Removed)
    {
        public (string Asset, string Kind, string Target) Key => (Asset, Kind, Target);
    }

    private static readonly string[] KeyColumns = ["$scope", "$asset", "$kind", "$target"];

    private static readonly string[] Columns = ["$scope", "$asset", "$kind", "$target", "$label", "$step", "$added", "$removed"];

    private const string TagKind = "tag";
    private const string AlbumKind = "album";
    private const string FavoriteKind = "favorite";
    private const string ArchiveKind = "archive";

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
