using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;

namespace ImmichAutoTag.Tests.Engine;

public sealed class PendingDatesTests
{
    private static readonly DateTimeOffset Old = new(2019, 7, 9, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset New = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Expiry = TimeSpan.FromHours(24);

    private static Asset AssetDated(Guid id, DateTimeOffset date) =>
        new(id, Guid.Empty, AssetType.Image, "IMG_20190704_100000.jpg", "/x/IMG_20190704_100000.jpg", date, date, Now, null, false, false, false, AssetVisibility.Timeline);

    private static TagPlan PlanWriting(Guid id, DateTimeOffset date) =>
        TagPlan.Empty with { Changes = new ChangeList([new SetDate(id, Old, date, date.ToString("O", System.Globalization.CultureInfo.InvariantCulture), "FileName: x", new ChangeReason("date_repair", "test"))]) };

    private static PendingDateWrite Pending(Guid id, DateTimeOffset writtenAt) => new(id, Old, New, "2019-07-04T10:00:00.000+00:00", writtenAt);

    [Fact]
    public void A_write_still_pending_is_not_planned_again_and_is_noted()
    {
        var id = Guid.NewGuid();

        var (plan, still) = PendingDates.Hold(PlanWriting(id, New), [Pending(id, Now.AddMinutes(-5))], [AssetDated(id, Old)], Now, Expiry);

        plan.DateUpdates.Should().BeEmpty();
        plan.Notes.Should().ContainSingle(n => n.Kind == PlanNoteKind.PendingDateWrite && n.AssetId == id);
        still.Should().ContainSingle();
    }

    [Fact]
    public void A_different_new_date_is_planned_even_while_an_older_write_is_pending()
    {
        var id = Guid.NewGuid();

        var (plan, still) = PendingDates.Hold(PlanWriting(id, New.AddDays(-1)), [Pending(id, Now.AddMinutes(-5))], [AssetDated(id, Old)], Now, Expiry);

        plan.DateUpdates.Should().ContainSingle();
        still.Should().ContainSingle();
    }

    [Fact]
    public void Landed_expired_changed_or_vanished_writes_are_forgotten()
    {
        var landed = Guid.NewGuid();
        var expired = Guid.NewGuid();
        var changed = Guid.NewGuid();
        var gone = Guid.NewGuid();
        IReadOnlyList<PendingDateWrite> pending =
        [
            Pending(landed, Now.AddMinutes(-5)), Pending(expired, Now - Expiry - TimeSpan.FromMinutes(1)),
            Pending(changed, Now.AddMinutes(-5)), Pending(gone, Now.AddMinutes(-5)),
        ];
        Asset[] assets = [AssetDated(landed, New), AssetDated(expired, Old), AssetDated(changed, Old.AddDays(3))];

        var (plan, still) = PendingDates.Hold(PlanWriting(expired, New), pending, assets, Now, Expiry);

        still.Should().BeEmpty();
        plan.DateUpdates.Should().ContainSingle("an expired write is planned afresh");
    }

    [Fact]
    public void After_the_apply_writes_not_landed_are_remembered_with_the_earlier_ones()
    {
        var earlier = Pending(Guid.NewGuid(), Now.AddMinutes(-5));
        var id = Guid.NewGuid();
        var plan = PlanWriting(id, New);
        var change = new AppliedChange(id, "x.jpg", "", ChangeKind.DateUpdated, Now) { NewValue = plan.DateUpdates[0].NewValue };

        PendingDates.Remember([earlier], plan.DateUpdates, [change], [change], unverified: false)
            .Select(w => w.AssetId).Should().BeEquivalentTo([earlier.AssetId, id]);
        PendingDates.Remember([earlier], plan.DateUpdates, [change], [], unverified: false)
            .Should().ContainSingle().Which.Should().Be(earlier);
        PendingDates.Remember([], plan.DateUpdates, [change], [], unverified: true)
            .Should().ContainSingle("an apply cut short is not verified, so its writes count as pending");
    }

    [Fact]
    public async Task The_sqlite_store_keeps_pending_writes_per_scope_and_replaces_them_on_save()
    {
        var folder = Directory.CreateTempSubdirectory("iat-pending-").FullName;
        try
        {
            var store = SqlitePendingDateWriteStore.InFolder(folder);
            var a = Pending(Guid.NewGuid(), Now);
            var b = Pending(Guid.NewGuid(), Now.AddSeconds(1));

            await store.SaveAsync("server-1 user", [a, b], CancellationToken.None);
            await store.SaveAsync("server-2 user", [a], CancellationToken.None);
            (await store.LoadAsync("server-1 user", CancellationToken.None)).Should().BeEquivalentTo([a, b]);

            await store.SaveAsync("server-1 user", [b], CancellationToken.None);
            (await store.LoadAsync("server-1 user", CancellationToken.None)).Should().BeEquivalentTo([b]);
            (await store.LoadAsync("server-2 user", CancellationToken.None)).Should().BeEquivalentTo([a]);
            File.Exists(Path.Combine(folder, SqliteRunStateStore.FileName)).Should().BeTrue("pending writes live in the run state database");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
