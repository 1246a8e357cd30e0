using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// create_album_from_date_if_missing: the tool's own per-day albums for unclassified assets (see
/// <see cref="TemporaryAlbums"/>), planned on each asset's repaired day and final albums. The last step to join albums,
/// it hands the run every album join and creation the steps before it collected (an album several steps want is
/// created once), then its own removals and deletions. With creation off and a key that may not take assets out of
/// albums or delete them (<paramref name="cleanup"/> false), the clean-up of temporary albums left from earlier runs is
/// skipped as a whole and reported in one <see cref="PlanNoteKind.TemporaryAlbumCleanupSkipped"/> note.
/// </summary>
internal sealed class TemporaryAlbumsStep(AutoTagConfig config, bool cleanup = true) : IFeatureStep
{
    public string Name => "temporary_albums";

    public string ConfigSection => "create_album_from_date_if_missing";

    public bool Enabled => true;

    public ReadNeeds Reads => ReadNeeds.None;

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var inputs = new List<(PlannedAsset Facts, TemporaryAlbumInput Input)>(state.Assets.Count);
        foreach (var f in state.Assets.Values)
        {
            inputs.Add((f, new TemporaryAlbumInput(
                f.Asset.Id,
                f.InScope && (f.Classification is not null || f.IsMotionPart),

                // Immich shows hidden assets in no album, so a temporary album of them would look empty.
                f.Classification?.Status == ClassificationStatus.Unclassified && f.Asset.Visibility != AssetVisibility.Hidden,
                f.LocalDay,
                f.OriginalAlbums,
                f.Albums)));
        }

        var temporary = TemporaryAlbums.Plan(config.CreateAlbumFromDateIfMissing, inputs.ConvertAll(t => t.Input), state.Snapshot, state.Albums);
        if (!config.CreateAlbumFromDateIfMissing && !cleanup)
        {
            // Without creation the plan above holds only removals and deletions, which this key cannot send: keep the
            // assets' albums as they are and say once what is left undone, instead of failing those writes every run.
            if (temporary.Count == 0)
            {
                return new StepPlan([.. state.Albums.Changes], []);
            }

            var removals = temporary.OfType<RemoveAlbumMember>().Count();
            var deletions = temporary.OfType<DeleteAlbum>().Count();
            var message = $"temporary albums (*{TemporaryAlbums.Suffix}) left from earlier runs are not cleaned up: the API key lacks 'albumAsset.delete' or 'album.delete' "
                + $"({removals} asset(s) would leave them, {deletions} emptied album(s) would be deleted); give the key both, or remove those albums by hand";
            return new StepPlan([.. state.Albums.Changes], [new PlanNote(PlanNoteKind.TemporaryAlbumCleanupSkipped, Guid.Empty, message)]);
        }

        foreach (var (f, input) in inputs)
        {
            if (input.EditedAlbums is { } edited)
            {
                f.ReplaceAlbums(edited);
            }
        }

        return new StepPlan([.. state.Albums.Changes, .. temporary], []);
    }
}
