using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Corrections;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Corrections;

/// <summary>
/// Learning from the user's corrections over the fake: what the tool added and the user removed is never added to
/// that asset again, across restarts (a new store on the same state file for every run); the tool's own removals
/// and a deleted tag are not corrections; the acceptance figures count kept versus removed per step and label. The
/// output tag these tests correct is a status tag, which corrections leave alone by default: the tests of the
/// mechanics opt in (<c>include_status_tags</c>); the default is tested on its own.
/// </summary>
public sealed class CorrectionMemoryRunTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly VirtualClock _clock = new(Now);
    private readonly string _stateFile = Path.Combine(Path.GetTempPath(), $"corrections-{Guid.NewGuid():N}.db");
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = _clock, SidecarRace = false });
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_stateFile);
    }

    private AutoTagConfig Config(bool enabled = true, bool tempAlbums = false, bool includeStatusTags = true) => new()
    {
        Server = new ServerConfig(_server.BaseUrl, _key),
        Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
        Corrections = new CorrectionsConfig { Enabled = enabled, IncludeStatusTags = includeStatusTags },
        CreateAlbumFromDateIfMissing = tempAlbums,
    };

    private async Task<RunResult> RunAsync(AutoTagConfig? config = null, bool dryRun = false)
    {
        _clock.Advance(TimeSpan.FromHours(1));
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        var options = new RunOptions { DryRun = dryRun, Corrections = new SqliteCorrectionStore(_stateFile) };
        var engine = new AutoTagEngine(dryRun ? new Core.Application.ReadOnlyImmichGateway(gateway) : gateway, _clock, NullLogger<AutoTagEngine>.Instance);
        return await engine.RunAsync(config ?? Config(), options, CancellationToken.None);
    }

    private Guid UnknownTag => _server.State.FindTag(Unknown)!.Id;

    private bool HasUnknown(Guid asset) => _server.State.FindTag(Unknown) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private static AcceptanceFigure Figure(RunResult result, string step, string? label) =>
        result.Corrections.Figures.Single(f => f.Step == step && f.Label == label);

    [Fact]
    public async Task A_tag_the_user_removed_is_not_added_again_even_after_a_restart()
    {
        var a = _server.State.AddAsset(_user, "A.jpg", Now.AddDays(-3)).Id;
        var b = _server.State.AddAsset(_user, "B.jpg", Now.AddDays(-2)).Id;

        var first = await RunAsync();
        first.AppliedChanges.Should().HaveCount(2);
        first.Corrections.Figures.Should().BeEmpty("what the run just added was not judged by the user yet: nobody had a chance to keep or remove it");

        _server.State.UntagAsset(UnknownTag, a);
        var second = await RunAsync();

        HasUnknown(a).Should().BeFalse("the user removed it, so the tool does not add it again");
        HasUnknown(b).Should().BeTrue();
        second.Corrections.NewCorrections.Should().ContainSingle(c => c.Addition.AssetId == a && c.Addition.Target == Unknown && c.Addition.Step == "classification");
        second.Corrections.Skipped.Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(a);
        second.Plan.HasChanges.Should().BeFalse();
        Figure(second, "classification", null).Should().Be(new AcceptanceFigure("classification", null, 1, 1));
        Figure(second, "classification", Unknown).AcceptancePercent.Should().Be(50);

        // A restart: a new store on the same state file; the memory is in SQLite, not in the process.
        _server.Requests.Clear();
        var third = await RunAsync();
        HasUnknown(a).Should().BeFalse();
        third.Corrections.NewCorrections.Should().BeEmpty();
        third.Corrections.Skipped.Should().ContainSingle();
        _server.Requests.WriteCount.Should().Be(0);

        var links = ReportWriter.Links(_server.BaseUrl, Config(), third);
        var statistics = ReportWriter.Statistics("run3", _server.BaseUrl, third, new Dictionary<string, long>(), 0);
        output.WriteLine(links[links.IndexOf("## Acceptance", StringComparison.Ordinal)..]);
        output.WriteLine(statistics[statistics.IndexOf("sidecars:", StringComparison.Ordinal)..statistics.IndexOf("errors:", StringComparison.Ordinal)]);
        links.Should().Contain("| classification | **all** | 1 | 1 | 50 % |").And.Contain($"| classification | {Unknown} | 1 | 1 | 50 % |");
        statistics.Should().Contain("acceptance:\n  \"classification\":\n    kept: 1\n    removed: 1\n    acceptance_percent: 50\n")
            .And.Contain($"      \"{Unknown}\": {{kept: 1, removed: 1, acceptance_percent: 50}}\n");
    }

    [Fact]
    public async Task By_default_a_status_tag_the_user_removed_comes_back_and_is_no_correction()
    {
        var a = _server.State.AddAsset(_user, "A.jpg", Now.AddDays(-3)).Id;
        var config = Config(includeStatusTags: false);

        var first = await RunAsync(config);
        first.AppliedChanges.Should().ContainSingle(c => c.AssetId == a && c.TagName == Unknown);
        first.Corrections.Figures.Should().BeEmpty("a status tag is not a suggestion: it has no acceptance figure");

        _server.State.UntagAsset(UnknownTag, a);
        var second = await RunAsync(config);

        second.Corrections.NewCorrections.Should().BeEmpty();
        second.Corrections.Skipped.Should().BeEmpty();
        second.AppliedChanges.Should().ContainSingle(c => c.AssetId == a && c.TagName == Unknown && c.Kind == ChangeKind.Added, "every run keeps autotag_output_* true");
        HasUnknown(a).Should().BeTrue();

        // A correction of it remembered while opted in is dropped once the option is off again. Opted in, the next
        // addition is remembered (the one before was not), so it is taken away once more first.
        _server.State.UntagAsset(UnknownTag, a);
        (await RunAsync(Config())).AppliedChanges.Should().ContainSingle(c => c.AssetId == a && c.TagName == Unknown);
        _server.State.UntagAsset(UnknownTag, a);
        (await RunAsync(Config())).Corrections.NewCorrections.Should().ContainSingle();
        HasUnknown(a).Should().BeFalse("opted in, the removal is respected");
        var back = await RunAsync(config);
        back.AppliedChanges.Should().ContainSingle(c => c.AssetId == a && c.TagName == Unknown && c.Kind == ChangeKind.Added);
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        (await new SqliteCorrectionStore(_stateFile).LoadAsync(StateScope.Of(_user), CancellationToken.None)).Corrections.Should().BeEmpty();
    }

    [Fact]
    public async Task The_tools_own_removal_is_not_a_correction()
    {
        var c = _server.State.AddAsset(_user, "C.jpg", Now.AddDays(-3)).Id;
        await RunAsync();
        HasUnknown(c).Should().BeTrue();

        // Classified: the tool takes its unknown tag away itself; later unclassified again, it puts it back.
        var album = _server.State.AddAlbum(_user, "2026-05 Trip", [c]);
        var classified = await RunAsync();
        HasUnknown(c).Should().BeFalse();
        classified.Corrections.NewCorrections.Should().BeEmpty();
        classified.Corrections.Figures.Should().BeEmpty("the only addition was taken back by the tool itself");

        _server.State.RemoveAlbumAssets(album.Id, c);
        var again = await RunAsync();
        HasUnknown(c).Should().BeTrue("a removal by the tool never blocks a later addition");
        again.Corrections.Skipped.Should().BeEmpty();
    }

    [Fact]
    public async Task A_deleted_tag_resets_instead_of_counting_as_corrections()
    {
        var d = _server.State.AddAsset(_user, "D.jpg", Now.AddDays(-3)).Id;
        await RunAsync();
        using (var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key)))
        {
            await gateway.DeleteTagAsync(UnknownTag, CancellationToken.None);
        }

        var next = await RunAsync();
        next.Corrections.NewCorrections.Should().BeEmpty();
        HasUnknown(d).Should().BeTrue("the tag is created and added again");
    }

    [Fact]
    public async Task An_album_membership_the_user_removed_is_not_added_again()
    {
        var e = _server.State.AddAsset(_user, "E.jpg", new DateTimeOffset(2019, 7, 4, 10, 0, 0, TimeSpan.Zero)).Id;
        await RunAsync(Config(tempAlbums: true));
        var temp = _server.State.Albums.Single(a => a.Name.EndsWith("-autotag-temp-unclassified", StringComparison.Ordinal));
        _server.State.AlbumAssetIds(temp.Id).Should().Contain(e);

        _server.State.RemoveAlbumAssets(temp.Id, e);
        var next = await RunAsync(Config(tempAlbums: true));

        next.Corrections.NewCorrections.Should().ContainSingle(c => c.Addition.Kind == AdditionKind.Album && c.Addition.Label == temp.Name);
        next.Corrections.Skipped.Should().ContainSingle(c => c is AddAlbumMember);
        _server.State.AlbumAssetIds(temp.Id).Should().NotContain(e);
    }

    [Fact]
    public async Task A_dry_run_finds_and_respects_corrections_but_saves_nothing_and_off_means_off()
    {
        var a = _server.State.AddAsset(_user, "A.jpg", Now.AddDays(-3)).Id;
        await RunAsync();
        _server.State.UntagAsset(UnknownTag, a);

        var dry = await RunAsync(dryRun: true);
        dry.Corrections.NewCorrections.Should().ContainSingle();
        dry.Plan.HasChanges.Should().BeFalse();
        var dryAgain = await RunAsync(dryRun: true);
        dryAgain.Corrections.NewCorrections.Should().ContainSingle("the dry run did not save what it found");

        var off = await RunAsync(Config(enabled: false));
        off.Corrections.Figures.Should().BeEmpty();
        HasUnknown(a).Should().BeTrue("with corrections off the tool adds its output tag back, as upstream does");
    }
}
