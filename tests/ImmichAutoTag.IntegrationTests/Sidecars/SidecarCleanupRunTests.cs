using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Engine.Sidecars;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Sidecars;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Sidecars;

/// <summary>
/// X9: the tool's own entries in the XMP sidecars of a read-only library (which Immich re-reads after every tag
/// change) come out again once the tool no longer wants them — <c>sidecars</c> switched off, <c>sidecars.suggestions</c>
/// off, a removal the user made — and nothing else of the sidecar changes. Over HTTP against the fake Immich, whose
/// read-only library re-reads sidecars as Immich 3.1 does; on a virtual clock.
/// </summary>
public sealed class SidecarCleanupRunTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private const string Suggested = "autotag_workflow/nas";
    private const string UsersOwn = "People/Ana";
    private const string ImmichRoot = "/mnt/nas";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly VirtualClock _clock = new(Now);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"sidecar-cleanup-{Guid.NewGuid():N}");
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

    /// <summary>Three read-only assets that need the unknown tag, their originals in the mount.</summary>
    private Guid[] Seed()
    {
        var state = _server.State;
        var nas = state.AddExternalLibrary(_user, "NAS", ImmichRoot, readOnly: true);
        state.MountLibrary(nas.Id, Mount);
        var loose = Enumerable.Range(0, 3).Select(i => state.AddLibraryAsset(nas.Id, $"NAS_{i}.jpg", Now.AddDays(-20 + i)).Id).ToArray();
        foreach (var id in loose)
        {
            var file = state.LocalFileOf(id)!;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, [0xFF, 0xD8, 0xFF, 0xD9]);
        }

        return loose;
    }

    private async Task<RunResult> RunAsync(bool sidecars = true, bool dryRun = false, bool suggest = false, bool suggestionsInSidecars = false, bool mapped = true)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(_server.BaseUrl, _key),
            Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
            Sidecars = new SidecarConfig
            {
                Enabled = sidecars,
                Suggestions = suggestionsInSidecars,
                PathMappings = mapped ? [new PathMappingConfig { ImmichPath = ImmichRoot, LocalPath = Mount }] : [],
            },
            Workflows = suggest
                ? new WorkflowsConfig { Rules = [new WorkflowRuleConfig { Name = "nas", Then = new WorkflowActionsConfig { AddTags = [Suggested] } }] }
                : new WorkflowsConfig(),
        };
        var options = new RunOptions
        {
            DryRun = dryRun,
            NonStickingChanges = new SqliteNonStickingChangeStore(StateFile),
            SidecarEntries = new SqliteSidecarEntryStore(StateFile),
            Corrections = new SqliteCorrectionStore(StateFile),
            SidecarWriter = mapped ? new XmpSidecarWriter() : null,
        };
        var engine = new AutoTagEngine(dryRun ? new Core.Application.ReadOnlyImmichGateway(gateway) : gateway, _clock, NullLogger<AutoTagEngine>.Instance);
        var result = await engine.RunAsync(config, options, CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(1));
        return result;
    }

    private Task<IReadOnlyList<SidecarEntry>> EntriesAsync() => new SqliteSidecarEntryStore(StateFile).LoadAsync(StateScope.Of(_user), CancellationToken.None);

    private bool HasTag(Guid asset, string path) =>
        _server.State.FindTag(path) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private IReadOnlyList<string>? SidecarTags(Guid asset) => FakeImmichState.ReadSidecarTags(File.ReadAllBytes(_server.State.LocalFileOf(asset) + ".xmp"));

    /// <summary>The user (digiKam, say) adds a keyword of their own to the sidecar the tool wrote.</summary>
    private void UserAddsOwnKeyword(Guid asset)
    {
        var file = _server.State.LocalFileOf(asset) + ".xmp";
        var document = XmpTagDocument.Parse(File.ReadAllBytes(file));
        document.Apply([UsersOwn], [], []).Should().BeTrue();
        File.WriteAllBytes(file, document.Serialize());
    }

    [Fact]
    public async Task Switching_sidecars_off_takes_only_the_tools_entries_out_a_dry_run_first_lists_them_and_the_next_run_plans_nothing()
    {
        var loose = Seed();
        await RunAsync();
        var routed = await RunAsync();
        routed.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => w.Arrived);
        (await EntriesAsync()).Select(e => (e.AssetId, e.TagName)).Should().BeEquivalentTo(loose.Select(a => (a, Unknown)), "the run records the entries it wrote");
        UserAddsOwnKeyword(loose[0]);
        var before = loose.Select(a => File.ReadAllBytes(_server.State.LocalFileOf(a) + ".xmp")).ToList();

        _server.Requests.Clear();
        var dry = await RunAsync(sidecars: false, dryRun: true);

        _server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        loose.Select(a => File.ReadAllBytes(_server.State.LocalFileOf(a) + ".xmp")).Should().BeEquivalentTo(before, o => o.WithStrictOrdering(), "a dry run writes no file");
        dry.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => !w.Written && w.Removed.SequenceEqual(new[] { Unknown }) && w.Added.Count == 0);
        dry.Sidecars.Writes.Select(w => w.SidecarFile).Should().BeEquivalentTo(loose.Select(a => _server.State.LocalFileOf(a) + ".xmp"), "the dry run lists the sidecars it would change");
        (await EntriesAsync()).Should().HaveCount(3, "a dry run saves nothing");

        _server.Requests.Clear();
        var off = await RunAsync(sidecars: false);

        off.Errors.Should().BeEmpty();
        off.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => w.Written && w.Arrived && w.Removed.SequenceEqual(new[] { Unknown }));
        SidecarTags(loose[0]).Should().Equal([UsersOwn], "the user's own keyword stays; only the tool's entry went");
        SidecarTags(loose[1]).Should().BeEmpty();
        loose.Should().OnlyContain(a => !HasTag(a, Unknown), "Immich re-read the sidecars: the tool's entries no longer freeze the tag");
        HasTag(loose[0], UsersOwn).Should().BeTrue();
        off.AppliedChanges.Where(c => c.Kind == ChangeKind.Removed && c.Reason!.Step == SidecarCleanup.StepName).Should().HaveCount(3)
            .And.OnlyContain(c => c.Reason!.Text.StartsWith("sidecars is off", StringComparison.Ordinal));
        _server.Requests.Count("runAssetJobs").Should().Be(1, "one refresh-metadata job for the three sidecars");
        (await EntriesAsync()).Should().BeEmpty();

        // As before sidecars: the status tag does not stick on that library, and the next run holds it.
        _server.Requests.Clear();
        var next = await RunAsync(sidecars: false);
        next.Plan.HasChanges.Should().BeFalse();
        _server.Requests.WriteCount.Should().Be(0);
        next.DoesNotStick.Where(r => r.Kind == ChangeKind.Added && r.TagName == Unknown).Select(r => r.AssetId).Should().BeEquivalentTo(loose, "reported as not sticking, as before the sidecars carried them");
        next.Sidecars.Writes.Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_mapping_left_the_entries_stay_recorded_and_nothing_is_written()
    {
        var loose = Seed();
        await RunAsync();
        await RunAsync();
        var before = loose.Select(a => File.ReadAllBytes(_server.State.LocalFileOf(a) + ".xmp")).ToList();

        var unmapped = await RunAsync(sidecars: false, mapped: false);

        unmapped.Sidecars.Writes.Should().BeEmpty();
        loose.Select(a => File.ReadAllBytes(_server.State.LocalFileOf(a) + ".xmp")).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
        (await EntriesAsync()).Should().HaveCount(3, "kept until a run with the mapping can take them out");

        var mapped = await RunAsync(sidecars: false);
        mapped.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => w.Written && w.Arrived);
        (await EntriesAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Suggestions_written_while_sidecars_suggestions_was_on_come_out_once_it_is_off_and_status_tags_stay()
    {
        var loose = Seed();
        await RunAsync(suggest: true, suggestionsInSidecars: true);
        var routed = await RunAsync(suggest: true, suggestionsInSidecars: true);
        routed.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => w.Arrived && w.Added.Contains(Suggested));
        loose.Should().OnlyContain(a => HasTag(a, Suggested));

        var off = await RunAsync(suggest: true);

        off.Errors.Should().BeEmpty();
        off.Sidecars.Writes.Should().HaveCount(3).And.OnlyContain(w => w.Written && w.Arrived && w.Removed.SequenceEqual(new[] { Suggested }));
        loose.Should().OnlyContain(a => !HasTag(a, Suggested) && HasTag(a, Unknown), "only the suggestion left the sidecars");
        loose.Select(SidecarTags).Should().OnlyContain(t => t != null && t.SequenceEqual(new[] { Unknown }));
        (await EntriesAsync()).Select(e => e.TagName).Should().OnlyContain(t => t == Unknown).And.HaveCount(3);

        _server.Requests.Clear();
        var next = await RunAsync(suggest: true);
        next.Plan.HasChanges.Should().BeFalse();
        _server.Requests.WriteCount.Should().Be(0);
        next.Sidecars.Writes.Should().BeEmpty();
        next.DoesNotStick.Where(r => r.TagName == Suggested).Should().HaveCount(3, "the suggestion is reported as not sticking, as sidecars.suggestions: false documents");
    }

    [Fact]
    public async Task An_entry_whose_removal_the_correction_memory_learnt_comes_out_of_the_sidecar()
    {
        var loose = Seed();
        await RunAsync(suggest: true, suggestionsInSidecars: true);
        await RunAsync(suggest: true, suggestionsInSidecars: true);
        loose.Should().OnlyContain(a => HasTag(a, Suggested));

        // The user removes the suggestion from one asset; a run sees it gone before Immich's next re-read of the sidecar.
        _server.State.UntagAsset(_server.State.FindTag(Suggested)!.Id, loose[1]);
        var learnt = await RunAsync(suggest: true, suggestionsInSidecars: true);

        learnt.Corrections.NewCorrections.Should().ContainSingle(c => c.Addition.AssetId == loose[1] && c.Addition.Target == Suggested);
        learnt.Sidecars.Writes.Should().ContainSingle().Which.Should().Match<SidecarWrite>(w => w.AssetId == loose[1] && w.Written && w.Removed.SequenceEqual(new[] { Suggested }));
        SidecarTags(loose[1]).Should().Equal([Unknown], "the suggestion no longer comes back at Immich's re-reads");
        SidecarTags(loose[0]).Should().Contain(Suggested, "the other assets keep theirs");
        HasTag(loose[1], Suggested).Should().BeFalse();

        _server.Requests.Clear();
        var next = await RunAsync(suggest: true, suggestionsInSidecars: true);
        next.Plan.HasChanges.Should().BeFalse();
        _server.Requests.WriteCount.Should().Be(0);
        HasTag(loose[1], Suggested).Should().BeFalse();
    }
}
