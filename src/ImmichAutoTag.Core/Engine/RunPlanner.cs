using System.Globalization;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Dates;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>What evaluating the gathered library produced: the plan, the verdicts and the counts behind them.</summary>
internal sealed record PlanningResult(
    TagPlan Plan,
    IReadOnlyList<AssetEvaluation> Evaluations,
    int Owned,
    int Partner,
    int ExcludedByVisibility,
    int ExcludedByFilters,
    int DuplicateGroups)
{
    /// <summary>Tag paths copied to an asset from its duplicates (asset id → paths).</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<string>> DuplicateCopies { get; init; } = new Dictionary<Guid, IReadOnlyList<string>>();

    /// <summary>Assets planned into the rule album their duplicates are in.</summary>
    public IReadOnlySet<Guid> PropagatedAssets { get; init; } = new HashSet<Guid>();

    /// <summary>Own hidden video halves of Live/Motion Photos: never classified on their own.</summary>
    public int MotionParts { get; init; }
}

/// <summary>
/// Turns a library snapshot into one plan, in the order that lets a run converge in one pass: date repair →
/// classification (with tags copied from duplicates and albums propagated from them, judged on the desired
/// state) → duplicate conflict tags → album date check → output tags. Every decision uses the state the
/// library will have after the apply, so the next run's evaluation finds nothing to do.
/// </summary>
internal sealed class RunPlanner(
    AutoTagConfig config,
    RuleClassifier classifier,
    OutputTags outputs,
    RunOptions options,
    DateTimeOffset now,
    Action<EngineError> reportError)
{
    private readonly RuleClassifier? _filterIn = config.Filters.FilterIn.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterIn) : null;
    private readonly RuleClassifier? _filterOut = config.Filters.FilterOut.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterOut) : null;
    private readonly HashSet<string> _filteredOutTags = config.Filters.FilterOut.SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, TimeZoneInfo> FixedZones = new();

    // The texts of album creations ("folder detection") are what plan.txt has always shown.
    private static readonly ChangeReason FolderAlbumReason = new("folder_albums", "folder detection");
    private static readonly ChangeReason FolderConflictReason = new("folder_albums", "several date folders in its path; no album detected");
    private static readonly ChangeReason PropagationReason = new("duplicates", "album of its duplicates");
    private static readonly ChangeReason CopiedFromDuplicateReason = new("duplicates", "classification copied from a duplicate");
    private static readonly ChangeReason AlbumDateMismatchReason = new("album_date_check", "taken outside the dates its album's name gives");
    private readonly TimeZoneInfo _zone = FindZone(config.DuplicateProcessing.DateCorrection.ExtractionTimezone);
    private readonly Dictionary<string, bool> _ruleAlbum = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _filteredAlbum = new(StringComparer.Ordinal);
    private readonly List<PlanNote> _notes = [];
    private readonly FolderAlbums? _folders = config.AlbumDetectionFromFolders.Enabled ? new FolderAlbums(config.AlbumDetectionFromFolders) : null;
    private readonly Dictionary<Guid, IReadOnlyList<string>> _duplicateCopies = [];
    private readonly HashSet<Guid> _propagated = [];
    private readonly Dictionary<string, AlbumPeriod?> _albumPeriods = new(StringComparer.Ordinal);

    // The album names the rules see, refilled for each classification: the classifier keeps no reference to
    // them (its matches copy the names that hit), so one list serves every asset instead of one list each.
    private readonly List<string> _ruleAlbumNames = [];


    /// <summary>The final verdict of every asset the run may change, set before the steps plan (a run fact for them).</summary>
    public ClassificationVerdicts? Verdicts { get; private set; }

    /// <summary>The tag leaf names the filters look at, so the gatherer reads them too.</summary>
    public static IReadOnlySet<string> FilterTagNames(FiltersConfig filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return filters.FilterIn.Concat(filters.FilterOut).SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal);
    }

    /// <param name="planSteps">
    /// Lets the steps that plan on their own plan once the phases' album and date changes are known (the list they
    /// get); returns their owned tags, which join each asset's desired output tags.
    /// </param>
    public PlanningResult Plan(
        LibrarySnapshot snapshot,
        IReadOnlyList<DuplicateGroup>? duplicates,
        IProgress<EngineProgress>? progress,
        Func<ChangeList, IReadOnlyList<OwnedTagPlan>> planSteps,
        CancellationToken ct)
    {
        var userId = snapshot.User.Id;
        // Presized: a run has one entry per asset, and growing to 100k entries costs twice the final table.
        var facts = new Dictionary<Guid, Facts>(snapshot.Assets.Count);
        var copies = new Dictionary<Guid, List<string>>();
        var drops = new Dictionary<Guid, List<Tag>>();
        var albumChanges = new AlbumChanges(snapshot.Albums, userId);
        var conversions = new Conversions(config.Conversions, snapshot.Tags, albumChanges, IsFilteredAlbum, Note);
        var timedOutAssets = new HashSet<Guid>();
        var (partner, excludedVisibility, excludedFilters, motionParts) = EvaluateAssets(snapshot, facts, conversions, copies, drops, timedOutAssets, progress, ct);

        var groups = duplicates is null
            ? []
            : duplicates
                .Select(g => (g.DuplicateId, Members: g.Assets.Select(a => facts.GetValueOrDefault(a.Id)).OfType<Facts>().Where(m => m.Classification is not null).DistinctBy(m => m.Asset.Id).ToList()))
                .Where(g => g.Members.Count >= 2)
                .ToList();
        foreach (var (id, members) in groups)
        {
            foreach (var m in members)
            {
                m.Group ??= id;
            }
        }

        var classified = facts.Values.Where(f => f.Classification is not null).ToList();
        var dateUpdates = config.DuplicateProcessing.DateCorrection.Enabled ? PlanDates(classified, groups) : [];
        var (conflictGroups, albumConflictGroups) = PlanDuplicateGroups(groups, copies, albumChanges);

        var detectionConflicts = _folders is null ? [] : PlanFolderAlbums(_folders, facts.Values, albumChanges);
        var temporaryInputs = new List<(Facts Facts, TemporaryAlbumInput Input)>(facts.Count);
        foreach (var f in facts.Values)
        {
            temporaryInputs.Add((f, new TemporaryAlbumInput(
                f.Asset.Id,
                f.InScope && (f.Classification is not null || f.IsMotionPart),

                // Immich shows hidden assets in no album, so a temporary album of them would look empty.
                f.Classification?.Status == ClassificationStatus.Unclassified && f.Asset.Visibility != AssetVisibility.Hidden,
                f.LocalDay,
                f.OriginalAlbums,
                f.Albums)));
        }

        var temporary = TemporaryAlbums.Plan(
            config.CreateAlbumFromDateIfMissing,
            temporaryInputs.ConvertAll(t => t.Input),
            snapshot,
            albumChanges);
        foreach (var (f, input) in temporaryInputs)
        {
            if (input.EditedAlbums is { } edited)
            {
                f.ReplaceAlbums(edited);
            }
        }

        // One list for every step's changes; the appliers group it by kind.
        var phaseChanges = new ChangeList([.. dateUpdates, .. albumChanges.Changes, .. temporary]);
        Verdicts = new ClassificationVerdicts(facts.Values.Where(f => f.InScope && f.Classification is not null).ToDictionary(f => f.Asset.Id, f => f.Classification!.Status)); // non-null: filtered
        var owned = planSteps(phaseChanges);
        var (targets, statuses, evaluations) = TagTargets(facts, copies, drops, conflictGroups, albumConflictGroups, detectionConflicts, owned);
        ReportTimedOutPatterns(snapshot, timedOutAssets);

        var tagOutputs = owned.Count == 0 ? outputs : outputs with { StepOwned = path => OwnedByAny(owned, path) };
        var tagChanges = TagPlanner.Plan(targets, tagOutputs, snapshot.Tags, statuses).Changes;
        var plan = new TagPlan(phaseChanges.Concat(tagChanges), statuses)
        {
            Notes = _notes,
        };
        return new PlanningResult(plan, evaluations, facts.Count, partner, excludedVisibility, excludedFilters, groups.Count)
        {
            DuplicateCopies = _duplicateCopies,
            PropagatedAssets = _propagated,
            MotionParts = motionParts,
        };
    }

    // ---- classification ----
    /// <summary>
    /// Judges every own asset as it will be after conversions: its facts go into <paramref name="facts"/>; returns how
    /// many assets were partners', left out by visibility or filters, and hidden Live/Motion Photo video halves.
    /// </summary>
    private (int Partner, int ExcludedByVisibility, int ExcludedByFilters, int MotionParts) EvaluateAssets(
        LibrarySnapshot snapshot,
        Dictionary<Guid, Facts> facts,
        Conversions conversions,
        Dictionary<Guid, List<string>> copies,
        Dictionary<Guid, List<Tag>> drops,
        HashSet<Guid> timedOutAssets,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        var userId = snapshot.User.Id;
        int partner = 0, excludedVisibility = 0, excludedFilters = 0, motionParts = 0;

        // The video half of a Live/Motion Photo is hidden and named by its still's livePhotoVideoId. It is part of
        // the still, which is what the user sees and classifies; on its own it gets no verdict and no output tag.
        var videoHalves = snapshot.Assets.Where(a => a.LivePhotoVideoId is not null).Select(a => a.LivePhotoVideoId!.Value).ToHashSet();
        for (var i = 0; i < snapshot.Assets.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var asset = snapshot.Assets[i];
            if (asset.OwnerId != userId)
            {
                partner++;
                continue;
            }

            var f = new Facts(asset, snapshot.AlbumsOf(asset.Id), snapshot.TagsOf(asset.Id), OwnZone(asset), _zone);
            facts[asset.Id] = f;
            if (asset.Visibility == AssetVisibility.Hidden && videoHalves.Contains(asset.Id))
            {
                motionParts++;
                f.IsMotionPart = true;

                // Output tags and temporary albums an earlier version gave it are the tool's own: they are taken away.
                f.InScope = Included(asset) && InFocusOrFalse(f);
                continue;
            }

            if (!Included(asset))
            {
                excludedVisibility++;
                continue;
            }

            try
            {
                // Filters judge the asset as it is; conversions then change it before classification sees it.
                f.InScope = InFocus(f);
                if (f.InScope)
                {
                    ApplyConversions(conversions, f, copies, drops);
                }
                else
                {
                    excludedFilters++;
                }

                f.Classification = Classify(f);
                if (classifier.AnyTimedOut && classifier.TimedOutOn(f.Albums.Select(a => a.Name)))
                {
                    // The asset keeps its tags: a verdict without one of its albums' matches would be a guess.
                    f.Classification = null;
                    f.InScope = false;
                    timedOutAssets.Add(asset.Id);
                }
            }
            catch (RegexMatchTimeoutException ex)
            {
                // The asset keeps its tags: a verdict from a half-evaluated rule set would be a guess.
                f.Classification = null;
                f.InScope = false;
                reportError(new EngineError(EngineErrorKind.Classify, $"Album pattern '{ex.Pattern}' timed out on '{ex.Input}'", [asset.Id], [], now));
            }

            if ((i + 1) % 1000 == 0)
            {
                progress?.Report(new EngineProgress(EnginePhase.Evaluate, i + 1, snapshot.Assets.Count));
            }
        }

        return (partner, excludedVisibility, excludedFilters, motionParts);
    }

    // ---- output tags ----
    /// <summary>
    /// The output tags each in-scope asset should carry (its status, duplicate conflicts, album date mismatch, folder
    /// detection conflict) with the tags copied to or dropped from it; motion parts keep none of the tool's tags.
    /// </summary>
    private (List<TagTarget> Targets, Dictionary<Guid, ClassificationStatus> Statuses, List<AssetEvaluation> Evaluations) TagTargets(
        Dictionary<Guid, Facts> facts,
        Dictionary<Guid, List<string>> copies,
        Dictionary<Guid, List<Tag>> drops,
        HashSet<Guid> conflictGroups,
        HashSet<Guid> albumConflictGroups,
        HashSet<Guid> detectionConflicts,
        IReadOnlyList<OwnedTagPlan> owned)
    {
        var targets = new List<TagTarget>(facts.Count);
        var statuses = new Dictionary<Guid, ClassificationStatus>(facts.Count);
        var evaluations = new List<AssetEvaluation>(facts.Count);

        // Most assets want exactly their status tag: they share one set per status (never changed once built),
        // so a 100k library does not build 100k equal sets. An asset that wants more gets its own copy below.
        var byStatus = new Dictionary<ClassificationStatus, HashSet<string>>();
        foreach (var f in facts.Values)
        {
            if (!f.InScope || f.Classification is not { } classification)
            {
                continue;
            }

            if (!byStatus.TryGetValue(classification.Status, out var shared))
            {
                shared = new HashSet<string>(outputs.DesiredFor(classification.Status), StringComparer.Ordinal);
                byStatus[classification.Status] = shared;
            }

            var desired = shared;

            // Made only for the few assets a step other than classification tags: a rerun allocates none.
            Dictionary<string, ChangeReason>? reasons = null;
            void Want(string? tag, ChangeReason reason)
            {
                if (tag is null)
                {
                    return;
                }

                if (!desired.Contains(tag))
                {
                    desired = ReferenceEquals(desired, shared) ? new HashSet<string>(shared, StringComparer.Ordinal) : desired;
                    desired.Add(tag);
                }

                (reasons ??= new(StringComparer.Ordinal))[tag] = reason;
            }

            if (f.Group is { } group)
            {
                if (conflictGroups.Contains(group))
                {
                    var why = new ChangeReason("duplicates", $"duplicate group {group} has differing classification tags");
                    Want(outputs.DuplicateClassificationConflict, why);
                    Want(outputs.ClassificationConflictTagFor(group), why);
                }

                if (albumConflictGroups.Contains(group))
                {
                    var why = new ChangeReason("duplicates", $"duplicate group {group} spans several rule albums");
                    Want(outputs.DuplicateAlbumConflict, why);
                    Want(outputs.AlbumConflictTagFor(group), why);
                }
            }

            if (outputs.AlbumDateMismatch is { } mismatchTag && AlbumDateMismatches(f))
            {
                Want(mismatchTag, AlbumDateMismatchReason);
            }

            if (outputs.AlbumDetectionConflict is { } detectionTag && detectionConflicts.Contains(f.Asset.Id) && classification.Status == ClassificationStatus.Unclassified)
            {
                Want(detectionTag, FolderConflictReason);
            }

            var copied = copies.TryGetValue(f.Asset.Id, out var c) ? c : [];
            var dropped = drops.TryGetValue(f.Asset.Id, out var d) ? d : [];
            CopyReasons(f.Asset.Id, copied, dropped, ref reasons);
            for (var i = 0; i < owned.Count; i++)
            {
                StepOwnedTags(owned[i], f, ref desired, shared, ref reasons);
            }

            targets.Add(new TagTarget(f.Asset.Id, f.OriginalTags, desired, copied)
            {
                Drops = dropped,
                Reasons = reasons,
            });
            statuses[f.Asset.Id] = classification.Status;
            evaluations.Add(new AssetEvaluation(f.Asset, AlbumNames(f.Albums), f.Tags, classification));
        }

        var none = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in facts.Values)
        {
            if (f.IsMotionPart && f.InScope)
            {
                targets.Add(new TagTarget(f.Asset.Id, f.OriginalTags, none, []));
            }
        }

        return (targets, statuses, evaluations);
    }

    /// <summary>Tags copied from a duplicate are the duplicates step's; the other copies and every drop are a conversion's.</summary>
    private void CopyReasons(Guid assetId, IReadOnlyList<string> copied, IReadOnlyList<Tag> dropped, ref Dictionary<string, ChangeReason>? reasons)
    {
        foreach (var path in copied)
        {
            var fromDuplicate = _duplicateCopies.TryGetValue(assetId, out var paths) && paths.Contains(path, StringComparer.Ordinal);
            (reasons ??= new(StringComparer.Ordinal))[path] = fromDuplicate ? CopiedFromDuplicateReason : Conversions.TagReason;
        }

        foreach (var tag in dropped)
        {
            (reasons ??= new(StringComparer.Ordinal))[tag.Value] = Conversions.TagReason;
        }
    }

    /// <summary>One error per pattern that ran out of time, naming the album and the assets it left unchanged.</summary>
    private void ReportTimedOutPatterns(LibrarySnapshot snapshot, HashSet<Guid> timedOutAssets)
    {
        foreach (var t in classifier.TimedOut.Concat(_filterIn?.TimedOut ?? []).Concat(_filterOut?.TimedOut ?? []).Distinct())
        {
            var members = snapshot.Assets.Where(a => timedOutAssets.Contains(a.Id) && snapshot.AlbumsOf(a.Id).Any(al => string.Equals(al.Name, t.AlbumName, StringComparison.Ordinal))).Select(a => a.Id).ToList();
            reportError(new EngineError(
                EngineErrorKind.Classify,
                $"Album pattern '{t.Pattern}' ran longer than its time-out ({t.Timeout.TotalMilliseconds:0.###} ms) on album '{t.AlbumName}' (it needs the backtracking engine: look-arounds, backreferences or atomic groups); that album was not matched by it and its assets were left unchanged",
                members,
                [],
                now));
        }
    }

    // ---- date repair ----
    private List<PlannedChange> PlanDates(List<Facts> all, List<(Guid Id, List<Facts> Members)> groups)
    {
        var maxYear = now.Year + 1;
        var updates = new List<PlannedChange>();
        var grouped = groups.SelectMany(g => g.Members.Select(m => (m, g.Members))).ToDictionary(x => x.m.Asset.Id, x => x.Members);
        foreach (var f in all)
        {
            // A name whose wall clock is the asset's own local wall clock confirms the date: wherever the photo was
            // taken, the timeline already shows what the camera showed. Only the zone guess could differ.
            if (FileNameDates.Parse(f.Asset.OriginalFileName, maxYear) is { Precision: DatePrecision.Second, IsUtc: false } ownName
                && ownName.WallClock == WholeSeconds(f.LocalWallClock))
            {
                continue;
            }

            var members = grouped.GetValueOrDefault(f.Asset.Id) ?? [f];
            var candidates = new List<DateCandidate>();
            foreach (var m in members)
            {
                var own = m.Asset.Id == f.Asset.Id;
                AddNameCandidate(candidates, m.Asset.OriginalFileName, own ? DateSourceKind.FileName : DateSourceKind.DuplicateName, maxYear, m.Zone);
                foreach (var folder in Folders(m.Asset.OriginalPath))
                {
                    AddNameCandidate(candidates, folder, own ? DateSourceKind.Path : DateSourceKind.DuplicateName, maxYear, m.Zone);
                }

                if (!own)
                {
                    candidates.Add(new DateCandidate(m.Asset.FileCreatedAt, DatePrecision.Second, DateSourceKind.DuplicateDate, m.Asset.OriginalFileName) { Zone = m.Zone });
                }
            }

            var decision = DateRepair.Decide(f.Asset.FileCreatedAt, f.LocalDay, candidates);
            if (decision.Verdict == DateVerdict.Ambiguous && f.InScope)
            {
                Note(PlanNoteKind.AmbiguousDate, f.Asset.Id, decision.Reason ?? "ambiguous date");
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
                    updates.Add(new SetDate(f.Asset.Id, f.Asset.FileCreatedAt, c.Instant, DateRepair.Format(c.Instant, writeZone), source, new ChangeReason("date_repair", "date from " + source)));
                }
            }
        }

        return updates;
    }

    private void AddNameCandidate(List<DateCandidate> candidates, string name, DateSourceKind source, int maxYear, TimeZoneInfo zone)
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

    private static DateTime WholeSeconds(DateTime value) => new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);

    /// <summary>The folder names of a path, without the file name.</summary>
    private static string[] Folders(string path)
    {
        var parts = path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length <= 1 ? [] : parts[..^1];
    }

    // ---- duplicates ----
    /// <summary>
    /// Per duplicate group: copies a lone classification tag or marks a classification conflict, propagates the one rule
    /// album, and marks groups that span several rule albums. Returns the groups in each kind of conflict.
    /// </summary>
    private (HashSet<Guid> ClassificationConflicts, HashSet<Guid> AlbumConflicts) PlanDuplicateGroups(
        List<(Guid Id, List<Facts> Members)> groups,
        Dictionary<Guid, List<string>> copies,
        AlbumChanges albumChanges)
    {
        var conflictGroups = new HashSet<Guid>();
        var albumConflictGroups = new HashSet<Guid>();
        foreach (var (id, members) in groups)
        {
            PlanClassificationFromDuplicates(id, members, copies, conflictGroups);
            if (options.AlbumPropagation && config.DuplicateProcessing.AddToAlbumOfDuplicates)
            {
                PlanAlbumPropagation(members, albumChanges);
            }

            var ruleAlbums = members.SelectMany(m => m.Albums).Select(a => a.Name).Where(IsRuleAlbum).Distinct(StringComparer.Ordinal).ToList();
            if (ruleAlbums.Count >= 2)
            {
                albumConflictGroups.Add(id);
                Note(PlanNoteKind.DuplicateAlbumConflict, members[0].Asset.Id, $"duplicate group {id} spans the rule albums {string.Join(", ", ruleAlbums.Order(StringComparer.Ordinal))}");
            }
        }

        return (conflictGroups, albumConflictGroups);
    }

    private void PlanClassificationFromDuplicates(Guid groupId, List<Facts> members, Dictionary<Guid, List<string>> copies, HashSet<Guid> conflictGroups)
    {
        static string Key(Facts f) => string.Join('\n', ClassificationTags(f).Order(StringComparer.Ordinal));
        var distinct = members.Select(Key).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 1)
        {
            return;
        }

        var nonEmpty = distinct.Where(k => k.Length > 0).ToList();
        if (distinct.Count == 2 && nonEmpty.Count == 1 && !nonEmpty[0].Contains('\n', StringComparison.Ordinal))
        {
            // One side has exactly one classification tag and the other none: copy it (upstream's autofix) when
            // the config allows changing user tags; either way this is no conflict.
            var name = nonEmpty[0];
            if (!config.DuplicateProcessing.CopyClassificationFromDuplicates || _filteredOutTags.Contains(name))
            {
                return;
            }

            var tag = members.SelectMany(m => m.Tags).First(t => string.Equals(t.Name, name, StringComparison.Ordinal) || string.Equals(t.Value, name, StringComparison.Ordinal));
            foreach (var m in members.Where(m => m.InScope && Key(m).Length == 0))
            {
                m.EditableTags.Add(tag);
                (copies.TryGetValue(m.Asset.Id, out var list) ? list : copies[m.Asset.Id] = []).Add(tag.Value);
                _duplicateCopies[m.Asset.Id] = [tag.Value];
                m.Classification = Classify(m);
            }

            return;
        }

        conflictGroups.Add(groupId);
        Note(PlanNoteKind.DuplicateClassificationConflict, members[0].Asset.Id, $"duplicate group {groupId} has differing classification tags: {string.Join(" / ", distinct.Select(k => k.Length == 0 ? "(none)" : k.Replace('\n', ',')))}");
    }

    private static IEnumerable<string> ClassificationTags(Facts f) =>
        f.Classification!.Matches.SelectMany(m => m.MatchedTagNames).Distinct(StringComparer.Ordinal); // non-null: groups hold classified members only

    private void PlanAlbumPropagation(List<Facts> members, AlbumChanges albumChanges)
    {
        foreach (var m in members.Where(m => m.InScope && m.Classification!.Status == ClassificationStatus.Unclassified)) // non-null: see ClassificationTags
        {
            var candidates = members
                .Where(o => o.Asset.Id != m.Asset.Id)
                .SelectMany(o => o.OriginalAlbums)
                .Where(a => IsRuleAlbum(a.Name) && !IsFilteredAlbum(a.Name))
                .DistinctBy(a => a.Id)
                .ToList();
            var names = candidates.Select(a => a.Name).Distinct(StringComparer.Ordinal).ToList();
            if (names.Count != 1)
            {
                continue;
            }

            if (candidates.Count > 1)
            {
                Note(PlanNoteKind.AmbiguousAlbum, m.Asset.Id, $"its duplicates are in {candidates.Count} albums named '{names[0]}'; not added to any", names[0]);
                continue;
            }

            var album = candidates[0];
            m.EditableAlbums.Add(album);
            m.Classification = Classify(m);
            albumChanges.AddTo(album, m.Asset.Id, PropagationReason);
            _propagated.Add(m.Asset.Id);
        }
    }

    // ---- conversions, folder albums ----
    private static void ApplyConversions(Conversions conversions, Facts f, Dictionary<Guid, List<string>> copies, Dictionary<Guid, List<Tag>> drops)
    {
        if (!conversions.Any)
        {
            return;
        }

        List<string> added = [];
        List<Tag> dropped = [];
        conversions.Apply(f.Asset.Id, f.EditableTags, f.EditableAlbums, added, dropped);
        if (added.Count > 0)
        {
            copies[f.Asset.Id] = added;
        }

        if (dropped.Count > 0)
        {
            drops[f.Asset.Id] = dropped;
        }
    }

    /// <summary>
    /// Unclassified assets join the rule album their date folder names (created when missing); a path with
    /// several date folders gets the detection conflict tag instead. Returns the assets in conflict.
    /// </summary>
    private HashSet<Guid> PlanFolderAlbums(FolderAlbums folders, IEnumerable<Facts> all, AlbumChanges albums)
    {
        var conflicts = new HashSet<Guid>();
        foreach (var f in all.Where(f => f.InScope && f.Classification?.Status == ClassificationStatus.Unclassified))
        {
            FolderDetection detection;
            try
            {
                detection = folders.Detect(f.Asset.OriginalPath);
            }
            catch (RegexMatchTimeoutException ex)
            {
                reportError(new EngineError(EngineErrorKind.Classify, $"excluded_paths pattern '{ex.Pattern}' timed out on '{ex.Input}'", [f.Asset.Id], [], now));
                continue;
            }

            if (detection.Kind == FolderDetectionKind.Conflict)
            {
                conflicts.Add(f.Asset.Id);
                Note(PlanNoteKind.AlbumDetectionConflict, f.Asset.Id, $"several date folders in '{f.Asset.OriginalPath}'; no album detected");
                continue;
            }

            if (detection is not { Kind: FolderDetectionKind.Album, AlbumName: { } name } || !IsRuleAlbum(name) || IsFilteredAlbum(name))
            {
                continue;
            }

            if (albums.Join(f.Asset.Id, name, FolderAlbumReason, out var problem) is { } album)
            {
                f.EditableAlbums.Add(album);
                f.Classification = Classify(f);
            }
            else
            {
                Note(PlanNoteKind.AmbiguousAlbum, f.Asset.Id, $"folder detection: {problem}", name);
            }
        }

        return conflicts;
    }

    // ---- album dates ----
    private bool AlbumDateMismatches(Facts f)
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

            if (PeriodOf(album.Name) is { } period && period.DaysOutside(day) > config.AlbumDateConsistency.ThresholdDays)
            {
                mismatch = true;
                Note(PlanNoteKind.AlbumDateMismatch, f.Asset.Id, string.Create(CultureInfo.InvariantCulture, $"taken {day:yyyy-MM-dd}, {period.DaysOutside(day)} days outside album '{album.Name}' ({period.First:yyyy-MM-dd}..{period.Last:yyyy-MM-dd})"), album.Name);
            }
        }

        return mismatch;
    }

    // ---- owned tags of the steps ----
    /// <summary>
    /// Adds the tags <paramref name="owned"/> wants on the asset to <paramref name="desired"/> (copied first when it is
    /// the set shared by every asset of a status); an asset the step leaves alone keeps the step's tags it has. Each of
    /// the step's tags added or removed gets the step's reason.
    /// </summary>
    private static void StepOwnedTags(OwnedTagPlan owned, Facts f, ref HashSet<string> desired, HashSet<string> shared, ref Dictionary<string, ChangeReason>? reasons)
    {
        var id = f.Asset.Id;
        List<string>? actual = null;
        foreach (var t in f.OriginalTags)
        {
            if (owned.Owns(t.Value))
            {
                (actual ??= []).Add(t.Value);
            }
        }

        var wanted = owned.DesiredFor(id) ?? (IReadOnlyCollection<string>?)actual ?? [];
        List<string>? changed = null;
        foreach (var tag in wanted)
        {
            if (!owned.Owns(tag))
            {
                continue;
            }

            if (!desired.Contains(tag))
            {
                desired = ReferenceEquals(desired, shared) ? new HashSet<string>(shared, StringComparer.Ordinal) : desired;
                desired.Add(tag);
            }

            if (actual is null || !actual.Contains(tag, StringComparer.Ordinal))
            {
                (changed ??= []).Add(tag);
            }
        }

        if (actual is not null)
        {
            foreach (var tag in actual)
            {
                if (!desired.Contains(tag))
                {
                    (changed ??= []).Add(tag);
                }
            }
        }

        if (changed is null)
        {
            return;
        }

        reasons ??= new(StringComparer.Ordinal);
        foreach (var t in changed)
        {
            reasons[t] = owned.ReasonFor(id, t);
        }
    }

    private static bool OwnedByAny(IReadOnlyList<OwnedTagPlan> owned, string path)
    {
        for (var i = 0; i < owned.Count; i++)
        {
            if (owned[i].Owns(path))
            {
                return true;
            }
        }

        return false;
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

    // ---- helpers ----
    /// <summary>The tool's temporary albums are no rule input: a date-prefix rule would otherwise classify their assets.</summary>
    private AssetClassification Classify(Facts f)
    {
        _ruleAlbumNames.Clear();
        var albums = f.Albums;
        for (var i = 0; i < albums.Count; i++)
        {
            if (!TemporaryAlbums.IsTemporary(albums[i].Name))
            {
                _ruleAlbumNames.Add(albums[i].Name);
            }
        }

        return classifier.Classify(new AssetFacts(f.Asset.Id, f.Tags, _ruleAlbumNames));
    }

    /// <summary>filter_in focuses the run on the assets it matches; filter_out removes the ones it matches from every change.</summary>
    private bool InFocus(Facts f)
    {
        if (_filterIn is null && _filterOut is null)
        {
            return true;
        }

        var facts = new AssetFacts(f.Asset.Id, f.Tags, f.Albums.Select(a => a.Name).ToList());
        if (_filterIn is not null && _filterIn.Classify(facts).Matches.Count == 0)
        {
            return false;
        }

        return _filterOut is null || _filterOut.Classify(facts).Matches.Count == 0;
    }

    private bool InFocusOrFalse(Facts f)
    {
        try
        {
            return InFocus(f);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private bool IsRuleAlbum(string name)
    {
        if (!_ruleAlbum.TryGetValue(name, out var hit))
        {
            hit = !TemporaryAlbums.IsTemporary(name) && classifier.Classify(new AssetFacts(Guid.Empty, [], [name])).Matches.Any(m => m.MatchedAlbumNames.Count > 0);
            _ruleAlbum[name] = hit;
        }

        return hit;
    }

    private bool IsFilteredAlbum(string name)
    {
        if (_filterOut is null)
        {
            return false;
        }

        if (!_filteredAlbum.TryGetValue(name, out var hit))
        {
            hit = _filterOut.Classify(new AssetFacts(Guid.Empty, [], [name])).Matches.Any(m => m.MatchedAlbumNames.Count > 0);
            _filteredAlbum[name] = hit;
        }

        return hit;
    }

    private bool Included(Asset asset) =>
        (options.IncludeArchived || (!asset.IsArchived && asset.Visibility != AssetVisibility.Archive))
        && (options.IncludeHidden || asset.Visibility != AssetVisibility.Hidden);

    private void Note(PlanNoteKind kind, Guid assetId, string message, string? album = null) => _notes.Add(new PlanNote(kind, assetId, message, album));

    private static string[] AlbumNames(IReadOnlyList<Album> albums)
    {
        if (albums.Count == 0)
        {
            return [];
        }

        var names = new string[albums.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = albums[i].Name;
        }

        return names;
    }

    /// <summary>
    /// The asset's own UTC offset as Immich knows it: localDateTime (wall clock with a fake 'Z') minus fileCreatedAt.
    /// Null when they agree: Immich stores a file without an offset that way too, so 0 says nothing.
    /// </summary>
    private static TimeZoneInfo? OwnZone(Asset asset)
    {
        var offset = TimeSpan.FromMinutes(Math.Round((asset.LocalDateTime.DateTime - asset.FileCreatedAt.UtcDateTime).TotalMinutes));
        if (offset == TimeSpan.Zero || offset.Duration() > TimeSpan.FromHours(14))
        {
            return null;
        }

        return FixedZones.GetOrAdd(offset, o =>
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"UTC{(o < TimeSpan.Zero ? "-" : "+")}{o.Duration():hh\\:mm}");
            return TimeZoneInfo.CreateCustomTimeZone(name, o, name, name);
        });
    }

    private static TimeZoneInfo FindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>One own asset: what the server holds and, in the lists, what the plan will make of it.</summary>
    /// <param name="albums">The asset's albums as read; kept as <see cref="OriginalAlbums"/> (the snapshot never changes), copied when first changed.</param>
    /// <param name="tags">The asset's relevant tags as read; kept as <see cref="OriginalTags"/>, copied when first changed.</param>
    private sealed class Facts(Asset asset, IReadOnlyList<Album> albums, IReadOnlyList<Tag> tags, TimeZoneInfo? ownZone, TimeZoneInfo fallbackZone)
    {
        public Asset Asset { get; } = asset;

        /// <summary>The zone the asset's wall clock is read in: its own offset when Immich knows it, else extraction_timezone.</summary>
        public TimeZoneInfo Zone { get; } = ownZone ?? fallbackZone;

        /// <summary>Whether <see cref="Zone"/> is the asset's own offset rather than the configured fallback.</summary>
        public bool OwnZoneKnown { get; } = ownZone is not null;

        /// <summary>Immich's localDateTime as the wall clock it is.</summary>
        public DateTime LocalWallClock { get; } = DateTime.SpecifyKind(asset.LocalDateTime.DateTime, DateTimeKind.Unspecified);

        /// <summary>The calendar day the photo was taken on where it was taken: localDateTime's date, or the repaired date's.</summary>
        public DateOnly LocalDay { get; set; } = DateOnly.FromDateTime(asset.LocalDateTime.DateTime);

        public IReadOnlyList<Album> OriginalAlbums { get; } = albums;

        public IReadOnlyList<Tag> OriginalTags { get; } = tags;

        // Copied on the first change only: most assets keep the albums and tags they have, and a copy per asset of
        // a large library is megabytes for nothing.
        private List<Album>? _albums;
        private List<Tag>? _tags;

        /// <summary>Albums after propagation.</summary>
        public IReadOnlyList<Album> Albums => _albums ?? OriginalAlbums;

        /// <summary>Tags after copies from duplicates.</summary>
        public IReadOnlyList<Tag> Tags => _tags ?? OriginalTags;

        /// <summary><see cref="Albums"/>, to change (a copy of <see cref="OriginalAlbums"/> is made on first use).</summary>
        public List<Album> EditableAlbums => _albums ??= [.. OriginalAlbums];

        /// <summary><see cref="Tags"/>, to change (a copy of <see cref="OriginalTags"/> is made on first use).</summary>
        public List<Tag> EditableTags => _tags ??= [.. OriginalTags];

        /// <summary>Takes <paramref name="albums"/> (a step's edited copy of <see cref="Albums"/>) as the albums from now on.</summary>
        public void ReplaceAlbums(List<Album> albums) => _albums = albums;

        /// <summary>The capture date after repair.</summary>
        public DateTimeOffset Date { get; set; } = asset.FileCreatedAt;

        /// <summary>null when classification failed (the asset is then left alone).</summary>
        public AssetClassification? Classification { get; set; }

        /// <summary>Whether the run may change it (visibility and filters).</summary>
        public bool InScope { get; set; }

        public Guid? Group { get; set; }

        /// <summary>The hidden video half of a Live/Motion Photo: never classified, only cleaned of the tool's own tags.</summary>
        public bool IsMotionPart { get; set; }
    }
}
