using System.Diagnostics;
using System.Globalization;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Measurements;

/// <summary>
/// A 10,000-asset, 50-album library through the whole CLI: asserts the request counts (deterministic) and
/// prints requests per operation and wall time of a first run, an immediate rerun and a dry run. Run with
/// <c>dotnet test tests/ImmichAutoTag.IntegrationTests -c Release --filter TenThousandAssetRunTests --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class TenThousandAssetRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task First_run_rerun_and_dry_run_on_10000_assets_and_50_albums()
    {
        // The sidecar race is off: this measures what the engine reads, and a write-back landing during the rerun
        // would change the very counts the floor is computed from (the race has its own tests).
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { SidecarRace = false });
        var user = server.State.AddUser("Owner", "owner@example.com").Id;
        var partner = server.State.AddUser("Partner", "partner@example.com").Id;
        var key = server.State.AddApiKey(user, "all");
        var library = new LibraryBuilder(server.State, user, seed: 2026)
            .WithAssets(10_000)
            .WithEventAlbums(50)
            .WithAlbumShare(0.7)
            .WithClassificationTags(0.1, "meme")
            .WithAssetsInTwoAlbums(500)
            .WithPartnerAssets(partner, 20)
            .Build();

        using var cli = new CliHarness();
        var config = cli.WriteConfig($"""
            server:
              url: {server.BaseUrl}
              api_key: {key}
            enable_album_name_strip: true
            # Every run walks the library: this measures a full pass, not the incremental shortcut.
            full_pass_interval_hours: 0
            classification:
              rules:
                - tag_names: [meme]
                - album_name_patterns: ['^\d{"{4}"}-\d{"{2}"}-\d{"{2}"}']
            """);

        var dry = await MeasureAsync(server, cli, "dry run (before the first run)", "run", "--dry-run", "--config", config);
        var first = await MeasureAsync(server, cli, "first run", "run", "--config", config);
        var rerun = await MeasureAsync(server, cli, "immediate rerun", "run", "--config", config);

        dry.Writes.Should().Be(0);
        rerun.Writes.Should().Be(0);
        first.Writes.Should().BeGreaterThan(0);

        // The floor: the walk (partner assets are in the search too), one paged search per album and one per
        // relevant tag ("meme" and, once created, the two output tags).
        var state = server.State;
        var walk = Pages(state.Assets.Count(a => !a.IsTrashed));
        var albumPages = library.AlbumIds.Sum(id => Pages(state.AlbumAssetIds(id).Count));
        int TagPages(string path) => state.FindTag(path) is { } tag ? Pages(state.Assets.Count(a => state.DirectTagIdsOf(a.Id).Contains(tag.Id))) : 0;
        dry.ByOperation["searchAssets"].Should().Be(walk + albumPages + TagPages("meme"));
        var outputTagPages = state.Tags.Where(t => t.Value.StartsWith("autotag_output_", StringComparison.Ordinal)).Sum(t => TagPages(t.Value));
        // Distinct searches: on a loaded machine a transport error can make the client retry a search, which
        // the fake then sees twice; the engine still asked for each page once.
        var distinct = server.Requests.All.Where(r => r.OperationId == "searchAssets").Select(r => r.Body).Distinct(StringComparer.Ordinal).Count();
        distinct.Should().Be(walk + albumPages + TagPages("meme") + outputTagPages);
        rerun.ByOperation["searchAssets"].Should().BeLessThanOrEqualTo(distinct + 3, "retries are rare");
        rerun.ByOperation.ContainsKey("getAssetInfo").Should().BeFalse();
    }

    /// <summary>Pages of 1000 a search needs: the server asks for one more row to know whether a next page exists.</summary>
    private static int Pages(int assets) => Math.Max(1, (assets + 999) / 1000);

    private async Task<Measured> MeasureAsync(FakeImmichServer server, CliHarness cli, string label, params string[] args)
    {
        server.Requests.Clear();
        var clock = Stopwatch.StartNew();
        var result = await cli.RunAsync(args);
        clock.Stop();
        result.ExitCode.Should().Be(0, result.ToString());
        var byOperation = server.Requests.ByOperation();
        var line = string.Join(", ", byOperation.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {clock.Elapsed.TotalSeconds:0.00} s, {server.Requests.Total} requests ({server.Requests.WriteCount} writes): {line}"));
        return new Measured(server.Requests.WriteCount, byOperation);
    }

    private sealed record Measured(int Writes, IReadOnlyDictionary<string, int> ByOperation);
}
