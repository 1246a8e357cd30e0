using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ImmichAutoTag.Tests.State;

/// <summary>State files written with URL-keyed scopes open with the user's rows carried over (W9).</summary>
public sealed class StateScopeMigrationTests : IDisposable
{
    private static readonly Guid Alice = Guid.Parse("5c3c1f0e-1111-4a4a-8b8b-000000000001");
    private static readonly Guid Bob = Guid.Parse("5c3c1f0e-2222-4a4a-8b8b-000000000002");
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("immich-autotag-scope-");

    private string DatabasePath => Path.Combine(_folder.FullName, SqliteRunStateStore.FileName);

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>Writes a state file the way versions before stable scopes did: rows keyed "url user-id".</summary>
    private void WriteOldStateFile()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            CREATE TABLE root_tag_links (scope TEXT NOT NULL, asset_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (scope, asset_id, tag)) WITHOUT ROWID;
            CREATE TABLE incremental_state (scope TEXT PRIMARY KEY, watermark TEXT NOT NULL, last_full_pass_at TEXT NOT NULL, fingerprint TEXT NOT NULL);
            INSERT INTO root_tag_links VALUES ('http://nas.local:2283/ {Alice}', '{Guid.Empty}', 'autotag_clip/style/meme');
            INSERT INTO root_tag_links VALUES ('https://photos.example.com/ {Alice}', '{Guid.Empty}', 'autotag_clip/style/meme');
            INSERT INTO root_tag_links VALUES ('https://photos.example.com/ {Alice}', '{Guid.Empty}', 'autotag_output_unknown');
            INSERT INTO root_tag_links VALUES ('http://nas.local:2283/ {Bob}', '{Guid.Empty}', 'autotag_output_conflict');
            INSERT INTO incremental_state VALUES ('http://nas.local:2283/ {Alice}', '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00', 'a');
            INSERT INTO incremental_state VALUES ('https://photos.example.com/ {Alice}', '2026-02-01T00:00:00.0000000+00:00', '2026-02-01T00:00:00.0000000+00:00', 'b');
            INSERT INTO incremental_state VALUES ('http://nas.local:2283/ {Bob}', '2026-03-01T00:00:00.0000000+00:00', '2026-03-01T00:00:00.0000000+00:00', 'c');
            """;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Rows_of_one_user_under_several_urls_merge_under_the_user_id()
    {
        WriteOldStateFile();

        var links = new SqliteRootTagLinkStore(DatabasePath);
        (await links.LoadAsync(StateScope.Of(Alice), CancellationToken.None)).Select(l => l.TagPath)
            .Should().BeEquivalentTo(["autotag_clip/style/meme", "autotag_output_unknown"]);
        (await links.LoadAsync(StateScope.Of(Bob), CancellationToken.None)).Select(l => l.TagPath).Should().Equal("autotag_output_conflict");

        var runState = new SqliteRunStateStore(DatabasePath);
        (await runState.LoadAsync(StateScope.Of(Alice), CancellationToken.None)).Should().BeNull("two URL spellings' watermarks: the next run does a full pass");
        (await runState.LoadAsync(StateScope.Of(Bob), CancellationToken.None))!.Fingerprint.Should().Be("c");
    }

    [Fact]
    public async Task The_migration_runs_once_and_leaves_new_rows_alone()
    {
        WriteOldStateFile();
        var links = new SqliteRootTagLinkStore(DatabasePath);
        await links.LoadAsync(StateScope.Of(Alice), CancellationToken.None);

        // A scope written after the migration is never rewritten, whatever it looks like.
        var odd = $"legacy {Bob}";
        await links.UpdateAsync(odd, [(Guid.Empty, "kept")], [], CancellationToken.None);

        (await new SqliteRootTagLinkStore(DatabasePath).LoadAsync(odd, CancellationToken.None)).Select(l => l.TagPath).Should().Equal("kept");
    }
}
