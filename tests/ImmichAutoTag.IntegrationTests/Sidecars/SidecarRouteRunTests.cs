using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.Infrastructure.Sidecars;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Sidecars;

/// <summary>
/// A read-only external library whose files the tool reaches through a path mapping (a temporary folder stands for
/// the mount): changes recorded as "does not stick" go into the assets' XMP sidecars, Immich (the fake) re-reads
/// just those assets and the run checks the tags arrived. On a virtual clock: no real waits.
/// </summary>
public sealed class SidecarRouteRunTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private const string ImmichRoot = "/mnt/nas";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly VirtualClock _clock = new(Now);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"sidecar-route-{Guid.NewGuid():N}");
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = _clock });
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string StateFile => Path.Combine(_folder, "state.db");

    private string Mount => Path.Combine(_folder, "nas");

    private sealed record Library(Guid LibraryId, Guid Uploaded, Guid[] Loose, Guid Stale);

    /// <summary>Three read-only assets that need the unknown tag and one in a rule album whose file carries it; the originals exist in the mount.</summary>
    private Library Seed()
    {
        var state = _server.State;
        var nas = state.AddExternalLibrary(_user, "NAS", ImmichRoot, readOnly: true);
        state.MountLibrary(nas.Id, Mount);
        var uploaded = state.AddAsset(_user, "UPLOAD.jpg", Now.AddDays(-30)).Id;
        var loose = Enumerable.Range(0, 3).Select(i => state.AddLibraryAsset(nas.Id, $"NAS_{i}.jpg", Now.AddDays(-20 + i)).Id).ToArray();
        var stale = state.AddLibraryAsset(nas.Id, "NAS_TRIP.jpg", Now.AddDays(-10)).Id;
        state.AddAlbum(_user, "2026-05 Trip", [stale]);
        state.TagAsset(state.UpsertTag(Unknown).Id, stale);
        foreach (var id in loose.Append(stale))
        {
            var file = state.LocalFileOf(id)!;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, [0xFF, 0xD8, 0xFF, 0xD9]);
        }

        return new Library(nas.Id, uploaded, loose, stale);
    }

    private const string Suggested = "autotag_workflow/nas";

    private async Task<RunResult> RunAsync(bool sidecars = true, bool dryRun = false, string mappedPrefix = ImmichRoot, bool discover = true, bool suggest = false, bool suggestionsInSidecars = false)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(_server.BaseUrl, _key),
            Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
            Sidecars = new SidecarConfig { Enabled = sidecars, Discover = discover, Suggestions = suggestionsInSidecars, PathMappings = [new PathMappingConfig { ImmichPath = mappedPrefix, LocalPath = Mount }] },
            Workflows = suggest
                ? new WorkflowsConfig { Rules = [new WorkflowRuleConfig { Name = "nas", Then = new WorkflowActionsConfig { AddTags = [Suggested] } }] }
                : new WorkflowsConfig(),
        };
        var options = new RunOptions
        {
            DryRun = dryRun,
            NonStickingChanges = new SqliteNonStickingChangeStore(StateFile),
            SidecarWriter = new XmpSidecarWriter(),
        };
        var engine = new AutoTagEngine(dryRun ? new Core.Application.ReadOnlyImmichGateway(gateway) : gateway, _clock, NullLogger<AutoTagEngine>.Instance);
        return await engine.RunAsync(config, options, CancellationToken.None);
    }

    private async Task<IReadOnlyList<NonStickingChange>> RecordsAsync()
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        return await new SqliteNonStickingChangeStore(StateFile).LoadAsync(StateScope.Of(_user), CancellationToken.None);
    }

    private bool HasUnknown(Guid asset) =>
        _server.State.FindTag(Unknown) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private IEnumerable<string> Sidecars() => Directory.EnumerateFiles(Mount, "*.xmp", SearchOption.AllDirectories);

    [Fact]
    public async Task A_change_confirmed_as_not_sticking_goes_through_the_sidecar_and_arrives()
    {
        var lib = Seed();

        var first = await RunAsync();
        first.StillWrong.Should().HaveCount(4, "one run is not enough to tell a read-only library from a slow server");
        first.Sidecars.Writes.Should().BeEmpty();
        Sidecars().Should().BeEmpty();

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var second = await RunAsync();

        second.Sidecars.Writes.Should().HaveCount(4).And.OnlyContain(w => w.Arrived && w.Error == null);
        second.Sidecars.Unmapped.Should().BeEmpty();
        second.Sidecars.Arrived.Should().HaveCount(4);
        second.DoesNotStick.Should().BeEmpty("every change arrived through its sidecar");
        second.StillWrongUnexplained.Should().BeEmpty();
        second.Errors.Should().BeEmpty();
        _server.Requests.Count("runAssetJobs").Should().Be(1, "one refresh-metadata job for the four written assets");
        _server.State.MetadataReads.Should().Be(4, "only the written assets are re-read");
        lib.Loose.Should().OnlyContain(a => HasUnknown(a));
        HasUnknown(lib.Stale).Should().BeFalse("the sidecar's empty tag list replaces the file's tag");
        HasUnknown(lib.Uploaded).Should().BeTrue();
        second.AppliedChanges.Where(c => c.NewValue is { } v && v.EndsWith(".xmp", StringComparison.Ordinal))
            .Should().HaveCount(4).And.OnlyContain(c => c.Reason != null && c.Reason.Text.Contains("through the XMP sidecar", StringComparison.Ordinal));
        (await RecordsAsync()).Should().BeEmpty("changes that arrived lose their record");

        foreach (var id in lib.Loose)
        {
            FakeImmichState.ReadSidecarTags(File.ReadAllBytes(_server.State.SidecarOf(id)!)).Should().Equal([Unknown]);
            _server.State.SidecarOf(id).Should().Be(_server.State.LocalFileOf(id) + ".xmp");
        }

        File.ReadAllBytes(_server.State.LocalFileOf(lib.Loose[0])!).Should().Equal([0xFF, 0xD8, 0xFF, 0xD9], "originals are never touched");

        // Converged: the next run plans nothing and Immich keeps the tags through its own re-reads.
        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var third = await RunAsync();
        third.Plan.HasChanges.Should().BeFalse();
        _server.Requests.WriteCount.Should().Be(0);
        third.DoesNotStick.Should().BeEmpty();
        third.OutputTagCounts[Unknown].Should().Be(4, "the uploaded asset and the three loose read-only ones");
    }

    private bool HasTag(Guid asset, string path) =>
        _server.State.FindTag(path) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    /// <summary>
    /// W13: on a library Immich cannot write, a sidecar's tags come back at the re-read that follows a user's removal,
    /// so a suggestion in a sidecar could no longer be removed in Immich. By default only status tags go that way.
    /// </summary>
    [Fact]
    public async Task Suggestions_stay_out_of_sidecars_by_default_so_the_user_can_still_remove_them_in_Immich()
    {
        var lib = Seed();
        await RunAsync(suggest: true);
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await RunAsync(suggest: true);

        second.Sidecars.Writes.Should().HaveCount(4, "the status tags still go through the sidecars")
            .And.OnlyContain(w => w.Arrived && !w.Added.Contains(Suggested));
        lib.Loose.Should().OnlyContain(a => HasUnknown(a));
        foreach (var id in lib.Loose)
        {
            FakeImmichState.ReadSidecarTags(File.ReadAllBytes(_server.State.SidecarOf(id)!)).Should().Equal([Unknown]);
            HasTag(id, Suggested).Should().BeFalse("the suggestion does not stick and was not forced through the sidecar");
        }

        second.DoesNotStick.Where(r => r.TagName == Suggested).Should().HaveCount(4, "the kept-out suggestions stay reported as not sticking");
        second.Sidecars.Unmapped.Where(r => r.TagName == Suggested).Should().HaveCount(4);
        second.Errors.Should().BeEmpty();

        // The next run neither writes the suggestion into a sidecar nor fails on it.
        _clock.Advance(TimeSpan.FromHours(1));
        var third = await RunAsync(suggest: true);
        third.Sidecars.Writes.Should().BeEmpty();
        Sidecars().Select(f => FakeImmichState.ReadSidecarTags(File.ReadAllBytes(f))).Should().OnlyContain(t => t != null && !t.Contains(Suggested));
    }

    [Fact]
    public async Task With_sidecars_suggestions_on_a_suggestion_goes_through_the_sidecar_too()
    {
        var lib = Seed();
        await RunAsync(suggest: true, suggestionsInSidecars: true);
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await RunAsync(suggest: true, suggestionsInSidecars: true);

        second.Sidecars.Writes.Should().HaveCount(4).And.OnlyContain(w => w.Arrived && w.Added.Contains(Suggested));
        lib.Loose.Append(lib.Stale).Should().OnlyContain(a => HasTag(a, Suggested));
    }

    [Fact]
    public async Task A_dry_run_writes_no_sidecar_and_sends_no_write()
    {
        Seed();
        await RunAsync(sidecars: false);
        _clock.Advance(TimeSpan.FromHours(1));
        var confirmed = await RunAsync(sidecars: false);
        confirmed.DoesNotStick.Should().HaveCount(4);

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var dry = await RunAsync(dryRun: true);

        _server.Requests.WriteCount.Should().Be(0);
        _server.Requests.Count("runAssetJobs").Should().Be(0);
        Sidecars().Should().BeEmpty();
        dry.Sidecars.Writes.Should().HaveCount(4).And.OnlyContain(w => !w.Arrived && !w.Written);
        dry.Sidecars.Writes.Select(w => w.SidecarFile).Should().BeEquivalentTo(dry.Sidecars.Writes.Select(w => _server.State.LocalFileOf(w.AssetId) + ".xmp"), "the dry run lists the sidecars it would write");
        dry.DoesNotStick.Should().HaveCount(4, "a dry run changes nothing, so they still do not stick");
        var plan = ReportWriter.Plan(_server.BaseUrl, dry);
        foreach (var w in dry.Sidecars.Writes)
        {
            plan.Should().Contain($"; goes through the XMP sidecar {w.SidecarFile} (dry run: not written)");
            ReportWriter.Links(_server.BaseUrl, new AutoTagConfig { Server = new ServerConfig(_server.BaseUrl, "k") }, dry).Should().Contain($"(would be written; {w.SidecarFile})");
        }
    }

    [Fact]
    public async Task Without_a_mapping_for_the_library_the_changes_stay_reported_as_before()
    {
        Seed();
        await RunAsync(mappedPrefix: "/mnt/other");
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await RunAsync(mappedPrefix: "/mnt/other");

        second.DoesNotStick.Should().HaveCount(4);
        second.Sidecars.Writes.Should().BeEmpty();
        second.Sidecars.Unmapped.Should().HaveCount(4);
        Sidecars().Should().BeEmpty();
        _server.Requests.Count("runAssetJobs").Should().Be(0);
    }

    /// <summary>
    /// Changes confirmed as not sticking while sidecars were off, then an admin's sidecar sync (which drops the records
    /// Immich's write-back made for sidecars that do not exist): the next run's changes are held, not sent through the
    /// API, so no write-back records a sidecar for them again.
    /// </summary>
    private async Task<Library> HeldWithoutSidecarRecordsAsync()
    {
        var lib = Seed();
        await RunAsync(sidecars: false);
        _clock.Advance(TimeSpan.FromHours(1));
        (await RunAsync(sidecars: false)).DoesNotStick.Should().HaveCount(4);
        foreach (var id in lib.Loose.Append(lib.Stale))
        {
            _server.State.SidecarOf(id).Should().Be(_server.State.LocalFileOf(id) + ".xmp", "the failed write-back recorded it");
        }

        _server.State.RunSidecarDiscovery(force: true);
        foreach (var id in lib.Loose.Append(lib.Stale))
        {
            _server.State.SidecarOf(id).Should().BeNull("the sync found no file");
        }

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        return lib;
    }

    [Fact]
    public async Task A_new_sidecar_Immich_has_no_record_of_arrives_through_its_sidecar_discovery()
    {
        var lib = await HeldWithoutSidecarRecordsAsync();

        var third = await RunAsync();

        _server.Requests.Count("runAssetJobs").Should().Be(1, "refresh-metadata first");
        _server.Requests.Count("runQueueCommandLegacy").Should().Be(1, "then one discovery for the sidecars it did not read");
        third.Sidecars.Writes.Should().HaveCount(4).And.OnlyContain(w => w.Arrived && w.Error == null);
        third.Errors.Should().BeEmpty();
        third.DoesNotStick.Should().BeEmpty();
        lib.Loose.Should().OnlyContain(a => HasUnknown(a));
        HasUnknown(lib.Stale).Should().BeFalse();
        foreach (var id in lib.Loose)
        {
            _server.State.SidecarOf(id).Should().Be(_server.State.LocalFileOf(id) + ".xmp");
        }
    }

    [Fact]
    public async Task With_discover_off_a_new_sidecar_Immich_has_no_record_of_is_reported_with_what_to_do()
    {
        var lib = await HeldWithoutSidecarRecordsAsync();

        var third = await RunAsync(discover: false);

        _server.Requests.Count("runAssetJobs").Should().Be(1);
        _server.Requests.Count("runQueueCommandLegacy").Should().Be(0);
        third.Sidecars.Writes.Should().HaveCount(4).And.OnlyContain(w => w.Written && !w.Arrived
            && w.Error!.Contains("Administration → Jobs → Sidecar metadata → Discover", StringComparison.Ordinal));
        third.DoesNotStick.Should().HaveCount(4, "nothing arrived");
        lib.Loose.Should().NotContain(a => HasUnknown(a));
        Sidecars().Should().HaveCount(4, "the sidecars are written; Immich only has to discover them");
    }
}
