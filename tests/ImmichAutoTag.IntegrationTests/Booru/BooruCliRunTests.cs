using System.Text;
using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Booru;

/// <summary>
/// `immich-autotag run` with <c>booru:</c> on, over HTTP on 127.0.0.1: the fake Immich and the fake Danbooru and
/// SauceNAO, reached by the product's own clients with the keys the command's environment holds.
/// </summary>
public sealed class BooruCliRunTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private FakeImmichServer _immich = null!;
    private BooruFakes _booru = null!;
    private FakeAsset _exact = null!;
    private FakeAsset _searched = null!;
    private FakeAsset _review = null!;
    private FakeAsset _photo = null!;
    private string _key = null!;
    private Guid _user;

    public async Task InitializeAsync()
    {
        _immich = await FakeImmichServer.StartAsync();
        var state = _immich.State;
        var user = _user = state.AddUser("Alice", "alice@example.com").Id;
        _key = state.AddApiKey(user, "all");
        _exact = state.AddAsset(user, "hu_tao.png", T0, "/library/hu_tao.png");
        _searched = state.AddAsset(user, "rider.jpg", T0.AddHours(1), "/library/rider.jpg");
        _review = state.AddAsset(user, "maybe.png", T0.AddHours(2), "/library/maybe.png");
        _photo = state.AddAsset(user, "camera.jpg", T0.AddHours(3), "/library/camera.jpg");
        var fanart = state.UpsertTag("fanart");
        foreach (var asset in new[] { _exact, _searched, _review })
        {
            state.TagAsset(fanart.Id, asset.Id);
        }

        // The booru services know the three illustrations by the bytes the fake Immich serves for them.
        var library = new IllustrationLibrary();
        static byte[] Thumbnail(FakeAsset asset) => FakeThumbnails.Webp(FakeThumbnails.ColourOf(asset.Id));
        library.Add(original: _exact.Original(), upload: Thumbnail(_exact), originalOnDanbooru: true);
        library.Add(original: _searched.Original(), upload: Thumbnail(_searched), sauceNao: 94.61);
        library.Add(original: _review.Original(), upload: Thumbnail(_review), sauceNao: 81);
        library.Add(original: _photo.Original(), upload: Thumbnail(_photo));

        // A generous SauceNAO account: the CLI paces on the real clock (30 s / short limit between searches).
        _booru = await BooruFakes.StartAsync(library, TimeProvider.System, listen: true, shortLimit: 60, longLimit: 100);
    }

    public async Task DisposeAsync()
    {
        await _booru.DisposeAsync();
        await _immich.DisposeAsync();
    }

    private static string Latest(CliHarness cli, string file) =>
        File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last(), file));

    private int BooruRequests => _booru.Danbooru.Requests.Total + _booru.SauceNao.Requests.Total + _booru.Iqdb.Requests.Total;

    [Fact]
    public async Task A_dry_run_shows_booru_tags_with_provenance_the_run_writes_them_a_second_run_looks_nothing_up_and_no_key_is_ever_written()
    {
        using var cli = new CliHarness()
            .WithEnv("IMMICH_API_KEY", _key)
            .WithEnv("SAUCENAO_API_KEY", BooruFakes.SauceNaoKey)
            .WithEnv("DANBOORU_LOGIN", BooruFakes.DanbooruLogin)
            .WithEnv("DANBOORU_API_KEY", BooruFakes.DanbooruApiKey)
            .WithEnv("XDG_STATE_HOME", null)
            .WithStateFolder();
        var config = cli.WriteConfig($"""
            server:
              url: {_immich.BaseUrl}
            booru:
              enabled: true
              assets:
                rules:
                  - tag_names: [fanart]
              danbooru_url: {_booru.Danbooru.BaseUrl}
              sources:
                - source: danbooru_md5
                - source: saucenao
                  base_url: {_booru.SauceNao.BaseUrl}
              tags:
                general_top_n: 2
              dry_run_lookups: true
            """);
        var server = _immich.BaseUrl.AbsoluteUri.TrimEnd('/');

        var dry = await cli.RunAsync("run", "--dry-run", "-c", config, "--log-level", "debug");
        output.WriteLine("$ immich-autotag run --dry-run\n" + dry.Out);
        dry.ExitCode.Should().Be(0, dry.ToString());
        _immich.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        dry.Out.Should().Contain("Dry run: booru sent 6 look-up(s) to its services (booru.dry_run_lookups is on)");
        var plan = Latest(cli, RunFolder.PlanFile);
        output.WriteLine(plan);
        plan.Should().Contain("# Booru: 3 asset(s) selected: 2 matched (danbooru_md5 1, saucenao 1), 1 for review, 0 not found, 0 queued");
        plan.Should().Contain($"+ booru/character/character 0 (genshin impact) | {server}/photos/{_exact.Id} | hu_tao.png | booru: danbooru md5 exact, danbooru post 7000000");
        plan.Should().Contain($"+ booru/rating/general | {server}/photos/{_exact.Id} | hu_tao.png | booru: danbooru md5 exact, danbooru post 7000000");
        plan.Should().Contain($"+ booru/series/fate\u2215stay night | {server}/photos/{_searched.Id} | rider.jpg | booru: saucenao 94.6 %, danbooru post 7000001");
        plan.Should().Contain($"+ autotag_output_booru_review | {server}/photos/{_review.Id} | maybe.png | booru: review: saucenao 81 % below the accept bar");
        plan.Split('\n').Where(l => l.Contains(_photo.Id.ToString(), StringComparison.Ordinal)).Should().NotContain(l => l.Contains("booru", StringComparison.Ordinal), "the photo is not selected");
        Latest(cli, RunFolder.LinksFile).Should().Contain("saucenao 81 %: <https://danbooru.donmai.us/post/show/7000002>");
        _booru.Danbooru.Requests.Count("danbooru.md5").Should().Be(3, "one MD5 look-up per selected illustration");
        _booru.SauceNao.Requests.Count("saucenao.search").Should().Be(2, "the exact match needs no search");
        _booru.Danbooru.Requests.Count("danbooru.post").Should().Be(1, "the accepted SauceNAO candidate's post");
        var lookedUp = BooruRequests;

        var real = await cli.RunAsync("run", "-c", config, "--log-level", "debug");
        output.WriteLine("$ immich-autotag run\n" + real.Out);
        real.ExitCode.Should().Be(0, real.ToString());
        var state = _immich.State;
        foreach (var path in new[] { "booru/character/character 0 (genshin impact)", "booru/series/genshin impact", "booru/artist/artist 0", "booru/general/1girl", "booru/rating/general" })
        {
            var tag = state.FindTag(path);
            tag.Should().NotBeNull(path);
            state.DirectTagIdsOf(_exact.Id).Should().Contain(tag!.Id, path);
        }

        // Hierarchical by parent id, not only by name: every booru tag's parent chain, followed by id on the server,
        // spells its path segment by segment and ends at the root tag `booru`, which has no parent.
        var byId = state.Tags.ToDictionary(t => t.Id);
        var booruTags = state.Tags.Where(t => t.Value.StartsWith("booru/", StringComparison.Ordinal)).ToList();
        booruTags.Select(t => t.Value).Should().Contain(["booru/character", "booru/series", "booru/artist", "booru/general", "booru/rating", "booru/character/character 0 (genshin impact)", "booru/series/fate\u2215stay night"]);
        foreach (var tag in booruTags)
        {
            var names = new List<string>();
            for (FakeTag? at = tag; at is not null; at = at.ParentId is { } parent ? byId.GetValueOrDefault(parent) : null)
            {
                at.Name.Should().NotContain("/", "a tag's own name is one segment of its path");
                names.Insert(0, at.Name);
                if (at.ParentId is { } missing && !byId.ContainsKey(missing))
                {
                    names.Insert(0, "<missing parent " + missing + ">");
                }
            }

            string.Join('/', names).Should().Be(tag.Value, $"tag {tag.Value} sits under its parent tags by parentId");
            names[0].Should().Be("booru");
        }

        state.FindTag("booru")!.ParentId.Should().BeNull("the configured root is a top-level tag");
        state.FindTag("booru/character/character 0 (genshin impact)")!.ParentId.Should().Be(state.FindTag("booru/character")!.Id);
        state.FindTag("booru/character")!.ParentId.Should().Be(state.FindTag("booru")!.Id);
        state.DirectTagIdsOf(_searched.Id).Should().Contain(state.FindTag("booru/rating/sensitive")!.Id);
        state.DirectTagIdsOf(_review.Id).Should().Contain(state.FindTag("autotag_output_booru_review")!.Id);
        state.DirectTagIdsOf(_photo.Id).Should().NotContain(state.Tags.Where(t => t.Value.StartsWith("booru/", StringComparison.Ordinal)).Select(t => t.Id));
        BooruRequests.Should().Be(lookedUp, "the dry run's answers are cached in state.db");

        _immich.Requests.Clear();
        var again = await cli.RunAsync("run", "-c", config, "--log-level", "debug");
        output.WriteLine("$ immich-autotag run   # again\n" + again.Out);
        again.ExitCode.Should().Be(0, again.ToString());
        BooruRequests.Should().Be(lookedUp, "every look-up is answered from the cache");
        _immich.Requests.WriteCount.Should().Be(0, "converged: nothing to write");
        Latest(cli, RunFolder.PlanFile).Split('\n').Should().NotContain(l => l.StartsWith("+ ", StringComparison.Ordinal) || l.StartsWith("- ", StringComparison.Ordinal));

        // The keys reached the services (the fakes answered with matches), yet no output, log or state file holds them.
        foreach (var secret in new[] { BooruFakes.SauceNaoKey, BooruFakes.DanbooruApiKey, _key })
        {
            foreach (var result in new[] { dry, real, again })
            {
                result.Out.Should().NotContain(secret);
                result.Err.Should().NotContain(secret);
            }

            foreach (var file in Directory.EnumerateFiles(cli.Root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("config.yaml", StringComparison.Ordinal)))
            {
                Encoding.Latin1.GetString(File.ReadAllBytes(file)).Should().NotContain(secret, file);
            }
        }
    }

    private string Config(CliHarness cli, string extra = "") => cli.WriteConfig($"""
        server:
          url: {_immich.BaseUrl}
        booru:
          enabled: true
          assets:
            rules:
              - tag_names: [fanart]
          danbooru_url: {_booru.Danbooru.BaseUrl}
          sources:
            - source: danbooru_md5
            - source: saucenao
              base_url: {_booru.SauceNao.BaseUrl}
        {extra}
        """);

    private CliHarness Harness(string sauceNaoKey, string danbooruKey) => new CliHarness()
        .WithEnv("IMMICH_API_KEY", _key)
        .WithEnv("SAUCENAO_API_KEY", sauceNaoKey)
        .WithEnv("DANBOORU_LOGIN", BooruFakes.DanbooruLogin)
        .WithEnv("DANBOORU_API_KEY", danbooruKey)
        .WithEnv("XDG_STATE_HOME", null)
        .WithStateFolder();

    [Fact]
    public async Task A_dry_run_sends_nothing_to_the_booru_services_unless_configured_and_says_so_the_real_run_looks_up()
    {
        using var cli = Harness(BooruFakes.SauceNaoKey, BooruFakes.DanbooruApiKey);
        var config = Config(cli);

        var dry = await cli.RunAsync("run", "--dry-run", "-c", config);
        output.WriteLine("$ immich-autotag run --dry-run\n" + dry.Out);
        dry.ExitCode.Should().Be(0, dry.ToString());
        BooruRequests.Should().Be(0, "booru.dry_run_lookups is off by default: no thumbnail or MD5 leaves the machine");
        _immich.Requests.Count("downloadAsset").Should().Be(0, "no original is read for an MD5 that is not sent");
        dry.Out.Should().Contain("Dry run: booru sent nothing to its services (booru.dry_run_lookups is off); 0 cached answer(s) used, 3 asset(s) left for a real run to look up.");
        var plan = Latest(cli, RunFolder.PlanFile);
        plan.Should().Contain("# Booru: 3 asset(s) selected: 0 matched, 0 for review, 0 not found, 3 queued; 0 look-up(s) sent, 0 answered from the cache; dry run: nothing was sent to the booru services (booru.dry_run_lookups is off), a real run looks up the 3 queued asset(s)");
        plan.Should().NotContain("+ booru/");

        var real = await cli.RunAsync("run", "-c", config);
        real.ExitCode.Should().Be(0, real.ToString());
        _booru.Danbooru.Requests.Count("danbooru.md5").Should().Be(3, "the real run looks the three illustrations up");
        _immich.State.DirectTagIdsOf(_exact.Id).Should().Contain(_immich.State.FindTag("booru/rating/general")!.Id);
    }

    [Fact]
    public async Task Refused_keys_end_the_run_as_partial_name_the_service_and_the_variable_keep_status_unhealthy_and_never_show_the_keys()
    {
        const string WrongSauce = "wrong-saucenao-key-5f1c", WrongDanbooru = "wrong-danbooru-key-9e2a";
        using var cli = Harness(WrongSauce, WrongDanbooru);
        var config = Config(cli);

        var run = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # wrong keys\n" + run.Out + run.Err);
        run.ExitCode.Should().Be(8, "a run whose look-ups were all refused is not a clean success");
        run.Out.Should().Contain("Warning: booru: danbooru_md5 refused the key from the environment").And.Contain("DANBOORU_API_KEY");
        run.Out.Should().Contain("Warning: booru: saucenao refused the key from the environment").And.Contain("SAUCENAO_API_KEY");
        Latest(cli, RunFolder.PlanFile).Should().Contain("# Booru: 3 asset(s) selected: 0 matched, ");
        _booru.Danbooru.Requests.Count("danbooru.md5").Should().Be(1, "the source stops at the first refusal");
        _booru.SauceNao.Requests.Count("saucenao.search").Should().Be(1, "the source stops at the first refusal");

        var status = await cli.RunAsync("status");
        output.WriteLine("$ immich-autotag status\n" + status.Out);
        status.ExitCode.Should().Be(1, "a refused key does not heal by itself: health checks must see it");
        status.Out.Should().Contain("unhealthy: booru: danbooru_md5 refused the key from the environment").And.Contain("saucenao refused the key");

        foreach (var secret in new[] { WrongSauce, WrongDanbooru })
        {
            (run.Out + run.Err + status.Out + status.Err).Should().NotContain(secret);
            foreach (var file in Directory.EnumerateFiles(cli.Root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("config.yaml", StringComparison.Ordinal)))
            {
                Encoding.Latin1.GetString(File.ReadAllBytes(file)).Should().NotContain(secret, file);
            }
        }

        // The user fixes the environment: the next run looks up at once and the state is healthy again.
        cli.WithEnv("SAUCENAO_API_KEY", BooruFakes.SauceNaoKey).WithEnv("DANBOORU_API_KEY", BooruFakes.DanbooruApiKey);
        var again = await cli.RunAsync("run", "-c", config);
        again.ExitCode.Should().Be(0, again.ToString());
        _immich.State.DirectTagIdsOf(_exact.Id).Should().Contain(_immich.State.FindTag("booru/rating/general")!.Id);
        var healthy = await cli.RunAsync("status");
        healthy.ExitCode.Should().Be(0, healthy.ToString());
        healthy.Out.Should().Contain("healthy");
    }
    [Fact]
    public async Task A_source_skipped_for_a_missing_permission_never_takes_accepted_booru_tags_off()
    {
        // Run 1, full key: hu_tao.png gets its post's tags from the exact MD5 match.
        using (var first = Harness(BooruFakes.SauceNaoKey, BooruFakes.DanbooruApiKey))
        {
            var run = await first.RunAsync("run", "-c", Config(first));
            run.ExitCode.Should().Be(0, run.ToString());
        }

        var tagged = _immich.State.DirectTagIdsOf(_exact.Id).Select(id => _immich.State.Tags.Single(t => t.Id == id).Value)
            .Where(v => v.StartsWith("booru/", StringComparison.Ordinal)).ToList();
        tagged.Should().Contain("booru/rating/general");

        // Run 2, a new state folder (lost volume, new install) and a key re-created without asset.download: the MD5
        // source is skipped, SauceNAO has no match for the picture. Nothing answered "no match" for danbooru_md5.
        var permissions = _immich.ServedOperations.Select(o => o.Permission).OfType<string>().Distinct(StringComparer.Ordinal)
            .Where(p => p != "asset.download").ToArray();
        var limited = _immich.State.AddApiKey(_user, permissions);
        using var second = Harness(BooruFakes.SauceNaoKey, BooruFakes.DanbooruApiKey).WithEnv("IMMICH_API_KEY", limited);
        _immich.Requests.Clear();
        var skipped = await second.RunAsync("run", "-c", Config(second));
        output.WriteLine("$ immich-autotag run   # key without asset.download, fresh state\n" + skipped.Out + skipped.Err);
        skipped.ExitCode.Should().Be(0, skipped.ToString());
        (skipped.Out + skipped.Err).Should().Contain("asset.download").And.Contain("danbooru_md5 is skipped");
        var plan = Latest(second, RunFolder.PlanFile);
        plan.Split('\n').Should().NotContain(l => l.StartsWith("- booru/", StringComparison.Ordinal), "a source that was not asked is not a \"no match\"");
        plan.Should().NotContain("no booru match");
        plan.Should().Contain("# Booru: 3 asset(s) selected: 1 matched (saucenao 1), 0 for review, 0 not found, 2 queued",
            "hu_tao.png and maybe.png wait for danbooru_md5: neither is \"not found\" nor a review that would replace booru tags");
        _immich.Requests.Count("untagAssets").Should().Be(0);
        _immich.State.DirectTagIdsOf(_exact.Id).Select(id => _immich.State.Tags.Single(t => t.Id == id).Value)
            .Where(v => v.StartsWith("booru/", StringComparison.Ordinal)).Should().BeEquivalentTo(tagged, "the accepted tags stay");
    }
    [Fact]
    public async Task A_booru_service_that_refuses_connections_stops_for_the_run_once_named_and_leaves_the_assets_queued()
    {
        // A port nothing listens on: every connection is refused at once.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var down = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/";
        listener.Stop();
        using var cli = Harness(BooruFakes.SauceNaoKey, BooruFakes.DanbooruApiKey);
        var config = cli.WriteConfig($"""
            server:
              url: {_immich.BaseUrl}
            booru:
              enabled: true
              assets:
                rules:
                  - tag_names: [fanart]
              danbooru_url: {down}
              sources:
                - source: danbooru_md5
                - source: saucenao
                  base_url: {down}
            """);

        var run = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # booru services down\n" + run.Out + run.Err);
        run.ExitCode.Should().Be(0, run.ToString());
        var log = run.Out + run.Err;
        foreach (var source in new[] { "danbooru_md5", "saucenao" })
        {
            log.Split('\n').Count(l => l.Contains($"booru: {source} stops for this run", StringComparison.Ordinal)).Should().Be(1, $"{source} is stopped once, by name");
        }

        log.Split('\n').Where(l => l.Contains("stops for this run", StringComparison.Ordinal)).Should().OnlyContain(l => l.Contains(down, StringComparison.Ordinal), "the message names the URL that did not answer");
        var plan = Latest(cli, RunFolder.PlanFile);
        plan.Should().Contain("# Booru: 3 asset(s) selected: 0 matched, 0 for review, 0 not found, 3 queued; 0 look-up(s) sent, 0 answered from the cache; 2 look-up(s) got no answer",
            "one look-up per source failed, the source stopped, and every asset waits for the next run");
        _immich.Requests.Count("downloadAsset").Should().Be(1, "the MD5 source stops after the first asset's look-up");
        _immich.State.Tags.Should().NotContain(t => t.Value.StartsWith("booru", StringComparison.Ordinal));
    }
}
