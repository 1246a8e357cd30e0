using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;

namespace ImmichAutoTag.Tests.Engine;

public sealed class NonStickingChangesTests
{
    private const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromHours(24);
    private static readonly Guid Library = Guid.NewGuid();
    private static readonly Guid UnknownTagId = Guid.NewGuid();

    private static Asset AssetOf(Guid id, string checksum = "sum") =>
        new(id, Guid.Empty, AssetType.Image, "NAS.jpg", "/mnt/nas/NAS.jpg", Now, Now, Now, null, false, false, false, AssetVisibility.Timeline)
        {
            LibraryId = Library,
            Checksum = checksum,
        };

    private static NonStickingChange Record(Guid asset, ChangeKind kind, int runs = 2, DateTimeOffset? lastSeen = null, string checksum = "sum") =>
        new(asset, Library, kind, Unknown, "NAS.jpg", checksum, Now.AddDays(-2), lastSeen ?? Now.AddHours(-1), runs);

    private static readonly ChangeReason Why = new("classification", "test");

    /// <param name="create">The tag does not exist yet: its additions carry no tag id.</param>
    private static TagPlan Plan(Guid[] add, Guid[] remove, bool create = false) =>
        new(
            new ChangeList(
                add.Select(id => (PlannedChange)new AddTag(id, Unknown, create ? null : UnknownTagId, Why))
                    .Concat(remove.Select(id => new RemoveTag(id, UnknownTagId, Unknown, Why)))),
            new Dictionary<Guid, Core.Classification.ClassificationStatus>());

    private static AppliedChange Change(Guid asset, ChangeKind kind) => new(asset, "NAS.jpg", Unknown, kind, Now);

    [Fact]
    public void Recorded_changes_are_left_out_of_the_plan_and_other_changes_stay()
    {
        var (held1, held2, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var records = new[] { Record(held1, ChangeKind.Added), Record(held2, ChangeKind.Removed) };

        var (plan, held) = NonStickingChanges.Hold(Plan([held1, other], [held2]), records, [AssetOf(held1), AssetOf(held2), AssetOf(other)], retryAll: false, Now, RetryAfter);

        plan.Additions[Unknown].Should().Equal(other);
        plan.Removals.Should().BeEmpty();
        held.Should().BeEquivalentTo(records);
    }

    [Fact]
    public void A_change_seen_in_one_run_only_is_retried()
    {
        var asset = Guid.NewGuid();
        var (plan, held) = NonStickingChanges.Hold(Plan([asset], []), [Record(asset, ChangeKind.Added, runs: 1)], [AssetOf(asset)], retryAll: false, Now, RetryAfter);

        plan.Additions[Unknown].Should().Equal(asset);
        held.Should().BeEmpty();
    }

    [Fact]
    public void A_full_pass_an_old_record_or_a_changed_file_is_retried()
    {
        var asset = Guid.NewGuid();
        var plan = Plan([asset], []);

        NonStickingChanges.Hold(plan, [Record(asset, ChangeKind.Added)], [AssetOf(asset)], retryAll: true, Now, RetryAfter).Held.Should().BeEmpty();
        NonStickingChanges.Hold(plan, [Record(asset, ChangeKind.Added, lastSeen: Now - RetryAfter)], [AssetOf(asset)], retryAll: false, Now, RetryAfter).Held.Should().BeEmpty();
        NonStickingChanges.Hold(plan, [Record(asset, ChangeKind.Added)], [AssetOf(asset, checksum: "new file")], retryAll: false, Now, RetryAfter).Held.Should().BeEmpty();
        NonStickingChanges.Hold(plan, [Record(asset, ChangeKind.Added)], [AssetOf(asset)], retryAll: false, Now, RetryAfter).Held.Should().ContainSingle();
    }

    [Fact]
    public void A_tag_wanted_only_by_held_additions_is_not_created()
    {
        var asset = Guid.NewGuid();
        var (plan, _) = NonStickingChanges.Hold(Plan([asset], [], create: true), [Record(asset, ChangeKind.Added)], [AssetOf(asset)], retryAll: false, Now, RetryAfter);

        plan.TagsToCreate.Should().BeEmpty();
        plan.HasChanges.Should().BeFalse();
    }

    [Fact]
    public void Remember_counts_runs_keeps_held_records_and_forgets_changes_that_stuck()
    {
        var (again, fresh, stuck, held) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var earlier = new[] { Record(again, ChangeKind.Added, runs: 1), Record(stuck, ChangeKind.Added, runs: 2), Record(held, ChangeKind.Removed) };
        var assets = new[] { again, fresh, stuck, held }.ToDictionary(id => id, id => AssetOf(id, "now"));

        var result = NonStickingChanges.Remember(earlier, [earlier[2]], [Change(again, ChangeKind.Added), Change(fresh, ChangeKind.Added)], assets, unverified: false, Now);

        result.Should().HaveCount(3);
        result.Single(r => r.AssetId == again).Should().Match<NonStickingChange>(r => r.Runs == 2 && r.DoesNotStick && r.LastSeen == Now && r.FirstSeen == Now.AddDays(-2) && r.Checksum == "now");
        result.Single(r => r.AssetId == fresh).Should().Match<NonStickingChange>(r => r.Runs == 1 && !r.DoesNotStick && r.FirstSeen == Now && r.LibraryId == Library);
        result.Single(r => r.AssetId == held).Should().Be(earlier[2], "a record the run did not try is kept as it was");
        result.Should().NotContain(r => r.AssetId == stuck, "a change that stuck loses its record");
    }

    [Fact]
    public void An_unverified_run_keeps_the_records_as_they_were()
    {
        var earlier = new[] { Record(Guid.NewGuid(), ChangeKind.Added) };
        NonStickingChanges.Remember(earlier, [], [], new Dictionary<Guid, Asset>(), unverified: true, Now).Should().BeSameAs(earlier);
    }

    [Fact]
    public async Task The_sqlite_store_round_trips_records_per_scope_in_the_state_database()
    {
        var folder = Directory.CreateTempSubdirectory("iat-nonsticking-").FullName;
        try
        {
            var store = SqliteNonStickingChangeStore.InFolder(folder);
            var a = Record(Guid.NewGuid(), ChangeKind.Added);
            var b = Record(Guid.NewGuid(), ChangeKind.Removed, runs: 1) with { LibraryId = null, Checksum = null };

            await store.SaveAsync("server-1 user", [a, b], CancellationToken.None);
            await store.SaveAsync("server-2 user", [a], CancellationToken.None);
            (await store.LoadAsync("server-1 user", CancellationToken.None)).Should().BeEquivalentTo([a, b]);

            await store.SaveAsync("server-1 user", [b], CancellationToken.None);
            (await store.LoadAsync("server-1 user", CancellationToken.None)).Should().BeEquivalentTo([b]);
            (await store.LoadAsync("server-2 user", CancellationToken.None)).Should().BeEquivalentTo([a]);
            File.Exists(Path.Combine(folder, SqliteRunStateStore.FileName)).Should().BeTrue("the records live in the state database");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
