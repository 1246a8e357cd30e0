using System.Globalization;
using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Cli.Demo;

/// <summary>
/// The sample library of `immich-autotag demo`: photos filed in dated event albums, memes tagged by hand,
/// loose photos no rule claims, photos sitting in two event albums, and a partner's photo that is never touched.
/// </summary>
internal static class DemoLibrary
{
    /// <summary>The address the demo's reports link to. ".invalid" is reserved (RFC 2606): nothing answers there.</summary>
    public static readonly Uri ServerUrl = new("http://immich-demo.invalid/");

    public const string ApiKeyOwnerEmail = "demo@example.com";

    public static readonly string ConfigYaml = """
        # The demo's config: the same shape as a real one (see rules/config.example.yaml).
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

    /// <summary>
    /// The demo's <c>clip:</c> section: colour labels, because the sample thumbnails are coloured landscapes and the
    /// prompts are ones both a real CLIP model and the small colour model the benchmark program writes understand.
    /// </summary>
    public static string ClipYaml(string modelFolder, string modelName) => $"""

        clip:
          enabled: true
          model_folder: '{modelFolder.Replace("'", "''", StringComparison.Ordinal)}'
          model_name: '{modelName.Replace("'", "''", StringComparison.Ordinal)}'
          labels:
            - name: red
              prompts: [a red picture, a photo with a lot of red]
            - name: green
              prompts: [a green picture, a photo with a lot of green]
            - name: blue
              prompts: [a blue picture, a photo with a lot of blue]
          min_probability_percent: 50
          min_margin_percent: 10

        """;

    /// <summary>The only model folder under <c>&lt;folder&gt;/clip/</c>, else Immich's default model name.</summary>
    public static string ClipModelName(string folder)
    {
        var clip = Path.Combine(folder, "clip");
        var models = Directory.Exists(clip) ? Directory.GetDirectories(clip) : [];
        return models.Length == 1 ? Path.GetFileName(models[0]) : Core.Configuration.ClipConfig.DefaultModelName;
    }

    /// <summary>What <see cref="Create"/> put into the library.</summary>
    public sealed record Seeded(SampleImmich Library, int Assets, int Albums);

    /// <summary>Builds the same library every time for one <paramref name="seed"/>.</summary>
    public static Seeded Create(int seed = 7)
    {
        var random = new Random(seed);
        var library = new SampleImmich(ServerUrl, "Demo User", ApiKeyOwnerEmail, seed);
        var start = new DateTimeOffset(2024, 1, 6, 10, 0, 0, TimeSpan.Zero);
        var events = new[]
        {
            "2024-01-06 Ski weekend", "2024-03-30 Easter at grandma's", "2024-05-18 Marathon",
            "2024-07-14 Beach", "2024-08-24 Wedding of Ana and Luis", "2024-10-31 Halloween",
            "2024-12-24 Christmas",
        };

        var count = 0;
        var albums = new List<Album>();
        foreach (var name in events)
        {
            var day = DateTimeOffset.Parse(name[..10], CultureInfo.InvariantCulture);
            var ids = Enumerable.Range(0, 6 + random.Next(6))
                .Select(i => library.AddAsset($"IMG_{day:yyyyMMdd}_{10 + i:00}{random.Next(60):00}{random.Next(60):00}.jpg", day.AddHours(10 + i)).Id)
                .ToList();
            albums.Add(library.AddAlbum(name, ids));
            count += ids.Count;
        }

        // Two photos landed in two event albums: a conflict the user should sort out.
        var beach = albums.First(a => a.Name.Contains("Beach", StringComparison.Ordinal));
        var wedding = albums.First(a => a.Name.Contains("Wedding", StringComparison.Ordinal));
        library.AddToAlbum(wedding.Id, library.AssetsOf(beach.Id).Take(2));

        for (var i = 0; i < 5; i++)
        {
            library.Tag(library.AddAsset($"Screenshot_2024{3 + i:00}1{i}-2030{i}5.png", start.AddDays(60 + (i * 20))).Id, "meme");
            count++;
        }

        var memes = Enumerable.Range(0, 3).Select(i => library.AddAsset($"IMG-2024060{i}-WA000{i}.jpg", start.AddDays(150 + i)).Id).ToList();
        albums.Add(library.AddAlbum("autotag_input_meme", memes));
        count += memes.Count;

        // Loose photos: no album, no tag. These get autotag_output_unknown.
        for (var i = 0; i < 9; i++)
        {
            library.AddAsset($"PXL_2024{2 + i:00}0{1 + (i % 9)}_1{i}3000123.jpg", start.AddDays(30 + (i * 31)));
            count++;
        }

        // A user tag the tool must leave alone, on a classified photo.
        library.Tag(library.AssetsOf(albums[0].Id)[0], "people/ana");

        // A partner shares a timeline: their photos show up in searches but are never changed.
        var partner = library.AddUser("Partner", "partner@example.com");
        library.AddAsset("partner_photo.jpg", start.AddDays(200), partner);
        count++;

        return new Seeded(library, count, albums.Count);
    }
}
