using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// `run` on a library with an external library mounted read-only: the exit code settles (8 once, then 0), the
/// third run sends no write, and every report lists the changes that do not stick with their links.
/// </summary>
public sealed class ReadOnlyLibraryCliTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset T0 = new(2019, 7, 10, 12, 0, 0, TimeSpan.Zero);
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config => $"""
        server:
          url: {_server.BaseUrl}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{"{4}"}']
        """;

    private static string RunFolderOf(CliHarness cli) =>
        Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last();

    private static string Read(CliHarness cli, string file) => File.ReadAllText(Path.Combine(RunFolderOf(cli), file));

    private string Link(string relative) => $"{_server.BaseUrl.AbsoluteUri.TrimEnd('/')}/{relative}";

    [Fact]
    public async Task Changes_that_never_stick_exit_8_once_then_0_are_not_retried_and_are_listed_with_links()
    {
        var state = _server.State;
        var nas = state.AddExternalLibrary(_user, "NAS", "/mnt/nas", readOnly: true);
        var loose = Enumerable.Range(0, 3).Select(i => state.AddLibraryAsset(nas.Id, $"NAS_{i}.jpg", T0.AddDays(i))).ToArray();
        var uploaded = state.AddAsset(_user, "upload.jpg", T0);
        var inAlbum = state.AddAsset(_user, "trip.jpg", T0);
        state.AddAlbum(_user, "2019-07 Trip", [inAlbum.Id]);
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var config = cli.WriteConfig(Config);

        var first = await cli.RunAsync("run", "-c", config);
        first.ExitCode.Should().Be(8, "the first run cannot tell a read-only library from a failure: " + first);
        Read(cli, RunFolder.StatisticsFile).Should().Contain("  still_wrong: 3\n").And.Contain("  does_not_stick: 0\n");

        var second = await cli.RunAsync("run", "-c", config);
        second.ExitCode.Should().Be(0, "reverted again in every round: recorded as not sticking, a known state: " + second);
        second.Out.Should().Contain("Does not stick: 3 tag change(s) on 3 asset(s) (1 external library)");
        Read(cli, RunFolder.StatisticsFile).Should().Contain("  still_wrong: 3\n").And.Contain("  does_not_stick: 3\n").And.Contain("  does_not_stick_not_retried: 0\n");

        _server.Requests.Clear();
        var third = await cli.RunAsync("run", "-c", config);
        third.ExitCode.Should().Be(0, third.ToString());
        _server.Requests.WriteCount.Should().Be(0, "the recorded changes are not retried");
        loose.Should().OnlyContain(a => !state.DirectTagIdsOf(a.Id).Contains(state.FindTag(Unknown)!.Id));
        state.DirectTagIdsOf(uploaded.Id).Should().Contain(state.FindTag(Unknown)!.Id);

        var stats = Read(cli, RunFolder.StatisticsFile);
        stats.Should().Contain("  does_not_stick: 3\n").And.Contain("  does_not_stick_not_retried: 3\n");
        stats[stats.IndexOf("output_tags_evaluated:", StringComparison.Ordinal)..].Should().Contain($"  \"{Unknown}\": 4\n", "the uploaded asset and the three read-only ones are unknown");
        var links = Read(cli, RunFolder.LinksFile);
        links.Should().Contain("(4 assets; 3 of them do not keep the tag in Immich, see Does not stick)", "counted from the tool's evaluation, not from what Immich shows");
        links.Should().Contain("## Does not stick (3 tag changes on 3 assets)");
        links.Should().Contain($"- [External library {nas.Id}]({Link($"admin/library-management/{nas.Id}")}) (3 changes)");
        foreach (var asset in loose)
        {
            links.Should().Contain($"[{asset.OriginalFileName}]({Link($"photos/{asset.Id}")}): add [{Unknown}]");
        }

        var report = Read(cli, RunFolder.ModificationReportFile);
        report.Split('\n').Count(l => l.Contains("kind=WARNING_TAG_ADDITION_DOES_NOT_STICK", StringComparison.Ordinal)).Should().Be(3);
        report.Should().Contain($"asset_link={Link($"photos/{loose[0].Id}")} | name=NAS_0.jpg | tag={Unknown} | library_id={nas.Id} | library_link={Link($"admin/library-management/{nas.Id}")}");
        Read(cli, RunFolder.PlanFile).Should().Contain($"held + {Unknown} | {Link($"photos/{loose[0].Id}")}");
        var html = Read(cli, "report.html");
        html.Should().Contain("Does not stick").And.Contain(loose[2].Id.ToString());
    }
}
