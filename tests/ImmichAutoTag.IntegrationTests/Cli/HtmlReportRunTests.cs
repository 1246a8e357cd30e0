using System.Text.RegularExpressions;
using ImmichAutoTag.Infrastructure.Reports.Html;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>report.html and the run history through the whole CLI, against the fake Immich.</summary>
public sealed partial class HtmlReportRunTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2021, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private FakeImmichServer _server = null!;
    private Guid _user;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_run_adds_a_point_to_the_chart_and_status_prints_the_trend()
    {
        var key = _server.State.AddApiKey(_user, "all");
        var loose = Enumerable.Range(0, 6).Select(i => _server.State.AddAsset(_user, $"IMG_{i}.jpg", T0.AddDays(i)).Id).ToList();
        using var cli = new CliHarness();
        cli.WithStateFolder();
        var config = cli.WriteConfig(Config(key));

        // The user's workflow: run, file some of what the report shows, run again. The second album also takes
        // the two photos the first one holds: they become conflicts.
        var reports = new List<string>();
        foreach (var filed in new[] { 0, 2, 6 })
        {
            if (filed > 0)
            {
                _server.State.AddAlbum(_user, $"2021-05-0{filed} Trip", loose.Take(filed));
            }

            var run = await cli.RunAsync("run", "--config", config);
            run.ExitCode.Should().Be(0, run.ToString());
            reports.Add(await File.ReadAllTextAsync(LastRunFile(cli, HtmlReportStep.FileName)));
        }

        var last = reports[^1];
        SeriesValues(last, "unclassified").Should().Equal(6, 4, 0);
        SeriesValues(last, "conflict").Should().Equal(0, 0, 2);
        SeriesValues(reports[0], "unclassified").Should().Equal(6);

        var status = await cli.RunAsync("status");
        status.ExitCode.Should().Be(0, status.ToString());
        status.Out.Should().Contain("history (last 3 run(s)");
        status.Out.Should().Contain("4 (-2)").And.Contain("0 (-4)");
        status.Out.Should().Contain("trend over 3 runs: unclassified down, 6 -> 0, conflict up, 0 -> 2");
    }

    [Fact]
    public async Task Grids_show_the_first_assets_with_thumbnails_fetched_only_for_them()
    {
        var key = _server.State.AddApiKey(_user, "all");
        for (var i = 0; i < HtmlReport.GridSize + 6; i++)
        {
            _server.State.AddAsset(_user, $"IMG_{i:00}.jpg", T0.AddHours(i));
        }

        using var cli = new CliHarness();
        cli.WithStateFolder();
        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(key)));

        run.ExitCode.Should().Be(0, run.ToString());
        var html = await File.ReadAllTextAsync(LastRunFile(cli, HtmlReportStep.FileName));
        _server.Requests.Count("viewAsset").Should().Be(HtmlReport.GridSize, "only the shown assets' thumbnails are fetched");
        Regex.Count(html, "<img src=\"data:image/webp;base64,").Should().Be(HtmlReport.GridSize);
        html.Should().Contain("Classification: Unknown: 30 asset(s)").And.Contain("… and 6 more");
        Hrefs(html).Should().OnlyContain(h => h.StartsWith('#') || h.StartsWith(_server.BaseUrl.AbsoluteUri, StringComparison.Ordinal));
        html.Should().NotContain(key, "the API key never goes into a report");
        html.Should().Contain($"content=\"{HtmlReport.ContentSecurityPolicy}\"");

        // The console's request total is run_statistics.yaml's; the thumbnails come after it, named as such.
        var total = Regex.Match(await File.ReadAllTextAsync(LastRunFile(cli, "run_statistics.yaml")), @"requests:\n  total: (\d+)\n").Groups[1].Value;
        total.Should().NotBeEmpty();
        run.Out.Should().Contain($"Requests: {total} (").And.Contain($"; then {HtmlReport.GridSize} for report.html's thumbnails");
        (int.Parse(total, System.Globalization.CultureInfo.InvariantCulture) + HtmlReport.GridSize).Should().Be(_server.Requests.All.Count, "every request the run sent is counted once: the run's, then the report's");

        // The next run shows the same assets from the state folder's thumbnail cache: no request for them.
        var rerun = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(key)));
        rerun.ExitCode.Should().Be(0, rerun.ToString());
        _server.Requests.Count("viewAsset").Should().Be(HtmlReport.GridSize);
        Regex.Count(await File.ReadAllTextAsync(LastRunFile(cli, HtmlReportStep.FileName)), "<img src=\"data:image/webp;base64,").Should().Be(HtmlReport.GridSize);
    }

    [Fact]
    public async Task Without_asset_view_the_grid_lists_names_and_links_and_fetches_nothing()
    {
        var key = _server.State.AddApiKey(_user, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset");
        var odd = _server.State.AddAsset(_user, "<b>odd</b> & \"name\".jpg", T0).Id;
        using var cli = new CliHarness();
        cli.WithStateFolder().WithEnv("IMMICH_AUTOTAG_SETTLE_SECONDS", "0");
        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(key)));

        run.ExitCode.Should().Be(0, run.ToString());
        var html = await File.ReadAllTextAsync(LastRunFile(cli, HtmlReportStep.FileName));
        _server.Requests.Count("viewAsset").Should().Be(0);
        html.Should().NotContain("<img").And.Contain("lacks the asset.view permission");
        html.Should().Contain($"href=\"{_server.BaseUrl.AbsoluteUri}photos/{odd}\"");
        html.Should().Contain("&lt;b&gt;odd&lt;/b&gt; &amp; &quot;name&quot;.jpg").And.NotContain("<b>odd</b>");
    }

    [Fact]
    public async Task A_dry_run_is_recorded_as_one_and_its_changes_are_the_planned_ones()
    {
        var key = _server.State.AddApiKey(_user, "all");
        _server.State.AddAsset(_user, "IMG_1.jpg", T0);
        _server.State.AddAsset(_user, "IMG_2.jpg", T0.AddHours(1));
        using var cli = new CliHarness();
        cli.WithStateFolder();
        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(key)), "--dry-run");

        run.ExitCode.Should().Be(0, run.ToString());
        _server.Requests.WriteCount.Should().Be(0);
        var history = await Infrastructure.SqliteRunHistoryStore.InFolder(Path.Combine(cli.Root, "state")).RecentAsync(5, null, CancellationToken.None);
        var entry = history.Should().ContainSingle().Subject;
        entry.DryRun.Should().BeTrue();
        entry.Server.Should().Be(_server.BaseUrl);
        entry.Count("unclassified").Should().Be(2);
        entry.Count("changes").Should().Be(3, "one tag to create and two tag additions were planned");
        entry.Count("requests").Should().BeGreaterThan(0);
        entry.Counts.Keys.Should().Contain("output_tag:autotag_output_unknown");
    }

    private string Config(string key) => $$"""
        server:
          url: {{_server.BaseUrl}}
          api_key: {{key}}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{4}-\d{2}-\d{2}']
          autotag_unknown: autotag_output_unknown
          autotag_conflict: autotag_output_conflict
        """;

    /// <summary>The newest run folder's file; run ids sort by start time (a same-second rerun gets a suffix).</summary>
    private static string LastRunFile(CliHarness cli, string name) =>
        Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last(), name);

    /// <summary>The values of one chart series, read from its markers' titles.</summary>
    private static List<int> SeriesValues(string html, string series)
    {
        var group = Regex.Match(html, $"<g class=\"series\" data-series=\"{series}\">(.*?)</g>", RegexOptions.Singleline);
        group.Success.Should().BeTrue($"the chart has a {series} series");
        return Regex.Matches(group.Groups[1].Value, $"<title>{series}: (\\d+) ").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    private static List<string> Hrefs(string html) =>
        HrefPattern().Matches(html).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex HrefPattern();
}
