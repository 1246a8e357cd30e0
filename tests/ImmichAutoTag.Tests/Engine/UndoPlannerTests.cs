using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Undo;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>The undo's plan from recorded changes and the library as it is now: what is reverted, what moved on.</summary>
public sealed class UndoPlannerTests
{
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly DateTimeOffset RunTime = new(2026, 11, 30, 5, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Old = new(2020, 6, 25, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Written = new(2020, 6, 17, 21, 15, 0, TimeSpan.Zero);

    private static Asset At(DateTimeOffset date) =>
        new(Guid.NewGuid(), Owner, AssetType.Image, "a.jpg", "/a.jpg", date, date, RunTime, null, false, false, false, AssetVisibility.Timeline);

    private static UndoState State(Asset asset, IReadOnlyList<Album>? albums = null) =>
        new(Owner, new Dictionary<Guid, Asset> { [asset.Id] = asset }, [], new Dictionary<Guid, IReadOnlySet<Guid>>(), albums ?? [], new Dictionary<Guid, IReadOnlySet<Guid>>(), []);

    private static AppliedChange DateChange(Asset asset) =>
        new(asset.Id, "a.jpg", string.Empty, ChangeKind.DateUpdated, RunTime) { OldValue = Old.ToString("O"), NewValue = "2020-06-17T21:15:00.000+00:00" };

    [Fact]
    public void Additions_to_an_album_the_run_created_and_the_user_deleted_are_each_left_alone_with_the_reason()
    {
        var asset = At(Written);
        var album = Guid.NewGuid();
        AppliedChange Record(ChangeKind kind, Guid assetId) => new(assetId, assetId == Guid.Empty ? string.Empty : "a.jpg", string.Empty, kind, RunTime) { AlbumId = album, AlbumName = "Booru review" };

        var undo = UndoPlanner.Plan([Record(ChangeKind.AlbumCreated, Guid.Empty), Record(ChangeKind.AddedToAlbum, asset.Id)], State(asset), "undo of run r");

        undo.Reverts.Should().BeEmpty();
        undo.Skipped.Should().HaveCount(2, "every recorded change is reverted or left alone");
        undo.Skipped.Select(s => s.Change.Kind).Should().BeEquivalentTo([ChangeKind.AlbumCreated, ChangeKind.AddedToAlbum]);
        undo.Skipped.Single(s => s.Change.Kind == ChangeKind.AddedToAlbum).Reason.Should().Be("album 'Booru review' the run created no longer exists");
    }

    [Fact]
    public void Removals_from_an_album_the_run_deleted_that_is_not_created_again_are_each_left_alone()
    {
        var asset = At(Written);
        var deleted = Guid.NewGuid();
        var again = new Album(Guid.NewGuid(), "2020-06-25-autotag-temp-unclassified", 0, Owner, false);
        AppliedChange Record(ChangeKind kind, Guid assetId) => new(assetId, assetId == Guid.Empty ? string.Empty : "a.jpg", string.Empty, kind, RunTime) { AlbumId = deleted, AlbumName = again.Name };

        var undo = UndoPlanner.Plan([Record(ChangeKind.RemovedFromAlbum, asset.Id), Record(ChangeKind.AlbumDeleted, Guid.Empty)], State(asset, [again]), "undo of run r");

        undo.Reverts.Should().BeEmpty();
        undo.Skipped.Should().HaveCount(2, "every recorded change is reverted or left alone");
        undo.Skipped.Single(s => s.Change.Kind == ChangeKind.AlbumDeleted).Reason.Should().Contain("exists again");
        undo.Skipped.Single(s => s.Change.Kind == ChangeKind.RemovedFromAlbum).Reason.Should().Be($"album '{again.Name}' the run deleted is not created again");
    }

    [Fact]
    public void A_date_the_run_wrote_is_set_back_to_the_old_one()
    {
        var asset = At(Written);

        var undo = UndoPlanner.Plan([DateChange(asset)], State(asset), "undo of run r");

        undo.Skipped.Should().BeEmpty();
        undo.Plan.DateUpdates.Should().ContainSingle().Which.Should().Be(new DateUpdate(asset.Id, Written, Old, "2020-06-25T08:00:00.000+00:00", "undo of run r"));
    }

    [Fact]
    public void A_date_changed_again_since_is_left_alone_with_the_reason()
    {
        var asset = At(Written.AddDays(3));

        var undo = UndoPlanner.Plan([DateChange(asset)], State(asset), "undo of run r");

        undo.Plan.DateUpdates.Should().BeEmpty();
        undo.Skipped.Should().ContainSingle().Which.Reason.Should().Contain("the date changed again since");
    }

    [Fact]
    public void A_role_the_user_changed_since_is_left_alone_and_one_still_as_the_run_left_it_is_set_back()
    {
        var asset = At(Written);
        var bob = Guid.NewGuid();
        var carol = Guid.NewGuid();
        var album = new Album(Guid.NewGuid(), "family", 1, Owner, true)
        {
            Members = [new AlbumMember(bob, "bob@example.com", AlbumRole.Editor), new AlbumMember(carol, "carol@example.com", AlbumRole.Viewer)],
        };
        AppliedChange Role(Guid user, string email) => new(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumRoleChanged, RunTime)
        {
            AlbumId = album.Id, AlbumName = "family", UserId = user, OldValue = email + " editor", NewValue = email + " viewer",
        };

        var undo = UndoPlanner.Plan([Role(bob, "bob@example.com"), Role(carol, "carol@example.com")], State(asset, [album]), "undo");

        undo.Skipped.Should().ContainSingle().Which.Reason.Should().Be("bob@example.com's access to album 'family' changed since");
        undo.Plan.SharingChanges.Should().ContainSingle().Which.Should().Be(
            new AlbumShareChange(album.Id, "family", carol, "carol@example.com", ShareAction.ChangeRole, AlbumRole.Viewer, AlbumRole.Editor, "undo"));
    }
}
