using ImmichAutoTag.Cli;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

public sealed class CliRunTests : IAsyncLifetime
{
    private FakeImmichServer _server = null!;
    private Guid _userId;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        var user = _server.State.AddUser("Alice", "alice@example.com");
        _userId = user.Id;
        _key = _server.State.AddApiKey(_userId, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Config(string url, string? apiKey = "from-file") => $"""
        server:
          url: {url}
          api_key: {apiKey}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        """;

    [Fact]
    public async Task Run_walks_every_asset_of_a_ten_thousand_asset_library_with_pages_of_1000()
    {
        // Given
        var start = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10_000; i++)
        {
            _server.State.AddAsset(_userId, $"IMG_{i:D5}.jpg", start.AddMinutes(i), type: i % 10 == 0 ? "VIDEO" : "IMAGE");
        }

        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig(Config(_server.BaseUrl.ToString()));

        // When
        var result = await cli.RunAsync("run", "--config", config);

        // Then
        result.ExitCode.Should().Be(0, result.ToString());
        _server.State.QuotaUsage(_userId).Should().BeGreaterThan(int.MaxValue, "a library of this size holds more than 2 GiB, and the user's quotaUsageInBytes says so");
        result.Out.Should().Contain("Assets seen: 10000 (10000 owned, 0 from partners): 9000 image, 1000 video");
        _server.Requests.Count("searchAssets").Should().Be(10 + 10, "10,000 assets in pages of 1000, no albums, no relevant tags yet; then one verification search over the 10,000 assets now tagged unknown");
        _server.Requests.Count("getAssetInfo").Should().Be(0);
    }

    [Fact]
    public async Task Run_counts_partner_assets_apart_from_the_owners()
    {
        var partner = _server.State.AddUser("Bob", "bob@example.com");
        _server.State.AddPartner(_userId, partner.Id);
        _server.State.AddAsset(_userId, "mine.jpg", DateTimeOffset.UnixEpoch.AddDays(1));
        _server.State.AddAsset(partner.Id, "bobs.jpg", DateTimeOffset.UnixEpoch.AddDays(2));
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "-c", cli.WriteConfig(Config(_server.BaseUrl.ToString())));

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("Assets seen: 2 (1 owned, 1 from partners)");
    }

    [Fact]
    public async Task Invalid_config_exits_3_with_file_line_and_key_and_sends_nothing()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig($"""
            server:
              url: {_server.BaseUrl}
            enable_album_name_strip: true
            classification:
              rules:
                - album_name_patterns: ['(unclosed']
              colour: red
            """);

        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be((int)RunExitCode.ConfigInvalid, result.ToString());
        result.Err.Should().Contain("config.yaml:6:").And.Contain("classification.rules[0].album_name_patterns[0]");
        result.Err.Should().Contain("classification.colour");
        _server.Requests.Total.Should().Be(0);
    }

    [Fact]
    public async Task Unreachable_server_exits_4_naming_the_url()
    {
        // A port that was just free: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = $"http://127.0.0.1:{port}/";
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(url)));

        result.ExitCode.Should().Be((int)RunExitCode.ServerUnreachable, result.ToString());
        result.Err.Should().Contain($"127.0.0.1:{port}");
    }

    [Fact]
    public async Task Wrong_api_key_exits_5_and_says_to_check_the_key_without_printing_it()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", "not-a-valid-key-1234");

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(_server.BaseUrl.ToString())));

        result.ExitCode.Should().Be((int)RunExitCode.AuthenticationFailed, result.ToString());
        result.Err.Should().Contain("check the API key");
        (result.Out + result.Err).Should().NotContain("not-a-valid-key-1234");
    }

    [Fact]
    public async Task Missing_permissions_exit_6_naming_each_one()
    {
        var weakKey = _server.State.AddApiKey(_userId, "user.read", "asset.read", "album.read");
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", weakKey);

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(_server.BaseUrl.ToString())));

        result.ExitCode.Should().Be((int)RunExitCode.PermissionDenied, result.ToString());
        result.Err.Should().Contain("'tag.read'").And.Contain("'tag.create'").And.Contain("'tag.asset'");
        result.Err.Should().NotContain("'asset.read'");
        _server.Requests.Count("searchAssets").Should().Be(0);
    }

    [Fact]
    public async Task Api_key_from_the_environment_wins_over_the_file()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(_server.BaseUrl.ToString(), apiKey: "stale-key-in-file")));

        result.ExitCode.Should().Be(0, result.ToString());
    }
}
