using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>The duplicate and date features on a generated library: bulk calls only, and one pass to converge.</summary>
public sealed class FeatureScaleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FakeImmichServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeImmichServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Twenty_thousand_assets_with_duplicates_converge_in_one_run_with_bulk_writes()
    {
        var user = _server.State.AddUser("Alice", "alice@example.com").Id;
        var key = _server.State.AddApiKey(user, "all");
        var lib = new LibraryBuilder(_server.State, user, seed: 7)
            .WithAssets(20_000)
            .WithEventAlbums(100)
            .WithClassificationTags(0.02, "meme", "autotag_input_ignore")
            .WithDuplicateGroups(600, 3)
            .Build();

        // Give a third of the groups a member in an event album, so their other members can follow it there.
        var groups = lib.DuplicateAssetIds.Chunk(3).ToList();
        for (var g = 0; g < groups.Count / 3; g++)
        {
            _server.State.AddAlbumAssets(lib.AlbumIds[g % lib.AlbumIds.Count], groups[g][0]);
        }

        using var cli = new CliHarness();
        var config = cli.WriteConfig($"""
            server:
              url: {_server.BaseUrl}
              api_key: {key}
            enable_album_name_strip: true
            classification:
              rules:
                - tag_names: [meme]
                - tag_names: [autotag_input_ignore]
                - album_name_patterns: ['^\d{"{4}"}-\d{"{2}"}']
            duplicate_processing:
              add_to_album_of_duplicates: true
              date_correction:
                enabled: true
                extraction_timezone: UTC
            """);

        var first = await cli.RunAsync("run", "--config", config);
        first.ExitCode.Should().Be(0, first.ToString());
        var byOp = _server.Requests.ByOperation();
        output.WriteLine($"first run: {_server.Requests.Total} requests, {_server.Requests.WriteCount} writes: {string.Join(", ", byOp.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}");
        output.WriteLine(first.Out);

        byOp.GetValueOrDefault("getAssetDuplicates").Should().Be(1);
        byOp.GetValueOrDefault("getAssetInfo").Should().Be(0, "membership comes from searches and the duplicate list");

        // One call per album that receives assets, and at most one per distinct new date (one per group here).
        byOp.GetValueOrDefault("addAssetsToAlbum").Should().BeLessThanOrEqualTo(lib.AlbumIds.Count).And.BeGreaterThan(0);
        byOp.GetValueOrDefault("updateAssets").Should().BeLessThanOrEqualTo(groups.Count).And.BeGreaterThan(0);
        _server.Requests.WriteCount.Should().BeLessThan(1000, "writes are grouped, never one per asset and tag");

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config);
        second.ExitCode.Should().Be(0, second.ToString());
        output.WriteLine($"second run: {_server.Requests.Total} requests, {_server.Requests.WriteCount} writes");
        _server.Requests.WriteCount.Should().Be(0);
    }
}
