using System.Globalization;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Dates;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// album_date_consistency: an in-scope classified asset taken more than <c>threshold_days</c> outside the dates its
/// album's name gives carries the mismatch tag (and a note), judged on its repaired day and its final albums.
/// </summary>
internal sealed class AlbumDateCheckStep(AlbumDateConsistencyConfig config) : IFeatureStep
{
    private static readonly ChangeReason AlbumDateMismatchReason = new("album_date_check", "taken outside the dates its album's name gives");
    private readonly Dictionary<string, AlbumPeriod?> _albumPeriods = new(StringComparer.Ordinal);

    public string Name => "album_date_check";

    public string ConfigSection => "album_date_consistency";

    public bool Enabled => config.Enabled;

    public ReadNeeds Reads => ReadNeeds.None;

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        if (state.Outputs.AlbumDateMismatch is not { } tag)
        {
            return StepPlan.None;
        }

        foreach (var f in state.Assets.Values)
        {
            if (f.InScope && f.Classification is not null && Mismatches(state, f))
            {
                state.Want(f.Asset.Id, tag, AlbumDateMismatchReason);
            }
        }

        return StepPlan.None;
    }

    private bool Mismatches(AssetPlanning state, PlannedAsset f)
    {
        // The asset's local day (Immich's localDateTime, or the repaired one), as the temporary albums use it.
        var day = f.LocalDay;
        var mismatch = false;
        for (var i = 0; i < f.Albums.Count; i++)
        {
            var album = f.Albums[i];
            if (SeenBefore(f.Albums, i))
            {
                continue;
            }

            if (PeriodOf(album.Name) is { } period && period.DaysOutside(day) > config.ThresholdDays)
            {
                mismatch = true;
                state.Note(PlanNoteKind.AlbumDateMismatch, f.Asset.Id, string.Create(CultureInfo.InvariantCulture, $"taken {day:yyyy-MM-dd}, {period.DaysOutside(day)} days outside album '{album.Name}' ({period.First:yyyy-MM-dd}..{period.Last:yyyy-MM-dd})"), album.Name);
            }
        }

        return mismatch;
    }

    /// <summary>The date period an album name stands for, parsed once per name (a library has far fewer albums than assets).</summary>
    private AlbumPeriod? PeriodOf(string name)
    {
        if (!_albumPeriods.TryGetValue(name, out var period))
        {
            period = AlbumNameDates.Parse(name);
            _albumPeriods[name] = period;
        }

        return period;
    }

    /// <summary>Whether the album at <paramref name="index"/> is listed earlier too: an asset has few albums, so a scan beats a set.</summary>
    private static bool SeenBefore(IReadOnlyList<Album> albums, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (albums[j].Id == albums[index].Id)
            {
                return true;
            }
        }

        return false;
    }
}
