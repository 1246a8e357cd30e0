using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using PuppeteerSharp;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// The demo run's report.html in a real browser: the system's headless Chromium (Debian package <c>chromium</c>;
/// <c>CHROMIUM_PATH</c> points elsewhere), driven over the DevTools protocol. Set <c>REPORT_SCREENSHOT</c> to a
/// file path to keep a screenshot (docs/report.png is made that way).
/// </summary>
public sealed class ReportInBrowserTests
{
    private const int TimeoutMs = 180_000;

    [Fact]
    public async Task Demo_report_renders_with_chart_and_grid_links_only_to_the_server_and_no_request_leaving_the_page()
    {
        using var cli = new CliHarness();
        var demo = await cli.RunAsync("demo", "--output", "out");
        demo.ExitCode.Should().Be(0, demo.ToString());
        var runFolder = Directory.GetDirectories(Path.Combine(cli.Root, "out")).Single();
        var server = Regex.Match(await File.ReadAllTextAsync(Path.Combine(runFolder, "run_statistics.yaml")), "^server: \"([^\"]+)\"", RegexOptions.Multiline).Groups[1].Value;
        server.Should().StartWith("http", "the run statistics name the server the report links to");
        var report = new Uri(Path.Combine(runFolder, "report.html")).AbsoluteUri;

        var profile = Directory.CreateTempSubdirectory("immich-autotag-chromium-");
        try
        {
            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = ChromiumPath(),
                Headless = true,
                UserDataDir = profile.FullName,
                Timeout = TimeoutMs,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                ],
            });
            await using var page = await browser.NewPageAsync();
            page.DefaultTimeout = TimeoutMs;
            page.DefaultNavigationTimeout = TimeoutMs;
            var requests = new ConcurrentQueue<string>();
            page.Request += (_, e) => requests.Enqueue(e.Request.Url);

            // A load the page's Content-Security-Policy blocks sends no request but logs a console error: catch those too.
            var console = new ConcurrentQueue<string>();
            page.Console += (_, e) => console.Enqueue(e.Message.Type + ": " + e.Message.Text);
            await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 1400 });

            var response = await page.GoToAsync(report, TimeoutMs, [WaitUntilNavigation.Load, WaitUntilNavigation.Networkidle0]);
            response.Ok.Should().BeTrue();

            // The chart: an SVG with both series and one marker per run (the demo's state is fresh: one run).
            (await Count(page, "svg.chart g.series[data-series=unclassified] circle")).Should().Be(1);
            (await Count(page, "svg.chart g.series[data-series=conflict] rect")).Should().Be(1);

            // The grids: the demo has 9 unclassified and 2 conflicting assets, each shown with a decoded thumbnail.
            (await Count(page, "ul.grid li")).Should().Be(11);
            (await page.EvaluateExpressionAsync<int>("[...document.querySelectorAll('ul.grid img')].filter(i => i.complete && i.naturalWidth > 0).length")).Should().Be(11);
            (await Count(page, "#changes-table tbody tr")).Should().BeGreaterThan(5);

            // Every link leaves for the Immich server, or stays on the page.
            var hrefs = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('a[href]')].map(a => a.href)");
            hrefs.Should().NotBeEmpty();
            hrefs.Should().OnlyContain(h => h.StartsWith(server, StringComparison.Ordinal) || h.StartsWith(report + "#", StringComparison.Ordinal), "links point at the server or at the page's own sections");
            hrefs.Count(h => h.Contains("/photos/", StringComparison.Ordinal)).Should().Be(11);

            // Nothing was fetched but the page itself and its inline data: images.
            requests.Should().NotBeEmpty();
            requests.Should().OnlyContain(u => u == report || u.StartsWith("data:", StringComparison.Ordinal), "the page loads nothing from outside itself");
            console.Should().BeEmpty("the page neither tries to load anything nor runs anything");

            if (Environment.GetEnvironmentVariable("REPORT_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = false, Type = ScreenshotType.Png });
            }

            // A phone-sized window: the page reflows instead of scrolling sideways.
            await page.SetViewportAsync(new ViewPortOptions { Width = 360, Height = 740 });
            (await page.EvaluateExpressionAsync<int>("document.documentElement.scrollWidth")).Should().BeLessThanOrEqualTo(360);
            requests.Should().OnlyContain(u => u == report || u.StartsWith("data:", StringComparison.Ordinal));
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private static Task<int> Count(IPage page, string selector) =>
        page.EvaluateExpressionAsync<int>($"document.querySelectorAll('{selector}').length");

    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } set ? set : "/usr/bin/chromium";
        File.Exists(path).Should().BeTrue($"the browser test needs Chromium at {path} (Debian: apt-get install chromium; or set CHROMIUM_PATH)");
        return path;
    }
}
