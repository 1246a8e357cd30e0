using System.Globalization;
using System.Text.Json;
using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IRunHistoryStore"/> in the state folder's SQLite file (<see cref="SqliteRunStateStore.FileName"/>),
/// table <c>run_history</c>. The counts are one JSON object per run, so new figures need no migration. Runs are kept
/// per state scope (column <c>scope</c>, the user id, as the other state tables); rows older versions wrote have
/// none and only a server URL, and since a state folder belongs to one Immich server, the first run that records
/// itself with a scope adopts them.
/// </summary>
public sealed class SqliteRunHistoryStore(string databasePath) : IRunHistoryStore
{
    public static SqliteRunHistoryStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    public async Task AppendAsync(RunHistoryEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE run_history SET scope = $scope WHERE scope IS NULL AND $scope IS NOT NULL;
            INSERT INTO run_history (run_id, server, started_at, finished_at, dry_run, outcome, counts, scope)
            VALUES ($run, $server, $started, $finished, $dry, $outcome, $counts, $scope)
            """;
        command.Parameters.AddWithValue("$scope", (object?)entry.Scope ?? DBNull.Value);
        command.Parameters.AddWithValue("$run", entry.RunId);
        command.Parameters.AddWithValue("$server", entry.Server.AbsoluteUri);
        command.Parameters.AddWithValue("$started", Format(entry.StartedAt));
        command.Parameters.AddWithValue("$finished", Format(entry.FinishedAt));
        command.Parameters.AddWithValue("$dry", entry.DryRun ? 1 : 0);
        command.Parameters.AddWithValue("$outcome", entry.Outcome);
        command.Parameters.AddWithValue("$counts", JsonSerializer.Serialize(entry.Counts.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)));
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RunHistoryEntry>> RecentAsync(int count, string? scope, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT run_id, server, started_at, finished_at, dry_run, outcome, counts, scope FROM run_history
            WHERE $scope IS NULL OR scope = $scope
            ORDER BY seq DESC LIMIT $count
            """;
        command.Parameters.AddWithValue("$scope", (object?)scope ?? DBNull.Value);
        command.Parameters.AddWithValue("$count", count);
        var entries = new List<RunHistoryEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(reader.GetString(6)) ?? [];
            entries.Add(new RunHistoryEntry(
                reader.GetString(0),
                new Uri(reader.GetString(1)),
                Parse(reader.GetString(2)),
                Parse(reader.GetString(3)),
                reader.GetInt64(4) != 0,
                reader.GetString(5),
                counts)
            {
                Scope = reader.IsDBNull(7) ? null : reader.GetString(7),
            });
        }

        entries.Reverse();
        return entries;
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS run_history (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          run_id TEXT NOT NULL,
          server TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT NOT NULL,
          dry_run INTEGER NOT NULL,
          outcome TEXT NOT NULL,
          counts TEXT NOT NULL,
          scope TEXT)
        """;

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = await StateDatabase.OpenAsync(databasePath, Schema, ct).ConfigureAwait(false);
        try
        {
            // Tables older versions created have no scope column (CREATE TABLE IF NOT EXISTS leaves them as they are).
            await using var check = connection.CreateCommand();
            check.CommandText = "SELECT COUNT(*) FROM pragma_table_info('run_history') WHERE name = 'scope'";
            if (Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
            {
                await using var alter = connection.CreateCommand();
                alter.CommandText = "ALTER TABLE run_history ADD COLUMN scope TEXT";
                await alter.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Format(DateTimeOffset value) => StateDatabase.Format(value);

    private static DateTimeOffset Parse(string text) => StateDatabase.Parse(text);
}
