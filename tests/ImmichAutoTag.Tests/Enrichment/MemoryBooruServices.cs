using System.Security.Cryptography;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Booru;

namespace ImmichAutoTag.Tests.Enrichment;

/// <summary>
/// In-memory booru services for the step's unit tests: a Danbooru with posts by MD5 and id, and reverse image
/// searches that answer by the uploaded bytes' SHA-256 and, for SauceNAO, keep both windows on the shared clock (a
/// search over the short or daily limit gets the 429 the real service sends). Every call is logged.
/// </summary>
internal sealed class MemoryBooruServices : IBooruClientFactory
{
    public MemoryBooruServices(TimeProvider clock, int shortLimit = 4, int longLimit = 100)
    {
        Posts = new MemoryDanbooru(this);
        SauceNao = new MemorySearch(this, BooruSource.SauceNao, clock, shortLimit, longLimit);
        Iqdb = new MemorySearch(this, BooruSource.Iqdb, clock, null, null);
    }

    public MemoryDanbooru Posts { get; }

    public MemorySearch SauceNao { get; }

    public MemorySearch Iqdb { get; }

    /// <summary>Every call: (service, key) where the key is an MD5, a post id or the upload's SHA-256.</summary>
    public List<(string Service, string Key)> Calls { get; } = [];

    public IReverseImageSearch? Search(BooruSourceConfig source) => source.Source switch
    {
        BooruSource.SauceNao => SauceNao,
        BooruSource.Iqdb => Iqdb,
        _ => null,
    };

    IDanbooruClient IBooruClientFactory.Danbooru(BooruConfig config) => Posts;

    public static BooruPost Post(long id, string? md5 = null, string character = "hu_tao_(genshin_impact)", BooruRating rating = BooruRating.Sensitive) =>
        new(id, md5, rating, [character], ["genshin_impact"], ["example_artist"], ["1girl", "long_hair"], ["highres"]);

    public static string Sha1(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal sealed class MemoryDanbooru(MemoryBooruServices owner) : IDanbooruClient
    {
        public Dictionary<string, BooruPost> ByMd5 { get; } = new(StringComparer.Ordinal);

        public Dictionary<long, BooruPost> ById { get; } = [];

        public void Add(BooruPost post)
        {
            ById[post.Id] = post;
            if (post.Md5 is { } md5)
            {
                ByMd5[md5] = post;
            }
        }

        public Task<BooruPost?> GetPostByMd5Async(string md5, CancellationToken ct)
        {
            owner.Calls.Add(("danbooru md5", md5));
            return Task.FromResult(ByMd5.GetValueOrDefault(md5));
        }

        public Task<BooruPost?> GetPostAsync(long id, CancellationToken ct)
        {
            owner.Calls.Add(("danbooru post", id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Task.FromResult(ById.GetValueOrDefault(id));
        }
    }

    internal sealed class MemorySearch(MemoryBooruServices owner, BooruSource source, TimeProvider clock, int? shortLimit, int? longLimit) : IReverseImageSearch
    {
        private readonly List<DateTimeOffset> _sent = [];
        private DateTimeOffset? _dayStart;
        private int _today;

        /// <summary>Upload SHA-256 → candidates.</summary>
        public Dictionary<string, IReadOnlyList<ReverseSearchMatch>> Answers { get; } = new(StringComparer.Ordinal);

        public int Http429 { get; private set; }

        public BooruSource Source => source;

        public void Answer(byte[] upload, params (double Similarity, long? DanbooruId)[] matches) =>
            Answers[Sha1(upload)] = matches
                .Select(m => new ReverseSearchMatch(source, m.Similarity, m.DanbooruId, null, m.DanbooruId is { } id ? [new Uri($"https://danbooru.donmai.us/posts/{id}")] : [new Uri("https://example.net/art/1")]))
                .ToList();

        public Task<ReverseSearchAnswer> SearchAsync(ReadOnlyMemory<byte> image, string fileName, CancellationToken ct)
        {
            var key = Sha1(image.Span);
            owner.Calls.Add((source.ToString(), key));
            var now = clock.GetUtcNow();
            SearchQuota? quota = null;
            if (shortLimit is { } limit && longLimit is { } daily)
            {
                if (_dayStart is not { } start || now >= start.AddHours(24))
                {
                    _dayStart = now;
                    _today = 0;
                }

                _sent.RemoveAll(t => t <= now.AddSeconds(-30));
                if (_sent.Count >= limit || _today >= daily)
                {
                    Http429++;
                    throw new BooruException(source, _today >= daily ? BooruFailure.DailyLimitReached : BooruFailure.ShortWindowExhausted, "HTTP 429 from the fake");
                }

                _sent.Add(now);
                _today++;
                quota = new SearchQuota(limit, limit - _sent.Count, daily, daily - _today);
            }

            return Task.FromResult(new ReverseSearchAnswer(Answers.GetValueOrDefault(key) ?? [], quota));
        }
    }
}
