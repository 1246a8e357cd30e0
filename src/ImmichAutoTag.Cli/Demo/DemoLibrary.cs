using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.Cli.Demo;

/// <summary>
/// A small library that shows every status: photos filed in dated event albums, memes tagged by hand,
/// loose photos no rule claims, photos sitting in two event albums, and a partner's photo that is never touched.
/// </summary>
internal static class DemoLibrary
{
    public const string ApiKeyOwnerEmail = "demo@example.com";

    public static readonly string ConfigYaml = """
        # The demo's config: the same shape as a real one (see rules/config.example.yaml).
        enable_album_name_strip: true
        classification:
          rules:
            # Memes: tagged by hand, or filed in the meme album.
            - tag_names: [meme, autotag_input_meme]
              album_name_patterns: ['^autotag_input_meme$']
            # Events: albums whose name starts with a date, e.g. "2024-07-14 Beach".
            - album_name_patterns: ['^\d{4}-\d{2}-\d{2}']
          autotag_unknown: autotag_output_unknown
          autotag_conflict: autotag_output_conflict
        """;

    public sealed record Seeded(string ApiKey, int Assets, int Albums);

    public static Seeded Seed(FakeImmichState state, int seed = 7)
    {
        var random = new Random(seed);
        var me = state.AddUser("Demo User", ApiKeyOwnerEmail);
        var key = state.AddApiKey(me.Id, "all");
        var start = new DateTimeOffset(2024, 1, 6, 10, 0, 0, TimeSpan.Zero);
        var events = new[]
        {
            "2024-01-06 Ski weekend", "2024-03-30 Easter at grandma's", "2024-05-18 Marathon",
            "2024-07-14 Beach", "2024-08-24 Wedding of Ana and Luis", "2024-10-31 Halloween",
            "2024-12-24 Christmas",
        };

        var count = 0;
        var albums = 0;
        var eventAssets = new List<Guid>();
        for (var e = 0; e < events.Length; e++)
        {
            var day = DateTimeOffset.Parse(events[e][..10], System.Globalization.CultureInfo.InvariantCulture);
            var ids = Enumerable.Range(0, 6 + random.Next(6))
                .Select(i => state.AddAsset(me.Id, $"IMG_{day:yyyyMMdd}_{10 + i:00}{random.Next(60):00}{random.Next(60):00}.jpg", day.AddHours(10 + i)).Id)
                .ToList();
            state.AddAlbum(me.Id, events[e], ids);
            eventAssets.AddRange(ids);
            count += ids.Count;
            albums++;
        }

        // Two photos landed in two event albums: a conflict the user should sort out.
        var beach = state.Albums.First(a => a.Name.Contains("Beach", StringComparison.Ordinal));
        var wedding = state.Albums.First(a => a.Name.Contains("Wedding", StringComparison.Ordinal));
        state.AddAlbumAssets(wedding.Id, state.AlbumAssetIds(beach.Id).Take(2).ToArray());

        var meme = state.UpsertTag("meme");
        for (var i = 0; i < 5; i++)
        {
            state.TagAsset(meme.Id, state.AddAsset(me.Id, $"Screenshot_2024{3 + i:00}1{i}-2030{i}5.png", start.AddDays(60 + (i * 20))).Id);
            count++;
        }

        var memeAlbum = state.AddAlbum(me.Id, "autotag_input_meme");
        for (var i = 0; i < 3; i++)
        {
            state.AddAlbumAssets(memeAlbum.Id, state.AddAsset(me.Id, $"IMG-2024060{i}-WA000{i}.jpg", start.AddDays(150 + i)).Id);
            count++;
        }

        albums++;

        // Loose photos: no album, no tag. These get autotag_output_unknown.
        for (var i = 0; i < 9; i++)
        {
            state.AddAsset(me.Id, $"PXL_2024{2 + i:00}0{1 + (i % 9)}_1{i}3000123.jpg", start.AddDays(30 + (i * 31)));
            count++;
        }

        // A user tag the tool must leave alone, on a classified photo.
        state.TagAsset(state.UpsertTag("people/ana").Id, eventAssets[0]);

        // A partner shares a timeline: their photos show up in searches but are never changed.
        var partner = state.AddUser("Partner", "partner@example.com");
        state.AddPartner(me.Id, partner.Id);
        state.AddAsset(partner.Id, "partner_photo.jpg", start.AddDays(200));
        count++;

        return new Seeded(key, count, albums);
    }
}
