using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// album_detection_from_folders: an unclassified asset joins the rule album its date folder names (created when
/// missing) and is classified again; a path with several date folders gets the detection conflict tag instead.
/// </summary>
internal sealed class FolderAlbumsStep(AlbumDetectionFromFoldersConfig config) : IFeatureStep
{
    // The texts of album creations ("folder detection") are what plan.txt has always shown.
    private static readonly ChangeReason FolderAlbumReason = new("folder_albums", "folder detection");
    private static readonly ChangeReason FolderConflictReason = new("folder_albums", "several date folders in its path; no album detected");

    public string Name => "folder_albums";

    public string ConfigSection => "album_detection_from_folders";

    public bool Enabled => config.Enabled;

    public ReadNeeds Reads => ReadNeeds.None;

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var folders = new FolderAlbums(config);
        foreach (var f in state.Assets.Values.Where(f => f.InScope && f.Classification?.Status == ClassificationStatus.Unclassified))
        {
            FolderDetection detection;
            try
            {
                detection = folders.Detect(f.Asset.OriginalPath);
            }
            catch (RegexMatchTimeoutException ex)
            {
                state.ReportError(new EngineError(EngineErrorKind.Classify, $"excluded_paths pattern '{ex.Pattern}' timed out on '{ex.Input}'", [f.Asset.Id], [], state.Now));
                continue;
            }

            if (detection.Kind == FolderDetectionKind.Conflict)
            {
                // Nothing after this step classifies it again: it stays unclassified, so it carries the conflict tag.
                state.Want(f.Asset.Id, state.Outputs.AlbumDetectionConflict, FolderConflictReason);
                state.Note(PlanNoteKind.AlbumDetectionConflict, f.Asset.Id, $"several date folders in '{f.Asset.OriginalPath}'; no album detected");
                continue;
            }

            if (detection is not { Kind: FolderDetectionKind.Album, AlbumName: { } name } || !state.IsRuleAlbum(name) || state.IsFilteredAlbum(name))
            {
                continue;
            }

            if (state.Albums.Join(f.Asset.Id, name, FolderAlbumReason, out var problem) is { } album)
            {
                f.EditableAlbums.Add(album);
                f.Classification = state.Classify(f);
            }
            else if (problem is not null)
            {
                state.Note(PlanNoteKind.AmbiguousAlbum, f.Asset.Id, $"folder detection: {problem}", name);
            }
        }

        return StepPlan.None;
    }
}
