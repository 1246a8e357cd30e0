using Xunit.Abstractions;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// Issue 18, item 1: the fault matrix. Each case runs the whole CLI (in-process, over loopback HTTP) against a fake that
/// injects one kind of fault into one phase's requests at a set rate, chosen per request from a seed; then faults stop and
/// the next run must leave exactly the library a clean run leaves, nothing doubled, no queue left paused, and a third run
/// must have nothing left to write. The faulted run's exit code must say what happened: 0 when every fault was absorbed
/// by a retry, 8 when a write that is not safe to repeat (createAlbum, deleteAlbum) or whose repeat fails (addUsersToAlbum,
/// untagAssets after their answer was lost) failed. Expected codes are derived from the fake's log of injected
/// faults, never hard-coded per seed.
/// </summary>
public sealed class FaultMatrixTests(ITestOutputHelper output)
{
    private static readonly SemaphoreSlim CleanGate = new(1, 1);
    private static string? _clean;

    // Not safe to send twice: the HTTP layer does not retry them (except after 429), so a fault fails the change.
    private static readonly HashSet<string> NotRetried = ["createAlbum", "deleteAlbum"];

    // Retried, but the repeat of a request the server had served fails: "User already added" (400), or untag answers
    // not_found, which the run counts as an error on purpose (someone else may have changed the asset meanwhile).
    private static readonly HashSet<string> RepeatRefused = ["addUsersToAlbum", "untagAssets"];

    public static TheoryData<InjectedFault, FaultPhase, int> Cases()
    {
        var data = new TheoryData<InjectedFault, FaultPhase, int>();
        foreach (var fault in Enum.GetValues<InjectedFault>())
        {
            foreach (var phase in Enum.GetValues<FaultPhase>())
            {
                // Two seeds per cell keep the suite quick; the seeded loop below covers more seeds where runs are cheap.
                for (var seed = 1; seed <= 2; seed++)
                {
                    data.Add(fault, phase, seed);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_faulted_run_and_the_next_clean_one_leave_the_library_of_a_clean_run_with_nothing_doubled(InjectedFault fault, FaultPhase phase, int seed)
    {
        var clean = await CleanSnapshotAsync();
        await using var library = await FaultLibrary.StartAsync();
        using var cli = Harness();
        var config = cli.WriteConfig(library.Config());

        // Time-outs cost the client's per-attempt time-out each: at most two per run.
        library.Server.Faults.Seeded(seed, fault, phase, rate: 0.3, maxPerRequest: 2, maxTotal: fault is InjectedFault.Timeout or InjectedFault.Throttled ? 2 : 8);
        var faulted = await cli.RunAsync("run", "--config", config, "--output", "faulted");
        library.Server.Faults.Clear();
        var injected = library.Server.Faults.Log;
        output.WriteLine($"matrix {fault} x {phase} seed {seed}: exit {faulted.ExitCode}; {Describe(injected)}");

        injected.Should().NotBeEmpty("the seed and rate must hit at least one {0} request", phase);
        faulted.ExitCode.Should().Be(ExpectedExitCode(injected), $"{Describe(injected)}\n{faulted}");
        LastRunExitCode(cli).Should().Be(faulted.ExitCode, "status.json records how the run ended");

        var next = await cli.RunAsync("run", "--config", config, "--output", "next");
        next.ExitCode.Should().Be(0, next.ToString());
        library.Snapshot().Should().Be(clean, Describe(injected));
        library.DoubledAlbums().Should().BeEmpty();
        library.Server.State.DuplicateAlbumCreations.Should().Be(0);
        Directory.GetFiles(Path.Combine(cli.Root, "state"), "*queue*").Should().BeEmpty("every paused queue was resumed and its marker cleared");

        library.Server.Requests.Clear();
        var third = await cli.RunAsync("run", "--config", config, "--output", "third");
        third.ExitCode.Should().Be(0, third.ToString());
        library.Server.Requests.WriteCount.Should().Be(0, "the library had converged");
    }

    [Fact]
    public async Task A_seeded_rule_hits_the_same_writes_for_the_same_seed()
    {
        static async Task<string> HitsAsync(int seed)
        {
            await using var library = await FaultLibrary.StartAsync();
            using var cli = Harness();
            var config = cli.WriteConfig(library.Config());
            library.Server.Faults.Seeded(seed, InjectedFault.ServerError, FaultPhase.Write, rate: 0.3);
            await cli.RunAsync("run", "--config", config);
            return string.Join("\n", library.Server.Faults.Log.Select(i => i.OperationId).Order(StringComparer.Ordinal));
        }

        var first = await HitsAsync(7);
        var again = await HitsAsync(7);
        first.Should().NotBeEmpty().And.Be(again);
    }

    internal static CliHarness Harness() => new CliHarness()
        .WithStateFolder()
        .WithConnection(o => o with { Timeout = TimeSpan.FromSeconds(3), RetryBaseDelay = TimeSpan.FromMilliseconds(20) });

    internal static int LastRunExitCode(CliHarness cli)
    {
        using var status = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Root, "state", "status.json")));
        return status.RootElement.GetProperty("last_run").GetProperty("exit_code").GetInt32();
    }

    /// <summary>
    /// 0 when every injected fault was absorbed (retried, or harmless: slow bodies, 429 that every call retries after
    /// Retry-After); 8 when one hit a call the client does not repeat, or a served call whose repeat the server refuses.
    /// </summary>
    internal static int ExpectedExitCode(IReadOnlyList<Injected> injected)
    {
        static bool Harmless(string fault) => fault is nameof(InjectedFault.SlowBody) or nameof(InjectedFault.Throttled);
        static bool Served(string fault) => fault is nameof(InjectedFault.ResponseLost) or nameof(InjectedFault.TruncatedBody);
        var failed = injected.Any(i => !Harmless(i.Fault)
            && (NotRetried.Contains(i.OperationId) || (Served(i.Fault) && RepeatRefused.Contains(i.OperationId))));
        return failed ? 8 : 0;
    }

    internal static string Describe(IReadOnlyList<Injected> injected) =>
        "injected: " + string.Join(", ", injected.Select(i => $"{i.Fault} {i.Method} {i.Path}"));

    /// <summary>The library after one clean run (computed once per test process).</summary>
    internal static async Task<string> CleanSnapshotAsync()
    {
        await CleanGate.WaitAsync();
        try
        {
            if (_clean is null)
            {
                await using var library = await FaultLibrary.StartAsync();
                using var cli = Harness();
                var result = await cli.RunAsync("run", "--config", cli.WriteConfig(library.Config()));
                result.ExitCode.Should().Be(0, result.ToString());
                _clean = library.Snapshot();

                // The reference itself must show the plan's writes of every kind.
                _clean.Should().Contain("album 2019-07-06-autotag-temp-unclassified").And.NotContain("album 2019-07-01-autotag-temp-unclassified")
                    .And.Contain("| shared: bob:viewer");
                FaultLibrary.AssetLine(_clean, "img_20.jpg").Should().EndWith(": meme", "a duplicate's lone classification tag is copied");
                FaultLibrary.AssetLine(_clean, "img_00.jpg").Should().NotContain(FaultLibrary.Unknown, "a stale output tag is removed");
            }

            return _clean;
        }
        finally
        {
            CleanGate.Release();
        }
    }
}
