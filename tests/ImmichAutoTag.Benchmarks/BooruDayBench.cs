using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// <c>--booru-day</c>: two simulated days of the booru step on a virtual clock over a library of illustrations in the
/// fake Immich (in-process): a scheduled run every hour, each looking up for at most <c>max_run_minutes</c>, with the
/// state database (cache, quota, queue) kept between runs and days. The booru services are in-process fakes of the
/// step's ports that enforce SauceNAO's two windows (a search beyond them gets the service's 429) and answer from a
/// seeded table. Reports 429s, the share of the daily SauceNAO quota spent and on which assets, repeated look-ups,
/// matches per source and cache hits, per day.
/// </summary>
internal static class BooruDayBench
{
    public const string Usage = "usage: dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --booru-day [--json FILE] [--assets N] [--daily N] [--seed N]";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly DateTimeOffset DayOne = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken ct)
    {
        string? json = null;
        int assets = 10_000, daily = 100, seed = 15;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--booru-day":
                    break;
                case "--json" when i + 1 < args.Count:
                    json = args[++i];
                    break;
                case "--assets" when i + 1 < args.Count:
                    assets = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--daily" when i + 1 < args.Count:
                    daily = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seed" when i + 1 < args.Count:
                    seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    await Console.Error.WriteLineAsync(Usage);
                    return 2;
            }
        }

        var wall = Stopwatch.StartNew();
        var clock = new VirtualClock(DayOne);
        await using var server = FakeImmichServer.Create(new FakeImmichOptions { Clock = clock });
        var user = server.State.AddUser("Owner", "owner@example.com", isAdmin: true);
        var key = server.State.AddApiKey(user.Id, "all");
        using var gateway = server.ConnectInProcess(key, o => o with { MaxRetries = 0 });

        // The library: every asset an illustration with a CLIP value; some byte-identical to a Danbooru post, some
        // found by SauceNAO (above or between the bars), some by IQDB only.
        var random = new Random(seed);
        var scores = new Scores();
        var booru = new DayFakes(clock, shortLimit: 4, longLimit: daily);
        var truth = new Dictionary<Guid, string>();
        for (var i = 0; i < assets; i++)
        {
            var asset = server.State.AddAsset(user.Id, $"art{i:00000}.png", DayOne.AddDays(-365).AddMinutes(i), $"/library/art{i:00000}.png");
            scores.Set(asset.Id, 0.5 + (random.NextDouble() / 2));
            var roll = random.NextDouble();
            var postId = 5_000_000L + i;
            if (roll < 0.15)
            {
                booru.Posts[postId] = Post(postId);
                booru.ByMd5[Md5(asset.Original())] = booru.Posts[postId];
                truth[asset.Id] = "danbooru_md5";
            }
            else if (roll < 0.60)
            {
                booru.Posts[postId] = Post(postId);
                booru.SauceAnswers[asset.Id] = (91 + (random.NextDouble() * 8), postId);
                booru.IqdbAnswers[asset.Id] = (92, postId);
                truth[asset.Id] = "saucenao";
            }
            else if (roll < 0.70)
            {
                booru.SauceAnswers[asset.Id] = (75, postId);
                truth[asset.Id] = "review";
            }
            else if (roll < 0.80)
            {
                booru.Posts[postId] = Post(postId);
                booru.IqdbAnswers[asset.Id] = (93, postId);
                truth[asset.Id] = "iqdb";
            }
        }

        booru.ThumbnailOwner = server.State;
        var folder = Directory.CreateTempSubdirectory("booru-day-").FullName;
        try
        {
            var store = SqliteBooruStore.InFolder(folder);
            var config = new BooruConfig { Enabled = true, MaxRunMinutes = 30, DailyBudgetMargin = 0 };
            var snapshot = await new LibraryGatherer(gateway, NullLogger.Instance).GatherAsync(new HashSet<string>(), [], null, ct);
            var selected = BooruSelection.Select(config, snapshot, new RunOptions(), scores);
            var rank = selected.Select((s, i) => (s.Asset.Id, i)).ToDictionary(x => x.Id, x => x.i);
            var days = new List<Dictionary<string, object?>>();
            var sauceSearchedBefore = new HashSet<Guid>();
            for (var day = 0; day < 2; day++)
            {
                var start = DayOne.AddDays(day);
                var sauceBefore = booru.SauceSearches.Count;
                var http429Before = booru.Http429;
                var hits = new Dictionary<BooruLookupKind, int>();
                var looked = new Dictionary<BooruLookupKind, int>();
                BooruTags? last = null;
                for (var hour = 0; hour < 24; hour++)
                {
                    var at = start.AddHours(hour);
                    if (clock.GetUtcNow() < at)
                    {
                        clock.Advance(at - clock.GetUtcNow());
                    }

                    last = await new BooruEnricher(config, new BooruServices(booru, store), gateway, clock, NullLogger.Instance).RunAsync(selected, "bench", ct);
                    foreach (var (k, n) in last.Stats.CacheHits)
                    {
                        hits[k] = hits.GetValueOrDefault(k) + n;
                    }

                    foreach (var (k, n) in last.Stats.LookedUp)
                    {
                        looked[k] = looked.GetValueOrDefault(k) + n;
                    }
                }

                // Spent on the highest values: no asset still waiting for SauceNAO at the day's end ranks above one it searched.
                var searchedToday = booru.SauceSearches.Skip(sauceBefore).ToList();
                var waiting = last!.Results.Values.Where(r => r.Verdict == BooruVerdict.Pending && !sauceSearchedBefore.Contains(r.AssetId) && !searchedToday.Contains(r.AssetId)).Select(r => rank[r.AssetId]).DefaultIfEmpty(int.MaxValue).Min();
                var onTop = searchedToday.Count(id => rank[id] < waiting);
                sauceSearchedBefore.UnionWith(searchedToday);
                var verdicts = last.Results.Values.GroupBy(r => r.Verdict).ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count());
                days.Add(new Dictionary<string, object?>
                {
                    ["day"] = day + 1,
                    ["http_429"] = booru.Http429 - http429Before,
                    ["saucenao_searches"] = searchedToday.Count,
                    ["saucenao_daily_limit"] = daily,
                    ["quota_used_fraction"] = Math.Round(searchedToday.Count / (double)daily, 4),
                    ["quota_on_highest_value_fraction"] = searchedToday.Count == 0 ? 0 : Math.Round(onTop / (double)searchedToday.Count, 4),
                    ["repeated_lookups"] = booru.Repeated(),
                    ["matched_by_source"] = last.Stats.MatchedBySource.OrderBy(kv => kv.Key).ToDictionary(kv => BooruAssetResult.SourceName(kv.Key), kv => kv.Value),
                    ["lookups_sent"] = looked.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                    ["cache_hits"] = hits.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                    ["verdicts_end_of_day"] = verdicts,
                    ["queued_end_of_day"] = (await store.GetQueueAsync("bench", ct)).Count,
                    ["virtual_clock_end"] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                });
            }

            var result = new Dictionary<string, object?>
            {
                ["booru_day"] = new Dictionary<string, object?>
                {
                    ["assets"] = assets,
                    ["selected"] = selected.Count,
                    ["runs_per_day"] = 24,
                    ["max_run_minutes"] = config.MaxRunMinutes,
                    ["saucenao_short_limit"] = 4,
                    ["saucenao_daily_limit"] = daily,
                    ["http_429"] = booru.Http429,
                    ["quota_used_fraction"] = days[0]["quota_used_fraction"],
                    ["quota_on_highest_value_fraction"] = days[0]["quota_on_highest_value_fraction"],
                    ["repeated_lookups"] = booru.Repeated(),
                    ["matched_by_source"] = days[^1]["matched_by_source"],
                    ["cache_hits"] = days[^1]["cache_hits"],
                    ["library_truth"] = truth.Values.GroupBy(v => v).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
                    ["days"] = days,
                    ["wall_seconds"] = Math.Round(wall.Elapsed.TotalSeconds, 1),
                },
            };
            var text = JsonSerializer.Serialize(result, Indented);
            await output.WriteLineAsync(text);
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, text, ct);
            }

            return booru.Http429 == 0 && booru.Repeated() == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static BooruPost Post(long id) => new(id, null, BooruRating.General, ["character_" + id], ["series_" + (id % 50)], ["artist_" + (id % 300)], ["1girl", "solo"], []);

    // Danbooru's file identifier, not security.
#pragma warning disable CA5351
    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351

    private sealed class Scores : IIllustrationScores
    {
        private readonly Dictionary<Guid, double> _values = [];

        public void Set(Guid id, double value) => _values[id] = value;

        public double? Probability(Guid assetId, string label) => label == "anime" && _values.TryGetValue(assetId, out var v) ? v : null;

        public string? Label(Guid assetId) => _values.ContainsKey(assetId) ? "anime" : null;
    }

    /// <summary>The booru services of the simulated day: answers by asset (found from the uploaded thumbnail), SauceNAO's windows enforced.</summary>
    private sealed class DayFakes(TimeProvider clock, int shortLimit, int longLimit) : IBooruClientFactory, IDanbooruClient
    {
        private readonly List<DateTimeOffset> _window = [];
        private readonly Dictionary<string, int> _answered = new(StringComparer.Ordinal);
        private Dictionary<string, Guid>? _byThumbnail;
        private DateTimeOffset? _dayStart;
        private int _today;

        public Dictionary<long, BooruPost> Posts { get; } = [];

        public Dictionary<string, BooruPost> ByMd5 { get; } = new(StringComparer.Ordinal);

        public Dictionary<Guid, (double Similarity, long PostId)> SauceAnswers { get; } = [];

        public Dictionary<Guid, (double Similarity, long PostId)> IqdbAnswers { get; } = [];

        public List<Guid> SauceSearches { get; } = [];

        public int Http429 { get; private set; }

        public FakeImmichState? ThumbnailOwner { get; set; }

        public int Repeated() => _answered.Values.Count(n => n > 1);

        public IDanbooruClient Danbooru(BooruConfig config) => this;

        public IReverseImageSearch? Search(BooruSourceConfig source) => source.Source switch
        {
            BooruSource.SauceNao => new Engine(this, BooruSource.SauceNao),
            BooruSource.Iqdb => new Engine(this, BooruSource.Iqdb),
            _ => null,
        };

        public Task<BooruPost?> GetPostByMd5Async(string md5, CancellationToken ct)
        {
            Answered("md5:" + md5);
            return Task.FromResult(ByMd5.GetValueOrDefault(md5));
        }

        public Task<BooruPost?> GetPostAsync(long id, CancellationToken ct)
        {
            Answered("post:" + id.ToString(CultureInfo.InvariantCulture));
            return Task.FromResult(Posts.GetValueOrDefault(id));
        }

        private void Answered(string key) => _answered[key] = _answered.GetValueOrDefault(key) + 1;

        private Guid AssetOf(ReadOnlyMemory<byte> upload)
        {
            // The fake Immich's thumbnails differ per asset colour; index them once.
            _byThumbnail ??= ThumbnailOwner!.Assets.ToDictionary(a => Convert.ToHexString(SHA256.HashData(FakeThumbnails.Webp(a.ThumbnailColour ?? FakeThumbnails.ColourOf(a.Id)))), a => a.Id, StringComparer.Ordinal);
            return _byThumbnail.GetValueOrDefault(Convert.ToHexString(SHA256.HashData(upload.Span)));
        }

        private ReverseSearchAnswer Sauce(Guid asset)
        {
            var now = clock.GetUtcNow();
            if (_dayStart is not { } start || now >= start.AddHours(24))
            {
                _dayStart = now;
                _today = 0;
            }

            _window.RemoveAll(t => t <= now.AddSeconds(-30));
            if (_today >= longLimit || _window.Count >= shortLimit)
            {
                Http429++;
                throw new BooruException(BooruSource.SauceNao, _today >= longLimit ? BooruFailure.DailyLimitReached : BooruFailure.ShortWindowExhausted, "HTTP 429");
            }

            _window.Add(now);
            _today++;
            SauceSearches.Add(asset);
            Answered("saucenao:" + asset);
            var quota = new SearchQuota(shortLimit, shortLimit - _window.Count, longLimit, longLimit - _today);
            return SauceAnswers.TryGetValue(asset, out var a)
                ? new ReverseSearchAnswer([new ReverseSearchMatch(BooruSource.SauceNao, a.Similarity, a.PostId, null, [new Uri($"https://danbooru.donmai.us/posts/{a.PostId}")])], quota)
                : new ReverseSearchAnswer([], quota);
        }

        private ReverseSearchAnswer Iqdb(Guid asset)
        {
            Answered("iqdb:" + asset);
            return IqdbAnswers.TryGetValue(asset, out var a)
                ? new ReverseSearchAnswer([new ReverseSearchMatch(BooruSource.Iqdb, a.Similarity, a.PostId, null, [new Uri($"https://danbooru.donmai.us/posts/{a.PostId}")])], null)
                : new ReverseSearchAnswer([], null);
        }

        private sealed class Engine(DayFakes owner, BooruSource source) : IReverseImageSearch
        {
            public BooruSource Source => source;

            public Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct)
            {
                var asset = owner.AssetOf(image);
                return Task.FromResult(source == BooruSource.SauceNao ? owner.Sauce(asset) : owner.Iqdb(asset));
            }
        }
    }
}
