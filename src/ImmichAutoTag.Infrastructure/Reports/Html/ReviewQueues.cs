using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Infrastructure.Reports.Html;

/// <summary>One asset in a report grid and why it is there.</summary>
/// <param name="AssetId">The Immich asset id; the grid links to <c>/photos/{id}</c>.</param>
/// <param name="FileName">The asset's original file name, shown under the thumbnail.</param>
/// <param name="Reason">One short sentence: what the user should look at.</param>
internal sealed record ReviewItem(Guid AssetId, string FileName, string Reason);

/// <summary>A named list of assets that wait for the user, shown as one grid in report.html.</summary>
/// <param name="Title">Heading of the grid, e.g. "Classification: Unknown".</param>
/// <param name="Description">One sentence on what the list holds and what to do.</param>
/// <param name="TagPath">The output tag that holds the whole list in Immich, when there is one (the grid links to it).</param>
/// <param name="Items">Every asset of the list, in the run's order; the report shows the first few.</param>
internal sealed record ReviewQueue(string Title, string Description, string? TagPath, IReadOnlyList<ReviewItem> Items);

/// <summary>A queue's items, each made from its position when read (<paramref name="count"/> of them).</summary>
internal sealed class ReviewItems(int count, Func<int, ReviewItem> itemAt) : IReadOnlyList<ReviewItem>
{
    public int Count => count;

    public ReviewItem this[int index] => (uint)index < (uint)count ? itemAt(index) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<ReviewItem> GetEnumerator()
    {
        for (var i = 0; i < count; i++)
        {
            yield return itemAt(i);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// What report.html shows as grids: one per enabled output tag, then one per review queue. Each source is
/// one line in <see cref="From"/>; a feature that finds assets to review adds its own line.
/// </summary>
internal static class ReviewQueues
{
    public static IReadOnlyList<ReviewQueue> From(AutoTagConfig config, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(result);
        // The first evaluation of each asset, without a grouping per asset (a run may judge 100k of them).
        var names = new Dictionary<Guid, AssetEvaluation>(result.Evaluations.Count);
        foreach (var evaluation in result.Evaluations)
        {
            names.TryAdd(evaluation.Asset.Id, evaluation);
        }

        var notes = result.Plan.Notes.Where(n => n.AssetId != Guid.Empty).GroupBy(n => n.AssetId).ToDictionary(g => g.Key, g => g.First().Message);
        var queues = new List<ReviewQueue?>();
        foreach (var (label, description, tag) in OutputTagLabels(config))
        {
            queues.Add(OutputTag(label, description, tag, result, names, notes));
        }

        queues.Add(DoesNotStick(result));
        queues.Add(Changes("Reverted by Immich", "Immich accepted these changes, then reverted them (its sidecar write-back); re-applying did not help. The next run tries again; a change reverted again is recorded as not sticking.", result.StillWrongUnexplained, Reverted));
        queues.Add(Changes("Dates not applied yet", "Immich accepted these date repairs but had not applied them when the run ended; the next run checks them again.", result.DatesNotLanded, c => $"date {c.OldValue} -> {c.NewValue} pending"));
        queues.Add(Notes("Ambiguous dates", "The file name or a duplicate gives more than one possible date; the date was left as it is.", PlanNoteKind.AmbiguousDate, result, names));
        return queues.OfType<ReviewQueue>().ToList();
    }

    /// <summary>What a change the server did not keep was, in a few words.</summary>
    private static string Reverted(AppliedChange c) => c.Kind switch
    {
        ChangeKind.Added => "tag added, then reverted: " + c.TagName,
        ChangeKind.Removed => "tag removed, then back: " + c.TagName,
        ChangeKind.AddedToAlbum => "added to album, then taken out: " + c.AlbumName,
        ChangeKind.RemovedFromAlbum => "taken out of album, then back: " + c.AlbumName,
        ChangeKind.DateUpdated => $"date {c.OldValue} -> {c.NewValue}, then reverted",
        ChangeKind.AlbumCreated => "album created, then not listed: " + c.AlbumName,
        ChangeKind.AlbumDeleted => "album deleted, then back: " + c.AlbumName,
        ChangeKind.AlbumUnshared => $"album {c.AlbumName} unshared from {c.OldValue}, then shared again",
        _ => $"album {c.AlbumName} shared as {c.NewValue}, then not",
    };

    /// <summary>The output tags, labelled as in the links file.</summary>
    private static IEnumerable<(string Label, string Description, string? Tag)> OutputTagLabels(AutoTagConfig config)
    {
        var dup = config.DuplicateProcessing;
        yield return ("Classification: Unknown", "No rule classifies these assets: put them in an album or tag them.", config.Classification.AutotagUnknown);
        yield return ("Classification: Conflict", "Several rules, or several albums of one rule, claim these assets: keep one.", config.Classification.AutotagConflict);
        yield return ("Duplicates: Album conflict", "Copies of one photo sit in different rule albums.", dup.AutotagAlbumConflict);
        yield return ("Duplicates: Classification conflict", "Copies of one photo are classified differently.", dup.AutotagClassificationConflict);
        yield return ("Duplicates: Album detection conflict", "The asset's folder path names several dated folders.", dup.AutotagAlbumDetectionConflict);
        if (config.AlbumDateConsistency.Enabled)
        {
            yield return ("Consistency: Album date mismatch", "The asset's date is far from its album's date.", config.AlbumDateConsistency.AutotagAlbumDateMismatch);
        }
    }

    private static ReviewQueue? OutputTag(string label, string description, string? tag, RunResult result, Dictionary<Guid, AssetEvaluation> evaluations, Dictionary<Guid, string> notes)
    {
        if (string.IsNullOrWhiteSpace(tag) || !result.OutputTagAssets.TryGetValue(tag, out var ids))
        {
            return null;
        }

        // An output tag may hold tens of thousands of assets and the page shows a few: each item (with its
        // reason text) is made when it is read, not up front.
        var items = new ReviewItems(ids.Count, i =>
        {
            var id = ids[i];
            var evaluation = evaluations.GetValueOrDefault(id);
            var reason = notes.GetValueOrDefault(id) ?? Reason(evaluation);
            return new ReviewItem(id, evaluation?.Asset.OriginalFileName ?? id.ToString("D"), reason);
        });
        return new ReviewQueue(label, description, tag, items);
    }

    private static string Reason(AssetEvaluation? evaluation) => evaluation switch
    {
        null => "carries the tag",
        { Status: ClassificationStatus.Unclassified } => evaluation.AlbumNames.Count == 0 ? "in no album, no rule tag" : "albums match no rule: " + string.Join(", ", evaluation.AlbumNames),
        { Status: ClassificationStatus.Conflict } => "claimed by " + string.Join(", ", evaluation.Classification.Matches.SelectMany(Claims).Distinct(StringComparer.Ordinal)),
        _ => "carries the tag",
    };

    private static IEnumerable<string> Claims(RuleMatch match) =>
        match.MatchedAlbumNames.Select(a => "album " + a)
            .Concat(match.MatchedTagNames.Select(t => "tag " + t))
            .DefaultIfEmpty("rule " + (match.RuleIndex + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Changes recorded as not sticking (reverted in every round of two runs in a row, e.g. read-only external
    /// libraries): from the run's own evaluation, since Immich never shows them.
    /// </summary>
    private static ReviewQueue? DoesNotStick(RunResult result) =>
        result.DoesNotStick.Count == 0
            ? null
            : new ReviewQueue(
                "Does not stick",
                "Immich reverts these tag changes every time (it cannot write the sidecar, e.g. a read-only external library); they are retried on a full pass or when the file changes.",
                null,
                result.DoesNotStick.Select(r => new ReviewItem(r.AssetId, r.FileName, (r.Kind == ChangeKind.Added ? "tag never kept: " : "tag always comes back: ") + r.TagName + (r.LibraryId is { } library ? $" (library {library})" : string.Empty))).ToList());

    private static ReviewQueue? Changes(string title, string description, IReadOnlyList<AppliedChange> changes, Func<AppliedChange, string> reason) =>
        changes.Count == 0 ? null : new ReviewQueue(title, description, null, changes.Select(c => new ReviewItem(c.AssetId, c.FileName, reason(c))).ToList());

    private static ReviewQueue? Notes(string title, string description, PlanNoteKind kind, RunResult result, Dictionary<Guid, AssetEvaluation> evaluations)
    {
        var items = result.Plan.Notes
            .Where(n => n.Kind == kind && n.AssetId != Guid.Empty)
            .Select(n => new ReviewItem(n.AssetId, evaluations.GetValueOrDefault(n.AssetId)?.Asset.OriginalFileName ?? n.AssetId.ToString("D"), n.Message))
            .ToList();
        return items.Count == 0 ? null : new ReviewQueue(title, description, null, items);
    }
}
