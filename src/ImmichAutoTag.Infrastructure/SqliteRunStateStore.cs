using System.Globalization;
using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IRunStateStore"/> in a SQLite file in the state folder. One connection per call: runs are
/// minutes apart and the run lock already keeps writers apart, so pooling buys nothing.
/// </summary>
public sealed class SqliteRunStateStore(string databasePath) : IRunStateStore
{
    public const string FileName = "state.db";

    public static SqliteRunStateStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, FileName));

    /// <inheritdoc/>
    public Task CheckReadableAsync(CancellationToken ct) => StateDatabase.CheckAsync(databasePath, ct);

    public async Task<IncrementalState?> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT watermark, last_full_pass_at, fingerprint FROM incremental_state WHERE scope = $scope";
        command.Parameters.AddWithValue("$scope", scope);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        return new IncrementalState(Parse(reader.GetString(0)), Parse(reader.GetString(1)), reader.GetString(2));
    }

    public async Task SaveAsync(string scope, IncrementalState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO incremental_state (scope, watermark, last_full_pass_at, fingerprint)
            VALUES ($scope, $watermark, $full, $fingerprint)
            ON CONFLICT (scope) DO UPDATE SET
              watermark = excluded.watermark, last_full_pass_at = excluded.last_full_pass_at, fingerprint = excluded.fingerprint
            """;
        command.Parameters.AddWithValue("$scope", scope);
        command.Parameters.AddWithValue("$watermark", Format(state.Watermark));
        command.Parameters.AddWithValue("$full", Format(state.LastFullPassAt));
        command.Parameters.AddWithValue("$fingerprint", state.Fingerprint);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS incremental_state (
          scope TEXT PRIMARY KEY,
          watermark TEXT NOT NULL,
          last_full_pass_at TEXT NOT NULL,
          fingerprint TEXT NOT NULL)
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);

    private static string Format(DateTimeOffset value) => StateDatabase.Format(value);

    private static DateTimeOffset Parse(string text) => StateDatabase.Parse(text);
}
