using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// Reads a large table of the state database row by row without a string per column: the columns are read as the
/// UTF-8 bytes SQLite holds (SQLitePCLRaw, the layer under Microsoft.Data.Sqlite), asset ids are parsed from those
/// bytes, and text that repeats (tag paths, album ids, step names) is kept as one string each.
/// </summary>
/// <remarks>
/// A large library has a row per asset and workflow tag in <c>tool_additions</c> and <c>root_tag_links</c> (80,000
/// each for 20 workflow tags on 100,000 assets), read on every run: through <see cref="SqliteDataReader.GetString"/>
/// each column of each row became a new string, which cost more CPU (decoding, allocation, collection) than SQLite's
/// own reading of the file.
/// </remarks>
internal static class StateRows
{
    /// <summary>
    /// Runs <paramref name="sql"/> (a query with the single parameter <c>$scope</c>, bound to <paramref name="scope"/>)
    /// on <paramref name="connection"/> and calls <paramref name="row"/> for each row, in the order SQLite returns them.
    /// </summary>
    /// <exception cref="SqliteException">SQLite could not prepare or step the query (a damaged file, a missing table).</exception>
    public static void Read(SqliteConnection connection, string sql, string scope, Action<Row> row)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(row);
        var db = connection.Handle ?? throw new InvalidOperationException("The state database connection is not open.");
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (statement)
        {
            rc = raw.sqlite3_bind_text(statement, raw.sqlite3_bind_parameter_index(statement, "$scope"), scope);
            SqliteException.ThrowExceptionForRC(rc, db);
            var current = new Row(statement);
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                row(current);
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }
    }

    /// <summary>The current row of a query <see cref="Read"/> runs; valid only during the callback.</summary>
    internal readonly struct Row(sqlite3_stmt statement)
    {
        /// <summary>Whether column <paramref name="i"/> (0-based) is NULL.</summary>
        public bool IsNull(int i) => raw.sqlite3_column_type(statement, i) == raw.SQLITE_NULL;

        /// <summary>Column <paramref name="i"/> as an integer.</summary>
        public long Int64(int i) => raw.sqlite3_column_int64(statement, i);

        /// <summary>Column <paramref name="i"/>'s text as SQLite holds it (UTF-8), without a copy; valid until the next row.</summary>
        public ReadOnlySpan<byte> Utf8(int i) => raw.sqlite3_column_blob(statement, i);

        /// <summary>Column <paramref name="i"/> as a GUID stored as text (any form <see cref="Guid.Parse(string)"/> reads).</summary>
        /// <exception cref="FormatException">The text is no GUID.</exception>
        public Guid Guid(int i)
        {
            var text = Utf8(i);

            // The stores write the "D" form (36 characters); anything else goes through the thorough parser.
            return Utf8Parser.TryParse(text, out Guid id, out var used, 'D') && used == text.Length
                ? id
                : System.Guid.Parse(Encoding.UTF8.GetString(text));
        }
    }

    /// <summary>One string per distinct text read: a tag path on 80,000 rows is one string, not 80,000.</summary>
    internal sealed class SharedText
    {
        private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public SharedText() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

        /// <summary>The string of <paramref name="utf8"/>, the same instance every time the same text comes.</summary>
        public string Get(ReadOnlySpan<byte> utf8)
        {
            var rented = utf8.Length <= 256 ? null : ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(utf8.Length));
            try
            {
                Span<char> buffer = rented ?? stackalloc char[256];
                var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
                if (_lookup.TryGetValue(chars, out var known))
                {
                    return known;
                }

                var text = new string(chars);
                _strings[text] = text;
                return text;
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }
            }
        }
    }

    /// <summary>
    /// Instants stored as text (<see cref="StateDatabase.Format"/>): the text is parsed again only when it differs from
    /// the row before's, and the round-trip form that format writes is read straight from its UTF-8 bytes. The stores
    /// stamp a row with the instant its change was applied, so a large first run leaves one instant per row (80,000
    /// for 20 workflow tags on 100,000 assets), too many to send each through the culture-aware parser.
    /// </summary>
    internal sealed class Instants
    {
        private byte[] _last = [];
        private int _length = -1;
        private DateTimeOffset _value;

        public DateTimeOffset Get(ReadOnlySpan<byte> utf8)
        {
            if (_length == utf8.Length && utf8.SequenceEqual(_last.AsSpan(0, _length)))
            {
                return _value;
            }

            _value = Parse(utf8);
            if (_last.Length < utf8.Length)
            {
                _last = new byte[utf8.Length];
            }

            utf8.CopyTo(_last);
            _length = utf8.Length;
            return _value;
        }

        /// <summary>
        /// An instant in the form <see cref="StateDatabase.Format"/> writes (<c>2026-12-01T02:59:31.4579065+00:00</c>,
        /// an explicit offset) read by <see cref="Utf8Parser"/>; any other text goes through <see cref="StateDatabase.Parse"/>.
        /// </summary>
        /// <exception cref="FormatException">The text is no instant.</exception>
        internal static DateTimeOffset Parse(ReadOnlySpan<byte> utf8) =>
            utf8.Length == RoundTripLength && utf8[RoundTripLength - 6] is (byte)'+' or (byte)'-'
                && Utf8Parser.TryParse(utf8, out DateTimeOffset value, out var used, 'O') && used == utf8.Length
                ? value
                : StateDatabase.Parse(Encoding.UTF8.GetString(utf8));

        /// <summary>Length of <c>yyyy-MM-ddTHH:mm:ss.fffffff+hh:mm</c>, the round-trip form with an offset.</summary>
        private const int RoundTripLength = 33;
    }
}
