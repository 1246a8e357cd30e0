using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine.Corrections;

/// <summary>Kept versus removed additions of one label (a tag path or an album name) of one step.</summary>
/// <param name="Step">The feature step (<c>ChangeReason.Step</c>).</param>
/// <param name="Label">The tag path or album name; null for the step's total.</param>
/// <param name="Kept">Additions still in place.</param>
/// <param name="Removed">Additions the user removed.</param>
public sealed record AcceptanceFigure(string Step, string? Label, int Kept, int Removed)
{
    /// <summary>Kept ÷ (kept + removed), in percent; null when nothing was judged yet.</summary>
    public double? AcceptancePercent => Kept + Removed == 0 ? null : 100.0 * Kept / (Kept + Removed);
}

/// <summary>What the correction memory did in a run.</summary>
/// <param name="NewCorrections">Removals by the user found by this run.</param>
/// <param name="Skipped">Planned additions left out because the user had removed them before.</param>
/// <param name="Figures">Per step (label null) and per label: kept versus removed, after this run.</param>
/// <param name="RaisedClipLabels">CLIP labels whose threshold was raised (opt-in), with the probability in percent they needed.</param>
public sealed record CorrectionOutcome(
    IReadOnlyList<UserCorrection> NewCorrections,
    IReadOnlyList<PlannedChange> Skipped,
    IReadOnlyList<AcceptanceFigure> Figures,
    IReadOnlyDictionary<string, int> RaisedClipLabels)
{
    public static CorrectionOutcome None { get; } = new([], [], [], new Dictionary<string, int>());
}

/// <summary>
/// Learning from the user's corrections. Every suggestion (a tag that is not a status tag, see <see cref="StatusTags"/>,
/// unless <see cref="CorrectionsConfig.IncludeStatusTags"/>), album membership, favourite flag and archive move a run
/// made and Immich kept is remembered with the step that planned it. A flag the user puts back by hand (unfavourites
/// an asset the tool marked as favourite, brings an asset the tool archived back to the timeline) is a correction like
/// a removed tag: the tool remembers which flags it set, so it tells that apart from a flag it never touched. A later run that finds one gone — the tag and the album still exist, the asset is still
/// there, and the tool did not take it away itself (its own removals, e.g. an output tag that became false, drop the
/// record when they are applied) — records it as the user's correction, and from then on every step's plan to add
/// it to that asset again is left out. A whole tag or album deleted is a reset, not a correction: its records are
/// forgotten. Kept versus removed per step and per label are the acceptance figures; with
/// <see cref="CorrectionsConfig.RaiseClipThresholds"/> a CLIP label accepted too rarely needs a higher probability.
/// </summary>
public sealed class CorrectionMemory
{
    private readonly CorrectionsConfig _config;
    private readonly Func<string, bool> _ignored;
    private readonly Dictionary<(Guid, AdditionKind, string), ToolAddition> _additions = [];
    private readonly Dictionary<(Guid, AdditionKind, string), UserCorrection> _corrections = [];
    private readonly List<UserCorrection> _found = [];

    /// <summary>When this run compared the memory with the library; additions made since are not judged yet.</summary>
    private DateTimeOffset? _judgedAt;

    /// <summary>Whether <see cref="State"/> differs from the state the memory was loaded from (see <see cref="Changed"/>).</summary>
    private bool _changed;

    private CorrectionMemory(CorrectionsConfig config, CorrectionState state, Func<string, bool> isStatusTag)
    {
        _config = config;

        // Status tags are markers every run keeps true, not suggestions: unless the config opts in, they are neither
        // remembered nor respected (records of them from an opted-in past are dropped).
        _ignored = config.IncludeStatusTags ? _ => false : isStatusTag;
        _additions.EnsureCapacity(state.Additions.Count);
        foreach (var a in state.Additions)
        {
            if (Ignored(a))
            {
                _changed = true;
                continue;
            }

            // A later record of the same key wins, as it always did; the saved state then has one row less.
            if (!_additions.TryAdd(Key(a), a))
            {
                _additions[Key(a)] = a;
                _changed = true;
            }
        }

        foreach (var c in state.Corrections)
        {
            if (Ignored(c.Addition))
            {
                _changed = true;
                continue;
            }

            if (!_corrections.TryAdd(Key(c.Addition), c))
            {
                _corrections[Key(c.Addition)] = c;
                _changed = true;
            }
        }
    }

    /// <summary>An empty memory, or one loaded from <paramref name="state"/> without comparing it with a library.</summary>
    /// <param name="isStatusTag">Whether a tag path is a status tag (<see cref="StatusTags.Of"/>).</param>
    public static CorrectionMemory Load(CorrectionsConfig config, CorrectionState state, Func<string, bool> isStatusTag)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(isStatusTag);
        return new CorrectionMemory(config, state, isStatusTag);
    }

    private bool Ignored(ToolAddition addition) => addition.Kind == AdditionKind.Tag && _ignored(addition.Target);

    /// <summary>
    /// The memory after comparing the recorded additions with the library as the walk read it.
    /// </summary>
    /// <param name="isRead">Whether the walk read who carries a tag path (a tag it did not read says nothing).</param>
    /// <param name="isStatusTag">Whether a tag path is a status tag (<see cref="StatusTags.Of"/>); null: none is.</param>
    public static CorrectionMemory Detect(CorrectionsConfig config, CorrectionState state, LibrarySnapshot snapshot, Func<string, bool> isRead, DateTimeOffset now, Func<string, bool>? isStatusTag = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(isRead);
        var memory = new CorrectionMemory(config, state, isStatusTag ?? (_ => false)) { _judgedAt = now };
        var assets = new HashSet<Guid>(snapshot.Assets.Count);
        foreach (var asset in snapshot.Assets)
        {
            assets.Add(asset.Id);
        }

        var tags = snapshot.Tags.Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
        var albums = snapshot.Albums.Select(a => a.Id.ToString("D")).ToHashSet(StringComparer.Ordinal);
        Dictionary<Guid, Asset>? byId = null;

        // Removing the entry being enumerated leaves a Dictionary's enumerator valid: no copy of every record.
        foreach (var (key, addition) in memory._additions)
        {
            if (!assets.Contains(addition.AssetId))
            {
                // Deleted, trashed or no longer the user's: nothing to learn.
                memory._additions.Remove(key);
                memory._changed = true;
                continue;
            }

            bool gone;
            if (addition.Kind == AdditionKind.Tag)
            {
                if (!tags.Contains(addition.Target))
                {
                    memory._additions.Remove(key);
                    memory._changed = true;
                    continue;
                }

                if (!isRead(addition.Target))
                {
                    continue;
                }

                gone = !Carries(snapshot.TagsOf(addition.AssetId), addition.Target);
            }
            else if (addition.Kind is AdditionKind.Favorite or AdditionKind.Archive)
            {
                // Looked up only when the memory holds a flag: most libraries have none, and the set above answers the rest.
                byId ??= snapshot.Assets.ToDictionary(a => a.Id);
                gone = !HasFlag(byId[addition.AssetId], addition);
            }
            else
            {
                if (!albums.Contains(addition.Target))
                {
                    memory._additions.Remove(key);
                    memory._changed = true;
                    continue;
                }

                gone = !snapshot.AlbumsOf(addition.AssetId).Any(a => string.Equals(a.Id.ToString("D"), addition.Target, StringComparison.Ordinal));
            }

            if (gone)
            {
                memory._additions.Remove(key);
                memory._changed = true;
                var correction = new UserCorrection(addition, now);
                memory._corrections[key] = correction;
                memory._found.Add(correction);
            }
        }

        // Found in the order the store listed the records: reported by asset, kind and target, whatever that order was.
        memory._found.Sort(static (a, b) => CompareStored(a.Addition, b.Addition));

        // A tag or album deleted as a whole resets what was learned about it (README, corrections): the user removed
        // the thing itself, not the tool's suggestion on one asset. An asset that is gone takes its records along.
        foreach (var (key, correction) in memory._corrections.ToList())
        {
            var addition = correction.Addition;
            var targetExists = addition.Kind switch
            {
                AdditionKind.Tag => tags.Contains(addition.Target),
                AdditionKind.Album => albums.Contains(addition.Target),
                _ => true, // a flag belongs to the asset itself
            };
            if (!targetExists || !assets.Contains(addition.AssetId))
            {
                memory._corrections.Remove(key);
                memory._changed = true;
            }
        }

        return memory;
    }

    /// <summary>Whether <paramref name="tags"/> holds the path <paramref name="path"/>; a loop, not a lambda: it runs for every recorded tag addition.</summary>
    private static bool Carries(IReadOnlyList<Tag> tags, string path)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i].Value, path, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="asset"/> still has the flag value <paramref name="addition"/> recorded.</summary>
    private static bool HasFlag(Asset asset, ToolAddition addition)
    {
        if (addition.Kind == AdditionKind.Favorite)
        {
            return asset.IsFavorite == (addition.Target == FlagTrue);
        }

        var archived = asset.IsArchived || asset.Visibility == AssetVisibility.Archive;
        return archived == (addition.Target == ArchiveTarget);
    }

    /// <summary>A favourite record's target: the value set (<see cref="ChangeKind.FavoriteChanged"/>'s NewValue).</summary>
    private const string FlagTrue = "true";

    /// <summary>An archive record's target when the tool archived the asset (<see cref="ChangeKind.ArchiveChanged"/>'s NewValue); else <c>timeline</c>.</summary>
    private const string ArchiveTarget = "archive";

    /// <summary>The record key of a planned flag change.</summary>
    internal static (Guid, AdditionKind, string) FlagKey(PlannedChange change) => change switch
    {
        SetFavorite f => (f.AssetId, AdditionKind.Favorite, f.IsFavorite ? FlagTrue : "false"),
        SetArchived a => (a.AssetId, AdditionKind.Archive, a.Archived ? ArchiveTarget : "timeline"),
        _ => throw new ArgumentException("not a flag change", nameof(change)),
    };

    /// <summary>What reports show for a flag record.</summary>
    private static string FlagLabel(AdditionKind kind, string target) => kind == AdditionKind.Favorite
        ? target == FlagTrue ? "favourite set" : "favourite cleared"
        : target == ArchiveTarget ? "archived" : "back to the timeline";

    /// <summary>Removals by the user this run found.</summary>
    public IReadOnlyList<UserCorrection> Found => _found;

    /// <summary>
    /// Whether <paramref name="change"/> is a tag or album addition the user took away before (a correction on
    /// record): what a planning step asks before it judges an asset as if the addition were made.
    /// </summary>
    public bool Refuses(PlannedChange change) => change switch
    {
        AddTag a => _corrections.ContainsKey((a.AssetId, AdditionKind.Tag, a.TagPath)),
        AddAlbumMember m => _corrections.ContainsKey((m.AssetId, AdditionKind.Album, m.AlbumId.ToString("D"))),
        _ => false,
    };

    /// <summary>
    /// The plan without the additions the user corrected before, and (opt-in) without CLIP label additions whose
    /// probability is under their raised threshold. Album creations keep their members: a new album has no history.
    /// </summary>
    public (TagPlan Plan, IReadOnlyList<PlannedChange> Skipped, IReadOnlyDictionary<string, int> Raised) Filter(TagPlan plan, ClipLabels? clip, ClipConfig clipConfig)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(clipConfig);
        var raised = RaisedClipThresholds(clip, clipConfig);
        var skipped = new List<PlannedChange>();
        var kept = plan.Changes.Without(c =>
        {
            var drop = c switch
            {
                AddTag a => _corrections.ContainsKey((a.AssetId, AdditionKind.Tag, a.TagPath)) || BelowRaised(a, clip, raised),
                AddAlbumMember m => _corrections.ContainsKey((m.AssetId, AdditionKind.Album, m.AlbumId.ToString("D"))),
                SetFavorite or SetArchived => _corrections.ContainsKey(FlagKey(c)),
                _ => false,
            };
            if (drop)
            {
                skipped.Add(c);
            }

            return drop;
        });
        return skipped.Count == 0 ? (plan, skipped, raised) : (plan with { Changes = kept }, skipped, raised);
    }

    /// <summary>
    /// Takes in what the run changed: additions Immich kept are remembered with their step, the tool's own removals
    /// forget theirs (they are not corrections), a deleted album forgets its members.
    /// </summary>
    /// <param name="applied">Every change the server accepted (re-applied and sidecar ones included).</param>
    /// <param name="stillWrong">Accepted changes Immich did not keep.</param>
    public void Record(IReadOnlyList<AppliedChange> applied, IReadOnlyList<AppliedChange> stillWrong)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(stillWrong);
        var notKept = stillWrong.Select(c => (c.AssetId, c.Kind, c.TagName, c.AlbumId)).ToHashSet();
        foreach (var change in applied.Where(c => !notKept.Contains((c.AssetId, c.Kind, c.TagName, c.AlbumId))))
        {
            var step = change.Reason?.Step ?? "unknown";
            switch (change.Kind)
            {
                case ChangeKind.Added when !_ignored(change.TagName):
                    Remember(new ToolAddition(change.AssetId, AdditionKind.Tag, change.TagName, change.TagName, step, change.At));
                    break;
                case ChangeKind.AddedToAlbum when change.AlbumId is { } album:
                    Remember(new ToolAddition(change.AssetId, AdditionKind.Album, album.ToString("D"), change.AlbumName ?? album.ToString("D"), step, change.At));
                    break;
                case ChangeKind.Removed:
                    _changed |= _additions.Remove((change.AssetId, AdditionKind.Tag, change.TagName));
                    break;
                case ChangeKind.RemovedFromAlbum when change.AlbumId is { } album:
                    _changed |= _additions.Remove((change.AssetId, AdditionKind.Album, album.ToString("D")));
                    break;
                case ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged when change.NewValue is { } value:
                    // One value per asset and flag: the record of the other value (an earlier run's) is replaced.
                    var kind = change.Kind == ChangeKind.FavoriteChanged ? AdditionKind.Favorite : AdditionKind.Archive;
                    ForgetFlag(change.AssetId, kind);
                    Remember(new ToolAddition(change.AssetId, kind, value, FlagLabel(kind, value), step, change.At));
                    break;
                case ChangeKind.AlbumDeleted when change.AlbumId is { } album:
                    foreach (var key in _additions.Keys.Where(k => k.Item2 == AdditionKind.Album && k.Item3 == album.ToString("D")).ToList())
                    {
                        _changed |= _additions.Remove(key);
                    }

                    break;
            }
        }

        void Remember(ToolAddition addition)
        {
            // Added again (a correction the user took back by hand is no longer one).
            _corrections.Remove(Key(addition));
            _additions[Key(addition)] = addition;
            _changed = true;
        }
    }

    /// <summary>Whether the user removed the tag <paramref name="tagPath"/> the tool had added to <paramref name="assetId"/> (a correction on record).</summary>
    public bool IsCorrected(Guid assetId, string tagPath) => _corrections.ContainsKey((assetId, AdditionKind.Tag, tagPath));

    /// <summary>
    /// Forgets the flags an undo put back: the undo, not the user, reverted what the tool had set, so the next run finds
    /// no correction (and may set the flag again).
    /// </summary>
    /// <param name="undone">The undo's applied changes; only favourite and archive changes are read.</param>
    public void ForgetFlags(IEnumerable<AppliedChange> undone)
    {
        ArgumentNullException.ThrowIfNull(undone);
        foreach (var change in undone)
        {
            if (change.Kind is ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged)
            {
                ForgetFlag(change.AssetId, change.Kind == ChangeKind.FavoriteChanged ? AdditionKind.Favorite : AdditionKind.Archive);
            }
        }
    }

    /// <summary>Drops the record of either value of one asset's flag.</summary>
    private void ForgetFlag(Guid assetId, AdditionKind kind)
    {
        var (on, off) = kind == AdditionKind.Favorite ? (FlagTrue, "false") : (ArchiveTarget, "timeline");
        _changed |= _additions.Remove((assetId, kind, on));
        _changed |= _additions.Remove((assetId, kind, off));
    }

    /// <summary>
    /// Whether <see cref="State"/> differs from the state the memory was loaded from: an addition or correction found,
    /// forgotten, recorded or dropped (a status tag's record without opt-in). False for a run that changed nothing
    /// (a rerun), which then has nothing to save.
    /// </summary>
    public bool Changed => _changed;

    /// <summary>The state to save: additions and corrections in a stable order.</summary>
    public CorrectionState State => new(
        [.. _additions.Values.OrderBy(a => a.AssetId).ThenBy(a => a.Kind).ThenBy(a => a.Target, StringComparer.Ordinal)],
        [.. _corrections.Values.OrderBy(c => c.Addition.AssetId).ThenBy(c => c.Addition.Kind).ThenBy(c => c.Addition.Target, StringComparer.Ordinal)]);

    /// <summary>Per step (label null, first) and per label: kept versus removed, steps and labels in ordinal order.</summary>
    public IReadOnlyList<AcceptanceFigure> Figures()
    {
        // "Kept" means the user had a chance to remove it: an addition counts once a later run found it still there.
        // Counted in place, not grouped: a large library has an addition per asset and tag.
        var counts = new Dictionary<string, Dictionary<string, (int Kept, int Removed)>>(StringComparer.Ordinal);
        foreach (var a in _additions.Values)
        {
            if (_judgedAt is not { } judged || a.AddedAt < judged)
            {
                Count(a.Step, a.Label, kept: 1, removed: 0);
            }
        }

        foreach (var c in _corrections.Values)
        {
            Count(c.Addition.Step, c.Addition.Label, kept: 0, removed: 1);
        }

        var figures = new List<AcceptanceFigure>();
        foreach (var (step, labels) in counts.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            figures.Add(new AcceptanceFigure(step, null, labels.Values.Sum(v => v.Kept), labels.Values.Sum(v => v.Removed)));
            figures.AddRange(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new AcceptanceFigure(step, l.Key, l.Value.Kept, l.Value.Removed)));
        }

        return figures;

        void Count(string step, string label, int kept, int removed)
        {
            if (!counts.TryGetValue(step, out var labels))
            {
                labels = new Dictionary<string, (int Kept, int Removed)>(StringComparer.Ordinal);
                counts[step] = labels;
            }

            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(labels, label, out _);
            count = (count.Kept + kept, count.Removed + removed);
        }
    }

    /// <summary>CLIP label tag path → the probability (percent) it needs now, for labels accepted too rarely (opt-in).</summary>
    private Dictionary<string, int> RaisedClipThresholds(ClipLabels? clip, ClipConfig clipConfig)
    {
        var raised = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!_config.RaiseClipThresholds || clip is null)
        {
            return raised;
        }

        foreach (var figure in Figures().Where(f => f.Step == ClipFeatureStep.StepName && f.Label is not null && clip.IsLabelTag(f.Label)))
        {
            if (figure.Kept + figure.Removed >= _config.MinSamples && figure.AcceptancePercent < _config.MinAcceptancePercent)
            {
                raised[figure.Label!] = Math.Min(100, clipConfig.MinProbabilityPercent + _config.RaiseByPercent); // non-null: filtered
            }
        }

        return raised;
    }

    private static bool BelowRaised(AddTag addition, ClipLabels? clip, Dictionary<string, int> raised)
    {
        if (clip is null || !raised.TryGetValue(addition.TagPath, out var needed) || addition.Reason.Step != ClipFeatureStep.StepName)
        {
            return false;
        }

        var label = addition.TagPath[(addition.TagPath.LastIndexOf('/') + 1)..];
        return clip.Probability(addition.AssetId, label) is not { } p || p * 100 < needed;
    }

    private static (Guid, AdditionKind, string) Key(ToolAddition a) => (a.AssetId, a.Kind, a.Target);

    private static int KindOrder(AdditionKind kind) => kind switch
    {
        AdditionKind.Album => 0,
        AdditionKind.Archive => 1,
        AdditionKind.Favorite => 2,
        _ => 3,
    };

    /// <summary>The order of the state file's key (asset id and kind as text, then target), ordinal.</summary>
    private static int CompareStored(ToolAddition a, ToolAddition b)
    {
        var byAsset = string.CompareOrdinal(a.AssetId.ToString("D"), b.AssetId.ToString("D"));
        if (byAsset != 0)
        {
            return byAsset;
        }

        // As text: "album" < "archive" < "favorite" < "tag".
        var byKind = KindOrder(a.Kind).CompareTo(KindOrder(b.Kind));
        return byKind != 0 ? byKind : string.CompareOrdinal(a.Target, b.Target);
    }
}
