using ImmichAutoTag.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Infrastructure;

/// <summary>
/// <see cref="IRootTagLinkStore"/> in the state folder's SQLite file (the one <see cref="SqliteRunStateStore"/> uses),
/// table <c>root_tag_links</c>. A run changes only the links it added or removed. The run lock keeps writers apart.
/// </summary>
public sealed class SqliteRootTagLinkStore(string databasePath) : IRootTagLinkStore
{
    public static SqliteRootTagLinkStore InFolder(string stateFolder) => new(Path.Combine(stateFolder, SqliteRunStateStore.FileName));

    /// <inheritdoc/>
    public async Task<IReadOnlySet<(Guid AssetId, string TagPath)>> LoadAsync(string scope, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        // Sized once: grown link by link, a set of 80,000 links is copied about a dozen times on the way.
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM root_tag_links WHERE scope = $scope";
        count.Parameters.AddWithValue("$scope", scope);
        var links = new HashSet<(Guid, string)>((int)Math.Min(int.MaxValue, (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L)));

        // A few tags carry most links (a workflow tag on thousands of assets): each row is read from SQLite's own bytes
        // and one string per tag is kept, not one per row (StateRows).
        var paths = new StateRows.SharedText();
        StateRows.Read(connection, "SELECT asset_id, tag FROM root_tag_links WHERE scope = $scope", scope, row => links.Add((row.Guid(0), paths.Get(row.Utf8(1)))));
        return links;
    }

    /// <inheritdoc/>
    public async Task UpdateAsync(string scope, IReadOnlyCollection<(Guid AssetId, string TagPath)> added, IReadOnlyCollection<(Guid AssetId, string TagPath)> removed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        if (added.Count == 0 && removed.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        async Task ExecuteAsync(string sql, IEnumerable<(Guid AssetId, string TagPath)> links)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            var scopeParameter = command.Parameters.AddWithValue("$scope", scope);
            var asset = command.Parameters.Add("$asset", SqliteType.Text);
            var tag = command.Parameters.Add("$tag", SqliteType.Text);
            foreach (var (assetId, path) in links)
            {
                asset.Value = assetId.ToString("D");
                tag.Value = path;
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        await ExecuteAsync("DELETE FROM root_tag_links WHERE scope = $scope AND asset_id = $asset AND tag = $tag", removed).ConfigureAwait(false);
        await ExecuteAsync("INSERT OR IGNORE INTO root_tag_links (scope, asset_id, tag) VALUES ($scope, $asset, $tag)", added).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS root_tag_links (
          scope TEXT NOT NULL,
          asset_id TEXT NOT NULL,
          tag TEXT NOT NULL,
          PRIMARY KEY (scope, asset_id, tag)) WITHOUT ROWID
        """;

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => StateDatabase.OpenAsync(databasePath, Schema, ct);
}
