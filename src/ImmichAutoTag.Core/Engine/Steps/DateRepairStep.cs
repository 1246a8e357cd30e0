using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Dates;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// duplicate_processing.date_correction: repairs a classified asset's capture date from its file name, its folders
/// and its duplicates' names and dates. The repaired day is what temporary albums and the album date check use after
/// it, whether or not the asset is in scope; only in-scope assets get a <see cref="SetDate"/>.
/// </summary>
internal sealed class DateRepairStep(DuplicateProcessingConfig config, bool duplicatesReadable) : IFeatureStep
{
    public string Name => "date_repair";

    public string ConfigSection => "duplicate_processing.date_correction";

    public bool Enabled => config.DateCorrection.Enabled;

    public ReadNeeds Reads { get; } = new() { Duplicates = duplicatesReadable && config.DateCorrection.Enabled };

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        var classified = state.Assets.Values.Where(f => f.Classification is not null).ToList();
        return new StepPlan(PlanDates(state, classified), []);
    }

    private static List<PlannedChange> PlanDates(AssetPlanning state, List<PlannedAsset> all)
    {
        var now = state.Now;
        var maxYear = now.Year + 1;
        var updates = new List<PlannedChange>();
        var grouped = state.Groups.SelectMany(g => g.Members.Select(m => (m, g.Members))).ToDictionary(x => x.m.Asset.Id, x => x.Members);
        foreach (var f in all)
        {
            // A name whose wall clock is the asset's own local wall clock confirms the date: wherever the photo was
            // taken, the timeline already shows what the camera showed. Only the zone guess could differ.
            if (FileNameDates.Parse(f.Asset.OriginalFileName, maxYear) is { Precision: DatePrecision.Second, IsUtc: false } ownName
                && (ownName.WallClock == WholeSeconds(f.LocalWallClock) || IsGapDateAsWritten(ownName, f)))
            {
                continue;
            }

            var members = grouped.GetValueOrDefault(f.Asset.Id) ?? [f];
            var candidates = new List<DateCandidate>();
            foreach (var m in members)
            {
                var own = m.Asset.Id == f.Asset.Id;
                AddNameCandidate(candidates, m.Asset.OriginalFileName, own ? DateSourceKind.FileName : DateSourceKind.DuplicateName, maxYear, m.Zone, now);
                foreach (var folder in Folders(m.Asset.OriginalPath))
                {
                    AddNameCandidate(candidates, folder, own ? DateSourceKind.Path : DateSourceKind.DuplicateName, maxYear, m.Zone, now);
                }

                // A duplicate whose clock was lost (1970-01-01 and the like) would win "oldest date wins" against every
                // real copy; its date is no evidence. Names and folders keep their own credibility window.
                if (!own && !DateRepair.IsLostClock(m.Asset.FileCreatedAt, m.Zone))
                {
                    candidates.Add(new DateCandidate(m.Asset.FileCreatedAt, DatePrecision.Second, DateSourceKind.DuplicateDate, m.Asset.OriginalFileName) { Zone = m.Zone });
                }
            }

            var decision = DateRepair.Decide(f.Asset.FileCreatedAt, f.LocalDay, candidates);
            if (decision.Verdict == DateVerdict.Ambiguous && f.InScope)
            {
                state.Note(PlanNoteKind.AmbiguousDate, f.Asset.Id, decision.Reason ?? "ambiguous date");
            }

            if (decision is { Verdict: DateVerdict.Repair, Candidate: { } c })
            {
                // Written in the asset's own offset when Immich knows it, else in the zone the source was read in;
                // the desired date and day drive the album date check and temporary albums below, in scope or not.
                var writeZone = f.OwnZoneKnown ? f.Zone : c.Zone;
                f.Date = c.Instant;
                f.LocalDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(c.Instant, writeZone).DateTime);
                if (f.InScope)
                {
                    var source = $"{c.Source}: {c.Origin}";
                    updates.Add(new SetDate(f.Asset.Id, InOwnOffset(f), c.Instant, DateRepair.Format(c.Instant, writeZone), source, new ChangeReason("date_repair", "date from " + source)));
                }
            }
        }

        return updates;
    }

    private static void AddNameCandidate(List<DateCandidate> candidates, string name, DateSourceKind source, int maxYear, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (FileNameDates.Parse(name, maxYear) is { } date)
        {
            var instant = FileNameDates.ToInstant(date, zone);
            if (instant <= now)
            {
                candidates.Add(new DateCandidate(instant, date.Precision, source, name) { Zone = zone });
            }
        }
    }

    /// <summary>
    /// A name whose wall clock the configured zone skips (spring DST gap) is read with the offset before the gap and
    /// written so; Immich then shows it in the offset after the gap, a wall clock an hour later than the name's. That
    /// date is the name's as the tool reads it, not one to read again in the new offset (which would move it an hour).
    /// </summary>
    private static bool IsGapDateAsWritten(NameDate name, PlannedAsset asset) =>
        asset.OwnZoneKnown
        && asset.FallbackZone.IsInvalidTime(DateTime.SpecifyKind(name.WallClock, DateTimeKind.Unspecified))
        && FileNameDates.InZone(name.WallClock, asset.FallbackZone).UtcTicks / TimeSpan.TicksPerSecond == asset.Asset.FileCreatedAt.UtcTicks / TimeSpan.TicksPerSecond;

    /// <summary>
    /// The asset's current date in the offset Immich shows it in (localDateTime − fileCreatedAt): the recorded old
    /// value, which undo writes back, must give the photo its own wall clock again, not the UTC one.
    /// </summary>
    private static DateTimeOffset InOwnOffset(PlannedAsset asset)
    {
        var offset = asset.LocalWallClock - asset.Asset.FileCreatedAt.UtcDateTime;
        var whole = offset.Ticks % TimeSpan.TicksPerMinute == 0 && offset.Duration() <= TimeSpan.FromHours(14);
        return whole ? asset.Asset.FileCreatedAt.ToOffset(offset) : asset.Asset.FileCreatedAt;
    }

    private static DateTime WholeSeconds(DateTime value) => new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);

    /// <summary>The folder names of a path, without the file name.</summary>
    private static string[] Folders(string path)
    {
        var parts = path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length <= 1 ? [] : parts[..^1];
    }
}
