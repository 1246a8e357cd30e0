using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// The whole CLI against a fake that applies date writes after it answered, as Immich does: a run started
/// right after the one that repaired a date must not send the same write again.
/// </summary>
public sealed class DateWriteCliTests
{
    private static string Yaml(Uri url, string key) => $"""
        server:
          url: {url}
          api_key: {key}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        duplicate_processing:
          date_correction:
            enabled: true
            extraction_timezone: Europe/Madrid
        """;

    [Fact]
    public async Task With_queue_access_the_run_waits_for_its_date_writes_and_the_next_run_sends_none()
    {
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { DateWriteDelay = TimeSpan.FromSeconds(1) });
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        var key = server.State.AddApiKey(user, "all");
        var asset = server.State.AddAsset(user, "WhatsApp Image 2020-06-16 at 9.15.00 PM.jpeg", new DateTimeOffset(2020, 6, 20, 8, 0, 0, TimeSpan.Zero)).Id;
        using var cli = new CliHarness().WithStateFolder();
        var config = cli.WriteConfig(Yaml(server.BaseUrl, key));

        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        server.Requests.Count("updateAssets").Should().Be(1);
        server.State.LandedDateWrites.Should().Be(1, "the run waited until the server applied it");
        server.Requests.Clear();

        var second = await cli.RunAsync("run", "--config", config, "--output", "second");

        second.ExitCode.Should().Be(0, second.ToString());
        server.Requests.Count("updateAssets").Should().Be(0);
        server.State.Assets.Single(a => a.Id == asset).FileCreatedAt.Should().Be(new DateTimeOffset(2020, 6, 16, 19, 15, 0, TimeSpan.Zero), "21:15 Madrid summer time");
    }

    [Fact]
    public async Task Without_queue_access_a_write_still_pending_is_remembered_in_the_state_folder()
    {
        // The server takes a minute; the run can only wait its fixed settle delay (0.1 s here).
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { DateWriteDelay = TimeSpan.FromMinutes(1) });
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        var key = server.State.AddApiKey(user, "user.read", "asset.read", "asset.update", "album.read", "tag.read", "tag.create", "tag.asset", "duplicate.read");
        server.State.AddAsset(user, "IMG_20190704_100000.jpg", new DateTimeOffset(2019, 7, 9, 10, 0, 0, TimeSpan.Zero));
        using var cli = new CliHarness().WithStateFolder().WithEnv("IMMICH_AUTOTAG_SETTLE_SECONDS", "0.1");
        var config = cli.WriteConfig(Yaml(server.BaseUrl, key));

        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        server.Requests.Count("updateAssets").Should().Be(1);
        server.State.PendingDateWrites.Should().Be(1);
        server.Requests.Clear();

        var second = await cli.RunAsync("run", "--config", config, "--output", "second");

        second.ExitCode.Should().Be(0, second.ToString());
        server.Requests.Count("updateAssets").Should().Be(0, "the first run's write is still pending on the server");
        var report = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(cli.Root, "second"), "modification_report.txt", SearchOption.AllDirectories).Single());
        report.Should().Contain("DATE_WRITE_PENDING");
    }
}
