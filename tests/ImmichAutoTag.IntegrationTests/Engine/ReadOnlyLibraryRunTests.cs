using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// An external library mounted read-only (immich#14194, #30979): Immich cannot write the sidecar, so every tag
/// change to its assets is reverted by the metadata re-read. The runs record such changes as "does not stick" and
/// stop retrying them, except on a full pass or when the file changed. On a virtual clock: no real waits.
/// </summary>
public sealed class ReadOnlyLibraryRunTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly VirtualClock _clock = new(Now);
    private readonly string _stateFile = Path.Combine(Path.GetTempPath(), $"readonly-library-{Guid.NewGuid():N}.db");
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = _clock });
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_stateFile);
    }

    private sealed record Library(Guid LibraryId, Guid Uploaded, Guid Writable, Guid[] ReadOnlyLoose, Guid ReadOnlyStale);

    /// <summary>
    /// Uploaded and writable-library assets whose unknown tag sticks; three read-only assets that need the unknown
    /// tag (never kept) and one read-only asset in a rule album whose file carries the unknown tag (never removed).
    /// </summary>
    private Library Seed()
    {
        var state = _server.State;
        var nas = state.AddExternalLibrary(_user, "NAS", "/mnt/nas", readOnly: true);
        var share = state.AddExternalLibrary(_user, "Share", "/mnt/share", readOnly: false);
        var uploaded = state.AddAsset(_user, "UPLOAD.jpg", Now.AddDays(-30)).Id;
        var writable = state.AddLibraryAsset(share.Id, "SHARE.jpg", Now.AddDays(-29)).Id;
        var loose = Enumerable.Range(0, 3).Select(i => state.AddLibraryAsset(nas.Id, $"NAS_{i}.jpg", Now.AddDays(-20 + i)).Id).ToArray();
        var stale = state.AddLibraryAsset(nas.Id, "NAS_TRIP.jpg", Now.AddDays(-10)).Id;
        state.AddAlbum(_user, "2026-05 Trip", [stale]);
        state.TagAsset(state.UpsertTag(Unknown).Id, stale);
        return new Library(nas.Id, uploaded, writable, loose, stale);
    }

    private async Task<RunResult> RunAsync(bool fullPass = false, bool dryRun = false)
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        var config = new AutoTagConfig
        {
            Server = new ServerConfig(_server.BaseUrl, _key),
            Classification = new ClassificationConfig { Rules = [new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}-\d{2}")] }] },
        };
        var options = new RunOptions
        {
            DryRun = dryRun,
            NonStickingChanges = new SqliteNonStickingChangeStore(_stateFile),
            RetryNonStickingChanges = fullPass,
        };
        return await new AutoTagEngine(gateway, _clock, NullLogger<AutoTagEngine>.Instance).RunAsync(config, options, CancellationToken.None);
    }

    private async Task<IReadOnlyList<NonStickingChange>> RecordsAsync()
    {
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key));
        return await new SqliteNonStickingChangeStore(_stateFile).LoadAsync(StateScope.Of(_user), CancellationToken.None);
    }

    private bool HasUnknown(Guid asset) =>
        _server.State.FindTag(Unknown) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private static (Guid, ChangeKind) Key(AppliedChange c) => (c.AssetId, c.Kind);

    private static (Guid, ChangeKind) Key(NonStickingChange r) => (r.AssetId, r.Kind);

    private static (Guid, ChangeKind)[] Expected(Library lib) =>
        [.. lib.ReadOnlyLoose.Select(a => (a, ChangeKind.Added)), (lib.ReadOnlyStale, ChangeKind.Removed)];

    /// <summary>Runs 1 and 2: reverted in every round of both, so recorded as "does not stick" after the second.</summary>
    private async Task<Library> RecordAsync()
    {
        var lib = Seed();
        var first = await RunAsync();
        first.StillWrong.Select(Key).Should().BeEquivalentTo(Expected(lib), "the read-only assets' changes are reverted in every round ({0})", string.Join(", ", first.StillWrong.Select(c => $"{c.FileName} {c.Kind} {c.TagName}")));
        first.DoesNotStick.Should().BeEmpty("one run is not enough to tell a read-only library from a slow server");
        first.StillWrongUnexplained.Should().HaveCount(4);
        (await RecordsAsync()).Should().OnlyContain(r => r.Runs == 1 && !r.DoesNotStick && r.LibraryId == lib.LibraryId);

        _clock.Advance(TimeSpan.FromHours(1));
        var second = await RunAsync();
        second.StillWrong.Select(Key).Should().BeEquivalentTo(Expected(lib));
        second.DoesNotStick.Select(Key).Should().BeEquivalentTo(Expected(lib));
        second.NotRetried.Should().BeEmpty("the second run still tried them");
        second.StillWrongUnexplained.Should().BeEmpty("every still-wrong change is now explained");
        return lib;
    }

    [Fact]
    public async Task A_change_reverted_in_every_round_of_two_runs_is_recorded_with_its_library_and_not_retried_by_the_third()
    {
        var lib = await RecordAsync();
        var records = await RecordsAsync();
        records.Select(Key).Should().BeEquivalentTo(Expected(lib));
        records.Should().OnlyContain(r => r.Runs == 2 && r.DoesNotStick && r.LibraryId == lib.LibraryId && r.TagName == Unknown && r.Checksum != null);
        records.Should().OnlyContain(r => r.FirstSeen >= Now && r.FirstSeen < Now.AddHours(1) && r.LastSeen >= Now.AddHours(1), "first seen in run 1, last in run 2");
        HasUnknown(lib.Uploaded).Should().BeTrue("uploaded assets are not affected");
        HasUnknown(lib.Writable).Should().BeTrue("a writable external library keeps its tags");

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var third = await RunAsync();

        _server.Requests.WriteCount.Should().Be(0, "the recorded changes are not retried and nothing else is planned");
        _server.Requests.Count("tagAssets").Should().Be(0);
        _server.Requests.Count("untagAssets").Should().Be(0);
        _server.Requests.Count("bulkTagAssets").Should().Be(0);
        third.Plan.AdditionCount.Should().Be(0);
        third.Plan.RemovalCount.Should().Be(0);
        third.NotRetried.Select(Key).Should().BeEquivalentTo(Expected(lib));
        third.DoesNotStick.Select(Key).Should().BeEquivalentTo(Expected(lib));
        third.StillWrong.Should().BeEmpty();

        // Counted from the tool's own evaluation: the three read-only assets are unknown although Immich never shows it.
        third.OutputTagCounts[Unknown].Should().Be(3, "Immich shows the tag on the uploaded, the writable and the stale read-only asset");
        third.EvaluatedOutputTagCounts[Unknown].Should().Be(5, "uploaded, writable and the three loose read-only assets are unknown; the stale one is classified");
        (await RecordsAsync()).Should().OnlyContain(r => r.Runs == 2, "records the run did not try are kept as they were");
    }

    [Fact]
    public async Task A_full_pass_retries_the_recorded_changes_and_a_change_that_sticks_then_loses_its_record()
    {
        var lib = await RecordAsync();

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var full = await RunAsync(fullPass: true);

        _server.Requests.WriteCount.Should().BeGreaterThan(0, "a full pass tries them again");
        full.NotRetried.Should().BeEmpty();
        full.StillWrong.Select(Key).Should().BeEquivalentTo(Expected(lib));
        full.DoesNotStick.Should().HaveCount(4);
        (await RecordsAsync()).Should().OnlyContain(r => r.Runs == 3);

        // The admin remounts the library writable: the next full pass makes the changes stick and forgets them.
        _server.State.SetLibraryReadOnly(lib.LibraryId, readOnly: false);
        _clock.Advance(TimeSpan.FromHours(1));
        var fixedMount = await RunAsync(fullPass: true);

        fixedMount.StillWrong.Should().BeEmpty();
        fixedMount.DoesNotStick.Should().BeEmpty();
        (await RecordsAsync()).Should().BeEmpty("changes that stick lose their record");
        lib.ReadOnlyLoose.Should().OnlyContain(a => HasUnknown(a));
        HasUnknown(lib.ReadOnlyStale).Should().BeFalse();
    }

    [Fact]
    public async Task A_changed_file_is_retried_alone()
    {
        var lib = await RecordAsync();
        _server.State.ReplaceFile(lib.ReadOnlyLoose[0]);

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var run = await RunAsync();

        run.AppliedChanges.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed).Select(Key)
            .Should().Equal([(lib.ReadOnlyLoose[0], ChangeKind.Added)], "only the asset whose checksum changed is tried again");
        run.NotRetried.Should().HaveCount(3);
        run.StillWrong.Select(Key).Should().Equal([(lib.ReadOnlyLoose[0], ChangeKind.Added)]);
        var records = await RecordsAsync();
        records.Single(r => r.AssetId == lib.ReadOnlyLoose[0]).Runs.Should().Be(3);
        records.Single(r => r.AssetId == lib.ReadOnlyLoose[0]).Checksum.Should().Be(_server.State.Assets.Single(a => a.Id == lib.ReadOnlyLoose[0]).Checksum);
    }

    [Fact]
    public async Task A_record_older_than_the_retry_interval_is_retried_without_a_full_pass()
    {
        var lib = await RecordAsync();

        _clock.Advance(new RunOptions().NonStickingRetryAfter);
        var run = await RunAsync();

        run.NotRetried.Should().BeEmpty();
        run.StillWrong.Select(Key).Should().BeEquivalentTo(Expected(lib));
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_leaves_the_records_alone()
    {
        var lib = await RecordAsync();
        var before = await RecordsAsync();

        _clock.Advance(TimeSpan.FromHours(1));
        _server.Requests.Clear();
        var dry = await RunAsync(dryRun: true);

        _server.Requests.WriteCount.Should().Be(0);
        dry.NotRetried.Select(Key).Should().BeEquivalentTo(Expected(lib), "the dry run shows what a real run would leave out");
        (await RecordsAsync()).Should().BeEquivalentTo(before);

        _server.Requests.Clear();
        var dryFull = await RunAsync(fullPass: true, dryRun: true);
        _server.Requests.WriteCount.Should().Be(0);
        dryFull.Plan.AdditionCount.Should().Be(3, "a full pass plans the recorded additions again");
        dryFull.Plan.RemovalCount.Should().Be(1);
        (await RecordsAsync()).Should().BeEquivalentTo(before);
    }
}
