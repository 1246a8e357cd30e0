using System.Globalization;
using System.Text;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// The library the fault tests break runs on: one fake per run sequence, built the same way each time (the ids differ,
/// the names do not), so a faulted sequence's final library can be compared with a clean run's by <see cref="Snapshot"/>.
/// Its plan touches every kind of write the apply sends: output tags added and removed, temporary albums created, filled,
/// emptied and deleted, a duplicate's classification tag copied, an album shared.
/// </summary>
internal sealed class FaultLibrary : IAsyncDisposable
{
    public const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private FaultLibrary(FakeImmichServer server, Guid user, string key)
    {
        Server = server;
        User = user;
        Key = key;
    }

    public FakeImmichServer Server { get; }

    public Guid User { get; }

    public Guid Bob { get; private init; }

    /// <summary>The all-permission key of the admin user Alice (queue access included, so runs pause the queues).</summary>
    public string Key { get; }

    public static async Task<FaultLibrary> StartAsync(string? key = null, FakeImmichOptions? options = null)
    {
        // The sidecar race is the fake's model of a real server; short delays keep the suite quick.
        var server = await FakeImmichServer.StartAsync(options ?? new FakeImmichOptions { SidecarDelay = TimeSpan.FromMilliseconds(50) });
        var state = server.State;
        var alice = state.AddUser("Alice", "alice@example.com").Id;
        var bob = state.AddUser("Bob", "bob@example.com").Id;
        var secret = key is null ? state.AddApiKey(alice, "all") : state.AddApiKeyWithSecret(alice, key, "all");

        var assets = Enumerable.Range(0, 40)
            .Select(i => state.AddAsset(alice, string.Create(CultureInfo.InvariantCulture, $"img_{i:00}.jpg"), T0.AddDays(i % 12).AddMinutes(i)).Id)
            .ToArray();
        state.AddAlbum(alice, "2019-07-04 Beach", assets[..10]);
        state.AddAlbum(alice, "2019-07-05 Party", assets[8..15]);
        state.AddAlbum(alice, "family 2019", assets[30..33]);
        state.AddAlbum(alice, "2019-07-01-autotag-temp-unclassified", [assets[3]]);
        var meme = state.UpsertTag("meme");
        foreach (var id in assets[15..20])
        {
            state.TagAsset(meme.Id, id);
        }

        var unknown = state.UpsertTag(Unknown);
        foreach (var id in assets[..3])
        {
            state.TagAsset(unknown.Id, id);
        }

        state.AddDuplicateGroup([assets[15], assets[20]]);
        return new FaultLibrary(server, alice, secret) { Bob = bob };
    }

    /// <summary>The config every fault test runs with; <paramref name="url"/> replaces the fake's own URL.</summary>
    public string Config(string? url = null) => $$"""
        server:
          url: {{url ?? Server.BaseUrl.AbsoluteUri}}
          api_key: {{Key}}
        enable_album_name_strip: true
        create_album_from_date_if_missing: true
        classification:
          rules:
            - tag_names: [meme]
            - album_name_patterns: ['^\d{4}-\d{2}-\d{2} ']
        album_permissions:
          enabled: true
          user_groups:
            - name: fam
              members: [bob@example.com]
          selection_rules:
            - name: share-family
              keyword: family
              groups: [fam]
              access: view
        """;

    /// <summary>
    /// The library as names only (ids differ between fakes): each asset's tags, each album's members and shares, and the
    /// paused queues. Two libraries in the same state give the same text.
    /// </summary>
    public string Snapshot()
    {
        var state = Server.State;
        var names = state.Assets.ToDictionary(a => a.Id, a => a.OriginalFileName);
        var tags = state.Tags.ToDictionary(t => t.Id, t => t.Value);
        var text = new StringBuilder();
        foreach (var asset in state.Assets.OrderBy(a => a.OriginalFileName, StringComparer.Ordinal))
        {
            var assetTags = state.DirectTagIdsOf(asset.Id).Select(id => tags[id]).Order(StringComparer.Ordinal);
            text.Append(CultureInfo.InvariantCulture, $"asset {asset.OriginalFileName} {asset.LocalDateTime:s}: {string.Join(", ", assetTags)}\n");
        }

        foreach (var album in state.Albums.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            var members = state.AlbumAssetIds(album.Id).Select(id => names[id]).Order(StringComparer.Ordinal);
            var shares = state.AlbumSharedWith(album.Id).Select(s => $"{(s.Key == Bob ? "bob" : s.Key.ToString())}:{s.Value}").Order(StringComparer.Ordinal);
            text.Append(CultureInfo.InvariantCulture, $"album {album.Name}: {string.Join(", ", members)} | shared: {string.Join(", ", shares)}\n");
        }

        foreach (var tag in state.Tags.Select(t => t.Value).Order(StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"tag {tag}\n");
        }

        foreach (var queue in new[] { "sidecar", "metadataExtraction" })
        {
            text.Append(CultureInfo.InvariantCulture, $"queue {queue} paused: {state.IsQueuePaused(queue)}\n");
        }

        return text.ToString();
    }

    /// <summary>The line of <see cref="Snapshot"/> for one asset, by file name.</summary>
    public static string AssetLine(string snapshot, string fileName) =>
        snapshot.Split('\n').Single(l => l.StartsWith($"asset {fileName} ", StringComparison.Ordinal));

    /// <summary>Albums that exist twice under one owner and name: a write doubled by a retry.</summary>
    public IReadOnlyList<string> DoubledAlbums() => Server.State.Albums
        .GroupBy(a => (a.OwnerId, a.Name))
        .Where(g => g.Count() > 1)
        .Select(g => g.Key.Name)
        .ToList();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
