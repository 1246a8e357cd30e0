using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// <c>--booru-day</c>: two simulated days of the booru step on a virtual clock over a library of illustrations in the
/// test kit's fake Immich: a scheduled run every hour, each looking up for at most <c>max_run_minutes</c>, with the
/// state database (cache, quota, queue) kept between runs and days. Everything goes over HTTP on 127.0.0.1: the
/// product's gateway to the fake Immich, and the product's booru clients (built as the CLI builds them, keys from the
/// environment) to the test kit's Danbooru, SauceNAO and IQDB fakes, which enforce SauceNAO's two windows and a
/// Danbooru read rate on the same virtual clock (a request beyond them gets the service's 429). Reports, from the
/// fakes' own request logs, 429s, the share of the daily SauceNAO quota spent and on which assets, repeated look-ups,
/// and from the step matches per source and cache hits, per day.
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
        await using var server = await FakeImmichServer.StartAsync(new FakeImmichOptions { Clock = clock }, ct);
        var user = server.State.AddUser("Owner", "owner@example.com", isAdmin: true);
        var key = server.State.AddApiKey(user.Id, "all");
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(server.BaseUrl, key));

        // The library: every asset an illustration with a CLIP value, its thumbnail a distinct real WebP; the booru
        // fakes know each asset's original and thumbnail bytes in IllustrationLibrary.Synthetic's fixed mix (Danbooru
        // files, SauceNAO hits and near misses, IQDB-only hits, unknown pictures).
        var random = new Random(seed);
        var scores = new Scores();
        var byNumber = new List<Guid>(assets);
        using var colours = DistinctThumbnails().GetEnumerator();
        var library = IllustrationLibrary.Synthetic(assets, i =>
        {
            var asset = server.State.AddAsset(user.Id, $"art{i:00000}.png", DayOne.AddDays(-365).AddMinutes(i), $"/library/art{i:00000}.png");
            colours.MoveNext();
            var (colour, webp) = colours.Current;
            asset.ThumbnailColour = colour;
            scores.Set(asset.Id, 0.5 + (random.NextDouble() / 2));
            byNumber.Add(asset.Id);
            return (asset.Original(), webp);
        });
        await using var booru = await BooruFakes.StartAsync(library, clock, listen: true, shortLimit: ShortLimit, longLimit: daily, danbooruReadsPerSecond: DanbooruReadsPerSecond, ct: ct);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SAUCENAO_API_KEY"] = BooruFakes.SauceNaoKey,
            ["DANBOORU_LOGIN"] = BooruFakes.DanbooruLogin,
            ["DANBOORU_API_KEY"] = BooruFakes.DanbooruApiKey,
        };
        using var clients = new BooruClientsForConfig(NullLoggerFactory.Instance, clock, name => environment.GetValueOrDefault(name));

        var folder = Directory.CreateTempSubdirectory("booru-day-").FullName;
        try
        {
            var store = new TimedStore(SqliteBooruStore.InFolder(folder));
            var config = new BooruConfig
            {
                Enabled = true,
                MaxRunMinutes = 30,
                DailyBudgetMargin = 0,
                DanbooruUrl = booru.Danbooru.BaseUrl.ToString(),
                Sources =
                [
                    new(BooruSource.DanbooruMd5),
                    new(BooruSource.SauceNao, 90, 70, booru.SauceNao.BaseUrl.ToString()),
                    new(BooruSource.Iqdb, 90, 75, booru.Iqdb.BaseUrl.ToString()),
                ],
            };
            var snapshot = await new LibraryGatherer(gateway, NullLogger.Instance).GatherAsync(new HashSet<string>(), [], null, ct);
            var selected = BooruSelection.Select(config, snapshot, new RunOptions(), scores);
            var rank = selected.Select((s, i) => (s.Asset.Id, i)).ToDictionary(x => x.Id, x => x.i);
            var assetOfUpload = library.All.ToDictionary(p => p.UploadMd5, p => byNumber[p.Number], StringComparer.Ordinal);
            var days = new List<Dictionary<string, object?>>();
            var sauceSearchedBefore = new HashSet<Guid>();
            var runSeconds = new List<double>();
            for (var day = 0; day < 2; day++)
            {
                var start = DayOne.AddDays(day);
                var logBefore = Logs(booru).ToDictionary(l => l.Key, l => l.Value.Count, StringComparer.Ordinal);
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

                    var run = Stopwatch.StartNew();
                    last = await new BooruEnricher(config, new BooruServices(clients, store), gateway, clock, NullLogger.Instance).RunAsync(selected, "bench", ct);
                    runSeconds.Add(run.Elapsed.TotalSeconds);
                    foreach (var (k, n) in last.Stats.CacheHits)
                    {
                        hits[k] = hits.GetValueOrDefault(k) + n;
                    }

                    foreach (var (k, n) in last.Stats.LookedUp)
                    {
                        looked[k] = looked.GetValueOrDefault(k) + n;
                    }
                }

                // What the fakes saw today (their own request logs: the measure is the services', not the tool's).
                var today = Logs(booru).ToDictionary(l => l.Key, l => l.Value.Skip(logBefore[l.Key]).ToList(), StringComparer.Ordinal);
                var searchedToday = today["saucenao"].Where(r => r.StatusCode == 200).Select(r => assetOfUpload[Md5Of(r)]).ToList();

                // Spent on the highest values: no asset still waiting for SauceNAO at the day's end ranks above one it searched.
                var waiting = last!.Results.Values.Where(r => r.Verdict == BooruVerdict.Pending && !sauceSearchedBefore.Contains(r.AssetId) && !searchedToday.Contains(r.AssetId)).Select(r => rank[r.AssetId]).DefaultIfEmpty(int.MaxValue).Min();
                var onTop = searchedToday.Count(id => rank[id] < waiting);
                sauceSearchedBefore.UnionWith(searchedToday);
                var verdicts = last.Results.Values.GroupBy(r => r.Verdict).ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count());
                days.Add(new Dictionary<string, object?>
                {
                    ["day"] = day + 1,
                    ["http_429"] = today.Values.Sum(l => l.Count(r => r.StatusCode == 429)),
                    ["saucenao_searches"] = searchedToday.Count,
                    ["saucenao_daily_limit"] = daily,
                    ["quota_used_fraction"] = Math.Round(searchedToday.Count / (double)daily, 4),
                    ["quota_on_highest_value_fraction"] = searchedToday.Count == 0 ? 0 : Math.Round(onTop / (double)searchedToday.Count, 4),
                    ["repeated_lookups"] = Repeated(booru),
                    ["requests_by_service"] = today.ToDictionary(l => l.Key, l => l.Value.Count, StringComparer.Ordinal),
                    ["matched_by_source"] = last.Stats.MatchedBySource.OrderBy(kv => kv.Key).ToDictionary(kv => BooruAssetResult.SourceName(kv.Key), kv => kv.Value),
                    ["lookups_sent"] = looked.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                    ["cache_hits"] = hits.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                    ["verdicts_end_of_day"] = verdicts,
                    ["queued_end_of_day"] = (await store.GetQueueAsync("bench", ct)).Count,
                    ["virtual_clock_end"] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                });
            }

            var http429 = Logs(booru).Values.Sum(l => l.Count(r => r.StatusCode == 429));
            var repeated = Repeated(booru);
            var result = new Dictionary<string, object?>
            {
                ["booru_day"] = new Dictionary<string, object?>
                {
                    ["assets"] = assets,
                    ["selected"] = selected.Count,
                    ["runs_per_day"] = 24,
                    ["max_run_minutes"] = config.MaxRunMinutes,
                    ["transport"] = "HTTP on 127.0.0.1: TestKit fake Immich and booru fakes (Danbooru, SauceNAO, IQDB), product clients via BooruClientsForConfig",
                    ["saucenao_short_limit"] = ShortLimit,
                    ["saucenao_daily_limit"] = daily,
                    ["danbooru_reads_per_second"] = DanbooruReadsPerSecond,
                    ["http_429"] = http429,
                    ["quota_used_fraction"] = days[0]["quota_used_fraction"],
                    ["quota_on_highest_value_fraction"] = days[0]["quota_on_highest_value_fraction"],
                    ["repeated_lookups"] = repeated,
                    ["matched_by_source"] = days[^1]["matched_by_source"],
                    ["cache_hits"] = days[^1]["cache_hits"],
                    ["library_truth"] = Truth(library),
                    ["days"] = days,
                    ["store_seconds_by_operation"] = store.Seconds(),
                    ["store_calls_by_operation"] = store.Calls(),
                    ["cpu_seconds"] = Math.Round(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, 1),
                    ["run_seconds_max"] = Math.Round(runSeconds.Max(), 2),
                    ["run_seconds_median"] = Math.Round(runSeconds.Order().ElementAt(runSeconds.Count / 2), 2),
                    ["wall_seconds"] = Math.Round(wall.Elapsed.TotalSeconds, 1),
                },
            };
            var text = JsonSerializer.Serialize(result, Indented);
            await output.WriteLineAsync(text);
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, text, ct);
            }

            return http429 == 0 && repeated == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const int ShortLimit = 4;

    // Danbooru does not limit reads; the fake does, above the client's own pacing (2 per second, burst 2), to show none is exceeded.
    private const int DanbooruReadsPerSecond = 4;

    private static Dictionary<string, IReadOnlyList<RecordedRequest>> Logs(BooruFakes booru) => new(StringComparer.Ordinal)
    {
        ["danbooru"] = booru.Danbooru.Requests.All,
        ["saucenao"] = booru.SauceNao.Requests.All,
        ["iqdb"] = booru.Iqdb.Requests.All,
    };

    /// <summary>Look-ups a service answered (any answer but a refusal for pace) more than once: Danbooru by URL, searches by the upload's MD5.</summary>
    private static int Repeated(BooruFakes booru) => Logs(booru)
        .SelectMany(l => l.Value.Where(r => r.StatusCode is >= 200 and < 500 and not 429).Select(r => l.Key + " " + (l.Key == "danbooru" ? r.Path : Md5Of(r))))
        .GroupBy(k => k, StringComparer.Ordinal)
        .Count(g => g.Count() > 1);

    private static string Md5Of(RecordedRequest request) => request.Body is { } body && body.StartsWith("file md5=", StringComparison.Ordinal) ? body["file md5=".Length..] : "";

    private static Dictionary<string, int> Truth(IllustrationLibrary library) => library.All
        .GroupBy(p => p.OriginalOnDanbooru ? "danbooru_md5" : p.SauceNaoSimilarity >= 90 ? "saucenao" : p.IqdbSimilarity >= 90 ? "iqdb" : p.SauceNaoSimilarity >= 70 ? "review" : "unknown")
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Thumbnail colours whose WebP bytes all differ (the reverse-search fakes know a picture by its upload's MD5).</summary>
    private static IEnumerable<((byte R, byte G, byte B) Colour, byte[] Webp)> DistinctThumbnails()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n < 1 << 15; n++)
        {
            // 32 levels per channel, 8 apart: lossy WebP keeps them apart; a collision is skipped anyway.
            var colour = ((byte)(((n >> 10) & 31) * 8), (byte)(((n >> 5) & 31) * 8), (byte)((n & 31) * 8));
            var webp = FakeThumbnails.Webp(colour);
            if (seen.Add(Convert.ToHexString(SHA256.HashData(webp))))
            {
                yield return (colour, webp);
            }
        }

        throw new InvalidOperationException("no more distinct thumbnails");
    }

    private sealed class Scores : IIllustrationScores
    {
        private readonly Dictionary<Guid, double> _values = [];

        public void Set(Guid id, double value) => _values[id] = value;

        public double? Probability(Guid assetId, string label) => label == "anime" && _values.TryGetValue(assetId, out var v) ? v : null;

        public string? Label(Guid assetId) => _values.ContainsKey(assetId) ? "anime" : null;
    }

    /// <summary>The store, timed per operation: where the step's time goes besides HTTP (wall time, any load).</summary>
    private sealed class TimedStore(IBooruStore inner) : IBooruStore
    {
        private readonly Dictionary<string, (int Calls, TimeSpan Time)> _spent = new(StringComparer.Ordinal);

        public Dictionary<string, double> Seconds() => _spent.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value.Time.TotalSeconds, 2), StringComparer.Ordinal);

        public Dictionary<string, int> Calls() => _spent.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.Calls, StringComparer.Ordinal);

        public Task<IReadOnlyDictionary<(BooruLookupKind Kind, string Key), BooruLookup>> GetLookupsAsync(IReadOnlyCollection<(BooruLookupKind Kind, string Key)> keys, CancellationToken ct) => TimeAsync("get_lookups", () => inner.GetLookupsAsync(keys, ct));

        public Task SaveLookupAsync(BooruLookup lookup, QuotaState? quota, CancellationToken ct) => TimeAsync("save_lookup", async () => { await inner.SaveLookupAsync(lookup, quota, ct); return 0; });

        public Task<QuotaState> GetQuotaAsync(BooruSource source, CancellationToken ct) => TimeAsync("get_quota", () => inner.GetQuotaAsync(source, ct));

        public Task SaveQuotaAsync(QuotaState state, CancellationToken ct) => TimeAsync("save_quota", async () => { await inner.SaveQuotaAsync(state, ct); return 0; });

        public Task<IReadOnlyList<BooruQueueItem>> GetQueueAsync(string scope, CancellationToken ct) => TimeAsync("get_queue", () => inner.GetQueueAsync(scope, ct));

        public Task ReplaceQueueAsync(string scope, IReadOnlyList<BooruQueueItem> items, CancellationToken ct) => TimeAsync("replace_queue", async () => { await inner.ReplaceQueueAsync(scope, items, ct); return 0; });

        public Task RemoveFromQueueAsync(string scope, IReadOnlyCollection<string> checksums, CancellationToken ct) => TimeAsync("remove_from_queue", async () => { await inner.RemoveFromQueueAsync(scope, checksums, ct); return 0; });

        public Task ReleaseAsync() => TimeAsync("release", async () => { await inner.ReleaseAsync(); return 0; });

        private async Task<T> TimeAsync<T>(string name, Func<Task<T>> call)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                return await call();
            }
            finally
            {
                var (calls, time) = _spent.GetValueOrDefault(name);
                _spent[name] = (calls + 1, time + watch.Elapsed);
            }
        }
    }
}
