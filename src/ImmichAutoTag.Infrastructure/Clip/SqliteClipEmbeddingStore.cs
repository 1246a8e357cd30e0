using System.Runtime.InteropServices;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// <see cref="IClipEmbeddingStore"/> in the state folder's SQLite file, table <c>clip_embedding</c>: one row per
/// (model id, asset checksum) with the embedding as a little-endian float32 blob (2 KiB for D = 512, so 100,000
/// assets take about 210 MB on disk). Rows are never dropped by a label change: scoring reads them again. Label
/// prompt embeddings live beside them in <c>clip_text_embedding</c>, one row per (model id, prompt text).
/// </summary>
public sealed class SqliteClipEmbeddingStore(string databasePath) : IClipEmbeddingStore, IClipTextEmbeddingStore
{
    private const string TextSchema = """
        CREATE TABLE IF NOT EXISTS clip_text_embedding (
          model_id TEXT NOT NULL,
          prompt TEXT NOT NULL,
          dimension INTEGER NOT NULL,
          embedding BLOB NOT NULL,
          PRIMARY KEY (model_id, prompt)) WITHOUT ROWID
        """;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS clip_embedding (
          model_id TEXT NOT NULL,
          checksum TEXT NOT NULL,
          dimension INTEGER NOT NULL,
          embedding BLOB NOT NULL,
          PRIMARY KEY (model_id, checksum)) WITHOUT ROWID
        """;

    // SQLite allows 32766 host parameters; far fewer keep each statement small.
    private const int LookupChunk = 500;

    /// <summary>The store in <c>state.db</c> of <paramref name="stateFolder"/>.</summary>
    public static SqliteClipEmbeddingStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

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
        await using var connection = await StateDatabase.OpenAsync(databasePath, TextSchema, ct).ConfigureAwait(false);
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

        await using var connection = await StateDatabase.OpenAsync(databasePath, TextSchema, ct).ConfigureAwait(false);
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

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);
}
