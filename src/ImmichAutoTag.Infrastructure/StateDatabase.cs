using System.Globalization;
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
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = schema;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>An instant as stored: ISO 8601 round-trip text in UTC, so text order is time order.</summary>
    public static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Reads an instant written by <see cref="Format"/>.</summary>
    public static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
