using Xunit.Abstractions;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Faults;

/// <summary>
/// Issue 18, item 1, the seeded loop: more seeds than the matrix, each run with several kinds of fault at once in both
/// phases (5xx and cut-off bodies while reading; resets, lost answers and 5xx while writing). Same checks as the matrix:
/// the exit code the injected faults call for, then the clean run's library, nothing doubled, no queue left paused.
/// </summary>
public sealed class SeededFaultLoopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mixed_faults_over_many_seeds_always_end_in_the_clean_library()
    {
        var clean = await FaultMatrixTests.CleanSnapshotAsync();
        for (var seed = 100; seed < 106; seed++)
        {
            await using var library = await FaultLibrary.StartAsync();
            using var cli = FaultMatrixTests.Harness();
            var config = cli.WriteConfig(library.Config());
            var faults = library.Server.Faults;
            faults.Seeded(seed, InjectedFault.ServerError, FaultPhase.Read, rate: 0.1);
            faults.Seeded(seed + 1, InjectedFault.TruncatedBody, FaultPhase.Read, rate: 0.1);
            faults.Seeded(seed + 2, InjectedFault.ConnectionReset, FaultPhase.Write, rate: 0.1);
            faults.Seeded(seed + 3, InjectedFault.ResponseLost, FaultPhase.Write, rate: 0.1);
            faults.Seeded(seed + 4, InjectedFault.ServerError, FaultPhase.Write, rate: 0.1);

            var faulted = await cli.RunAsync("run", "--config", config, "--output", "faulted");
            faults.Clear();
            var injected = faults.Log;
            output.WriteLine($"seed {seed}: exit {faulted.ExitCode}; {FaultMatrixTests.Describe(injected)}");
            faulted.ExitCode.Should().Be(FaultMatrixTests.ExpectedExitCode(injected), $"seed {seed}: {FaultMatrixTests.Describe(injected)}\n{faulted}");

            var next = await cli.RunAsync("run", "--config", config, "--output", "next");
            next.ExitCode.Should().Be(0, $"seed {seed}: {next}");
            library.Snapshot().Should().Be(clean, $"seed {seed}: {FaultMatrixTests.Describe(injected)}");
            library.DoubledAlbums().Should().BeEmpty();
            library.Server.State.DuplicateAlbumCreations.Should().Be(0);
        }
    }
}
