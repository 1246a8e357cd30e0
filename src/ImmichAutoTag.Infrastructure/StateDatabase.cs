using System.Globalization;
using System.Text;
using ImmichAutoTag.Core.Application;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// What every table of the state database (<c>state.db</c> in the state folder) shares: how a connection is
/// opened and how instants are stored.
/// </summary>
internal static class StateDatabase
{
    /// <summary>
    /// Opens a new, unpooled connection to <paramref name="databasePath"/> (creating its folder and the file) and
    /// runs <paramref name="schema"/> (idempotent <c>CREATE … IF NOT EXISTS</c> statements) on it. One connection
    /// per call: runs are minutes apart and the run lock keeps writers apart, so pooling buys nothing.
    /// </summary>
    /// <exception cref="SqliteException">The file is not a SQLite database or cannot be written.</exception>
    public static async Task<SqliteConnection> OpenAsync(string databasePath, string schema, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = schema;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await MigrateScopesAsync(connection, ct).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new StateDamagedException(Path.GetFullPath(databasePath), e.Message, e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Checks the whole file with SQLite's <c>PRAGMA quick_check</c> (every page and record, without the slower index
    /// cross-check of <c>integrity_check</c>); a missing file is fine (the first run creates it).
    /// </summary>
    /// <exception cref="StateDamagedException">The file is cut short, overwritten or not a SQLite database.</exception>
    public static async Task CheckAsync(string databasePath, CancellationToken ct)
    {
        if (!File.Exists(databasePath))
        {
            return;
        }

        try
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check";
            var problems = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                problems.Add(reader.GetString(0));
            }

            if (problems is not ["ok"])
            {
                throw new StateDamagedException(Path.GetFullPath(databasePath), string.Join("; ", problems.Take(3)));
            }
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw new StateDamagedException(Path.GetFullPath(databasePath), e.Message, e);
        }
    }

    /// <summary>SQLITE_CORRUPT (11) and SQLITE_NOTADB (26): the file's content, not its folder or permissions, is the problem.</summary>
    private static bool IsDamage(SqliteException e) => e.SqliteErrorCode is 11 or 26;

    /// <summary>
    /// Rewrites rows keyed the old way, <c>"&lt;server url&gt; &lt;user id&gt;"</c>, to the user id alone
    /// (<see cref="Core.Ports.StateScope"/>), once per state file: every table with a <c>scope</c> column that exists
    /// when a version with stable scopes first opens the file. Rows of the same user under two URL spellings are
    /// merged (the first one kept where both hold the same key); the incremental state of such a user is dropped
    /// instead, so the next run does a full pass rather than trust one spelling's watermark.
    /// </summary>
    private static async Task MigrateScopesAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using (var check = connection.CreateCommand())
        {
            check.CommandText = """
                CREATE TABLE IF NOT EXISTS state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                SELECT count(*) FROM state_meta WHERE key = 'scope_format';
                """;
            if (Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'scope')";
            await using var reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                tables.Add(reader.GetString(0));
            }
        }

        // The old key ends with a space and the 36-character user id; a URL never holds a space.
        const string Old = "scope GLOB '* ????????-????-????-????-????????????'";
        var sql = new StringBuilder();
        foreach (var table in tables)
        {
            if (table == "incremental_state")
            {
                sql.Append(CultureInfo.InvariantCulture, $"DELETE FROM \"{table}\" WHERE {Old} AND substr(scope, -36) IN (SELECT substr(scope, -36) FROM \"{table}\" WHERE {Old} GROUP BY 1 HAVING count(*) > 1);\n");
            }

            sql.Append(CultureInfo.InvariantCulture, $"UPDATE OR IGNORE \"{table}\" SET scope = substr(scope, -36) WHERE {Old};\n");
            sql.Append(CultureInfo.InvariantCulture, $"DELETE FROM \"{table}\" WHERE {Old};\n");
        }

        sql.Append("INSERT OR REPLACE INTO state_meta (key, value) VALUES ('scope_format', 'user-id');");
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var migrate = connection.CreateCommand();
        migrate.Transaction = transaction;
        migrate.CommandText = sql.ToString();
        await migrate.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>An instant as stored: ISO 8601 round-trip text in UTC, so text order is time order.</summary>
    public static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Reads an instant written by <see cref="Format"/>.</summary>
    public static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
