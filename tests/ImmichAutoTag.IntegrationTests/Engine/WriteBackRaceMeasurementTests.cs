using System.Diagnostics;
using System.Globalization;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.TestKit;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// A 10,000-asset first run with the write-back race on, once per write mode; prints the figures the issue
/// asks for (run with --logger "console;verbosity=detailed" to see them). Asserts convergence only.
/// </summary>
public sealed class WriteBackRaceMeasurementTests(ITestOutputHelper output)
{
    private const string Unknown = "autotag_output_unknown";
    private const string Conflict = "autotag_output_conflict";
    private static readonly string[] RunPermissions = ["user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset"];

    public static TheoryData<string> Modes() => new() { "paused_queues", "waves_until_idle", "waves_observed", "waves_observed_bound_too_short" };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Ten_thousand_asset_first_run_converges_with_the_race_on(string mode)
    {
        // The observed cases run on a virtual clock. "waves_observed": a 40 s write-back, longer than the fixed
        // 15 s wait keys without queue access used to get. "..._bound_too_short": a 10 s write-back and a 6 s
        // bound on purpose, so the verifier has reverted changes to find and re-apply.
        var clock = mode.StartsWith("waves_observed", StringComparison.Ordinal) ? new VirtualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) : null;
        var sidecarDelay = mode == "waves_observed" ? TimeSpan.FromSeconds(40) : TimeSpan.FromSeconds(10);
        var fakeOptions = clock is null ? new FakeImmichOptions() : new FakeImmichOptions { Clock = clock, SidecarDelay = sidecarDelay };
        await using var server = await FakeImmichServer.StartAsync(fakeOptions);
        var user = server.State.AddUser("Alice", "alice@example.com").Id;

        // Stale output tags on 40 % of the assets, as an earlier tool may leave them: many assets need an
        // addition and a removal, the case the race punishes.
        new LibraryBuilder(server.State, user)
            .WithAssets(10_000)
            .WithEventAlbums(50)
            .WithAlbumShare(0.6)
            .WithAssetsInTwoAlbums(500)
            .WithClassificationTags(0.4, Unknown, Conflict)
            .Build();
        var key = mode switch
        {
            "paused_queues" => server.State.AddApiKey(user, "all"),
            "waves_until_idle" => server.State.AddApiKey(user, [.. RunPermissions, "queue.read"]),
            _ => server.State.AddApiKey(user, RunPermissions),
        };
        var options = mode == "waves_observed_bound_too_short" ? new RunOptions { MaxWriteBackWait = TimeSpan.FromSeconds(6) } : new RunOptions();
        var time = (TimeProvider?)clock ?? TimeProvider.System;

        var watch = Stopwatch.StartNew();
        var first = await WriteBackRaceTests.RunEngineAsync(server, key, time, options);
        watch.Stop();
        var requests = server.Requests.Total;
        var reverted = server.State.RevertedWriteBacks;
        clock?.Advance(TimeSpan.FromMinutes(1));
        server.Requests.Clear();
        var second = await WriteBackRaceTests.RunEngineAsync(server, key, time, options);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            mode: {mode} (engine: {first.WriteMode})
            planned: {first.Plan.TagsToCreate.Count} tag(s) to create, {first.Plan.AdditionCount} additions, {first.Plan.RemovalCount} removals
            write passes: {first.WriteWaves}
            asset write-backs that reverted a change (fake's count): {reverted}
            reverted_and_reapplied: {first.RevertedAndReapplied}, still_wrong: {first.StillWrong.Count}
            first run wall time: {watch.Elapsed.TotalSeconds:0.00} s, {requests} requests
            second run: {second.Plan.AdditionCount} additions, {second.Plan.RemovalCount} removals planned, {server.Requests.WriteCount} writes
            """));
        first.StillWrong.Should().BeEmpty();
        first.Errors.Should().BeEmpty();
        second.Plan.HasChanges.Should().BeFalse("the first run reached exactly the planned state");
        server.Requests.WriteCount.Should().Be(0);
        if (mode != "waves_observed_bound_too_short")
        {
            reverted.Should().Be(0);
        }
        else
        {
            first.RevertedAndReapplied.Should().Be(reverted, "every change the server reverted was found and re-applied");
        }
    }
}
