using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Schema;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Answers at the edge of what the official spec allows must be read, not crash the run.</summary>
public sealed class ExtremeValueTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    private FakeImmichServer _server = null!;
    private Guid _userId;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _userId = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_userId, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config() => $"""
        server:
          url: {_server.BaseUrl}
          api_key: {_key}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
            - tag_names: [meme]
        """;

    [Fact]
    public async Task A_user_storing_more_than_2_GiB_is_read()
    {
        // The failing input: quotaUsageInBytes = 2^31 was read into a 32-bit int and the run stopped with exit 7.
        var a = _server.State.AddAsset(_userId, "IMG_0001.jpg", T0);
        _server.RewriteResponse = (op, body) => op == "getMyUser"
            ? System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(body.Span).Replace($"\"quotaUsageInBytes\":{_server.State.QuotaUsage(_userId)}", "\"quotaUsageInBytes\":2147483648", StringComparison.Ordinal))
            : body;
        using var cli = new CliHarness();

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config()));

        result.ExitCode.Should().Be(0, result.ToString());
        _server.State.DirectTagIdsOf(a.Id).Should().Contain(_server.State.FindTag("autotag_output_unknown")!.Id);
    }

    [Fact]
    public async Task Every_integer_of_every_answer_the_run_reads_may_hold_the_spec_maximum()
    {
        // Given a library that makes the run call everything it can: albums, tags, duplicates, writes, queues.
        var inAlbum = _server.State.AddAsset(_userId, "IMG_0001.jpg", T0);
        var meme = _server.State.AddAsset(_userId, "IMG_0002.jpg", T0.AddDays(1));
        var video = _server.State.AddAsset(_userId, "MOV_0003.mp4", T0.AddDays(2), type: "VIDEO");
        var lone = _server.State.AddAsset(_userId, "IMG_0004.jpg", T0.AddDays(3));
        _server.State.AddAlbum(_userId, "2019-07-04 Beach", [inAlbum.Id]);
        _server.State.TagAsset(_server.State.UpsertTag("meme").Id, meme.Id);
        _server.State.AddDuplicateGroup([video.Id, lone.Id]);
        var rewritten = new List<string>();
        // Except the queues' active and waiting counts: a queue with 2^53−1 jobs waiting is busy, and the run would
        // rightly wait its whole bound (30 min) for it. Their other statistics are rewritten.
        _server.RewriteResponse = ExtremeIntegers.Rewriter(
            OpenApiSpec.Official,
            rewritten,
            keep: (op, path) => op == "getQueues" && (path.EndsWith(".active", StringComparison.Ordinal) || path.EndsWith(".waiting", StringComparison.Ordinal)));
        using var cli = new CliHarness();

        // When
        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(Config()));

        // Then the run reads every answer and does its job.
        result.ExitCode.Should().Be(0, result.ToString());
        _server.State.DirectTagIdsOf(lone.Id).Should().Contain(_server.State.FindTag("autotag_output_unknown")!.Id);
        _server.State.DirectTagIdsOf(inAlbum.Id).Should().NotContain(_server.State.FindTag("autotag_output_unknown")!.Id);

        // And every operation the run called whose answer has integers was served at the maximum.
        var called = _server.Requests.All.Where(r => r.StatusCode is >= 200 and < 300).Select(r => r.OperationId).ToHashSet(StringComparer.Ordinal);
        var withIntegers = rewritten.Select(r => r[..r.IndexOf(':', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        withIntegers.Should().Contain(["getServerVersion", "getMyUser", "searchAssets", "getAllAlbums", "getQueues", "bulkTagAssets"]);
        withIntegers.Should().BeSubsetOf(called);
        rewritten.Should().Contain("getMyUser: $.quotaUsageInBytes").And.Contain("searchAssets: $.assets.items[0].width").And.Contain("getQueues: $[0].statistics.failed");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_asset_with_an_unreadable_date_is_reported_with_its_link_and_the_run_goes_on(bool failFast)
    {
        // The failing input, seen on a real server: an extended ISO year in fileCreatedAt stopped every run with exit 7.
        var bad = _server.State.AddAsset(_userId, "IMG_BAD.jpg", T0);
        var good = _server.State.AddAsset(_userId, "IMG_0002.jpg", T0.AddDays(1));
        _server.RewriteResponse = (op, body) => op == "searchAssets"
            ? System.Text.Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(
                System.Text.Encoding.UTF8.GetString(body.Span),
                $"(\"id\":\"{bad.Id}\"[^{{}}]*?\"fileCreatedAt\":)\"[^\"]*\"",
                "$1\"+030828-09-14T02:48:05.478Z\""))
            : body;
        using var cli = new CliHarness();
        var config = Config() + (failFast ? "\nperformance:\n  fail_fast_on_asset_errors: true\n" : "");

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(config), "--output", "out");

        result.ExitCode.Should().Be(8, result.ToString());
        var report = await File.ReadAllTextAsync(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "out")).Single(), "modification_report.txt"));
        report.Should().Contain($"kind=WARNING_ASSET_UNREADABLE_SKIPPED | asset_link={_server.BaseUrl.AbsoluteUri.TrimEnd('/')}/photos/{bad.Id} | name=IMG_BAD.jpg")
            .And.Contain("fileCreatedAt");
        _server.State.DirectTagIdsOf(bad.Id).Should().BeEmpty("the unreadable asset is left alone");
        if (failFast)
        {
            _server.Requests.WriteCount.Should().Be(0, "performance.fail_fast_on_asset_errors stops the run before any write");
        }
        else
        {
            _server.State.DirectTagIdsOf(good.Id).Should().Contain(_server.State.FindTag("autotag_output_unknown")!.Id, "the rest of the run goes on");
        }
    }
}
