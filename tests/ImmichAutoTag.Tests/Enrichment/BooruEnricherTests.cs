using System.Security.Cryptography;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using FakeLibrary = ImmichAutoTag.Tests.Engine.FakeLibrary;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.Tests.Enrichment;

/// <summary>The booru step's look-ups over the fake Immich (in-process) and in-memory booru services, on a virtual clock.</summary>
public sealed class BooruEnricherTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("booru-step-").FullName;
    private readonly VirtualClock _clock = new(T0);
    private readonly FakeLibrary _immich = new();
    private readonly MemoryBooruServices _booru;
    private readonly Scores _clip = new();

    public BooruEnricherTests() => _booru = new MemoryBooruServices(_clock);

    public void Dispose()
    {
        _immich.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static BooruConfig Config => new() { Enabled = true };

    private FakeAsset Illustration(string name, double clip)
    {
        var asset = _immich.AddAsset(name);
        _clip.Set(asset.Id, "anime", clip);
        return asset;
    }

    // Danbooru names files by MD5; no security rests on it.
#pragma warning disable CA5351
    private static string Md5Of(FakeAsset asset) => Convert.ToHexStringLower(MD5.HashData(asset.Original()));
#pragma warning restore CA5351

    private static byte[] Thumbnail(FakeAsset asset) => FakeThumbnails.Webp(asset.ThumbnailColour ?? FakeThumbnails.ColourOf(asset.Id));

    private async Task<BooruTags> RunAsync(BooruConfig config, FakeLibrary? immich = null, FiltersConfig? filters = null)
    {
        immich ??= _immich;
        var snapshot = await new LibraryGatherer(immich.Gateway, NullLogger.Instance).GatherAsync(filters?.FilterOut.SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal) ?? [], [], null, CancellationToken.None);
        var selected = BooruSelection.Select(config, snapshot, new RunOptions(), _clip, filters);
        var services = new BooruServices(_booru, SqliteBooruStore.InFolder(_folder));
        return await new BooruEnricher(config, services, immich.Gateway, _clock, NullLogger.Instance).RunAsync(selected, "http://immich owner", CancellationToken.None);
    }

    [Fact]
    public async Task An_exact_md5_match_needs_no_search_and_a_second_run_looks_nothing_up()
    {
        var asset = Illustration("hu_tao.png", 0.9);
        _booru.Posts.Add(MemoryBooruServices.Post(7000001, Md5Of(asset)));

        var first = await RunAsync(Config);

        var result = first.Results[asset.Id];
        result.Verdict.Should().Be(BooruVerdict.Accepted);
        result.Source.Should().Be(BooruSource.DanbooruMd5);
        result.Provenance.Should().Be("danbooru md5 exact, danbooru post 7000001");
        first.DesiredFor(asset.Id)!.Value.Desired.Should().Contain("booru/character/hu tao (genshin impact)").And.Contain("booru/rating/sensitive");
        _booru.Calls.Should().Equal(("danbooru md5", Md5Of(asset)));
        _immich.CallsTo("downloadAsset").Should().Be(1);

        var second = await RunAsync(Config);

        second.Results[asset.Id].Should().BeEquivalentTo(result);
        _booru.Calls.Should().HaveCount(1, "every look-up is cached");
        _immich.CallsTo("downloadAsset").Should().Be(1, "the MD5 is cached by checksum");
        second.Stats.CacheHits.Should().ContainKey(BooruLookupKind.DanbooruMd5);
        second.Stats.LookedUp.Should().BeEmpty();
    }

    [Fact]
    public async Task A_refused_answer_that_reports_the_daily_budget_spent_stops_SauceNao_for_the_run()
    {
        var refused = Illustration("broken.png", 0.95);
        var next = Illustration("next.png", 0.9);
        var last = Illustration("last.png", 0.8);
        _booru.SauceNao.Refusals[MemoryBooruServices.Sha1(Thumbnail(refused))] = new BooruException(BooruSource.SauceNao, BooruFailure.ImageRefused, "status -3")
        {
            Quota = new SearchQuota(4, 3, 100, 2),
        };
        _booru.Iqdb.Answer(Thumbnail(next), (95, 7000005));
        _booru.Posts.Add(MemoryBooruServices.Post(7000005));

        var tags = await RunAsync(Config with { DailyBudgetMargin = 3 });

        _booru.Calls.Where(c => c.Service == "SauceNao").Should().ContainSingle("the refusal said 2 searches are left, under the margin of 3");
        tags.Stats.Stopped.Should().ContainKey(BooruSource.SauceNao).WhoseValue.Should().Contain("2 of 100");
        _booru.Calls.Where(c => c.Service == "Iqdb").Should().HaveCount(3, "IQDB goes on");
        tags.Results[next.Id].Verdict.Should().Be(BooruVerdict.Accepted);
        tags.Results[last.Id].Verdict.Should().Be(BooruVerdict.Pending, "SauceNAO is still to be asked on another day");
    }

    [Fact]
    public async Task A_429_that_reports_the_short_window_empty_waits_it_out_before_the_next_search()
    {
        var limited = Illustration("first.png", 0.95);
        var after = Illustration("after.png", 0.9);
        _booru.SauceNao.Refusals[MemoryBooruServices.Sha1(Thumbnail(limited))] = new BooruException(BooruSource.SauceNao, BooruFailure.ShortWindowExhausted, "HTTP 429", TimeSpan.FromSeconds(1))
        {
            Quota = new SearchQuota(4, -1, 100, 80),
        };
        var sauceAt = new List<DateTimeOffset>();
        _booru.SauceNao.OnSearch = () => sauceAt.Add(_clock.GetUtcNow());

        await RunAsync(Config);

        sauceAt.Should().HaveCount(2, "the refused asset waits for the next run; the next one is searched once");
        (sauceAt[1] - sauceAt[0]).Should().BeGreaterThanOrEqualTo(QuotaPolicy.ShortWindow, "the answer said no search is left in the 30 s window, whatever Retry-After said");
    }

    [Fact]
    public async Task SauceNao_above_the_accept_bar_takes_the_danbooru_post_it_names()
    {
        var asset = Illustration("fanart.jpg", 0.8);
        _booru.Posts.Add(MemoryBooruServices.Post(7000002, "ffffffffffffffffffffffffffffffff", "rider_(fate/zero)"));
        _booru.SauceNao.Answer(Thumbnail(asset), (94.61, 7000002), (60, null));

        var tags = await RunAsync(Config);

        var result = tags.Results[asset.Id];
        result.Verdict.Should().Be(BooruVerdict.Accepted);
        result.Source.Should().Be(BooruSource.SauceNao);
        result.SimilarityPercent.Should().Be(94.61);
        result.Provenance.Should().Be("saucenao 94.6 %, danbooru post 7000002");
        result.Characters.Should().Equal("rider_(fate/zero)");
        tags.TagsFor(asset.Id).Select(t => t.Path).Should().Contain("booru/character/rider (fate\u2215zero)");
        _booru.Calls.Select(c => c.Service).Should().Equal("danbooru md5", "SauceNao", "danbooru post");
    }

    [Fact]
    public async Task Candidates_between_the_bars_go_to_review_unless_a_later_source_accepts()
    {
        var reviewed = Illustration("maybe.png", 0.9);
        var later = Illustration("later.png", 0.8);
        _booru.SauceNao.Answer(Thumbnail(reviewed), (80.5, 7000003));
        _booru.SauceNao.Answer(Thumbnail(later), (75, 7000004));
        _booru.Iqdb.Answer(Thumbnail(later), (95, 7000004));
        _booru.Posts.Add(MemoryBooruServices.Post(7000004));

        var tags = await RunAsync(Config);

        var review = tags.Results[reviewed.Id];
        review.Verdict.Should().Be(BooruVerdict.Review);
        review.ReviewCandidates.Should().ContainSingle().Which.Urls.Should().Equal(new Uri("https://danbooru.donmai.us/posts/7000003"));
        tags.DesiredFor(reviewed.Id)!.Value.Desired.Should().Equal(BooruConfig.DefaultReviewTag);
        tags.DesiredFor(reviewed.Id)!.Value.Reason.Should().Be("review: saucenao 80.5 % below the accept bar");

        var accepted = tags.Results[later.Id];
        accepted.Verdict.Should().Be(BooruVerdict.Accepted);
        accepted.Source.Should().Be(BooruSource.Iqdb);
        tags.DesiredFor(later.Id)!.Value.Desired.Should().NotContain(BooruConfig.DefaultReviewTag);
    }

    [Fact]
    public async Task Nothing_found_anywhere_is_not_found_and_is_asked_again_only_after_the_retry_age()
    {
        var asset = Illustration("unknown.png", 0.9);

        var first = await RunAsync(Config);
        first.Results[asset.Id].Verdict.Should().Be(BooruVerdict.NotFound);
        first.DesiredFor(asset.Id)!.Value.Desired.Should().BeEmpty();
        var calls = _booru.Calls.Count;

        _clock.Advance(TimeSpan.FromDays(29));
        (await RunAsync(Config)).Results[asset.Id].Verdict.Should().Be(BooruVerdict.NotFound);
        _booru.Calls.Should().HaveCount(calls, "a miss younger than miss_retry_days is not asked again");

        _clock.Advance(TimeSpan.FromDays(2));
        await RunAsync(Config);
        _booru.Calls.Should().HaveCount(calls * 2, "each miss is asked once more after 30 days");
        _immich.CallsTo("downloadAsset").Should().Be(1, "the MD5 itself is a find, kept for good");
    }

    [Fact]
    public async Task The_daily_budget_goes_to_the_highest_values_first_and_the_queue_carries_the_rest_to_the_next_day()
    {
        var booru = new MemoryBooruServices(_clock, shortLimit: 4, longLimit: 8);
        var assets = Enumerable.Range(0, 12).Select(i => Illustration($"art{i:00}.png", 0.5 + (i / 100.0))).ToList();
        var config = Config with { Sources = [new BooruSourceConfig(BooruSource.SauceNao, 90, 70)], DailyBudgetMargin = 2 };
        var store = SqliteBooruStore.InFolder(_folder);
        async Task<BooruTags> Run()
        {
            var snapshot = await new LibraryGatherer(_immich.Gateway, NullLogger.Instance).GatherAsync(new HashSet<string>(), [], null, CancellationToken.None);
            var selected = BooruSelection.Select(config, snapshot, new RunOptions(), _clip);
            return await new BooruEnricher(config, new BooruServices(booru, store), _immich.Gateway, _clock, NullLogger.Instance).RunAsync(selected, "scope", CancellationToken.None);
        }

        var day1 = await Run();

        // 8 a day, margin 2: 6 searches, on the 6 most valuable assets, in order; no 429.
        var searched = booru.Calls.Select(c => c.Key).ToList();
        var byValue = assets.OrderByDescending(a => _clip.Probability(a.Id, "anime")).Select(a => MemoryBooruServices.Sha1(Thumbnail(a))).ToList();
        searched.Should().Equal(byValue.Take(6));
        booru.SauceNao.Http429.Should().Be(0);
        day1.Stats.Pending.Should().Be(6);
        day1.Stats.Stopped.Should().ContainKey(BooruSource.SauceNao).WhoseValue.Should().Contain("daily budget");
        (await store.GetQueueAsync("scope", CancellationToken.None)).Should().HaveCount(6);

        var sameDay = await Run();
        booru.Calls.Should().HaveCount(6, "the budget is spent until the window turns, also across runs");
        sameDay.Stats.Pending.Should().Be(6);

        _clock.Advance(TimeSpan.FromHours(24));
        var day2 = await Run();

        booru.Calls.Select(c => c.Key).Should().Equal(byValue, "day two continues with the next most valuable, never repeating one");
        booru.SauceNao.Http429.Should().Be(0);
        day2.Stats.Pending.Should().Be(0);
        (await store.GetQueueAsync("scope", CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_asset_download_the_md5_look_up_is_skipped_with_a_clear_message_and_the_searches_go_on()
    {
        using var limited = new FakeLibrary();
        var asset = limited.AddAsset("art.png");
        _clip.Set(asset.Id, "anime", 0.9);
        var key = limited.State.AddApiKey(limited.User.Id, "asset.read", "asset.view", "album.read", "tag.read", "user.read");
        using var gateway = limited.Server.ConnectInProcess(key, o => o with { MaxRetries = 0 });
        var snapshot = await new LibraryGatherer(gateway, NullLogger.Instance).GatherAsync(new HashSet<string>(), [], null, CancellationToken.None, knownUser: new Core.Domain.UserInfo(limited.User.Id, limited.User.Name, limited.User.Email));
        _booru.SauceNao.Answer(Thumbnail(asset), (70, 7000009));

        var tags = await new BooruEnricher(Config, new BooruServices(_booru, SqliteBooruStore.InFolder(_folder)), gateway, _clock, NullLogger.Instance)
            .RunAsync(BooruSelection.Select(Config, snapshot, new RunOptions(), _clip), "scope", CancellationToken.None);

        tags.Stats.Stopped[BooruSource.DanbooruMd5].Should().Contain("asset.download");
        tags.Results[asset.Id].Verdict.Should().Be(BooruVerdict.Pending, "danbooru_md5 was not asked: no verdict may take booru tags off yet");
        tags.Results[asset.Id].ReviewCandidates.Should().ContainSingle(c => c.Source == BooruSource.SauceNao, "the search that answered is kept");
        tags.DesiredFor(asset.Id).Should().BeNull("a pending asset keeps the booru tags it has");
        _booru.Calls.Select(c => c.Service).Should().NotContain("danbooru md5");
    }

    [Fact]
    public async Task Selection_takes_rules_or_the_clip_gate_orders_by_value_then_newest_and_leaves_photos_out()
    {
        var uploads = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        using var immich = new FakeLibrary(uploads);
        FakeAsset Illustration(string name, double clip)
        {
            uploads.Advance(TimeSpan.FromMinutes(1));
            var asset = immich.AddAsset(name);
            _clip.Set(asset.Id, "anime", clip);
            return asset;
        }

        var photo = immich.AddAsset("camera.jpg");
        _clip.Set(photo.Id, "anime", 0.6);
        _clip.SetLabel(photo.Id, "photo");
        var low = Illustration("low.png", 0.3);
        var high = Illustration("high.png", 0.95);
        var older = Illustration("older.png", 0.7);
        var newer = Illustration("newer.png", 0.7);
        var ruled = immich.AddAsset("saved.png");
        immich.TagAsset(ruled, "fanart");
        var config = Config with { Rules = [new RuleConfig { TagNames = ["fanart"] }] };
        var snapshot = await new LibraryGatherer(immich.Gateway, NullLogger.Instance).GatherAsync(new HashSet<string> { "fanart" }, [], null, CancellationToken.None);

        var selected = BooruSelection.Select(config, snapshot, new RunOptions(), _clip).Select(s => s.Asset.Id).ToList();

        selected.Should().Equal(high.Id, newer.Id, older.Id, ruled.Id);
        selected.Should().NotContain([photo.Id, low.Id]);
    }

    [Fact]
    public async Task Assets_the_run_filters_leave_out_are_never_selected_so_nothing_of_them_is_sent()
    {
        var shared = Illustration("shared.png", 0.9);
        var private_ = Illustration("private.png", 0.95);
        var other = Illustration("other.png", 0.8);
        _immich.TagAsset(private_, "private");
        var snapshot = await new LibraryGatherer(_immich.Gateway, NullLogger.Instance).GatherAsync(new HashSet<string> { "private" }, [], null, CancellationToken.None);
        IEnumerable<Guid> Selected(FiltersConfig? filters) => BooruSelection.Select(Config, snapshot, new RunOptions(), _clip, filters).Select(s => s.Asset.Id);

        Selected(null).Should().Equal(private_.Id, shared.Id, other.Id);
        Selected(new FiltersConfig { FilterOut = [new RuleConfig { TagNames = ["private"] }] }).Should().Equal(shared.Id, other.Id);
        Selected(new FiltersConfig { FilterIn = [new RuleConfig { AssetIds = [shared.Id] }] }).Should().Equal(shared.Id);

        var tags = await RunAsync(Config, filters: new FiltersConfig { FilterOut = [new RuleConfig { TagNames = ["private"] }] });

        tags.Results.Keys.Should().NotContain(private_.Id);
        _booru.Calls.Select(c => c.Key).Should().NotContain(MemoryBooruServices.Sha1(Thumbnail(private_))).And.NotContain(Md5Of(private_));
        _immich.Server.Requests.All.Should().NotContain(r => r.Path.Contains(private_.Id.ToString(), StringComparison.Ordinal) && (r.OperationId == "downloadAsset" || r.OperationId == "viewAsset"));
    }

    [Fact]
    public async Task The_CLIP_gate_never_selects_a_camera_photo_only_a_rule_does()
    {
        // A zero-shot label is wrong for a share of personal photos (a night shot called "painting"); the EXIF camera
        // says what the file is, and each mistake would send a private picture to SauceNAO and IQDB.
        var phone = Illustration("IMG_20190704_101010.jpg", 0.9);
        _immich.State.SetCamera(phone.Id, "Apple", "iPhone 12 Pro");
        var modelOnly = Illustration("DSC_0001.JPG", 0.9);
        _immich.State.SetCamera(modelOnly.Id, null, "ILCE-7M3");
        var drawing = Illustration("fanart.png", 0.9);
        var ruled = Illustration("scan_of_drawing.jpg", 0.9);
        _immich.State.SetCamera(ruled.Id, "Canon", "CanoScan");
        _immich.TagAsset(ruled, "fanart");
        var config = Config with { Rules = [new RuleConfig { TagNames = ["fanart"] }] };

        var walked = await new LibraryGatherer(_immich.Gateway, NullLogger.Instance).GatherAsync(new HashSet<string> { "fanart" }, [], null, CancellationToken.None, withExif: true);
        var selected = BooruSelection.Select(config, walked, new RunOptions(), _clip).Select(s => s.Asset.Id).ToList();

        selected.Should().BeEquivalentTo([drawing.Id, ruled.Id], "a rule is the user's explicit choice; the CLIP gate alone never picks a camera photo");
        new BooruFeatureStep(config, clipOn: true).Reads.Exif.Should().BeTrue("the walk must read the camera for the gate to see it");
        new BooruFeatureStep(config).Reads.Exif.Should().BeFalse("without CLIP there is no gate, and no page of the walk needs to grow");
    }

    [Fact]
    public async Task Newest_means_the_latest_upload_to_Immich_not_the_newest_file()
    {
        var uploads = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        using var immich = new FakeLibrary(uploads);
        var scanOfOldDrawing = immich.State.AddAsset(immich.User.Id, "scan.png", T0.AddYears(-20), "/library/scan.png");
        uploads.Advance(TimeSpan.FromDays(1));
        var recentFileUploadedEarlier = immich.State.AddAsset(immich.User.Id, "recent.png", T0.AddYears(-19), "/library/recent.png");
        uploads.Advance(TimeSpan.FromDays(1));
        var uploadedLast = immich.State.AddAsset(immich.User.Id, "old_scan.png", T0.AddYears(-30), "/library/old_scan.png");
        foreach (var asset in new[] { scanOfOldDrawing, recentFileUploadedEarlier, uploadedLast })
        {
            _clip.Set(asset.Id, "anime", 0.8);
        }

        var snapshot = await new LibraryGatherer(immich.Gateway, NullLogger.Instance).GatherAsync(new HashSet<string>(), [], null, CancellationToken.None);
        snapshot.Assets.Single(a => a.Id == uploadedLast.Id).UploadedAt.Should().Be(T0.AddDays(2), "the gateway reads Immich's createdAt");

        var selected = BooruSelection.Select(Config, snapshot, new RunOptions(), _clip).Select(s => s.Asset.Id).ToList();

        selected.Should().Equal([uploadedLast.Id, recentFileUploadedEarlier.Id, scanOfOldDrawing.Id], "equal values go newest upload first, whatever the files' own dates");
    }

    /// <summary>A CLIP outcome written by hand.</summary>
    private sealed class Scores : IIllustrationScores
    {
        private readonly Dictionary<(Guid, string), double> _probabilities = [];
        private readonly Dictionary<Guid, string> _labels = [];

        public void Set(Guid id, string label, double p)
        {
            _probabilities[(id, label)] = p;
            _labels.TryAdd(id, label);
        }

        public void SetLabel(Guid id, string label) => _labels[id] = label;

        public double? Probability(Guid assetId, string label) => _probabilities.TryGetValue((assetId, label), out var p) ? p : null;

        public string? Label(Guid assetId) => _labels.GetValueOrDefault(assetId);
    }
}
