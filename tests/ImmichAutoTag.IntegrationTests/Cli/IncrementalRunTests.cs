using ImmichAutoTag.Infrastructure.Runtime;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Runs after a successful one cost a few requests while the library stays as it was.</summary>
public sealed class IncrementalRunTests : IAsyncLifetime
{
    // The fake's clock (asset and album updatedAt) runs an hour behind ours, so the tool's own writes
    // land before its next watermark; tests move it ahead to make a change look new.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-1));
    private FakeImmichServer _server = null!;
    private Guid _userId;
    private string _key = null!;
    private FakeAlbum _album = null!;
    private FakeAsset _loose = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = _clock });
        _userId = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_userId, "all");
        // Dated inside the album's month, so the album-date check has nothing to flag.
        var inAlbum = _server.State.AddAsset(_userId, "trip.jpg", new DateTimeOffset(2019, 7, 10, 12, 0, 0, TimeSpan.Zero));
        _loose = _server.State.AddAsset(_userId, "loose.jpg", new DateTimeOffset(2019, 7, 11, 12, 0, 0, TimeSpan.Zero));
        _album = _server.State.AddAlbum(_userId, "2019-07 Trip", [inAlbum.Id]);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config(int? interval = null) => $"""
        server:
          url: {_server.BaseUrl}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        {(interval is null ? string.Empty : $"full_pass_interval_hours: {interval}")}
        """;

    private async Task<(CliResult Result, int Searches, int Writes)> RunAsync(CliHarness cli, string config)
    {
        _server.Requests.Clear();
        var result = await cli.RunAsync("run", "-c", config, "--state", Path.Combine(cli.Root, "state"));
        result.ExitCode.Should().Be(0, result.ToString());
        return (result, _server.Requests.Count("searchAssets"), _server.Requests.WriteCount);
    }

    [Fact]
    public async Task Unchanged_library_skips_the_walk_and_each_kind_of_change_brings_a_full_pass_back()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var config = cli.WriteConfig(Config());

        // First run tags the loose asset; the second sees the tag it created and walks once more, writing nothing.
        var first = await RunAsync(cli, config);
        var second = await RunAsync(cli, config);
        var third = await RunAsync(cli, config);

        first.Writes.Should().Be(6, "tag upsert, one bulk tag call, and pausing then resuming two Immich queues");
        second.Writes.Should().Be(0);
        second.Result.Out.Should().NotContain("skipped");
        third.Result.Out.Should().Contain("walk was skipped");
        third.Searches.Should().Be(1, "one page of size 1 asks whether any asset changed");
        third.Writes.Should().Be(0);
        _server.Requests.Total.Should().BeLessThanOrEqualTo(8, "preflight, albums, tags and one search");
        StatusFile.Read(Path.Combine(cli.Root, "state", StatusFile.FileName))!.LastRun!.Message.Should().Be("skipped: nothing changed");

        // Album membership: the loose asset joins the event album, so its unknown tag must go.
        _server.State.AddAlbumAssets(_album.Id, _loose.Id);
        var afterAlbum = await RunAsync(cli, config);
        afterAlbum.Result.Out.Should().NotContain("skipped");
        afterAlbum.Writes.Should().Be(5, "one untag call, with two Immich queues paused and resumed around it");
        (await RunAsync(cli, config)).Result.Out.Should().Contain("walk was skipped");

        // A new upload: its updatedAt is after the last run.
        _clock.AdjustTime(DateTimeOffset.UtcNow.AddHours(1));
        _server.State.AddAsset(_userId, "new.jpg", DateTimeOffset.UnixEpoch.AddDays(3));
        _clock.AdjustTime(DateTimeOffset.UtcNow.AddHours(-1));
        var afterUpload = await RunAsync(cli, config);
        afterUpload.Writes.Should().Be(5, "the new asset gets the unknown tag, with two Immich queues paused and resumed around it");
        (await RunAsync(cli, config)).Result.Out.Should().Contain("walk was skipped");

        // A rule change
        var changed = cli.WriteConfig(Config().Replace(@"^\d{4}", @"^\d{4}-", StringComparison.Ordinal));
        (await RunAsync(cli, changed)).Result.Out.Should().NotContain("skipped");
    }

    [Fact]
    public async Task An_interval_of_zero_and_dry_runs_always_walk()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key);
        var always = cli.WriteConfig(Config(interval: 0), "always.yaml");
        var normal = cli.WriteConfig(Config());

        await RunAsync(cli, normal);
        await RunAsync(cli, normal);
        var zero = await RunAsync(cli, always);
        _server.Requests.Clear();
        var dry = await cli.RunAsync("run", "-c", normal, "--dry-run", "--state", Path.Combine(cli.Root, "state"));

        zero.Result.Out.Should().NotContain("skipped");
        zero.Searches.Should().BeGreaterThan(1);
        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain("Dry run:").And.NotContain("skipped");
    }
}
