using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>What verification found after the apply.</summary>
/// <param name="RevertedAndReapplied">Changes Immich had reverted that a re-apply made stick.</param>
/// <param name="StillWrong">Changes still not in effect after the last round: reported, never dropped.</param>
/// <param name="Rounds">Re-apply rounds sent (0 when everything stuck the first time).</param>
public sealed record VerifyOutcome(int RevertedAndReapplied, IReadOnlyList<AppliedChange> StillWrong, int Rounds, IReadOnlyList<EngineError> Errors)
{
    public static VerifyOutcome Nothing { get; } = new(0, [], 0, []);

    /// <summary>Date writes the server accepted whose new date it did not show yet when the run checked last.</summary>
    public IReadOnlyList<AppliedChange> DatesNotLanded { get; init; } = [];
}

/// <summary>
/// Re-reads what a run changed once Immich's write-back jobs are done — one tag search per changed tag,
/// not a read per asset — and re-applies whatever the server reverted, a bounded number of times.
/// </summary>
public sealed class ApplyVerifier(IImmichGateway gateway, WriteSession session, ILogger logger)
{
    public async Task<VerifyOutcome> VerifyAsync(
        IReadOnlyList<AppliedChange> changes,
        IReadOnlyDictionary<Guid, Asset> assets,
        int maxRounds,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRounds);
        if (changes.Count == 0)
        {
            return VerifyOutcome.Nothing;
        }

        var datesNotLanded = await VerifyDatesAsync(changes.Where(c => c.Kind == ChangeKind.DateUpdated).ToList(), maxRounds, ct);
        return await VerifyTagsAsync(changes.Where(c => c.Kind != ChangeKind.DateUpdated).ToList(), assets, maxRounds, progress, ct) with
        {
            DatesNotLanded = datesNotLanded,
        };
    }

    /// <summary>
    /// Immich answers a date write with the old dates and applies the new ones in a job: re-read each dated asset
    /// once the server settled, and wait again (up to <paramref name="maxRounds"/> times) for those not landed yet.
    /// The write is never sent twice: a server that is merely slow would get the same job again.
    /// </summary>
    private async Task<IReadOnlyList<AppliedChange>> VerifyDatesAsync(List<AppliedChange> dated, int maxRounds, CancellationToken ct)
    {
        var pending = dated;
        for (var round = 0; pending.Count > 0; round++)
        {
            var current = await ReadDatesAsync(pending, ct);
            var still = pending.Where(c => !current.TryGetValue(c.AssetId, out var asset) || !Landed(c, asset)).ToList();
            pending = still;
            if (pending.Count == 0 || round >= maxRounds)
            {
                break;
            }

            logger.LogInformation("{Count} date writes have not landed on the server yet; waiting for its jobs", pending.Count);
            await session.SettleAsync(ct);
        }

        if (pending.Count > 0)
        {
            logger.LogWarning("{Count} date writes were accepted but not applied by the server yet; the next run leaves them alone while they are pending", pending.Count);
        }

        return pending;
    }

    /// <summary>Up to this many dated assets are read one by one; more are found with one search of updated assets.</summary>
    private const int MaxSingleReads = 50;

    /// <summary>
    /// The dated assets as the server shows them now. A date landing bumps updatedAt, so a search of assets
    /// updated since the first write finds every landed one in pages; an asset it misses has not landed.
    /// </summary>
    private async Task<Dictionary<Guid, Asset>> ReadDatesAsync(List<AppliedChange> pending, CancellationToken ct)
    {
        var result = new Dictionary<Guid, Asset>();
        if (pending.Count <= MaxSingleReads)
        {
            foreach (var change in pending)
            {
                result[change.AssetId] = (await gateway.GetAssetAsync(change.AssetId, ct)).Asset;
            }

            return result;
        }

        var wanted = pending.Select(c => c.AssetId).ToHashSet();
        var since = pending.Min(c => c.At) - IncrementalCheck.ClockSkewMargin;
        await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { UpdatedAfter = since }, ct))
        {
            foreach (var asset in page.Where(a => wanted.Contains(a.Id)))
            {
                result[asset.Id] = asset;
            }
        }

        return result;
    }

    /// <summary>Whether the asset shows the date the change wrote (to the second: the server drops sub-second digits).</summary>
    public static bool Landed(AppliedChange change, Asset asset)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(asset);
        return DateTimeOffset.TryParse(change.NewValue, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var expected)
            && (asset.FileCreatedAt - expected).Duration() < TimeSpan.FromSeconds(1);
    }

    private async Task<VerifyOutcome> VerifyTagsAsync(
        List<AppliedChange> changes,
        IReadOnlyDictionary<Guid, Asset> assets,
        int maxRounds,
        IProgress<EngineProgress>? progress,
        CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return VerifyOutcome.Nothing;
        }

        // Tags are re-listed: the run may have created some, and a search needs their ids.
        var tags = await gateway.GetTagsAsync(ct);
        var reverted = new HashSet<AppliedChange>();
        var errors = new List<EngineError>();
        var wrong = await FindWrongAsync(changes, tags, ct);
        var rounds = 0;
        while (wrong.Count > 0 && rounds < maxRounds)
        {
            rounds++;
            reverted.UnionWith(wrong);
            logger.LogWarning("Immich reverted {Count} tag changes (sidecar write-back); re-applying them (round {Round} of {Max})", wrong.Count, rounds, maxRounds);
            var outcome = await session.ApplyAsync(PlanOf(wrong, tags), assets, tags, failFast: false, progress, ct);
            errors.AddRange(outcome.Errors);
            wrong = await FindWrongAsync(wrong, tags, ct);
        }

        if (wrong.Count > 0)
        {
            logger.LogError("{Count} tag changes did not stick after {Rounds} re-apply rounds; see the modification report", wrong.Count, rounds);
        }

        var stillWrong = wrong.ToHashSet();
        return new VerifyOutcome(reverted.Count(c => !stillWrong.Contains(c)), wrong, rounds, errors);
    }

    /// <summary>The changes whose effect the server does not show.</summary>
    private async Task<List<AppliedChange>> FindWrongAsync(IReadOnlyList<AppliedChange> changes, IReadOnlyList<Tag> tags, CancellationToken ct)
    {
        var byPath = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byPath.TryAdd(tag.Value, tag);
        }

        var parents = tags.Where(t => t.ParentId is not null).Select(t => t.ParentId!.Value).ToHashSet(); // non-null: filtered
        var wrong = new List<AppliedChange>();
        foreach (var group in changes.GroupBy(c => c.TagName, StringComparer.Ordinal))
        {
            if (!byPath.TryGetValue(group.Key, out var tag))
            {
                // The tag is gone (deleted by someone meanwhile): no addition of it can be in effect.
                wrong.AddRange(group.Where(c => c.Kind == ChangeKind.Added));
                continue;
            }

            var tagged = new HashSet<Guid>();
            await foreach (var page in gateway.SearchAssetsAsync(new AssetQuery { TagIds = [tag.Id] }, ct))
            {
                tagged.UnionWith(page.Select(a => a.Id));
            }

            foreach (var change in group)
            {
                var carries = tagged.Contains(change.AssetId);

                // A search of a parent tag also returns its descendants' assets: only the asset itself can say.
                if (carries && parents.Contains(tag.Id))
                {
                    carries = (await gateway.GetAssetAsync(change.AssetId, ct)).Tags.Any(t => t.Id == tag.Id);
                }

                if (carries != (change.Kind == ChangeKind.Added))
                {
                    wrong.Add(change);
                }
            }
        }

        return wrong;
    }

    private static TagPlan PlanOf(IReadOnlyList<AppliedChange> changes, IReadOnlyList<Tag> tags)
    {
        var byPath = new Dictionary<string, Tag>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byPath.TryAdd(tag.Value, tag);
        }

        var additions = changes
            .Where(c => c.Kind == ChangeKind.Added)
            .GroupBy(c => c.TagName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Guid>)g.Select(c => c.AssetId).Distinct().ToList(), StringComparer.Ordinal);
        var removals = changes
            .Where(c => c.Kind == ChangeKind.Removed && byPath.ContainsKey(c.TagName))
            .GroupBy(c => byPath[c.TagName].Id)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Guid>)g.Select(c => c.AssetId).Distinct().ToList());
        var paths = changes
            .Where(c => byPath.ContainsKey(c.TagName))
            .Select(c => byPath[c.TagName])
            .DistinctBy(t => t.Id)
            .ToDictionary(t => t.Id, t => t.Value);

        // Tags missing now are not re-created: PlanApplier reports their additions as failed instead.
        return new TagPlan([], additions, removals, paths, new Dictionary<Guid, Classification.ClassificationStatus>());
    }
}
