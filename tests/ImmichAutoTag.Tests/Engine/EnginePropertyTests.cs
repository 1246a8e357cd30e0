using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>
/// Randomised libraries (fixed seeds, so failures reproduce): whatever the library looks like, the engine
/// only ever changes its own output tags on its own assets, agrees with a naive per-asset oracle, and
/// converges in one run.
/// </summary>
public sealed class EnginePropertyTests
{
    private static readonly string[] TagPool =
    [
        "meme", "meme/funny", "People/meme", "Meme", "autotag_input_meme", "Holidays", "Holidays/Beach",
        "family", "archive/" + Unknown, Unknown, Conflict,
    ];

    private static readonly string[] AlbumPool =
    [
        "2019 Summer", "2020-01 Ski", "2021-05-06 Party", "autotag_input_meme", "autotag_input_meme old",
        "Favourites", "Summer 2019", " 2018 leading space",
    ];

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        foreach (var seed in new[] { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181 })
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Only_output_tags_of_own_assets_change_and_the_result_matches_a_naive_oracle(int seed)
    {
        var random = new Random(seed);
        var immich = new InMemoryImmichGateway();
        var assets = Enumerable.Range(0, random.Next(0, 60))
            .Select(i => immich.AddAsset(
                $"{seed}_{i}.jpg",
                partner: random.NextDouble() < 0.25,
                visibility: random.NextDouble() < 0.1 ? AssetVisibility.Archive : AssetVisibility.Timeline))
            .ToList();
        foreach (var asset in assets)
        {
            foreach (var path in TagPool.Where(_ => random.NextDouble() < 0.15))
            {
                immich.TagAsset(asset, path);
            }
        }

        var albums = AlbumPool.Select(name => immich.AddAlbum(name)).ToList();
        var membership = assets.ToDictionary(a => a.Id, _ => new List<string>());
        foreach (var asset in assets)
        {
            foreach (var album in albums.Where(_ => random.NextDouble() < 0.12))
            {
                immich.AddToAlbum(album, asset);
                membership[asset.Id].Add(album.Name);
            }
        }

        var before = assets.ToDictionary(a => a.Id, immich.TagPathsOf);
        var chunk = random.Next(1, 7);

        var result = await RunAsync(immich, options: new RunOptions { ChunkSize = chunk });

        result.Errors.Should().BeEmpty();
        immich.CallsTo("DeleteTag").Should().Be(0);
        foreach (var asset in assets)
        {
            var after = immich.TagPathsOf(asset);
            if (asset.OwnerId != immich.User.Id)
            {
                after.Should().Equal(before[asset.Id], "partner assets are never changed");
                continue;
            }

            after.Where(p => !IsOutput(p)).Should().Equal(before[asset.Id].Where(p => !IsOutput(p)), "user tags are never changed");
            after.Where(IsOutput).Should().Equal(Oracle(before[asset.Id], membership[asset.Id]), $"asset {asset.OriginalFileName} in [{string.Join(", ", membership[asset.Id])}]");
        }

        immich.ResetCounters();
        var second = await RunAsync(immich, options: new RunOptions { ChunkSize = chunk });
        second.Plan.HasChanges.Should().BeFalse();
        immich.WriteCalls.Should().Be(0);
    }

    private static bool IsOutput(string path) => path is Unknown or Conflict;

    /// <summary>Upstream's rules spelled out by hand for <see cref="EngineTestSupport.DefaultRules"/>.</summary>
    private static string[] Oracle(IReadOnlyList<string> tagPaths, IReadOnlyList<string> albums)
    {
        var leaves = tagPaths.Select(p => p.Split('/')[^1]).ToList();
        var memeAlbums = albums.Count(a => a == "autotag_input_meme");
        var memeRule = leaves.Contains("meme") || leaves.Contains("autotag_input_meme") || memeAlbums > 0;
        var dateAlbums = albums.Count(a => a.Length >= 4 && a.Take(4).All(char.IsAsciiDigit));
        var rules = (memeRule ? 1 : 0) + (dateAlbums > 0 ? 1 : 0);
        var albumsMatched = memeAlbums + dateAlbums;
        return rules switch
        {
            0 => [Unknown],
            1 when albumsMatched <= 1 => [],
            _ => [Conflict],
        };
    }
}
