namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>Which look-up a cached answer belongs to; with its key it names the look-up exactly.</summary>
public enum BooruLookupKind
{
    /// <summary>The MD5 of an asset's original file, keyed by Immich's checksum (so the original is downloaded once).</summary>
    OriginalMd5,

    /// <summary>Danbooru's post by MD5, keyed by the MD5.</summary>
    DanbooruMd5,

    /// <summary>Danbooru's post by id, keyed by the id.</summary>
    DanbooruPost,

    /// <summary>SauceNAO's answer for an asset's thumbnail, keyed by Immich's checksum.</summary>
    SauceNao,

    /// <summary>IQDB's answer, keyed by Immich's checksum.</summary>
    Iqdb,

    /// <summary>ASCII2D's answer, keyed by Immich's checksum.</summary>
    Ascii2d,
}

/// <summary>How a look-up ended.</summary>
public enum BooruLookupOutcome
{
    /// <summary>An answer with something in it (a post, candidates, an MD5): kept for good.</summary>
    Found,

    /// <summary>Nothing found (404, no candidates): asked again once older than <c>booru.miss_retry_days</c>.</summary>
    NotFound,

    /// <summary>The service refused the image (too large, not an image): asked again like a miss.</summary>
    Refused,
}

/// <summary>One cached look-up: its kind and key, how it ended and when, and what it found.</summary>
/// <param name="Kind">The look-up.</param>
/// <param name="Key">Its key: an Immich checksum, an MD5 or a post id, per <paramref name="Kind"/>.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="At">When it was answered.</param>
public sealed record BooruLookup(BooruLookupKind Kind, string Key, BooruLookupOutcome Outcome, DateTimeOffset At)
{
    /// <summary>The post found (Danbooru look-ups).</summary>
    public BooruPost? Post { get; init; }

    /// <summary>The candidates found (reverse image searches), best first.</summary>
    public IReadOnlyList<ReverseSearchMatch> Matches { get; init; } = [];

    /// <summary>The MD5 computed (<see cref="BooruLookupKind.OriginalMd5"/>).</summary>
    public string? Md5 { get; init; }

    /// <summary>
    /// Whether the answer may be used at <paramref name="now"/>: a find for good, a miss or refusal until it is
    /// <paramref name="missRetry"/> old.
    /// </summary>
    public bool IsFresh(DateTimeOffset now, TimeSpan missRetry) => Outcome == BooruLookupOutcome.Found || now - At < missRetry;
}

/// <summary>An asset waiting for look-ups, in the persistent queue that carries the work across runs and restarts.</summary>
/// <param name="Checksum">Immich's checksum (the queue's key: a file, whatever its asset id).</param>
/// <param name="AssetId">The asset it was queued for.</param>
/// <param name="Value">How much the asset is worth looking up (higher first): its CLIP illustration probability, else 0.</param>
/// <param name="UploadedAt">Newer first among equal values: the upload time (<see cref="BooruSelection.NewestAt"/>).</param>
/// <param name="QueuedAt">When it joined the queue.</param>
public sealed record BooruQueueItem(string Checksum, Guid AssetId, double Value, DateTimeOffset UploadedAt, DateTimeOffset QueuedAt);

/// <summary>
/// The booru step's state between runs (the state database): cached look-ups, each service's quota state, and the
/// queue of assets still to look up. Keys are never stored.
/// </summary>
public interface IBooruStore
{
    /// <summary>The cached look-ups among <paramref name="keys"/> (absent keys were never looked up).</summary>
    Task<IReadOnlyDictionary<(BooruLookupKind Kind, string Key), BooruLookup>> GetLookupsAsync(IReadOnlyCollection<(BooruLookupKind Kind, string Key)> keys, CancellationToken ct);

    /// <summary>
    /// Stores (or replaces) one look-up, right after its answer, so a stopped run loses nothing it paid for; with
    /// <paramref name="quota"/>, the quota state the answer taught is stored in the same transaction (one commit).
    /// </summary>
    Task SaveLookupAsync(BooruLookup lookup, QuotaState? quota, CancellationToken ct);

    /// <summary>The quota state of <paramref name="source"/>; a fresh state when none is stored.</summary>
    Task<QuotaState> GetQuotaAsync(BooruSource source, CancellationToken ct);

    /// <summary>Stores the quota state of its source.</summary>
    Task SaveQuotaAsync(QuotaState state, CancellationToken ct);

    /// <summary>The queue of <paramref name="scope"/> (server URL and user), highest value first, then newest.</summary>
    Task<IReadOnlyList<BooruQueueItem>> GetQueueAsync(string scope, CancellationToken ct);

    /// <summary>Makes the queue of <paramref name="scope"/> exactly <paramref name="items"/>, keeping each remaining item's first <see cref="BooruQueueItem.QueuedAt"/>.</summary>
    Task ReplaceQueueAsync(string scope, IReadOnlyList<BooruQueueItem> items, CancellationToken ct);

    /// <summary>
    /// Takes files off the queue of <paramref name="scope"/> (their look-ups are finished), in one transaction. A
    /// removal a crash loses costs nothing: the next run finds the file's answers in the cache and drops it.
    /// </summary>
    Task RemoveFromQueueAsync(string scope, IReadOnlyCollection<string> checksums, CancellationToken ct);

    /// <summary>
    /// Ends the run's use of the store: a store that keeps its database open between calls closes it here, so
    /// nothing holds the state file between runs. The next call opens it again.
    /// </summary>
    Task ReleaseAsync();
}

/// <summary>Builds the service clients for a run's <c>booru:</c> config (keys from the environment, never the config).</summary>
public interface IBooruClientFactory
{
    /// <summary>Danbooru's client at <c>booru.danbooru_url</c>.</summary>
    IDanbooruClient Danbooru(Configuration.BooruConfig config);

    /// <summary>The reverse image search for one configured source; null when this build has no client for it.</summary>
    IReverseImageSearch? Search(Configuration.BooruSourceConfig source);
}

/// <summary>What the booru step needs beyond the Immich gateway: the clients, the state store and the clock.</summary>
/// <param name="Clients">The service clients.</param>
/// <param name="Store">The state database's booru tables.</param>
public sealed record BooruServices(IBooruClientFactory Clients, IBooruStore Store);
