using System.Globalization;
using System.Security.Cryptography;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>
/// The booru step's computing part. For the selected assets, highest value first, it asks the configured sources in
/// order: Danbooru by the MD5 of the original (streamed from Immich and hashed on the fly, no temporary file), then
/// the reverse image searches over the small thumbnail, each named Danbooru post fetched by id. Every answer is cached
/// by Immich checksum or MD5 the moment it arrives (finds for good, misses until <c>miss_retry_days</c>), so no look-up
/// is ever sent twice; every service is paced by <see cref="QuotaPolicy"/> from its state in the store; assets whose
/// sources are out of budget stay in the persistent queue for the next run.
/// </summary>
public sealed class BooruEnricher
{
    private readonly BooruConfig _config;
    private readonly BooruServices _services;
    private readonly IImmichGateway _gateway;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<(BooruLookupKind, string), BooruLookup> _cache = [];
    private readonly Dictionary<BooruLookupKind, int> _lookedUp = [];
    private readonly Dictionary<BooruLookupKind, int> _cacheHits = [];
    private readonly Dictionary<BooruLookupKind, int> _failed = [];
    private readonly Dictionary<BooruSource, string> _stopped = [];
    private readonly Dictionary<BooruSource, string> _keyRefused = [];
    private readonly Dictionary<BooruSource, QuotaState> _quota = [];
    private readonly Dictionary<BooruSource, IReverseImageSearch?> _searches = [];
    private readonly List<string> _failures = [];
    private readonly TimeSpan _missRetry;
    private IDanbooruClient? _danbooru;
    private string? _noDownload;
    private readonly bool _lookups;
    private DateTimeOffset _deadline;

    /// <summary>Creates the step's computing part for one run.</summary>
    /// <param name="config">The <c>booru:</c> section.</param>
    /// <param name="services">The service clients and the state store.</param>
    /// <param name="gateway">Immich, for originals (MD5) and thumbnails (searches).</param>
    /// <param name="time">The clock that paces the services and bounds the run (<c>max_run_minutes</c>).</param>
    /// <param name="logger">Where the summary and warnings go.</param>
    /// <param name="lookups">
    /// False: nothing is sent to the services and nothing is downloaded; only cached answers are used and the queue is
    /// left as it is (a dry run with <c>booru.dry_run_lookups</c> off).
    /// </param>
    public BooruEnricher(BooruConfig config, BooruServices services, IImmichGateway gateway, TimeProvider time, ILogger logger, bool lookups = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(services);
        _config = config;
        _services = services;
        _gateway = gateway;
        _time = time;
        _logger = logger;
        _missRetry = TimeSpan.FromDays(config.MissRetryDays);
        _lookups = lookups;
    }

    /// <summary>
    /// Looks the selected assets up (cache first, then the services until the run's time or the budgets end) and
    /// returns every selected asset's result. Service failures never end the run: the asset stays queued.
    /// </summary>
    /// <param name="selected">The assets to look up, highest value first (<see cref="BooruSelection.Select"/>).</param>
    /// <param name="scope">The queue's scope: the server URL and the user.</param>
    public async Task<BooruTags> RunAsync(IReadOnlyList<BooruCandidateAsset> selected, string scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(selected);
        try
        {
            return await LookUpAsync(selected, scope, ct).ConfigureAwait(false);
        }
        finally
        {
            await _services.Store.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private async Task<BooruTags> LookUpAsync(IReadOnlyList<BooruCandidateAsset> selected, string scope, CancellationToken ct)
    {
        _deadline = _time.GetUtcNow() + TimeSpan.FromMinutes(_config.MaxRunMinutes);
        Danbooru(); // builds the clients for this config before any search client is asked for
        await PreloadAsync(selected, ct).ConfigureAwait(false);

        var results = new Dictionary<Guid, BooruAssetResult>(selected.Count);
        var pending = new List<BooruCandidateAsset>();
        foreach (var candidate in selected)
        {
            var result = await ResolveAsync(candidate, network: false, ct).ConfigureAwait(false);
            results[candidate.Asset.Id] = result;
            if (result.Verdict == BooruVerdict.Pending)
            {
                pending.Add(candidate);
            }
        }

        var now = _time.GetUtcNow();
        var store = _services.Store;
        if (!_lookups)
        {
            return Finish(selected, results);
        }

        await store.ReplaceQueueAsync(scope, pending.DistinctBy(p => p.Checksum, StringComparer.Ordinal).Select(p => new BooruQueueItem(p.Checksum, p.Asset.Id, p.Value, BooruSelection.NewestAt(p.Asset), now)).ToList(), ct).ConfigureAwait(false);
        var byChecksum = pending.ToLookup(p => p.Checksum, StringComparer.Ordinal);
        var finished = new List<string>();
        try
        {
            await LookUpQueueAsync(scope, byChecksum, results, finished, ct).ConfigureAwait(false);
        }
        finally
        {
            // Taken off the queue in one commit; a crash before it only makes the next run resolve them from the cache.
            await store.RemoveFromQueueAsync(scope, finished, CancellationToken.None).ConfigureAwait(false);
        }

        if (_time.GetUtcNow() >= _deadline)
        {
            _logger.LogInformation("booru: the run's look-up time (max_run_minutes {Minutes}) is used up; the queue goes on at the next run", _config.MaxRunMinutes);
        }

        return Finish(selected, results);
    }

    private BooruTags Finish(IReadOnlyList<BooruCandidateAsset> selected, Dictionary<Guid, BooruAssetResult> results)
    {
        var stats = new BooruRunStats
        {
            Selected = selected.Count,
            LookedUp = new Dictionary<BooruLookupKind, int>(_lookedUp),
            CacheHits = new Dictionary<BooruLookupKind, int>(_cacheHits),
            Failed = new Dictionary<BooruLookupKind, int>(_failed),
            MatchedBySource = results.Values.Where(r => r.Verdict == BooruVerdict.Accepted).GroupBy(r => r.Source!.Value).ToDictionary(g => g.Key, g => g.Count()),
            Pending = results.Values.Count(r => r.Verdict == BooruVerdict.Pending),
            Stopped = _noDownload is null ? new Dictionary<BooruSource, string>(_stopped) : new Dictionary<BooruSource, string>(_stopped) { [BooruSource.DanbooruMd5] = _noDownload },
            Failures = [.. _failures],
            KeyRefused = new Dictionary<BooruSource, string>(_keyRefused),
            DryRunWithoutLookups = !_lookups,
        };
        LogSummary(stats, results.Values);
        return new BooruTags(_config, results, stats);
    }

    /// <summary>Looks the queue up, highest value first, until the run's time or every source's budget ends.</summary>
    private async Task LookUpQueueAsync(string scope, ILookup<string, BooruCandidateAsset> byChecksum, Dictionary<Guid, BooruAssetResult> results, List<string> finished, CancellationToken ct)
    {
        foreach (var item in await _services.Store.GetQueueAsync(scope, ct).ConfigureAwait(false))
        {
            if (_time.GetUtcNow() >= _deadline || AllStopped())
            {
                break;
            }

            ct.ThrowIfCancellationRequested();
            var candidates = byChecksum[item.Checksum].ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var result = await ResolveAsync(candidates[0], network: true, ct).ConfigureAwait(false);
            foreach (var c in candidates)
            {
                results[c.Asset.Id] = result with { AssetId = c.Asset.Id };
            }

            if (result.Verdict != BooruVerdict.Pending)
            {
                finished.Add(item.Checksum);
            }
        }
    }

    /// <summary>Reads every cached look-up the selection may need: MD5s and searches by checksum, then posts by MD5 and id.</summary>
    private async Task PreloadAsync(IReadOnlyList<BooruCandidateAsset> selected, CancellationToken ct)
    {
        var checksums = selected.Select(s => s.Checksum).Distinct(StringComparer.Ordinal).ToList();
        var searchKinds = _config.Sources.Select(s => KindOf(s.Source)).Where(k => k != BooruLookupKind.DanbooruMd5).ToList();
        var first = checksums.SelectMany(c => searchKinds.Append(BooruLookupKind.OriginalMd5).Select(k => (k, c))).ToList();
        await LoadAsync(first, ct).ConfigureAwait(false);
        var md5s = _cache.Values.Where(l => l.Kind == BooruLookupKind.OriginalMd5 && l.Md5 is not null).Select(l => (BooruLookupKind.DanbooruMd5, l.Md5!));
        var posts = _cache.Values.SelectMany(l => l.Matches).Where(m => m.DanbooruPostId is not null)
            .Select(m => (BooruLookupKind.DanbooruPost, m.DanbooruPostId!.Value.ToString(CultureInfo.InvariantCulture)));
        await LoadAsync(md5s.Concat(posts).Distinct().ToList(), ct).ConfigureAwait(false);
    }

    private async Task LoadAsync(IReadOnlyCollection<(BooruLookupKind Kind, string Key)> keys, CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return;
        }

        foreach (var (key, lookup) in await _services.Store.GetLookupsAsync(keys, ct).ConfigureAwait(false))
        {
            _cache[key] = lookup;
        }
    }

    /// <summary>
    /// The asset's result from the cache and, when <paramref name="network"/>, from the services: the first accepted
    /// post in source order, else the review candidates, else not found; pending while a source is still to be asked.
    /// </summary>
    private async Task<BooruAssetResult> ResolveAsync(BooruCandidateAsset candidate, bool network, CancellationToken ct)
    {
        var reviews = new List<BooruCandidate>();
        var pending = false;
        string? md5 = null;
        foreach (var source in _config.Sources)
        {
            if (source.Source == BooruSource.DanbooruMd5)
            {
                md5 = await Md5Async(candidate, network, ct).ConfigureAwait(false);
                if (md5 is null)
                {
                    // Not asked (no MD5 yet, or no asset.download): a source that did not answer must never make the
                    // plan take the asset's booru tags off, so the asset stays pending (queued, its tags kept).
                    pending = true;
                    continue;
                }

                var exact = await LookupAsync(BooruLookupKind.DanbooruMd5, md5, network, async t =>
                {
                    var post = await Danbooru().GetPostByMd5Async(md5, t).ConfigureAwait(false);
                    return (post is null ? BooruLookupOutcome.NotFound : BooruLookupOutcome.Found, post, (IReadOnlyList<ReverseSearchMatch>)[], (SearchQuota?)null);
                }, ct).ConfigureAwait(false);
                if (exact is null)
                {
                    pending = true;
                }
                else if (exact.Post is { } post)
                {
                    return new BooruAssetResult(candidate.Asset.Id, candidate.Checksum, BooruVerdict.Accepted, BooruSource.DanbooruMd5, null, post, [], md5);
                }

                continue;
            }

            if (Search(source) is not { } search)
            {
                pending = true;
                continue;
            }

            var answer = await LookupAsync(KindOf(source.Source), candidate.Checksum, network, async t =>
            {
                var thumbnail = await _gateway.GetThumbnailAsync(candidate.Asset.Id, "thumbnail", t).ConfigureAwait(false);
                var found = await search.SearchAsync(thumbnail, "thumbnail.webp", t).ConfigureAwait(false);
                return (found.Matches.Count > 0 ? BooruLookupOutcome.Found : BooruLookupOutcome.NotFound, (BooruPost?)null, found.Matches, found.Quota);
            }, ct).ConfigureAwait(false);
            if (answer is null)
            {
                pending = true;
                continue;
            }

            foreach (var match in answer.Matches.OrderByDescending(m => m.SimilarityPercent ?? -1))
            {
                var similarity = match.SimilarityPercent;
                if (source.Source != BooruSource.Ascii2d && similarity >= source.AcceptPercent && match.DanbooruPostId is { } id)
                {
                    var byId = await LookupAsync(BooruLookupKind.DanbooruPost, id.ToString(CultureInfo.InvariantCulture), network, async t =>
                    {
                        var post = await Danbooru().GetPostAsync(id, t).ConfigureAwait(false);
                        return (post is null ? BooruLookupOutcome.NotFound : BooruLookupOutcome.Found, post, (IReadOnlyList<ReverseSearchMatch>)[], (SearchQuota?)null);
                    }, ct).ConfigureAwait(false);
                    if (byId is null)
                    {
                        pending = true;
                        break;
                    }

                    if (byId.Post is { } post)
                    {
                        return new BooruAssetResult(candidate.Asset.Id, candidate.Checksum, BooruVerdict.Accepted, source.Source, similarity, post, [], md5);
                    }
                }

                // ASCII2D has no score; a Gelbooru-only or deleted post cannot become tags: a human decides.
                if (source.Source == BooruSource.Ascii2d || similarity >= source.ReviewPercent)
                {
                    reviews.Add(new BooruCandidate(match.Source, similarity, match.DanbooruPostId, match.Urls));
                }
            }
        }

        var verdict = pending ? BooruVerdict.Pending : reviews.Count > 0 ? BooruVerdict.Review : BooruVerdict.NotFound;
        return new BooruAssetResult(candidate.Asset.Id, candidate.Checksum, verdict, null, null, null, [.. reviews.OrderByDescending(r => r.SimilarityPercent ?? -1)], md5);
    }

    /// <summary>
    /// The MD5 of the asset's original: cached by checksum, else streamed from <c>GET /assets/{id}/original</c> and
    /// hashed as it arrives. Null when not known yet (no network, or the download failed: retried next run).
    /// </summary>
    private async Task<string?> Md5Async(BooruCandidateAsset candidate, bool network, CancellationToken ct)
    {
        var key = (BooruLookupKind.OriginalMd5, candidate.Checksum);
        if (_cache.TryGetValue(key, out var known) && known.Md5 is { } cached)
        {
            Count(_cacheHits, BooruLookupKind.OriginalMd5, !network);
            return cached;
        }

        if (!network || _noDownload is not null)
        {
            return null;
        }

        try
        {
            // MD5 is Danbooru's file identifier here, not a security measure.
#pragma warning disable CA5351
            var hash = await _gateway.ReadOriginalAsync(candidate.Asset.Id, (stream, t) => MD5.HashDataAsync(stream, t).AsTask(), ct).ConfigureAwait(false);
#pragma warning restore CA5351
            var md5 = Convert.ToHexStringLower(hash);
            var lookup = new BooruLookup(BooruLookupKind.OriginalMd5, candidate.Checksum, BooruLookupOutcome.Found, _time.GetUtcNow()) { Md5 = md5 };
            await SaveAsync(lookup, null, ct).ConfigureAwait(false);
            return md5;
        }
        catch (ImmichPermissionException e)
        {
            _noDownload = $"the API key lacks 'asset.download' (needed to stream originals for the MD5 look-up): danbooru_md5 is skipped ({e.Message})";
            _logger.LogWarning("booru: {Message}", _noDownload);
            return null;
        }
        catch (ImmichException e) when (e is not (ImmichUnreachableException or ImmichAuthenticationException))
        {
            Fail($"asset {candidate.Asset.Id}: original not read for the MD5 look-up: {e.Message}");
            return null;
        }
    }

    private delegate Task<(BooruLookupOutcome Outcome, BooruPost? Post, IReadOnlyList<ReverseSearchMatch> Matches, SearchQuota? Quota)> Call(CancellationToken ct);

    /// <summary>
    /// One look-up: the cached answer when fresh; else, when <paramref name="network"/>, the service's answer within
    /// its budget (waiting for its window when the wait is short), stored at once. Null when not answered.
    /// </summary>
    private async Task<BooruLookup?> LookupAsync(BooruLookupKind kind, string key, bool network, Call call, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue((kind, key), out var cached) && cached.IsFresh(now, _missRetry))
        {
            Count(_cacheHits, kind, !network);
            return cached;
        }

        var service = ServiceOf(kind);
        if (!network || _stopped.ContainsKey(service))
        {
            return null;
        }

        if (!await WaitForBudgetAsync(service, ct).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var (outcome, post, matches, quota) = await call(ct).ConfigureAwait(false);
            var learned = await AfterCallAsync(service, q => QuotaPolicy.AfterSearch(q, _time.GetUtcNow(), quota), ct).ConfigureAwait(false);
            Count(_lookedUp, kind, true);
            var lookup = new BooruLookup(kind, key, outcome, _time.GetUtcNow()) { Post = post, Matches = matches };
            await SaveAsync(lookup, learned, ct).ConfigureAwait(false);
            return lookup;
        }
        catch (BooruException e)
        {
            var learned = await AfterCallAsync(service, q => QuotaPolicy.AfterFailure(q, _time.GetUtcNow(), e, Jitter()), ct).ConfigureAwait(false);
            if (e.Failure == BooruFailure.ImageRefused)
            {
                Count(_lookedUp, kind, true);
                var refused = new BooruLookup(kind, key, BooruLookupOutcome.Refused, _time.GetUtcNow());
                await SaveAsync(refused, learned, ct).ConfigureAwait(false);
                return refused;
            }

            // No answer to keep: the quota state alone is stored (a restart must not forget a pause it learned).
            await _services.Store.SaveQuotaAsync(learned, CancellationToken.None).ConfigureAwait(false);
            Count(_failed, kind, true);
            if (e.Failure == BooruFailure.Unreachable)
            {
                // Said once, by Stop; the assets stay queued for the next run.
                _failures.Add($"{BooruAssetResult.SourceName(service)}: {e.Message}");
                Stop(service, $"{e.Message}; its assets stay queued for the next run");
                return null;
            }

            Fail($"{BooruAssetResult.SourceName(service)}: {e.Message}");
            if (e.Failure == BooruFailure.KeyRefused)
            {
                _keyRefused.TryAdd(service, e.Message);
            }

            if (e.Failure is BooruFailure.KeyRefused or BooruFailure.Blocked)
            {
                Stop(service, e.Failure == BooruFailure.KeyRefused
                    ? $"the service refused the key or login ({e.Message}); check SAUCENAO_API_KEY / DANBOORU_LOGIN and DANBOORU_API_KEY"
                    : $"blocked ({e.Message})");
            }

            return null;
        }
        catch (ImmichException e) when (e is not (ImmichUnreachableException or ImmichAuthenticationException))
        {
            // The thumbnail could not be read: this asset waits, the others go on.
            Fail($"thumbnail not read for a {BooruAssetResult.SourceName(service)} search: {e.Message}");
            return null;
        }
    }

    /// <summary>Waits for the service's budget when the wait is short and within the run's time; false: not in this run.</summary>
    private async Task<bool> WaitForBudgetAsync(BooruSource service, CancellationToken ct)
    {
        var state = await QuotaAsync(service, ct).ConfigureAwait(false);
        var decision = QuotaPolicy.Decide(state, PacingOf(service), _time.GetUtcNow());
        if (decision.Kind == QuotaDecisionKind.Stop || (decision.Kind == QuotaDecisionKind.Wait && decision.At >= _deadline))
        {
            Stop(service, string.Create(CultureInfo.InvariantCulture, $"{decision.Reason}; next search after {decision.At:yyyy-MM-dd HH:mm:ss} UTC"));
            return false;
        }

        if (decision.Kind == QuotaDecisionKind.Wait)
        {
            var wait = decision.At - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
        }

        return true;
    }

    private async Task<QuotaState> QuotaAsync(BooruSource service, CancellationToken ct)
    {
        if (!_quota.TryGetValue(service, out var state))
        {
            state = await _services.Store.GetQuotaAsync(service, ct).ConfigureAwait(false);
            _quota[service] = state;
        }

        return state;
    }

    /// <summary>The service's quota state after a call; the caller stores it at once, with the answer when there is one.</summary>
    private async Task<QuotaState> AfterCallAsync(BooruSource service, Func<QuotaState, QuotaState> update, CancellationToken ct)
    {
        var state = update(await QuotaAsync(service, ct).ConfigureAwait(false));
        _quota[service] = state;
        return state;
    }

    /// <summary>
    /// Caches and stores an answer at once, with the quota state it taught in the same commit: a restart must forget
    /// neither the answer nor the searches it spent.
    /// </summary>
    private async Task SaveAsync(BooruLookup lookup, QuotaState? quota, CancellationToken ct)
    {
        _cache[(lookup.Kind, lookup.Key)] = lookup;
        await _services.Store.SaveLookupAsync(lookup, quota, CancellationToken.None).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private QuotaPacing PacingOf(BooruSource service) => service switch
    {
        BooruSource.SauceNao => QuotaPacing.SauceNao(_config.DailyBudgetMargin),
        BooruSource.DanbooruMd5 => QuotaPacing.Danbooru,
        _ => QuotaPacing.Polite,
    };

    /// <summary>Up to 5 s of jitter, so clients that were refused together do not return together.</summary>
    private static TimeSpan Jitter() => TimeSpan.FromMilliseconds(Random.Shared.Next(0, 5000));

    private IDanbooruClient Danbooru() => _danbooru ??= _services.Clients.Danbooru(_config);

    private IReverseImageSearch? Search(BooruSourceConfig source)
    {
        if (!_searches.TryGetValue(source.Source, out var search))
        {
            search = _services.Clients.Search(source);
            _searches[source.Source] = search;
            if (search is null)
            {
                _logger.LogWarning("booru: no client for source {Source}; it is skipped", BooruAssetResult.SourceName(source.Source));
            }
        }

        return search;
    }

    private bool AllStopped() => _config.Sources.All(s => s.Source == BooruSource.DanbooruMd5
        ? _noDownload is not null || _stopped.ContainsKey(BooruSource.DanbooruMd5)
        : _stopped.ContainsKey(s.Source) || Search(s) is null);

    private void Stop(BooruSource service, string reason)
    {
        if (_stopped.TryAdd(service, reason))
        {
            _logger.LogWarning("booru: {Source} stops for this run: {Reason}", BooruAssetResult.SourceName(service), reason);
        }
    }

    private void Fail(string message)
    {
        _failures.Add(message);
        if (_failures.Count <= 20)
        {
            _logger.LogWarning("booru: {Message}", message);
        }
    }

    private static void Count(Dictionary<BooruLookupKind, int> counts, BooruLookupKind kind, bool counted)
    {
        if (counted)
        {
            counts[kind] = counts.GetValueOrDefault(kind) + 1;
        }
    }

    private void LogSummary(BooruRunStats stats, IEnumerable<BooruAssetResult> results)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var all = results.ToList();
        _logger.LogInformation(
            "booru: {Selected} assets selected: {Accepted} matched{BySource}, {Review} for review, {NotFound} not found, {Pending} still queued; {LookedUp} look-ups sent, {Hits} answered from the cache{Failed}{DryRun}",
            stats.Selected,
            all.Count(r => r.Verdict == BooruVerdict.Accepted),
            BySourceText(stats),
            all.Count(r => r.Verdict == BooruVerdict.Review),
            all.Count(r => r.Verdict == BooruVerdict.NotFound),
            stats.Pending,
            stats.LookedUp.Values.Sum(),
            stats.CacheHits.Values.Sum(),
            FailedText(stats),
            DryRunText(stats));
    }

    /// <summary>" (saucenao 3, iqdb 1)" after the matched count; empty when nothing matched.</summary>
    public static string BySourceText(BooruRunStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return stats.MatchedBySource.Count == 0 ? string.Empty
            : " (" + string.Join(", ", stats.MatchedBySource.OrderBy(kv => kv.Key).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{BooruAssetResult.SourceName(kv.Key)} {kv.Value}"))) + ")";
    }

    /// <summary>"; 3 look-up(s) got no answer" (service errors, unreachable services) for the summary line; empty when none failed.</summary>
    public static string FailedText(BooruRunStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var failed = stats.Failed.Values.Sum();
        return failed == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; {failed} look-up(s) got no answer");
    }

    /// <summary>What a dry run without look-ups did not do, for the summary line; empty otherwise.</summary>
    public static string DryRunText(BooruRunStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return stats.DryRunWithoutLookups
            ? string.Create(CultureInfo.InvariantCulture, $"; dry run: nothing was sent to the booru services (booru.dry_run_lookups is off), a real run looks up the {stats.Pending} queued asset(s)")
            : string.Empty;
    }

    /// <summary>The cache kind of a source's look-ups.</summary>
    public static BooruLookupKind KindOf(BooruSource source) => source switch
    {
        BooruSource.DanbooruMd5 => BooruLookupKind.DanbooruMd5,
        BooruSource.SauceNao => BooruLookupKind.SauceNao,
        BooruSource.Iqdb => BooruLookupKind.Iqdb,
        BooruSource.Ascii2d => BooruLookupKind.Ascii2d,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>The service a look-up goes to (posts by id are Danbooru's, paced with its MD5 look-ups).</summary>
    private static BooruSource ServiceOf(BooruLookupKind kind) => kind switch
    {
        BooruLookupKind.SauceNao => BooruSource.SauceNao,
        BooruLookupKind.Iqdb => BooruSource.Iqdb,
        BooruLookupKind.Ascii2d => BooruSource.Ascii2d,
        _ => BooruSource.DanbooruMd5,
    };
}
