using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// Where the album features of issue 4 meet (tag ↔ album sync, album sharing, conversions, temporary albums):
/// one creation per album name, and the tool's temporary albums kept out of the sync and out of sharing unless a
/// rule names them. Each scenario runs for real and then again, and the second run must send no write.
/// </summary>
public sealed class AlbumFeatureInterplayRunTests : IAsyncLifetime
{
    private const string Temp = "2019-07-04-autotag-temp-unclassified";
    private static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;
    private List<RecordedRequest> _firstRequests = [];

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config(string extra) => $"""
        server:
          url: {_server.BaseUrl}
          api_key: {_key}
        enable_album_name_strip: true
        classification:
          rules:
            - tag_names: [meme]
        {extra}
        """;

    private Guid Asset(string name) => _server.State.AddAsset(_user, name, T0).Id;

    private void Tag(string path, params Guid[] assets)
    {
        var tag = _server.State.UpsertTag(path);
        foreach (var a in assets)
        {
            _server.State.TagAsset(tag.Id, a);
        }
    }

    private bool HasTag(Guid asset, string path) =>
        _server.State.FindTag(path) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    /// <summary>Runs for real, then again; returns the first run's plan.txt.</summary>
    private async Task<string> RunTwiceAsync(string yaml)
    {
        using var cli = new CliHarness();
        var config = cli.WriteConfig(yaml);

        _server.Requests.Clear();
        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        _firstRequests = _server.Requests.All.ToList();
        var plan = await File.ReadAllTextAsync(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "first")).Single(), "plan.txt"));

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config, "--output", "second");
        second.ExitCode.Should().Be(0, second.ToString());
        _server.Requests.WriteCount.Should().Be(0, "a second run plans nothing; the first sent " + string.Join(", ", _firstRequests.Where(r => r.IsWrite).Select(r => r.OperationId)));
        return plan;
    }

    [Fact]
    public async Task An_album_the_sync_and_a_conversion_both_want_is_created_once_with_both_assets()
    {
        var tagged = Asset("tagged.jpg");
        var converted = Asset("converted.jpg");
        Tag("album/Rome", tagged);
        Tag("rome_trip", converted);

        var plan = await RunTwiceAsync(Config("""
            tag_album_sync:
              enabled: true
              tag_prefix: album/
            conversions:
              conversions:
                - source: {tag_names: [rome_trip]}
                  destination: {album_names: [Rome]}
                  mode: copy
            """));

        plan.Should().Contain("create album Rome | tag_album_sync | 2 asset(s)");
        _firstRequests.Count(r => r.OperationId == "createAlbum").Should().Be(1);
        var rome = _server.State.Albums.Should().ContainSingle(a => a.Name == "Rome").Subject;
        _server.State.AlbumAssetIds(rome.Id).Should().BeEquivalentTo([tagged, converted]);
    }

    [Fact]
    public async Task Temporary_albums_are_never_synced_in_either_direction()
    {
        var waiting = Asset("waiting.jpg");
        var classified = Asset("classified.jpg");
        Tag("meme", classified);
        Tag("album/" + Temp, classified);
        var temp = _server.State.AddAlbum(_user, Temp, [waiting]).Id;

        var plan = await RunTwiceAsync(Config("""
            create_album_from_date_if_missing: true
            tag_album_sync:
              enabled: true
              direction: both
              album_name_patterns: ['.*']
            """));

        _server.State.AlbumAssetIds(temp).Should().BeEquivalentTo([waiting], "a sync tag naming a temporary album is ignored; the classified asset stays out");
        HasTag(waiting, "album/" + Temp).Should().BeFalse("a temporary album gives no sync tag, even to a pattern matching every album");
        plan.Should().NotContain("album+ " + Temp);
    }

    [Fact]
    public async Task A_temporary_album_is_shared_only_by_a_rule_naming_its_suffix_not_by_its_date()
    {
        var bob = _server.State.AddUser("Bob", "bob@example.com").Id;
        var carol = _server.State.AddUser("Carol", "carol@example.com").Id;
        var temp = _server.State.AddAlbum(_user, Temp, [Asset("waiting.jpg")]).Id;
        var trip = _server.State.AddAlbum(_user, "2019 Trip").Id;

        await RunTwiceAsync(Config("""
            album_permissions:
              enabled: true
              user_groups:
                - {name: years, members: [bob@example.com]}
                - {name: sorters, members: [carol@example.com]}
              selection_rules:
                - {name: by-year, keyword: '2019', groups: [years], access: view}
                - {name: to-sort, keyword: unclassified, groups: [sorters], access: edit}
            """));

        _server.State.AlbumSharedWith(trip).Should().BeEquivalentTo(new Dictionary<Guid, string> { [bob] = "viewer" });
        _server.State.AlbumSharedWith(temp).Should().BeEquivalentTo(new Dictionary<Guid, string> { [carol] = "editor" }, "the date words of a temporary album match no rule");
    }
}
