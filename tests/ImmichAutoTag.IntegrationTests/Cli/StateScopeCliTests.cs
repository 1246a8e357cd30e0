using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>The state folder's memory follows the Immich user, not the spelling of the server's URL (W9).</summary>
public sealed class StateScopeCliTests : IAsyncLifetime
{
    // An hour behind, so the tool's own writes land before its next watermark (as in IncrementalRunTests).
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-1));
    private FakeImmichServer _server = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = _clock });
        var user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(user, "all");
        var inAlbum = _server.State.AddAsset(user, "trip.jpg", new DateTimeOffset(2019, 7, 10, 12, 0, 0, TimeSpan.Zero));
        _server.State.AddAsset(user, "loose.jpg", new DateTimeOffset(2019, 7, 11, 12, 0, 0, TimeSpan.Zero));
        _server.State.AddAlbum(user, "2019-07 Trip", [inAlbum.Id]);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_same_server_under_another_url_keeps_the_incremental_state()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig("""
            classification:
              rules:
                - album_name_patterns: ['^\d{4}']
            """);
        var state = Path.Combine(cli.Root, "state");
        var byIp = _server.BaseUrl.ToString();
        var byName = new UriBuilder(_server.BaseUrl) { Host = "localhost" }.Uri.ToString();
        byName.Should().NotBe(byIp);

        async Task<CliResult> Run(string url)
        {
            var result = await cli.WithEnv("IMMICH_URL", url).RunAsync("run", "-c", config, "--state", state);
            result.ExitCode.Should().Be(0, result.ToString());
            return result;
        }

        await Run(byIp);
        await Run(byIp);
        (await Run(byIp)).Out.Should().Contain("walk was skipped", "the control: the same URL skips the walk");

        _server.Requests.Clear();
        var other = await Run(byName);

        other.Out.Should().Contain("walk was skipped", $"the state kept under the other URL spelling is the same user's\n{other}");
        _server.Requests.WriteCount.Should().Be(0);
    }
}
