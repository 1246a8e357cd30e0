using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>The counts of one booru run, for the log, the reports and the benchmark.</summary>
public sealed record BooruRunStats
{
    /// <summary>Assets the selection picked.</summary>
    public int Selected { get; init; }

    /// <summary>Look-ups sent this run, per kind.</summary>
    public IReadOnlyDictionary<BooruLookupKind, int> LookedUp { get; init; } = new Dictionary<BooruLookupKind, int>();

    /// <summary>Look-ups answered from the cache this run, per kind.</summary>
    public IReadOnlyDictionary<BooruLookupKind, int> CacheHits { get; init; } = new Dictionary<BooruLookupKind, int>();

    /// <summary>Look-ups tried this run that got no answer (service errors after retries, unreachable services), per kind.</summary>
    public IReadOnlyDictionary<BooruLookupKind, int> Failed { get; init; } = new Dictionary<BooruLookupKind, int>();

    /// <summary>Assets with an accepted post, per source that found it.</summary>
    public IReadOnlyDictionary<BooruSource, int> MatchedBySource { get; init; } = new Dictionary<BooruSource, int>();

    /// <summary>Assets whose look-ups are not finished (still queued for a later run).</summary>
    public int Pending { get; init; }

    /// <summary>Sources that stopped early in this run, with why (budget spent, back-off, key refused, permission missing).</summary>
    public IReadOnlyDictionary<BooruSource, string> Stopped { get; init; } = new Dictionary<BooruSource, string>();

    /// <summary>Look-ups that failed this run (service errors, unreadable originals), each with the asset and why.</summary>
    public IReadOnlyList<string> Failures { get; init; } = [];

    /// <summary>
    /// Services that refused the key or login from the environment this run (HTTP 401/403, or SauceNAO answering as
    /// a guest), with the service's message and what to fix; never the key itself. The run ends as a partial failure.
    /// </summary>
    public IReadOnlyDictionary<BooruSource, string> KeyRefused { get; init; } = new Dictionary<BooruSource, string>();

    /// <summary>
    /// True when this was a dry run that sent no look-up (<c>booru.dry_run_lookups</c> off): pending assets were not
    /// looked up because of the dry run, and a real run would look them up.
    /// </summary>
    public bool DryRunWithoutLookups { get; init; }
}

/// <summary>
/// The booru step's outcome for one run: each selected asset's <see cref="BooruAssetResult"/> and the Immich tags it
/// should carry below the tag root (plus the review tag). Public so later steps (workflow rules) and reports read it.
/// </summary>
public sealed class BooruTags
{
    private readonly BooruConfig _config;
    private readonly string _prefix;

    /// <summary>Creates the outcome.</summary>
    public BooruTags(BooruConfig config, IReadOnlyDictionary<Guid, BooruAssetResult> results, BooruRunStats stats)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(stats);
        _config = config;
        _prefix = config.TagRoot + "/";
        Results = results;
        Stats = stats;
    }

    /// <summary>The root every booru tag lies below.</summary>
    public string TagRoot => _config.TagRoot;

    /// <summary>The review tag; null when switched off.</summary>
    public string? ReviewTag => _config.ReviewTag;

    /// <summary>Asset id → result, for every selected asset (pending ones included).</summary>
    public IReadOnlyDictionary<Guid, BooruAssetResult> Results { get; }

    /// <summary>The run's counts.</summary>
    public BooruRunStats Stats { get; }

    /// <summary>Whether a tag path belongs to the step: below the tag root, or the review tag.</summary>
    public bool Owns(string path) =>
        path is not null && (path.StartsWith(_prefix, StringComparison.Ordinal) || string.Equals(path, _config.ReviewTag, StringComparison.Ordinal));

    /// <summary>The booru tags of an accepted asset (empty otherwise).</summary>
    public IReadOnlyList<BooruTag> TagsFor(Guid assetId) =>
        Results.TryGetValue(assetId, out var r) && r is { Verdict: BooruVerdict.Accepted, Post: { } post } ? BooruTagMapper.Map(post, _config) : [];

    /// <summary>
    /// The step's tags the asset should carry, with the reason the plan shows; null when the step has no say this run
    /// (not selected, or its look-ups are pending): then the asset keeps the step's tags it has.
    /// </summary>
    public (IReadOnlySet<string> Desired, string Reason)? DesiredFor(Guid assetId)
    {
        if (!Results.TryGetValue(assetId, out var result))
        {
            return null;
        }

        var desired = new HashSet<string>(StringComparer.Ordinal);
        switch (result.Verdict)
        {
            case BooruVerdict.Accepted:
                desired.UnionWith(TagsFor(assetId).Select(t => t.Path));
                return (desired, result.Provenance!);
            case BooruVerdict.Review:
                if (_config.ReviewTag is { } review)
                {
                    desired.Add(review);
                }

                return (desired, result.Provenance ?? "review");
            case BooruVerdict.NotFound:
                return (desired, "no booru match (" + string.Join(", ", _config.Sources.Select(s => BooruAssetResult.SourceName(s.Source))) + ")");
            default:
                return null;
        }
    }
}
