using System.Runtime.InteropServices;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// <see cref="IClipEmbeddingStore"/> in the state folder's <c>clip.db</c> (SQLite), table <c>clip_embedding</c>: one
/// row per (model id, asset checksum) with the embedding as a little-endian float32 blob. Label prompt embeddings
/// live beside them in <c>clip_text_embedding</c>, one row per (model id, prompt text). Rows are never dropped by a
/// label change: scoring reads them again.
/// </summary>
/// <remarks>
/// A file of its own with 16 KiB pages: a 512-dimension row is about 2.1 KB, and in <c>state.db</c>'s 4 KiB pages one
/// such row took a page (earlier versions kept them there in a WITHOUT ROWID table: about 1 KB in the leaf and the
/// rest in an overflow page, 4.7 KB per row); here seven rows share a page (about 2.4 KB per row with the key index). The
/// first use of a state folder from an earlier version moves its rows from <c>state.db</c> into <c>clip.db</c>,
/// then drops the old tables and compacts <c>state.db</c>.
/// </remarks>
/// <param name="databasePath">The SQLite file (<c>clip.db</c> in the state folder; created when missing).</param>
public sealed class SqliteClipEmbeddingStore(string databasePath) : IClipEmbeddingStore, IClipTextEmbeddingStore, IClipTagRootStore
{
    /// <summary>The file's name in the state folder.</summary>
    public const string FileName = "clip.db";

    // page_size takes effect only while the file is empty, that is before the first table.
    private const string Schema = """
        PRAGMA page_size = 16384;
        CREATE TABLE IF NOT EXISTS clip_embedding (
          model_id TEXT NOT NULL,
          checksum TEXT NOT NULL,
          dimension INTEGER NOT NULL,
          embedding BLOB NOT NULL,
          PRIMARY KEY (model_id, checksum));
        CREATE TABLE IF NOT EXISTS clip_text_embedding (
          model_id TEXT NOT NULL,
          prompt TEXT NOT NULL,
          dimension INTEGER NOT NULL,
          embedding BLOB NOT NULL,
          PRIMARY KEY (model_id, prompt));
        CREATE TABLE IF NOT EXISTS clip_tag_root (
          scope TEXT NOT NULL,
          tag_root TEXT NOT NULL,
          PRIMARY KEY (scope, tag_root));
        """;

    private static readonly string[] LegacyTables = ["clip_embedding", "clip_text_embedding"];

    // One move per file at a time within the process; the run lock keeps other processes out.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Moves = new(StringComparer.Ordinal);

    // SQLite allows 32766 host parameters; far fewer keep each statement small.
    private const int LookupChunk = 500;

    private volatile bool moved;

    /// <summary>The store in <c>clip.db</c> of <paramref name="stateFolder"/>, taking over the embeddings an earlier version kept in its <c>state.db</c>.</summary>
    public static SqliteClipEmbeddingStore InFolder(string stateFolder) =>
        new(Path.Combine(stateFolder, FileName)) { LegacyDatabase = Path.Combine(stateFolder, SqliteRunStateStore.FileName) };

    /// <summary>
    /// The <c>state.db</c> whose <c>clip_embedding</c> and <c>clip_text_embedding</c> tables (versions before
    /// <c>clip.db</c>) are moved into this store on first use; null: none.
    /// </summary>
    public string? LegacyDatabase { get; init; }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, float[]>> GetAsync(ClipModelId model, IReadOnlyCollection<string> checksums, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checksums);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (checksums.Count == 0)
        {
            return found;
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        foreach (var chunk in checksums.Distinct(StringComparer.Ordinal).Chunk(LookupChunk))
        {
            await using var command = connection.CreateCommand();
            var names = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                names[i] = "$c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(names[i], chunk[i]);
            }

            command.Parameters.AddWithValue("$model", model.Value);
            command.CommandText = $"SELECT checksum, dimension, embedding FROM clip_embedding WHERE model_id = $model AND checksum IN ({string.Join(", ", names)})";
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var blob = (byte[])reader.GetValue(2);
                var dimension = reader.GetInt32(1);
                if (blob.Length != dimension * sizeof(float))
                {
                    continue; // a damaged row is re-encoded rather than trusted
                }

                found[reader.GetString(0)] = FromBlob(blob);
            }
        }

        return found;
    }

    /// <summary>
    /// Streams the wanted rows through one reused buffer (no copy per row beyond SQLite's own). When the wanted
    /// checksums are many compared with what the file can hold (at least a quarter of its size in rows of
    /// <c>4 × 512</c> bytes), one pass over the model's rows in key order is cheaper than a B-tree search per checksum,
    /// so a full re-score reads the table once; otherwise the checksums are looked up by key, 500 per statement.
    /// </summary>
    public async Task<int> VisitAsync(ClipModelId model, IReadOnlySet<string> checksums, ClipStoredEmbeddingVisitor visit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checksums);
        ArgumentNullException.ThrowIfNull(visit);
        if (checksums.Count == 0)
        {
            return 0;
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var scan = ScanMode switch
        {
            ClipStoreScanMode.Scan => true,
            ClipStoreScanMode.Lookup => false,
            _ => checksums.Count >= await EstimatedRowsAsync(connection, ct).ConfigureAwait(false) / 4,
        };
        var buffer = new byte[4 * 512];
        var visited = 0;
        if (scan)
        {
            await using var command = connection.CreateCommand();
            command.Parameters.AddWithValue("$model", model.Value);
            command.CommandText = "SELECT checksum, dimension, embedding FROM clip_embedding WHERE model_id = $model";
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var checksum = reader.GetString(0);
                if (checksums.Contains(checksum) && Visit(reader, checksum, ref buffer, visit))
                {
                    visited++;
                }
            }

            return visited;
        }

        foreach (var chunk in checksums.Chunk(LookupChunk))
        {
            ct.ThrowIfCancellationRequested();
            await using var lookup = connection.CreateCommand();
            lookup.Parameters.AddWithValue("$model", model.Value);
            var names = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                names[i] = "$c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                lookup.Parameters.AddWithValue(names[i], chunk[i]);
            }

            lookup.CommandText = $"SELECT checksum, dimension, embedding FROM clip_embedding WHERE model_id = $model AND checksum IN ({string.Join(", ", names)})";
            await using var reader = await lookup.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (Visit(reader, reader.GetString(0), ref buffer, visit))
                {
                    visited++;
                }
            }
        }

        return visited;
    }

    /// <summary>How <see cref="VisitAsync"/> reads: chosen by the number of wanted rows (default), or forced (tests).</summary>
    internal ClipStoreScanMode ScanMode { get; init; }

    /// <summary>
    /// An upper bound on the embedding rows the file holds, without reading them: its size over the bytes of a
    /// 512-dimension row (the file also holds other tables, so this over-estimates, which favours look-ups).
    /// </summary>
    private static async Task<long> EstimatedRowsAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        var bytes = (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
        return bytes / (4 * 512);
    }

    // Copies the row's blob into the reused buffer and hands it out as floats; a damaged row (length not the
    // dimension's) is skipped, so its asset is re-encoded rather than trusted.
    private static bool Visit(SqliteDataReader reader, string checksum, ref byte[] buffer, ClipStoredEmbeddingVisitor visit)
    {
        var dimension = reader.GetInt32(1);
        var length = reader.GetBytes(2, 0, null, 0, 0);
        if (dimension <= 0 || length != (long)dimension * sizeof(float))
        {
            return false;
        }

        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }

        reader.GetBytes(2, 0, buffer, 0, (int)length);
        var bytes = buffer.AsSpan(0, (int)length);
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < bytes.Length; i += 4)
            {
                bytes.Slice(i, 4).Reverse();
            }
        }

        visit(checksum, MemoryMarshal.Cast<byte, float>(bytes));
        return true;
    }

    /// <inheritdoc />
    public async Task StoreAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await UpsertAsync(
            connection,
            """
            INSERT INTO clip_embedding (model_id, checksum, dimension, embedding) VALUES ($model, $key, $dimension, $embedding)
            ON CONFLICT (model_id, checksum) DO UPDATE SET dimension = excluded.dimension, embedding = excluded.embedding
            """,
            model,
            embeddings,
            ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(ClipModelId model, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM clip_embedding WHERE model_id = $model";
        command.Parameters.AddWithValue("$model", model.Value);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, float[]>> GetTextAsync(ClipModelId model, IReadOnlyCollection<string> prompts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (prompts.Count == 0)
        {
            return found;
        }

        // A label set has tens of prompts: one query for all of the model's rows is simpler than binding each.
        var wanted = prompts.ToHashSet(StringComparer.Ordinal);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT prompt, dimension, embedding FROM clip_text_embedding WHERE model_id = $model";
        command.Parameters.AddWithValue("$model", model.Value);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var prompt = reader.GetString(0);
            var blob = (byte[])reader.GetValue(2);
            if (wanted.Contains(prompt) && blob.Length == reader.GetInt32(1) * sizeof(float))
            {
                found[prompt] = FromBlob(blob);
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task StoreTextAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await UpsertAsync(
            connection,
            """
            INSERT INTO clip_text_embedding (model_id, prompt, dimension, embedding) VALUES ($model, $key, $dimension, $embedding)
            ON CONFLICT (model_id, prompt) DO UPDATE SET dimension = excluded.dimension, embedding = excluded.embedding
            """,
            model,
            embeddings,
            ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> LoadTagRootsAsync(string scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT tag_root FROM clip_tag_root WHERE scope = $scope ORDER BY tag_root";
        select.Parameters.AddWithValue("$scope", scope);
        var roots = new List<string>();
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            roots.Add(reader.GetString(0));
        }

        return roots;
    }

    /// <inheritdoc />
    public async Task RememberTagRootAsync(string scope, string tagRoot, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(tagRoot);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO clip_tag_root (scope, tag_root) VALUES ($scope, $root)";
        insert.Parameters.AddWithValue("$scope", scope);
        insert.Parameters.AddWithValue("$root", tagRoot);
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="embeddings"/> (key → embedding) of <paramref name="model"/> in one transaction through
    /// <paramref name="upsertSql"/>, which binds <c>$model</c>, <c>$key</c>, <c>$dimension</c> and <c>$embedding</c>.
    /// </summary>
    private static async Task UpsertAsync(SqliteConnection connection, string upsertSql, ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = upsertSql;
        upsert.Parameters.AddWithValue("$model", model.Value);
        var keyParameter = upsert.Parameters.Add("$key", SqliteType.Text);
        var dimensionParameter = upsert.Parameters.Add("$dimension", SqliteType.Integer);
        var embeddingParameter = upsert.Parameters.Add("$embedding", SqliteType.Blob);
        foreach (var (key, embedding) in embeddings)
        {
            keyParameter.Value = key;
            dimensionParameter.Value = embedding.Length;
            embeddingParameter.Value = ToBlob(embedding);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private static byte[] ToBlob(float[] embedding)
    {
        var blob = MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < blob.Length; i += 4)
            {
                blob.AsSpan(i, 4).Reverse();
            }
        }

        return blob;
    }

    private static float[] FromBlob(byte[] blob)
    {
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < blob.Length; i += 4)
            {
                blob.AsSpan(i, 4).Reverse();
            }
        }

        return MemoryMarshal.Cast<byte, float>(blob).ToArray();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        if (!moved && LegacyDatabase is not null)
        {
            await MoveLegacyRowsAsync(LegacyDatabase, ct).ConfigureAwait(false);
        }

        return await StateDatabase.OpenAsync(databasePath, Schema, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the rows of <paramref name="legacy"/>'s CLIP tables into this file (a row already here wins), commits,
    /// then drops those tables from <paramref name="legacy"/> and compacts it. Interrupted anywhere, the next open
    /// finishes it: rows are copied before they are dropped.
    /// </summary>
    private async Task MoveLegacyRowsAsync(string legacy, CancellationToken ct)
    {
        var gate = Moves.GetOrAdd(Path.GetFullPath(databasePath), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (moved)
            {
                return;
            }

            var tables = File.Exists(legacy) ? await LegacyTablesAsync(legacy, ct).ConfigureAwait(false) : [];
            if (tables.Count > 0)
            {
                await using (var connection = await StateDatabase.OpenAsync(databasePath, Schema, ct).ConfigureAwait(false))
                {
                    await using var attach = connection.CreateCommand();
                    attach.CommandText = "ATTACH DATABASE $legacy AS legacy";
                    attach.Parameters.AddWithValue("$legacy", legacy);
                    await attach.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    await using (var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
                    {
                        foreach (var (table, key) in tables)
                        {
                            await using var copy = connection.CreateCommand();
                            copy.Transaction = transaction;

                            // In key order, so the new table's rows and its key index fill their pages in order.
                            copy.CommandText = $"INSERT OR IGNORE INTO main.{table} (model_id, {key}, dimension, embedding) SELECT model_id, {key}, dimension, embedding FROM legacy.{table} ORDER BY model_id, {key}";
                            await copy.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        }

                        await transaction.CommitAsync(ct).ConfigureAwait(false);
                    }

                    await using var detach = connection.CreateCommand();
                    detach.CommandText = "DETACH DATABASE legacy";
                    await detach.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await using var old = await StateDatabase.OpenAsync(legacy, string.Join(";\n", tables.Select(t => $"DROP TABLE IF EXISTS {t.Table}")), ct).ConfigureAwait(false);
                await using var vacuum = old.CreateCommand();

                // Gives the dropped tables' pages back to the file system (hundreds of MB at 100k assets).
                vacuum.CommandText = "VACUUM";
                await vacuum.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            moved = true;
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<List<(string Table, string Key)>> LegacyTablesAsync(string legacy, CancellationToken ct)
    {
        var found = new List<(string, string)>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = legacy, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('clip_embedding', 'clip_text_embedding')";
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var table = reader.GetString(0);
            found.Add((table, table == LegacyTables[0] ? "checksum" : "prompt"));
        }

        return found;
    }
}

/// <summary>How <see cref="SqliteClipEmbeddingStore.VisitAsync"/> reads the table.</summary>
internal enum ClipStoreScanMode
{
    /// <summary>Decide by the number of wanted checksums against the file's size.</summary>
    Auto,

    /// <summary>One pass over every row of the model.</summary>
    Scan,

    /// <summary>One indexed look-up per wanted checksum.</summary>
    Lookup,
}
