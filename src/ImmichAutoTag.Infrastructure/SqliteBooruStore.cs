using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.Core.Enrichment.Booru;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IBooruStore"/> in the state folder's SQLite file: table <c>booru_lookup</c> (one row per look-up kind and
/// key: an Immich checksum, an MD5 or a Danbooru post id; the answer as JSON), <c>booru_quota</c> (one row per service:
/// the budget it last reported, its recent searches, the daily window and any pause) and <c>booru_queue</c> (assets
/// still to look up, per server and user). Nothing here holds a key or login: the services' answers do not carry them.
/// </summary>
/// <remarks>
/// A run saves every answer the moment it arrives (a few thousand a day with a large library). Opening a connection
/// and checking the schema for each of them cost more than the look-up's own write (measured with the benchmark's
/// <c>--booru-day</c>), so the store opens the database once, checks the schema once, and keeps the connection until
/// <see cref="ReleaseAsync"/> (the end of a run) or disposal; calls are serialised on it. Each answer is still its own
/// commit, together with the quota state it taught.
/// </remarks>
public sealed class SqliteBooruStore(string databasePath) : IBooruStore, IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS booru_lookup (
          kind TEXT NOT NULL,
          key TEXT NOT NULL,
          outcome TEXT NOT NULL,
          at TEXT NOT NULL,
          md5 TEXT,
          post TEXT,
          matches TEXT,
          PRIMARY KEY (kind, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS booru_quota (
          source TEXT PRIMARY KEY,
          state TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS booru_queue (
          scope TEXT NOT NULL,
          checksum TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          value REAL NOT NULL,
          file_created_at TEXT NOT NULL,
          queued_at TEXT NOT NULL,
          PRIMARY KEY (scope, checksum)) WITHOUT ROWID;
        """;

    private const int LookupChunk = 400;

    /// <summary>The store in <c>state.db</c> of <paramref name="stateFolder"/>.</summary>
    public static SqliteBooruStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<(BooruLookupKind Kind, string Key), BooruLookup>> GetLookupsAsync(IReadOnlyCollection<(BooruLookupKind Kind, string Key)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<(BooruLookupKind, string), BooruLookup>();
        if (keys.Count == 0)
        {
            return found;
        }

        using var held = await HoldAsync(ct).ConfigureAwait(false);
        var connection = held.Connection;
        foreach (var group in keys.Distinct().GroupBy(k => k.Kind))
        {
            foreach (var chunk in group.Select(k => k.Key).Chunk(LookupChunk))
            {
                await using var command = connection.CreateCommand();
                var names = new string[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    names[i] = "$k" + i.ToString(CultureInfo.InvariantCulture);
                    command.Parameters.AddWithValue(names[i], chunk[i]);
                }

                command.Parameters.AddWithValue("$kind", group.Key.ToString());
                command.CommandText = $"SELECT key, outcome, at, md5, post, matches FROM booru_lookup WHERE kind = $kind AND key IN ({string.Join(", ", names)})";
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    if (!Enum.TryParse<BooruLookupOutcome>(reader.GetString(1), out var outcome))
                    {
                        continue; // a row a newer version wrote: looked up again rather than misread
                    }

                    var key = reader.GetString(0);
                    found[(group.Key, key)] = new BooruLookup(group.Key, key, outcome, StateDatabase.Parse(reader.GetString(2)))
                    {
                        Md5 = reader.IsDBNull(3) ? null : reader.GetString(3),
                        Post = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), BooruJson.Default.BooruPost),
                        Matches = reader.IsDBNull(5) ? [] : JsonSerializer.Deserialize(reader.GetString(5), BooruJson.Default.ListReverseSearchMatch) ?? [],
                    };
                }
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task SaveLookupAsync(BooruLookup lookup, QuotaState? quota, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        using var held = await HoldAsync(ct).ConfigureAwait(false);
        var connection = held.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (quota is not null)
        {
            await WriteQuotaAsync(connection, transaction, quota, ct).ConfigureAwait(false);
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO booru_lookup (kind, key, outcome, at, md5, post, matches) VALUES ($kind, $key, $outcome, $at, $md5, $post, $matches)
            ON CONFLICT (kind, key) DO UPDATE SET outcome = excluded.outcome, at = excluded.at, md5 = excluded.md5, post = excluded.post, matches = excluded.matches
            """;
        command.Parameters.AddWithValue("$kind", lookup.Kind.ToString());
        command.Parameters.AddWithValue("$key", lookup.Key);
        command.Parameters.AddWithValue("$outcome", lookup.Outcome.ToString());
        command.Parameters.AddWithValue("$at", StateDatabase.Format(lookup.At));
        command.Parameters.AddWithValue("$md5", (object?)lookup.Md5 ?? DBNull.Value);
        command.Parameters.AddWithValue("$post", lookup.Post is { } post ? JsonSerializer.Serialize(post, BooruJson.Default.BooruPost) : DBNull.Value);
        command.Parameters.AddWithValue("$matches", lookup.Matches.Count > 0 ? JsonSerializer.Serialize(lookup.Matches.ToList(), BooruJson.Default.ListReverseSearchMatch) : DBNull.Value);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<QuotaState> GetQuotaAsync(BooruSource source, CancellationToken ct)
    {
        using var held = await HoldAsync(ct).ConfigureAwait(false);
        await using var command = held.Connection.CreateCommand();
        command.CommandText = "SELECT state FROM booru_quota WHERE source = $source";
        command.Parameters.AddWithValue("$source", source.ToString());
        var text = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        try
        {
            return text is null ? new QuotaState(source) : JsonSerializer.Deserialize(text, BooruJson.Default.QuotaState) ?? new QuotaState(source);
        }
        catch (JsonException)
        {
            // A damaged row costs one conservative search: the next answer reports the budget again.
            return new QuotaState(source);
        }
    }

    /// <inheritdoc />
    public async Task SaveQuotaAsync(QuotaState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var held = await HoldAsync(ct).ConfigureAwait(false);
        await WriteQuotaAsync(held.Connection, null, state, ct).ConfigureAwait(false);
    }

    private static async Task WriteQuotaAsync(SqliteConnection connection, SqliteTransaction? transaction, QuotaState state, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO booru_quota (source, state) VALUES ($source, $state) ON CONFLICT (source) DO UPDATE SET state = excluded.state";
        command.Parameters.AddWithValue("$source", state.Source.ToString());
        command.Parameters.AddWithValue("$state", JsonSerializer.Serialize(state, BooruJson.Default.QuotaState));
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BooruQueueItem>> GetQueueAsync(string scope, CancellationToken ct)
    {
        using var held = await HoldAsync(ct).ConfigureAwait(false);
        await using var command = held.Connection.CreateCommand();
        command.CommandText = "SELECT checksum, asset_id, value, file_created_at, queued_at FROM booru_queue WHERE scope = $scope ORDER BY value DESC, file_created_at DESC, asset_id";
        command.Parameters.AddWithValue("$scope", scope);
        var items = new List<BooruQueueItem>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            items.Add(new BooruQueueItem(reader.GetString(0), Guid.Parse(reader.GetString(1)), reader.GetDouble(2), StateDatabase.Parse(reader.GetString(3)), StateDatabase.Parse(reader.GetString(4))));
        }

        return items;
    }

    /// <inheritdoc />
    public async Task ReplaceQueueAsync(string scope, IReadOnlyList<BooruQueueItem> items, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var held = await HoldAsync(ct).ConfigureAwait(false);
        var connection = held.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var keep = connection.CreateCommand())
        {
            // The items' first queued_at survives: only what left the selection (or finished) is dropped.
            keep.Transaction = transaction;
            keep.CommandText = "CREATE TEMP TABLE IF NOT EXISTS booru_keep (checksum TEXT PRIMARY KEY); DELETE FROM booru_keep;";
            await keep.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO booru_queue (scope, checksum, asset_id, value, file_created_at, queued_at) VALUES ($scope, $checksum, $asset, $value, $created, $queued)
                ON CONFLICT (scope, checksum) DO UPDATE SET asset_id = excluded.asset_id, value = excluded.value, file_created_at = excluded.file_created_at;
                INSERT OR IGNORE INTO booru_keep (checksum) VALUES ($checksum);
                """;
            upsert.Parameters.AddWithValue("$scope", scope);
            var checksum = upsert.Parameters.Add("$checksum", SqliteType.Text);
            var asset = upsert.Parameters.Add("$asset", SqliteType.Text);
            var value = upsert.Parameters.Add("$value", SqliteType.Real);
            var created = upsert.Parameters.Add("$created", SqliteType.Text);
            var queued = upsert.Parameters.Add("$queued", SqliteType.Text);
            foreach (var item in items)
            {
                checksum.Value = item.Checksum;
                asset.Value = item.AssetId.ToString();
                value.Value = item.Value;
                created.Value = StateDatabase.Format(item.UploadedAt); // column file_created_at: its first name, kept for existing state files
                queued.Value = StateDatabase.Format(item.QueuedAt);
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        await using (var prune = connection.CreateCommand())
        {
            prune.Transaction = transaction;
            prune.CommandText = "DELETE FROM booru_queue WHERE scope = $scope AND checksum NOT IN (SELECT checksum FROM booru_keep); DELETE FROM booru_keep;";
            prune.Parameters.AddWithValue("$scope", scope);
            await prune.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RemoveFromQueueAsync(string scope, IReadOnlyCollection<string> checksums, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checksums);
        if (checksums.Count == 0)
        {
            return;
        }

        using var held = await HoldAsync(ct).ConfigureAwait(false);
        var connection = held.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM booru_queue WHERE scope = $scope AND checksum = $checksum";
        command.Parameters.AddWithValue("$scope", scope);
        var checksum = command.Parameters.Add("$checksum", SqliteType.Text);
        foreach (var item in checksums)
        {
            checksum.Value = item;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ReleaseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
        _gate.Dispose();
    }

    /// <summary>
    /// Waits for the store's connection (one caller at a time) and opens it, with the schema check, on first use
    /// after a release (a failed call's transaction is rolled back by its disposal; the connection stays usable).
    /// </summary>
    private async Task<Held> HoldAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _connection ??= await StateDatabase.OpenAsync(databasePath, Schema, ct).ConfigureAwait(false);
            return new Held(this, _connection);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>The store's connection while one call uses it; disposing hands it to the next call.</summary>
    private readonly struct Held(SqliteBooruStore store, SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection => connection;

        public void Dispose() => store._gate.Release();
    }
}

/// <summary>The JSON shapes of the booru tables (source-generated: no reflection at run time).</summary>
[JsonSerializable(typeof(BooruPost))]
[JsonSerializable(typeof(List<ReverseSearchMatch>))]
[JsonSerializable(typeof(QuotaState))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
internal sealed partial class BooruJson : JsonSerializerContext;
