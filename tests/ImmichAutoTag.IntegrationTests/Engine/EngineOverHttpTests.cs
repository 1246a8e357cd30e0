using System.Text.Json;
using ImmichAutoTag.Cli;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>The whole run — CLI, config, gateway, engine, reports — against the fake Immich over HTTP.</summary>
public sealed class EngineOverHttpTests : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private const string Conflict = "autotag_output_conflict";

    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;
    private readonly DateTimeOffset _t0 = new(2021, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string ConfigYaml => $"""
        server:
          url: {_server.BaseUrl}
          api_key: {_key}
        enable_album_name_strip: true
        classification:
          rules:
            - tag_names: [meme, autotag_input_meme]
              album_name_patterns: ['^autotag_input_meme$']
            - album_name_patterns: ['^\d{"{4}"}-\d{"{2}"}']
        """;

    private Guid Asset(string name, int day) => _server.State.AddAsset(_user, name, _t0.AddDays(day)).Id;

    private Guid TagId(string path) => _server.State.FindTag(path)?.Id ?? Guid.Empty;

    private bool HasTag(Guid asset, string path) =>
        _server.State.FindTag(path) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private sealed record Library(Guid[] Classified, Guid[] Unclassified, Guid[] Conflicts, Guid Meme, Guid Partner);

    private Library Seed()
    {
        var classified = Enumerable.Range(0, 6).Select(i => Asset($"IMG_{i}.jpg", i)).ToArray();
        var unclassified = Enumerable.Range(0, 4).Select(i => Asset($"LOOSE_{i}.jpg", 10 + i)).ToArray();
        var conflicts = Enumerable.Range(0, 2).Select(i => Asset($"BOTH_{i}.jpg", 20 + i)).ToArray();
        var meme = Asset("meme.png", 30);
        _server.State.AddAlbum(_user, "2021-03 Trip", classified.Take(3).Concat(conflicts));
        _server.State.AddAlbum(_user, "2021-04 Party", classified.Skip(3).Concat(conflicts));
        _server.State.AddAlbum(_user, "Favourites", unclassified.Take(1));
        _server.State.TagAsset(_server.State.UpsertTag("meme").Id, meme);
        _server.State.TagAsset(_server.State.UpsertTag("people/alice").Id, classified[0]);

        var bob = _server.State.AddUser("Bob", "bob@example.com").Id;
        _server.State.AddPartner(_user, bob);
        var partner = _server.State.AddAsset(bob, "bobs.jpg", _t0.AddDays(40)).Id;
        return new Library(classified, unclassified, conflicts, meme, partner);
    }

    [Fact]
    public async Task First_run_converges_in_one_pass_and_the_second_run_sends_no_write()
    {
        var lib = Seed();
        using var cli = new CliHarness();
        var config = cli.WriteConfig(ConfigYaml);

        var first = await cli.RunAsync("run", "--config", config);

        first.ExitCode.Should().Be(0, first.ToString());
        lib.Unclassified.Should().OnlyContain(a => HasTag(a, Unknown) && !HasTag(a, Conflict));
        lib.Conflicts.Should().OnlyContain(a => HasTag(a, Conflict) && !HasTag(a, Unknown));
        lib.Classified.Append(lib.Meme).Should().OnlyContain(a => !HasTag(a, Unknown) && !HasTag(a, Conflict));
        HasTag(lib.Partner, Unknown).Should().BeFalse("partner assets are never changed");

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config);

        second.ExitCode.Should().Be(0, second.ToString());
        _server.Requests.WriteCount.Should().Be(0);
        second.Out.Should().Contain("Changes: 0 tag link(s) added, 0 removed");
    }

    [Fact]
    public async Task Reads_use_bulk_searches_and_no_per_asset_get()
    {
        Seed();
        using var cli = new CliHarness();

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(ConfigYaml));

        result.ExitCode.Should().Be(0, result.ToString());
        _server.Requests.Count("getAssetInfo").Should().Be(0);

        // 1 walk page + 1 search per album (3) + 1 per relevant existing tag ("meme"; output tags do not exist yet),
        // then 1 verification search per output tag the run changed (2).
        _server.Requests.Count("searchAssets").Should().Be(1 + 3 + 1 + 2);
        _server.Requests.Count("upsertTags").Should().Be(1);
        _server.Requests.Count("bulkTagAssets").Should().Be(2, "one call per distinct set of tags to add");
    }

    [Fact]
    public async Task Dry_run_sends_no_write_and_writes_the_plan()
    {
        var lib = Seed();
        using var cli = new CliHarness();

        var result = await cli.RunAsync("run", "--dry-run", "--config", cli.WriteConfig(ConfigYaml), "--output", "out");

        result.ExitCode.Should().Be(0, result.ToString());
        _server.Requests.WriteCount.Should().Be(0);
        _server.State.FindTag(Unknown).Should().BeNull();
        var runDir = Directory.GetDirectories(Path.Combine(cli.Root, "out")).Single();
        var plan = await File.ReadAllLinesAsync(Path.Combine(runDir, "plan.txt"));
        plan.Count(l => l.StartsWith($"+ {Unknown} |", StringComparison.Ordinal)).Should().Be(lib.Unclassified.Length);
        plan.Count(l => l.StartsWith($"+ {Conflict} |", StringComparison.Ordinal)).Should().Be(lib.Conflicts.Length);
        (await File.ReadAllTextAsync(Path.Combine(runDir, "changes.jsonl"))).Should().BeEmpty();
    }

    [Fact]
    public async Task Resolving_a_case_removes_the_stale_output_tag_on_the_next_run()
    {
        var lib = Seed();
        using var cli = new CliHarness();
        var config = cli.WriteConfig(ConfigYaml);
        (await cli.RunAsync("run", "--config", config)).ExitCode.Should().Be(0);
        HasTag(lib.Unclassified[1], Unknown).Should().BeTrue();

        // The user files the loose photo into an event album.
        _server.State.AddAlbum(_user, "2021-05 Hike", [lib.Unclassified[1]]);
        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        HasTag(lib.Unclassified[1], Unknown).Should().BeFalse();
        HasTag(lib.Unclassified[2], Unknown).Should().BeTrue();
        result.Out.Should().Contain("Changes: 0 tag link(s) added, 1 removed");
    }

    [Fact]
    public async Task Run_folder_holds_links_report_changes_statistics_config_and_log()
    {
        var lib = Seed();
        using var cli = new CliHarness();

        var result = await cli.RunAsync("run", "--config", cli.WriteConfig(ConfigYaml), "-o", "reports");

        result.ExitCode.Should().Be(0, result.ToString());
        var runDir = Directory.GetDirectories(Path.Combine(cli.Root, "reports")).Single();
        Path.GetFileName(runDir).Should().MatchRegex(@"^\d{8}_\d{6}_PID\d+$");

        var links = await File.ReadAllTextAsync(Path.Combine(runDir, "immich_autotag_links.md"));
        var server = _server.BaseUrl.AbsoluteUri.TrimEnd('/');
        links.Should().Contain($"({server}/tags?path={Unknown}) ({lib.Unclassified.Length} assets)");
        links.Should().Contain($"({server}/tags?path={Conflict}) ({lib.Conflicts.Length} assets)");
        links.Should().Contain($"({server}/albums)");
        links.Should().Contain($"[Input: Meme]({server}/tags?path=autotag_input_meme) (0 assets)");

        var changes = (await File.ReadAllLinesAsync(Path.Combine(runDir, "changes.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        changes.Should().HaveCount(lib.Unclassified.Length + lib.Conflicts.Length);
        changes.Should().OnlyContain(c => c.GetProperty("action").GetString() == "added");
        changes.Select(c => c.GetProperty("asset_id").GetGuid()).Should().BeEquivalentTo(lib.Unclassified.Concat(lib.Conflicts));

        // Each change carries the reason its planning step gave: here the classification status.
        changes.Should().OnlyContain(c => c.GetProperty("step").GetString() == "classification");
        changes.Where(c => lib.Unclassified.Contains(c.GetProperty("asset_id").GetGuid()))
            .Should().OnlyContain(c => c.GetProperty("reason").GetString()!.EndsWith("output tag for status unclassified", StringComparison.Ordinal));
        changes.Where(c => lib.Conflicts.Contains(c.GetProperty("asset_id").GetGuid()))
            .Should().OnlyContain(c => c.GetProperty("reason").GetString()!.EndsWith("output tag for status conflict", StringComparison.Ordinal));

        var report = await File.ReadAllLinesAsync(Path.Combine(runDir, "modification_report.txt"));
        // The config names the tag autotag_input_meme, which this library does not have: one warning line says so.
        var changeLines = report.Where(l => !l.Contains(" | kind=WARNING_UNKNOWN_RULE_TAG | ", StringComparison.Ordinal)).ToList();
        report.Should().ContainSingle(l => l.Contains(" | kind=WARNING_UNKNOWN_RULE_TAG | ", StringComparison.Ordinal)).Which.Should().Contain("no tag named 'autotag_input_meme'", "the message is quoted as Python quotes a string with apostrophes");
        changeLines.Should().HaveCount(changes.Count);
        changeLines.Should().OnlyContain(l => l.Contains(" | kind=ADD_TAG_TO_ASSET | asset_link=" + server + "/photos/", StringComparison.Ordinal));

        var stats = await File.ReadAllTextAsync(Path.Combine(runDir, "run_statistics.yaml"));
        // 5 gathering searches + 2 verification searches (one per output tag the run changed).
        stats.Should().Contain("  unclassified: 4").And.Contain("  conflict: 2").And.Contain("    searchAssets: 7");

        var dump = await File.ReadAllTextAsync(Path.Combine(runDir, "user_config_dump.yaml"));
        dump.Should().NotContain(_key).And.Contain("REDACTED");
        File.Exists(Path.Combine(runDir, "immich_autotag_full_output.log")).Should().BeTrue();
        (await ReadSharedAsync(Path.Combine(runDir, "immich_autotag_full_output.log"))).Should().NotContain(_key);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Archived_assets_are_classified_unless_the_config_leaves_them_out(bool includeArchived)
    {
        var archived = _server.State.AddAsset(_user, "archived.jpg", _t0, visibility: "archive").Id;
        var visible = Asset("visible.jpg", 1);
        using var cli = new CliHarness();
        var config = cli.WriteConfig(ConfigYaml.Replace(
            "classification:\n",
            $"classification:\n  include_archived: {(includeArchived ? "true" : "false")}\n",
            StringComparison.Ordinal));

        var result = await cli.RunAsync("run", "--config", config);

        result.ExitCode.Should().Be(0, result.ToString());
        HasTag(visible, Unknown).Should().BeTrue();
        HasTag(archived, Unknown).Should().Be(includeArchived);
    }

    [Fact]
    public async Task Dry_run_works_with_a_read_only_key()
    {
        Seed();
        var readOnly = _server.State.AddApiKey(_user, "user.read", "asset.read", "album.read", "tag.read");
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", readOnly);
        var config = cli.WriteConfig(ConfigYaml);

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config);
        var real = await cli.RunAsync("run", "--config", config);

        dry.ExitCode.Should().Be(0, dry.ToString());
        real.ExitCode.Should().Be((int)RunExitCode.PermissionDenied, real.ToString());
        real.Err.Should().Contain("'tag.create'").And.Contain("'tag.asset'");

        // A dry run is how a new setup is checked, so it names what the real run would stop on.
        var dryOutput = dry.Out + dry.Err;
        dryOutput.Should().Contain("the real run needs").And.Contain("'tag.create'").And.Contain("'tag.asset'");
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
