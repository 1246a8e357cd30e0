using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

public sealed class IncrementalCheckTests : IDisposable
{
    private const string Config = "config v1";
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    // The library's assets were all updated in 2020 (the server's clock); the last run was in 2026.
    private readonly FakeLibrary _immich = new();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeAsset _b;

    public IncrementalCheckTests()
    {
        var a = _immich.AddAsset("a.jpg");
        _b = _immich.AddAsset("b.jpg");
        _immich.AddAlbum("2019-07 Beach", a);
        _immich.EnsureTag("meme");
    }

    public void Dispose() => _immich.Dispose();

    private async Task<IncrementalState> LastRunAsync(DateTimeOffset? at = null) =>
        new(at ?? Start, at ?? Start, await IncrementalCheck.FingerprintAsync(_immich.Gateway, Config, CancellationToken.None));

    private void SetTime(DateTimeOffset to) => _time.AdjustTime(to);

    private Task<ChangeVerdict> CheckAsync(IncrementalState? previous, string config = Config, TimeSpan? interval = null) =>
        IncrementalCheck.CheckAsync(_immich.Gateway, previous, config, interval ?? Day, _time, CancellationToken.None);

    [Fact]
    public async Task Nothing_changed_skips_the_walk_with_three_reads()
    {
        var previous = await LastRunAsync();
        _time.Advance(TimeSpan.FromHours(1));
        _immich.ResetCounters();

        var verdict = await CheckAsync(previous);

        verdict.FullPass.Should().BeFalse(verdict.Reason);
        verdict.Fingerprint.Should().Be(previous.Fingerprint);
        verdict.CheckedAt.Should().Be(Start.AddHours(1));
        _immich.Server.Requests.Total.Should().Be(3, "albums, tags and one search page of size 1");
        _immich.CallsTo("searchAssets").Should().Be(1);
    }

    [Fact]
    public async Task The_first_run_is_a_full_pass()
    {
        (await CheckAsync(null)).FullPass.Should().BeTrue();
    }

    [Fact]
    public async Task A_full_pass_is_forced_once_the_interval_has_passed()
    {
        var previous = await LastRunAsync();
        _time.Advance(Day);

        var verdict = await CheckAsync(previous);

        verdict.FullPass.Should().BeTrue();
        verdict.Reason.Should().Contain("full pass is due");
    }

    [Fact]
    public async Task An_interval_of_zero_makes_every_run_a_full_pass()
    {
        (await CheckAsync(await LastRunAsync(), interval: TimeSpan.Zero)).FullPass.Should().BeTrue();
    }

    [Fact]
    public async Task An_asset_updated_after_the_last_run_forces_a_full_pass()
    {
        // The assets were updated in 2020: a last run in 2019 predates them.
        var previous = await LastRunAsync(new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero));
        SetTime(previous.Watermark.AddHours(1));

        var verdict = await CheckAsync(previous);

        verdict.FullPass.Should().BeTrue();
        verdict.Reason.Should().Contain("assets");
    }

    [Fact]
    public async Task Updates_just_before_the_watermark_count_in_case_the_clocks_disagree()
    {
        var updated = _immich.State.Assets.Max(a => a.UpdatedAt);
        var previous = await LastRunAsync(updated + IncrementalCheck.ClockSkewMargin - TimeSpan.FromSeconds(1));
        SetTime(previous.Watermark.AddMinutes(5));

        (await CheckAsync(previous)).FullPass.Should().BeTrue();
    }

    [Theory]
    [InlineData("album membership")]
    [InlineData("new album")]
    [InlineData("new tag")]
    [InlineData("config")]
    public async Task Changed_albums_tags_or_config_force_a_full_pass(string change)
    {
        var previous = await LastRunAsync();
        var config = Config;
        switch (change)
        {
            case "album membership":
                _immich.AddToAlbum(_immich.State.Albums.Single(), _b);
                break;
            case "new album":
                _immich.AddAlbum("2020-01 Ski");
                break;
            case "new tag":
                _immich.EnsureTag("autotag_input_meme");
                break;
            default:
                config = "config v2";
                break;
        }

        var verdict = await CheckAsync(previous, config);

        verdict.FullPass.Should().BeTrue(change);
        verdict.Reason.Should().Contain("changed");
    }

    [Fact]
    public async Task The_sqlite_store_keeps_one_state_per_scope_across_instances()
    {
        var folder = Directory.CreateTempSubdirectory("immich-autotag-state-").FullName;
        try
        {
            var state = new IncrementalState(Start, Start.AddHours(-3), "abc");
            await SqliteRunStateStore.InFolder(folder).SaveAsync("server-1 user", state, CancellationToken.None);
            await SqliteRunStateStore.InFolder(folder).SaveAsync("server-1 user", state with { Fingerprint = "def" }, CancellationToken.None);

            var store = SqliteRunStateStore.InFolder(folder);
            (await store.LoadAsync("server-1 user", CancellationToken.None)).Should().Be(state with { Fingerprint = "def" });
            (await store.LoadAsync("server-2 user", CancellationToken.None)).Should().BeNull();
            File.Exists(Path.Combine(folder, SqliteRunStateStore.FileName)).Should().BeTrue();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
