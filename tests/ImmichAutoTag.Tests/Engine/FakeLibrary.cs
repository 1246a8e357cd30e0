using System.Text.Json;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>
/// An engine test's Immich: the TestKit fake served in-process (no socket), an owner with an all-permission key
/// and a partner who shares with them, and the product's own <see cref="ImmichGateway"/> connected to it. The
/// helpers build the library in a line each and read back what the run sent, by the spec's operation ids.
/// </summary>
internal sealed class FakeLibrary : IDisposable
{
    /// <summary>The server's default clock: the library's assets are created and updated at this instant.</summary>
    public static readonly DateTimeOffset ServerStart = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _nextDate = ServerStart;

    /// <param name="clock">The server's clock (createdAt/updatedAt, write-back timing); a frozen FakeTimeProvider at <see cref="ServerStart"/> by default.</param>
    /// <param name="queueAccess">
    /// False makes the owner a non-admin, so the key gets 403 on Immich's admin-only queue endpoints even with
    /// every permission (as on a real server).
    /// </param>
    /// <param name="sidecarRace">Whether the fake models Immich's sidecar write-back (see <see cref="FakeImmichState.SidecarRace"/>).</param>
    public FakeLibrary(TimeProvider? clock = null, bool queueAccess = true, bool sidecarRace = true)
    {
        Server = FakeImmichServer.Create(new FakeImmichOptions { Clock = clock ?? new FakeTimeProvider(ServerStart), SidecarRace = sidecarRace });
        if (!queueAccess)
        {
            State.AddUser("Admin", "admin@example.com", isAdmin: true);
        }

        User = State.AddUser("Owner", "owner@example.com", isAdmin: queueAccess);
        PartnerId = State.AddUser("Partner", "partner@example.com", isAdmin: false).Id;
        State.AddPartner(User.Id, PartnerId);
        Key = State.AddApiKey(User.Id, "all");

        // No retries: a failure a test injects is seen once, as the engine's error handling must see it.
        Gateway = Server.ConnectInProcess(Key, o => o with { MaxRetries = 0 });
    }

    public FakeImmichServer Server { get; }

    public FakeImmichState State => Server.State;

    public FakeUser User { get; }

    public Guid PartnerId { get; }

    public string Key { get; }

    /// <summary>The product's gateway over the fake's in-process transport.</summary>
    public ImmichGateway Gateway { get; }

    // ---- building the library ----

    /// <summary>Adds an asset taken one hour after the previous one (the first at 01:00 on <see cref="ServerStart"/>'s day).</summary>
    public FakeAsset AddAsset(string fileName, bool partner = false, AssetType type = AssetType.Image, AssetVisibility visibility = AssetVisibility.Timeline, bool trashed = false)
    {
        _nextDate = _nextDate.AddHours(1);
        var asset = State.AddAsset(
            partner ? PartnerId : User.Id,
            fileName,
            _nextDate,
            "/library/" + fileName,
            type == AssetType.Video ? "VIDEO" : "IMAGE",
            visibility.ToString().ToLowerInvariant());
        if (trashed)
        {
            State.TrashAsset(asset.Id);
        }

        return asset;
    }

    public FakeAlbum AddAlbum(string name, params FakeAsset[] assets) => State.AddAlbum(User.Id, name, assets.Select(a => a.Id));

    public void AddToAlbum(FakeAlbum album, FakeAsset asset) => State.AddAlbumAssets(album.Id, asset.Id);

    public void RemoveFromAlbum(FakeAlbum album, FakeAsset asset) => State.RemoveAlbumAssets(album.Id, asset.Id);

    /// <summary>Creates the tag path and its ancestors, as PUT /tags would, without a request.</summary>
    public FakeTag EnsureTag(string path) => State.UpsertTag(path);

    public void TagAsset(FakeAsset asset, string path) => State.TagAsset(EnsureTag(path).Id, asset.Id);

    public void UntagAsset(FakeAsset asset, string path) => State.UntagAsset(EnsureTag(path).Id, asset.Id);

    /// <summary>Full paths of the tags attached directly to the asset, sorted ordinally.</summary>
    public IReadOnlyList<string> TagPathsOf(FakeAsset asset)
    {
        var ids = State.DirectTagIdsOf(asset.Id);
        return State.Tags.Where(t => ids.Contains(t.Id)).Select(t => t.Value).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The owner's and partner's assets as the gateway reads them (one search), by id.</summary>
    public async Task<IReadOnlyDictionary<Guid, Asset>> ReadAssetsAsync()
    {
        var assets = new Dictionary<Guid, Asset>();
        await foreach (var page in Gateway.SearchAssetsAsync(new AssetQuery(), CancellationToken.None))
        {
            foreach (var asset in page)
            {
                assets[asset.Id] = asset;
            }
        }

        return assets;
    }

    // ---- what the run sent ----

    /// <summary>Requests served for one operation id of the spec (e.g. "bulkTagAssets").</summary>
    public int CallsTo(string operationId) => Server.Requests.Count(operationId);

    /// <summary>Requests that change something (every non-GET except the read-only searches).</summary>
    public int WriteCalls => Server.Requests.WriteCount;

    /// <summary>PUT /tags/assets bodies, in order.</summary>
    public IReadOnlyList<(IReadOnlyList<Guid> TagIds, IReadOnlyList<Guid> AssetIds)> BulkTagCalls =>
        [.. Sent("bulkTagAssets").Select(r => (Ids(r.Body, "tagIds"), Ids(r.Body, "assetIds")))];

    /// <summary>DELETE /tags/{id}/assets calls: the tag from the path, the asset ids from the body.</summary>
    public IReadOnlyList<(Guid TagId, IReadOnlyList<Guid> AssetIds)> UntagCalls =>
        [.. Sent("untagAssets").Select(r => (PathId(r.Path, 2), Ids(r.Body, "ids")))];

    /// <summary>PUT /queues/{name} calls as (queue, isPaused), in order.</summary>
    public IReadOnlyList<(string Queue, bool Paused)> QueueCalls =>
        [.. Sent("updateQueue").Select(r => (r.Path.Split('/')[^1], Json(r.Body).GetProperty("isPaused").GetBoolean()))];

    /// <summary>Asset searches with an updatedAfter filter (the write-back observation and the incremental check).</summary>
    public int UpdatedAfterSearches => Sent("searchAssets").Count(r => Json(r.Body).TryGetProperty("updatedAfter", out _));

    public void ResetCounters() => Server.Requests.Clear();

    public void Dispose()
    {
        Gateway.Dispose();
        Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private IEnumerable<RecordedRequest> Sent(string operationId) =>
        Server.Requests.All.Where(r => r.OperationId == operationId && r.StatusCode != 0);

    private static JsonElement Json(string? body)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(body) ? "{}" : body);
        return doc.RootElement.Clone();
    }

    private static List<Guid> Ids(string? body, string property) =>
        [.. Json(body).GetProperty(property).EnumerateArray().Select(e => e.GetGuid())];

    /// <summary>The id segment of "/api/&lt;segment 1&gt;/&lt;id&gt;/…" (segments counted from 0 after "api").</summary>
    private static Guid PathId(string path, int index) => Guid.Parse(path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries)[index]);
}
