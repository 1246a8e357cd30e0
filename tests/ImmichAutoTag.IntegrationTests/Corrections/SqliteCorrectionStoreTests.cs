using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;

namespace ImmichAutoTag.IntegrationTests.Corrections;

/// <summary>
/// The corrections state file: each save leaves exactly the saved state (rows gone from it deleted, changed rows
/// rewritten, new rows added, an addition that became a correction moved), per scope, whatever was stored before.
/// </summary>
public sealed class SqliteCorrectionStoreTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"correction-store-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    private static ToolAddition Tag(Guid asset, string path, string step = "workflows", int minutes = 0) =>
        new(asset, AdditionKind.Tag, path, path, step, At.AddMinutes(minutes));

    [Fact]
    public async Task Each_save_leaves_exactly_the_saved_state_and_other_scopes_alone()
    {
        var store = new SqliteCorrectionStore(_file);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        var album = new ToolAddition(c, AdditionKind.Album, Guid.NewGuid().ToString("D"), "Trip", "folder_albums", At);
        var first = new CorrectionState([Tag(a, "wf/x"), Tag(a, "wf/y"), Tag(b, "wf/x"), album], []);
        var other = new CorrectionState([Tag(a, "wf/other")], [new UserCorrection(Tag(b, "wf/z"), At.AddDays(1))]);
        await store.SaveAsync("server alice", first, CancellationToken.None);
        await store.SaveAsync("server bob", other, CancellationToken.None);

        // Unchanged (a wf/x), changed step and time (b wf/x), gone (a wf/y, the album), new (c wf/n), moved to the corrections (a wf/y as a correction).
        var second = new CorrectionState(
            [Tag(a, "wf/x"), Tag(b, "wf/x", "clip", 5), Tag(c, "wf/n")],
            [new UserCorrection(Tag(a, "wf/y"), At.AddDays(2))]);
        await store.SaveAsync("server alice", second, CancellationToken.None);

        var loaded = await new SqliteCorrectionStore(_file).LoadAsync("server alice", CancellationToken.None);
        loaded.Additions.Should().BeEquivalentTo(second.Additions);
        loaded.Corrections.Should().BeEquivalentTo(second.Corrections);
        var untouched = await store.LoadAsync("server bob", CancellationToken.None);
        untouched.Additions.Should().BeEquivalentTo(other.Additions);
        untouched.Corrections.Should().BeEquivalentTo(other.Corrections);

        await store.SaveAsync("server alice", second, CancellationToken.None);
        await store.SaveAsync("server alice", CorrectionState.Empty, CancellationToken.None);
        var emptied = await store.LoadAsync("server alice", CancellationToken.None);
        emptied.Additions.Should().BeEmpty();
        emptied.Corrections.Should().BeEmpty();
    }

    [Fact]
    public async Task Favourite_and_archive_records_come_back_as_the_flags_they_are_beside_a_tag_of_the_same_text()
    {
        var store = new SqliteCorrectionStore(_file);
        var a = Guid.NewGuid();
        var favourite = new ToolAddition(a, AdditionKind.Favorite, "true", "favourite set", "workflows", At);
        var archive = new ToolAddition(a, AdditionKind.Archive, "archive", "archived", "workflows", At);
        var sameText = Tag(a, "archive");
        var state = new CorrectionState([favourite, sameText], [new UserCorrection(archive, At.AddDays(1))]);

        await store.SaveAsync("scope", state, CancellationToken.None);
        var loaded = await new SqliteCorrectionStore(_file).LoadAsync("scope", CancellationToken.None);

        loaded.Additions.Should().BeEquivalentTo(state.Additions);
        loaded.Corrections.Should().BeEquivalentTo(state.Corrections);
    }

    [Fact]
    public async Task Rows_are_read_whatever_the_text_form_of_the_asset_id_and_repeated_texts_are_one_string_each()
    {
        var store = new SqliteCorrectionStore(_file);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        var albumId = Guid.NewGuid().ToString("D");
        var longPath = "wf/" + new string('é', 300); // longer than the reader's stack buffer, and not ASCII
        var saved = new CorrectionState(
            [Tag(a, "wf/x"), Tag(b, "wf/x", "clip", 5), Tag(c, longPath), new ToolAddition(a, AdditionKind.Album, albumId, "Trip ✈", "folder_albums", At)],
            [new UserCorrection(Tag(c, "wf/x"), At.AddDays(1))]);
        await store.SaveAsync("alice", saved, CancellationToken.None);

        // Asset ids written by hand in other forms a GUID parser reads (upper case, braces) still load.
        Guid upper = Guid.NewGuid(), braces = Guid.NewGuid();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_file};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO tool_additions VALUES ('alice', '{upper.ToString("D").ToUpperInvariant()}', 'tag', 'wf/x', 'wf/x', 'workflows', '{At.UtcDateTime:O}', NULL);
                INSERT INTO tool_additions VALUES ('alice', '{braces:B}', 'tag', 'wf/y', 'wf/y', 'workflows', '{At.AddHours(1).UtcDateTime:O}', NULL);
                """;
            await insert.ExecuteNonQueryAsync();
        }

        var loaded = await store.LoadAsync("alice", CancellationToken.None);
        loaded.Additions.Should().BeEquivalentTo([.. saved.Additions, Tag(upper, "wf/x"), Tag(braces, "wf/y", minutes: 60)]);
        loaded.Corrections.Should().BeEquivalentTo(saved.Corrections);
        var x = loaded.Additions.Where(r => r.Target == "wf/x").Concat(loaded.Corrections.Select(r => r.Addition).Where(r => r.Target == "wf/x")).ToList();
        x.Should().HaveCount(4);
        x.Should().OnlyContain(r => ReferenceEquals(r.Target, x[0].Target) && ReferenceEquals(r.Label, x[0].Target));
        loaded.Additions.Select(r => r.Step).Where(s => s == "workflows").Distinct().Should().ContainSingle();
        loaded.Additions.Where(r => r.Step == "workflows").Should().OnlyContain(r => ReferenceEquals(r.Step, loaded.Additions.First(f => f.Step == "workflows").Step));
    }

    [Fact]
    public async Task Root_tag_links_load_as_saved_per_scope_with_one_string_per_tag()
    {
        var store = new SqliteRootTagLinkStore(_file);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        await store.UpdateAsync("alice", [(a, "wf/x"), (b, "wf/x"), (a, "autotag_clip/style/meme"), (Guid.Empty, "autotag_output_unknown")], [], CancellationToken.None);
        await store.UpdateAsync("bob", [(a, "wf/bob")], [], CancellationToken.None);
        await store.UpdateAsync("alice", [], [(a, "autotag_clip/style/meme")], CancellationToken.None);

        var loaded = await new SqliteRootTagLinkStore(_file).LoadAsync("alice", CancellationToken.None);
        loaded.Should().BeEquivalentTo([(a, "wf/x"), (b, "wf/x"), (Guid.Empty, "autotag_output_unknown")]);
        var paths = loaded.Where(l => l.TagPath == "wf/x").Select(l => l.TagPath).ToList();
        ReferenceEquals(paths[0], paths[1]).Should().BeTrue();
        (await store.LoadAsync("carol", CancellationToken.None)).Should().BeEmpty();
    }
}
