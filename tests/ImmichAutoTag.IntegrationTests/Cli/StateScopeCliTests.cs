using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>The state folder's memory follows the Immich user, not the spelling of the server's URL (W9).</summary>
public sealed class StateScopeCliTests : IAsyncLifetime
{
    // An hour behind, so the tool's own writes land before its next watermark (as in IncrementalRunTests).
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-1));
    private CliLibrary _library = null!;

    public async Task InitializeAsync() => _library = await CliLibrary.StartAsync(new FakeImmichOptions { Clock = _clock });

    public async Task DisposeAsync() => await _library.DisposeAsync();

    [Fact]
    public async Task The_same_server_under_another_url_keeps_the_incremental_state()
    {
        using var cli = _library.Cli(url: false);
        var config = cli.WriteConfig(CliLibrary.DateAlbumRules);
        var state = Path.Combine(cli.Root, "state");
        var byIp = _library.Server.BaseUrl.ToString();
        var byName = new UriBuilder(_library.Server.BaseUrl) { Host = "localhost" }.Uri.ToString();
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

        _library.Server.Requests.Clear();
        var other = await Run(byName);

        other.Out.Should().Contain("walk was skipped", $"the state kept under the other URL spelling is the same user's\n{other}");
        _library.Server.Requests.WriteCount.Should().Be(0);
    }
}
