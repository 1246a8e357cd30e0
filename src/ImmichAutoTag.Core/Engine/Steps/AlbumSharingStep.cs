using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// album_permissions as one step: it needs the server's users read, and plans a <see cref="ShareAlbum"/> change
/// per user to add, re-role or remove on the albums its rules match, including the albums this run creates.
/// The reason's text is the rule's name (plan.txt shows it as "rule X").
/// </summary>
internal sealed class AlbumSharingStep(AlbumPermissionsConfig config) : IFeatureStep
{
    public string Name => "album_sharing";

    public string ConfigSection => "album_permissions";

    public bool Enabled => config.Enabled;

    public ReadNeeds Reads { get; } = new() { Users = true };

    public StepPlan Plan(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var snapshot = context.Snapshot;
        var (sharing, notes) = AlbumSharing.Plan(config, snapshot.Albums, context.Planned.Groups.AlbumsToCreate, context.Users, snapshot.User.Id);
        var changes = sharing
            .Select(c => (PlannedChange)new ShareAlbum(c.AlbumId, c.AlbumName, c.UserId, c.Email, c.Action, c.OldRole, c.NewRole, new ChangeReason(Name, c.Rule)))
            .ToList();
        return new StepPlan(changes, notes);
    }
}
