using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Tests.Engine;

public sealed class AlbumPlanPartsTests
{
    private static FolderAlbums Folders(params string[] excluded) =>
        new(new AlbumDetectionFromFoldersConfig { Enabled = true, ExcludedPaths = [.. excluded.Select(p => PatternCompiler.PathSearch(p, TimeSpan.FromSeconds(1)))] });

    [Theory]
    [InlineData("/photos/2019/2019-07-04 Beach/a.jpg", "2019-07-04 Beach")]
    [InlineData("/photos/2019-07-04 Beach/day1/a.jpg", "2019-07-04 Beach/day1")]
    [InlineData("/p/2019-07-04 Beach/1/2/3/4/a.jpg", "2019-07-04 Beach/1/2/3")]
    [InlineData("/p/2019-07-04/morning/a.jpg", "2019-07-04/morning")]
    [InlineData(@"C:\p\2019-07-04 Beach\a.jpg", "2019-07-04 Beach")]
    public void One_date_folder_names_the_album_with_up_to_three_folders_below(string path, string album) =>
        Folders().Detect(path).Should().Be(new FolderDetection(FolderDetectionKind.Album, album));

    [Theory]
    [InlineData("/photos/2019-07-04/a.jpg")]
    [InlineData("/photos/2019/07/a.jpg")]
    [InlineData("/photos/2019-13-04 Nope/a.jpg")]
    [InlineData("/photos/20190704 Beach/a.jpg")]
    [InlineData("/2019-07-04 Beach.jpg")]
    public void A_bare_day_or_no_date_folder_names_nothing(string path) =>
        Folders().Detect(path).Kind.Should().Be(FolderDetectionKind.None);

    [Fact]
    public void Two_date_folders_are_a_conflict() =>
        Folders().Detect("/p/2019-07-01 Trip/2019-07-02 Day two/a.jpg").Kind.Should().Be(FolderDetectionKind.Conflict);

    [Fact]
    public void Excluded_paths_are_case_insensitive_regexes_searched_in_the_folders_only()
    {
        var folders = Folders("whats?app", "^photos/private");
        folders.Detect("/photos/WhatsApp Images/2019-07-04 Chat/a.jpg").Kind.Should().Be(FolderDetectionKind.Excluded);
        folders.Detect("/Photos/Private/2019-07-04 Me/a.jpg").Kind.Should().Be(FolderDetectionKind.Excluded);
        folders.Detect("/photos/2019-07-04 Chat/whatsapp.jpg").Kind.Should().Be(FolderDetectionKind.Album, "the file name is not part of the folder path");
    }

    [Fact]
    public void Album_changes_ride_with_the_additions_wave_after_the_dates()
    {
        var asset = Guid.NewGuid();
        var tag = Guid.NewGuid();
        var album = Guid.NewGuid();
        var why = new ChangeReason("test", "test");
        var plan = new TagPlan(
            new ChangeList(
            [
                new RemoveTag(asset, tag, "meme", why),
                new SetDate(asset, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "1970-01-01T00:00:00+00:00", "test", why),
                new CreateAlbum("2019-07-04-autotag-temp-unclassified", [asset], why),
                new RemoveAlbumMember(asset, album, "2019-07-01-autotag-temp-unclassified", why),
                new DeleteAlbum(Guid.NewGuid(), "2019-07-02-autotag-temp-unclassified", why),
            ]),
            new Dictionary<Guid, ClassificationStatus>());

        var waves = WavePlanner.Split(plan);

        // Album membership is not written to sidecars, so it does not use up the asset's one change per wave.
        waves.Should().HaveCount(2, "dates, then the album changes with the tag removal");
        waves[0].DateUpdates.Should().ContainSingle();
        waves[0].HasAlbumChanges.Should().BeFalse();
        waves[0].RemovalCount.Should().Be(0);
        waves[1].AlbumsToCreate.Should().ContainSingle();
        waves[1].AlbumRemovals.Should().ContainSingle();
        waves[1].AlbumDeletions.Should().ContainSingle();
        waves[1].RemovalCount.Should().Be(1);
    }

    [Fact]
    public void Only_conversions_drop_non_output_tags()
    {
        var asset = Guid.NewGuid();
        var meme = new ImmichAutoTag.Core.Domain.Tag(Guid.NewGuid(), "meme", "meme", null);
        var outputs = new OutputTags("autotag_output_unknown", null);

        var plan = TagPlanner.Plan(
            [new TagTarget(asset, [meme], new HashSet<string>(), []) { Drops = [meme] }],
            outputs,
            [meme],
            new Dictionary<Guid, ClassificationStatus>());
        var untouched = TagPlanner.Plan(
            [new TagTarget(asset, [meme], new HashSet<string>(), [])],
            outputs,
            [meme],
            new Dictionary<Guid, ClassificationStatus>());

        plan.Removals.Should().ContainKey(meme.Id).WhoseValue.Should().Equal(asset);
        untouched.RemovalCount.Should().Be(0, "a user tag is never removed unless a conversion asks");
    }
}
