using System.Globalization;
using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The built-in steps' shared view of the run's own assets, a run fact (<see cref="RunFacts"/>) the planner records
/// before the steps plan: per asset what the server holds and what the plan will make of it so far (scope, tags and
/// albums after conversions and copies, the classification, the repaired date). Each step judges an asset on the state
/// the earlier steps left, which is what lets a run converge in one pass: filters and conversions before classification,
/// duplicates and folder albums reclassify what they change, temporary albums and the album date check see the repaired
/// dates and the final albums. It also collects what the steps want the tag diff to do (output tags with their reasons,
/// tags copied or dropped), the album joins of every step (an album several steps want is created once), notes and errors.
/// </summary>
internal sealed class AssetPlanning
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, TimeZoneInfo> FixedZones = new();

    private readonly RunOptions _options;
    private readonly Action<EngineError> _reportError;
    private readonly Dictionary<string, bool> _ruleAlbum = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _filteredAlbum = new(StringComparer.Ordinal);

    // The album names the rules see, refilled for each classification: the classifier keeps no reference to
    // them (its matches copy the names that hit), so one list serves every asset instead of one list each.
    private readonly List<string> _ruleAlbumNames = [];

    /// <summary>Builds the per-asset state of every own asset of <paramref name="snapshot"/>: visibility, motion parts, scope before filters.</summary>
    /// <param name="refused">Whether an addition is one the user took away before (<see cref="Refused"/>); null: none is.</param>
    public AssetPlanning(
        AutoTagConfig config,
        RuleClassifier classifier,
        OutputTags outputs,
        RunOptions options,
        DateTimeOffset now,
        Action<EngineError> reportError,
        LibrarySnapshot snapshot,
        IReadOnlyList<DuplicateGroup>? duplicates,
        IProgress<EngineProgress>? progress,
        CancellationToken ct,
        Func<PlannedChange, bool>? refused = null)
    {
        Config = config;
        Refused = refused ?? (_ => false);
        Classifier = classifier;
        Outputs = outputs;
        _options = options;
        Now = now;
        _reportError = reportError;
        Snapshot = snapshot;
        Duplicates = duplicates;
        Progress = progress;
        Cancellation = ct;
        ToolTags = ToolTagRoots.Of(config);
        FilterIn = config.Filters.FilterIn.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterIn, ToolTags) : null;
        FilterOut = config.Filters.FilterOut.Count > 0 ? RuleClassifier.Compile(config.Filters.FilterOut, ToolTags) : null;
        Albums = new AlbumChanges(snapshot.Albums, snapshot.User.Id, refused);

        // Presized: a run has one entry per asset, and growing to 100k entries costs twice the final table.
        Assets = new Dictionary<Guid, PlannedAsset>(snapshot.Assets.Count);
        var zone = FindZone(config.DuplicateProcessing.DateCorrection.ExtractionTimezone);
        var userId = snapshot.User.Id;

        // The video half of a Live/Motion Photo is hidden and named by its still's livePhotoVideoId. It is part of
        // the still, which is what the user sees and classifies; on its own it gets no verdict and no output tag.
        var videoHalves = snapshot.Assets.Where(a => a.LivePhotoVideoId is not null).Select(a => a.LivePhotoVideoId!.Value).ToHashSet();
        foreach (var asset in snapshot.Assets)
        {
            ct.ThrowIfCancellationRequested();
            if (asset.OwnerId != userId)
            {
                Partner++;
                continue;
            }

            var f = new PlannedAsset(asset, snapshot.AlbumsOf(asset.Id), snapshot.TagsOf(asset.Id), OwnZone(asset), zone);
            Assets[asset.Id] = f;
            if (asset.Visibility == AssetVisibility.Hidden && videoHalves.Contains(asset.Id))
            {
                MotionParts++;
                f.IsMotionPart = true;

                // Output tags and temporary albums an earlier version gave it are the tool's own: they are taken away.
                f.InScope = Included(asset) && InFocusOrFalse(f);
                continue;
            }

            if (!Included(asset))
            {
                ExcludedByVisibility++;
                continue;
            }

            // In scope until the filters say otherwise (their step runs only when some filter is configured).
            f.Included = true;
            f.InScope = true;
        }
    }

    public AutoTagConfig Config { get; }

    public RuleClassifier Classifier { get; }

    public OutputTags Outputs { get; }

    /// <summary>
    /// Whether a tag or album addition is one the user took away before (the correction memory): a step asks before
    /// it adds the tag or album to an asset's planned state, and leaves the asset as it is when refused.
    /// </summary>
    public Func<PlannedChange, bool> Refused { get; }

    public DateTimeOffset Now { get; }

    /// <summary>The library as the steps see it (after tag ↔ album sync's planned changes).</summary>
    public LibrarySnapshot Snapshot { get; }

    /// <summary>The duplicate groups as read; null when they were not read.</summary>
    public IReadOnlyList<DuplicateGroup>? Duplicates { get; }

    public IProgress<EngineProgress>? Progress { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>The run's enrichment roots: their tags are the tool's guesses, never the user's classification tags.</summary>
    public ToolTagRoots ToolTags { get; }

    /// <summary>filters.filter_in compiled; null when there is none.</summary>
    public RuleClassifier? FilterIn { get; }

    /// <summary>filters.filter_out compiled; null when there is none.</summary>
    public RuleClassifier? FilterOut { get; }

    /// <summary>Every own asset, in the walk's order.</summary>
    public Dictionary<Guid, PlannedAsset> Assets { get; }

    /// <summary>The album joins and creations of every step (emitted once, by the temporary albums step, the last to join albums).</summary>
    public AlbumChanges Albums { get; }

    /// <summary>Findings that change nothing, in the order the steps made them.</summary>
    public List<PlanNote> Notes { get; } = [];

    /// <summary>Duplicate groups with at least two classified own members (set by the classification step when duplicates were read).</summary>
    public List<(Guid Id, List<PlannedAsset> Members)> Groups { get; set; } = [];

    /// <summary>Non-output tag paths to add per asset (a conversion's destinations, a classification copied from a duplicate).</summary>
    public Dictionary<Guid, List<string>> Copies { get; } = [];

    /// <summary>Non-output tags to remove per asset (a conversion in move mode).</summary>
    public Dictionary<Guid, List<Tag>> Drops { get; } = [];

    /// <summary>Tag paths copied to an asset from its duplicates (asset id → paths).</summary>
    public Dictionary<Guid, IReadOnlyList<string>> DuplicateCopies { get; } = [];

    /// <summary>Assets planned into the rule album their duplicates are in.</summary>
    public HashSet<Guid> Propagated { get; } = [];

    /// <summary>Assets whose verdict a rule's time-out left open (they keep their tags).</summary>
    public HashSet<Guid> TimedOutAssets { get; } = [];

    /// <summary>Output tags a step other than classification wants on an asset, with its reason (few assets have any).</summary>
    public Dictionary<Guid, List<(string Tag, ChangeReason Reason)>> Wanted { get; } = [];

    public int Partner { get; }

    public int ExcludedByVisibility { get; }

    public int ExcludedByFilters { get; set; }

    public int MotionParts { get; }

    /// <summary>The planning state the planner recorded for the built-in steps.</summary>
    /// <exception cref="InvalidOperationException">The step was asked to plan outside a run's planner.</exception>
    public static AssetPlanning Of(StepContext context) =>
        context.Facts.Get<AssetPlanning>() ?? throw new InvalidOperationException("built-in steps plan inside the run planner, which records the assets' planning state first");

    /// <summary>The asset should carry output tag <paramref name="tag"/> (ignored when the tag is disabled, i.e. null).</summary>
    public void Want(Guid assetId, string? tag, ChangeReason reason)
    {
        if (tag is null)
        {
            return;
        }

        if (!Wanted.TryGetValue(assetId, out var list))
        {
            list = [];
            Wanted[assetId] = list;
        }

        list.Add((tag, reason));
    }

    /// <summary>The asset's verdict cannot be trusted (a pattern ran out of time): it keeps its tags and gets no change.</summary>
    public void Fail(PlannedAsset f, RegexMatchTimeoutException ex)
    {
        f.Classification = null;
        f.InScope = false;
        f.Failed = true;
        ReportError(new EngineError(EngineErrorKind.Classify, $"Album pattern '{ex.Pattern}' timed out on '{ex.Input}'", [f.Asset.Id], [], Now));
    }

    public void ReportError(EngineError error) => _reportError(error);

    public void Note(PlanNoteKind kind, Guid assetId, string message, string? album = null) => Notes.Add(new PlanNote(kind, assetId, message, album));

    /// <summary>The tool's temporary albums are no rule input: a date-prefix rule would otherwise classify their assets.</summary>
    public AssetClassification Classify(PlannedAsset f)
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

        return Classifier.Classify(new AssetFacts(f.Asset.Id, f.Tags, _ruleAlbumNames));
    }

    /// <summary>filter_in focuses the run on the assets it matches; filter_out removes the ones it matches from every change.</summary>
    public bool InFocus(PlannedAsset f)
    {
        if (FilterIn is null && FilterOut is null)
        {
            return true;
        }

        var facts = new AssetFacts(f.Asset.Id, f.Tags, f.Albums.Select(a => a.Name).ToList());
        if (FilterIn is not null && FilterIn.Classify(facts).Matches.Count == 0)
        {
            return false;
        }

        return FilterOut is null || FilterOut.Classify(facts).Matches.Count == 0;
    }

    /// <summary>Whether a classification rule matches the album's name (temporary albums never count).</summary>
    public bool IsRuleAlbum(string name)
    {
        if (!_ruleAlbum.TryGetValue(name, out var hit))
        {
            hit = !TemporaryAlbums.IsTemporary(name) && Classifier.Classify(new AssetFacts(Guid.Empty, [], [name])).Matches.Any(m => m.MatchedAlbumNames.Count > 0);
            _ruleAlbum[name] = hit;
        }

        return hit;
    }

    /// <summary>Whether filter_out matches the album's name: the run never adds an asset to it.</summary>
    public bool IsFilteredAlbum(string name)
    {
        if (FilterOut is null)
        {
            return false;
        }

        if (!_filteredAlbum.TryGetValue(name, out var hit))
        {
            hit = FilterOut.Classify(new AssetFacts(Guid.Empty, [], [name])).Matches.Any(m => m.MatchedAlbumNames.Count > 0);
            _filteredAlbum[name] = hit;
        }

        return hit;
    }

    private bool InFocusOrFalse(PlannedAsset f)
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

    private bool Included(Asset asset) =>
        (_options.IncludeArchived || (!asset.IsArchived && asset.Visibility != AssetVisibility.Archive))
        && (_options.IncludeHidden || asset.Visibility != AssetVisibility.Hidden);

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
}

/// <summary>One own asset: what the server holds and, in the lists, what the plan will make of it.</summary>
/// <param name="albums">The asset's albums as read; kept as <see cref="OriginalAlbums"/> (the snapshot never changes), copied when first changed.</param>
/// <param name="tags">The asset's relevant tags as read; kept as <see cref="OriginalTags"/>, copied when first changed.</param>
internal sealed class PlannedAsset(Asset asset, IReadOnlyList<Album> albums, IReadOnlyList<Tag> tags, TimeZoneInfo? ownZone, TimeZoneInfo fallbackZone)
{
    public Asset Asset { get; } = asset;

    /// <summary>The zone the asset's wall clock is read in: its own offset when Immich knows it, else extraction_timezone.</summary>
    public TimeZoneInfo Zone { get; } = ownZone ?? fallbackZone;

    /// <summary>Whether <see cref="Zone"/> is the asset's own offset rather than the configured fallback.</summary>
    public bool OwnZoneKnown { get; } = ownZone is not null;

    /// <summary>The configured zone (<c>extraction_timezone</c>) names are read in when the asset's own offset is unknown.</summary>
    public TimeZoneInfo FallbackZone { get; } = fallbackZone;

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

    /// <summary>Whether visibility lets the run judge it (never for a motion part).</summary>
    public bool Included { get; set; }

    /// <summary>Whether a pattern ran out of time on it: no later step judges it.</summary>
    public bool Failed { get; set; }

    /// <summary>Whether the filters, conversions and classification judge it: included, no failure so far.</summary>
    public bool Judged => Included && !Failed;

    public Guid? Group { get; set; }

    /// <summary>The hidden video half of a Live/Motion Photo: never classified, only cleaned of the tool's own tags.</summary>
    public bool IsMotionPart { get; set; }
}
