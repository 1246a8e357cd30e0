using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// tag_album_sync as one step that plans ahead of the others (<see cref="IFeatureStep.PlanAhead"/>): tag
/// <c>&lt;prefix&gt;X</c> and album X hold the same own assets (see <see cref="TagAlbumSync"/>). The later steps plan
/// on the library as the sync will leave it, so rules that look at albums or tags see the synced state in the same
/// run; the sync's changes are folded into the run's plan after theirs (an album the sync creates and a later step
/// joins by name is created once, with both steps' assets).
/// </summary>
internal sealed class TagAlbumSyncStep(AutoTagConfig config, RunOptions options) : IFeatureStep
{
    private readonly TagAlbumSync _sync = new(config, options);

    public string Name => "tag_album_sync";

    public string ConfigSection => "tag_album_sync";

    public bool Enabled => config.TagAlbumSync.Enabled;

    /// <summary>The sync reads the tags of its prefix (whoever carries them), not only those it wrote.</summary>
    public ReadNeeds Reads => new() { OwnsTag = _sync.IsSyncTag };

    public PlannedAhead PlanAhead(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tags = context.Snapshot.Tags;
        var synced = _sync.Plan(context.Snapshot);
        return new PlannedAhead(synced.Snapshot, plan => TagAlbumSync.Merge(plan, synced, tags));
    }
}
