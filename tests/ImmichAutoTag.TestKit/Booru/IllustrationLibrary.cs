using System.Globalization;
using System.Text;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>A Danbooru post as the fakes serve it (tags in Danbooru's canonical form).</summary>
/// <param name="Id">The post id.</param>
/// <param name="Md5">The MD5 of Danbooru's file (lowercase hex).</param>
/// <param name="Rating"><c>g</c>, <c>s</c>, <c>q</c> or <c>e</c> (or whatever a test wants to send).</param>
public sealed record FakeBooruPost(long Id, string Md5, string Rating)
{
    /// <summary>Character tags.</summary>
    public IReadOnlyList<string> Characters { get; init; } = [];

    /// <summary>Copyright (series) tags.</summary>
    public IReadOnlyList<string> Copyrights { get; init; } = [];

    /// <summary>Artist tags.</summary>
    public IReadOnlyList<string> Artists { get; init; } = [];

    /// <summary>General tags.</summary>
    public IReadOnlyList<string> General { get; init; } = [];

    /// <summary>Meta tags.</summary>
    public IReadOnlyList<string> Meta { get; init; } = [];

    /// <summary>False: Danbooru hides <c>md5</c> and the file URLs from the requester (banned or Gold-only posts); tags stay.</summary>
    public bool FileVisible { get; init; } = true;

    /// <summary>The Gelbooru id of the same picture.</summary>
    public long? GelbooruId { get; init; }
}

/// <summary>How SauceNAO names the Danbooru post of a booru-index result.</summary>
public enum SauceNaoLink
{
    /// <summary><c>data.danbooru_id</c> and <c>data.gelbooru_id</c>, plus both <c>ext_urls</c> (the usual booru result).</summary>
    DataIds,

    /// <summary>No id fields; only the new-form URL <c>https://danbooru.donmai.us/posts/N</c>.</summary>
    PostsUrl,

    /// <summary>No id fields; only the old-form URL <c>https://danbooru.donmai.us/post/show/N</c>.</summary>
    PostShowUrl,

    /// <summary>A Gelbooru-index result (index 25): <c>gelbooru_id</c> and the Gelbooru URL only.</summary>
    GelbooruOnly,
}

/// <summary>What IQDB shows for an upload besides its matches.</summary>
public enum IqdbFixture
{
    /// <summary>The ordinary result page.</summary>
    Results,

    /// <summary>The error page "Not an image or image format not supported".</summary>
    NotAnImage,
}

/// <summary>
/// One picture of an <see cref="IllustrationLibrary"/>: the bytes of the user's file (<see cref="Original"/>, hashed
/// for Danbooru's MD5 look-up) and of what gets uploaded to reverse search (<see cref="Upload"/>, e.g. Immich's
/// thumbnail), the Danbooru post it is, and which services know it at what similarity.
/// </summary>
public sealed class Illustration
{
    internal Illustration(int number, byte[] original, byte[] upload, FakeBooruPost? post)
    {
        Number = number;
        Original = original;
        Upload = upload;
        OriginalMd5 = FakeForm.Md5(original);
        UploadMd5 = FakeForm.Md5(upload);
        Post = post;
    }

    /// <summary>Its position in the library (0-based).</summary>
    public int Number { get; }

    /// <summary>The user's file.</summary>
    public byte[] Original { get; }

    /// <summary>What the tool uploads to SauceNAO/IQDB/ASCII2D for it.</summary>
    public byte[] Upload { get; }

    /// <summary>MD5 of <see cref="Original"/>.</summary>
    public string OriginalMd5 { get; }

    /// <summary>MD5 of <see cref="Upload"/>: the key of the reverse-search fakes.</summary>
    public string UploadMd5 { get; }

    /// <summary>The Danbooru post the picture is; null for a picture no booru has.</summary>
    public FakeBooruPost? Post { get; }

    /// <summary>Danbooru has this very file: <c>/posts.json?md5=</c> with <see cref="OriginalMd5"/> finds <see cref="Post"/>.</summary>
    public bool OriginalOnDanbooru { get; init; }

    /// <summary>SauceNAO's similarity for the post's result (percent); null when SauceNAO does not find it.</summary>
    public double? SauceNaoSimilarity { get; init; }

    /// <summary>How SauceNAO names the post.</summary>
    public SauceNaoLink SauceNaoLink { get; init; }

    /// <summary>A negative <c>header.status</c> SauceNAO answers instead of results (-3 unusable, -4/-6 not processed, -5 too large, -1 no API access).</summary>
    public int? SauceNaoStatus { get; init; }

    /// <summary>IQDB's similarity for the post's match (integer percent on the page); null when IQDB does not find it.</summary>
    public int? IqdbSimilarity { get; init; }

    /// <summary>What IQDB shows instead of results, if anything.</summary>
    public IqdbFixture IqdbFixture { get; init; }

    /// <summary>ASCII2D lists the picture (with its pixiv source).</summary>
    public bool OnAscii2d { get; init; }
}

/// <summary>
/// The pictures the booru fakes know: image bytes ↔ post facts ↔ which services know them at what similarity. Share
/// one library between <see cref="FakeDanbooru"/>, <see cref="FakeSauceNao"/>, <see cref="FakeIqdb"/> and
/// <see cref="FakeAscii2d"/>; look-ups are dictionary hits, so 10,000 pictures cost nothing per request. Thread-safe
/// for reads after the pictures are added.
/// </summary>
public sealed class IllustrationLibrary
{
    private readonly Lock _gate = new();
    private readonly List<Illustration> _all = [];
    private readonly Dictionary<string, Illustration> _byUpload = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeBooruPost> _postsByMd5 = new(StringComparer.Ordinal);
    private readonly Dictionary<long, FakeBooruPost> _postsById = [];

    /// <summary>Every picture, in the order added.</summary>
    public IReadOnlyList<Illustration> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>
    /// Adds a picture. Bytes default to small unique stand-ins (the fakes never decode images); a post defaults to
    /// one made from the picture's number (<see cref="SamplePost"/>) when any booru service is to know it.
    /// </summary>
    /// <param name="post">The Danbooru post; null with no service knowing it makes a picture nobody has.</param>
    /// <param name="original">The user's file; its MD5 is what Danbooru is asked.</param>
    /// <param name="upload">The uploaded thumbnail; its MD5 keys the reverse-search fakes. Must differ between pictures.</param>
    /// <param name="originalOnDanbooru">Danbooru has this exact file (the post's md5 is the original's).</param>
    /// <param name="sauceNao">SauceNAO's similarity for the post, percent.</param>
    /// <param name="sauceNaoLink">How SauceNAO names the post.</param>
    /// <param name="sauceNaoStatus">A negative status SauceNAO answers instead (-1, -3, -4, -5, -6).</param>
    /// <param name="iqdb">IQDB's similarity for the post, integer percent.</param>
    /// <param name="iqdbFixture">An IQDB error page instead of results.</param>
    /// <param name="ascii2d">ASCII2D lists it.</param>
    public Illustration Add(
        FakeBooruPost? post = null, byte[]? original = null, byte[]? upload = null, bool originalOnDanbooru = false,
        double? sauceNao = null, SauceNaoLink sauceNaoLink = SauceNaoLink.DataIds, int? sauceNaoStatus = null,
        int? iqdb = null, IqdbFixture iqdbFixture = IqdbFixture.Results, bool ascii2d = false)
    {
        lock (_gate)
        {
            var number = _all.Count;
            original ??= Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"original file #{number} of the illustration library"));
            upload ??= Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"thumbnail #{number} of the illustration library"));
            var originalMd5 = FakeForm.Md5(original);
            if (post is null && (originalOnDanbooru || sauceNao is not null || iqdb is not null || ascii2d))
            {
                post = SamplePost(number, originalOnDanbooru ? originalMd5 : null);
            }
            else if (post is not null && originalOnDanbooru && post.Md5 != originalMd5)
            {
                post = post with { Md5 = originalMd5 };
            }

            var illustration = new Illustration(number, original, upload, post)
            {
                OriginalOnDanbooru = originalOnDanbooru,
                SauceNaoSimilarity = sauceNao,
                SauceNaoLink = sauceNaoLink,
                SauceNaoStatus = sauceNaoStatus,
                IqdbSimilarity = iqdb,
                IqdbFixture = iqdbFixture,
                OnAscii2d = ascii2d,
            };
            if (!_byUpload.TryAdd(illustration.UploadMd5, illustration))
            {
                throw new ArgumentException($"Another picture already uploads these bytes (MD5 {illustration.UploadMd5}).", nameof(upload));
            }

            _all.Add(illustration);
            if (post is not null)
            {
                _postsById[post.Id] = post;
                _postsByMd5[post.Md5] = post;
            }

            return illustration;
        }
    }

    /// <summary>
    /// A library of <paramref name="count"/> pictures in a fixed mix, decided by each picture's number (so the same
    /// count always gives the same library): of every 20, 6 are Danbooru files (MD5 hits, also on SauceNAO at 95–99 %),
    /// 8 are SauceNAO hits at 90–99 % (ids in data, new and old URL forms in turn), 2 are SauceNAO near misses at
    /// 70–84 %, 2 are IQDB-only hits at 91–97 %, 2 are unknown everywhere.
    /// </summary>
    public static IllustrationLibrary Synthetic(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var library = new IllustrationLibrary();
        for (var i = 0; i < count; i++)
        {
            var slot = i % 20;
            var spread = i * 7919 % 100 / 100.0; // 0.00–0.99, fixed per picture
            _ = slot switch
            {
                < 6 => library.Add(originalOnDanbooru: true, sauceNao: Math.Round(95 + (4 * spread), 2), iqdb: 95),
                < 14 => library.Add(sauceNao: Math.Round(90 + (9 * spread), 2), sauceNaoLink: (SauceNaoLink)(slot % 3), iqdb: 90 + (int)(9 * spread)),
                < 16 => library.Add(sauceNao: Math.Round(70 + (14 * spread), 2), iqdb: 60 + (int)(20 * spread)),
                < 18 => library.Add(iqdb: 91 + (int)(6 * spread)),
                _ => library.Add(),
            };
        }

        return library;
    }

    /// <summary>A post with tags made from <paramref name="number"/>: two characters of one series, an artist, general tags, a rating.</summary>
    public static FakeBooruPost SamplePost(int number, string? md5 = null)
    {
        var series = SeriesNames[number % SeriesNames.Length];
        var id = 7_000_000L + number;
        return new FakeBooruPost(id, md5 ?? FakeForm.Md5(Encoding.ASCII.GetBytes("danbooru file " + id.ToString(CultureInfo.InvariantCulture))), Ratings[number % Ratings.Length])
        {
            Characters = [string.Create(CultureInfo.InvariantCulture, $"character_{number % 97}_({series})")],
            Copyrights = [series],
            Artists = [string.Create(CultureInfo.InvariantCulture, $"artist_{number % 53}")],
            General = ["1girl", "solo", GeneralTags[number % GeneralTags.Length], GeneralTags[(number / 3) % GeneralTags.Length]],
            Meta = number % 2 == 0 ? ["highres"] : [],
            GelbooruId = 9_000_000L + number,
        };
    }

    private static readonly string[] SeriesNames = ["genshin_impact", "fate/stay_night", "touhou", "hololive", "blue_archive", "original"];
    private static readonly string[] Ratings = ["g", "s", "g", "q", "g", "e"];
    private static readonly string[] GeneralTags = ["long_hair", "smile", "twintails", "school_uniform", "outdoors", "short_hair", "blue_eyes", "hat"];

    /// <summary>The picture whose upload has this MD5, or null.</summary>
    public Illustration? ByUploadMd5(string md5)
    {
        lock (_gate)
        {
            return _byUpload.GetValueOrDefault(md5);
        }
    }

    /// <summary>The post with this id, or null.</summary>
    public FakeBooruPost? PostById(long id)
    {
        lock (_gate)
        {
            return _postsById.GetValueOrDefault(id);
        }
    }

    /// <summary>The post whose Danbooru file has this MD5, or null.</summary>
    public FakeBooruPost? PostByMd5(string md5)
    {
        lock (_gate)
        {
            return _postsByMd5.GetValueOrDefault(md5);
        }
    }
}
