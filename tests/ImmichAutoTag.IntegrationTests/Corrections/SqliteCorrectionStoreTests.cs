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
}
