using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// conversions: tag → tags and/or albums, applied to each in-scope asset's planned tags and albums before
/// classification sees them. The tags it adds or drops go to the tag diff (with the conversion's reason); the
/// albums it joins go to the run's album joins.
/// </summary>
internal sealed class ConversionsStep(ConversionsConfig config) : IFeatureStep
{
    public string Name => "conversions";

    public string ConfigSection => "conversions";

    public bool Enabled => config.Enabled;

    // Conversions read their source tags and must see who already carries a destination tag.
    public ReadNeeds Reads { get; } = new() { TagNames = Conversions.TagNames(config).ToHashSet(StringComparer.Ordinal) };

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var conversions = new Conversions(config, state.Snapshot.Tags, state.Albums, state.IsFilteredAlbum, state.Note, state.ToolTags, state.Refused);
        if (!conversions.Any)
        {
            return StepPlan.None;
        }

        foreach (var f in state.Assets.Values)
        {
            if (!f.Judged || !f.InScope)
            {
                continue;
            }

            try
            {
                List<string> added = [];
                List<Tag> dropped = [];
                conversions.Apply(f.Asset.Id, f.EditableTags, f.EditableAlbums, added, dropped);
                if (added.Count > 0)
                {
                    state.Copies[f.Asset.Id] = added;
                }

                if (dropped.Count > 0)
                {
                    state.Drops[f.Asset.Id] = dropped;
                }
            }
            catch (RegexMatchTimeoutException ex)
            {
                state.Fail(f, ex);
            }
        }

        return StepPlan.None;
    }
}
