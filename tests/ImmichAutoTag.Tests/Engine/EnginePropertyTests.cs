using System.Globalization;
using CsCheck;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.TestKit;
using Xunit.Abstractions;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

/// <summary>
/// Generated libraries (CsCheck: random, shrunk to a smallest failing library and printed with its seed on
/// failure), each run through the engine over the in-process fake: the run changes only what the tool owns —
/// its output tags on the owner's assets — never a user tag, an album, its members or an asset's fields; its
/// unknown/conflict verdicts agree with a naive per-asset oracle; and a second run right after plans nothing.
/// </summary>
public sealed class EnginePropertyTests(ITestOutputHelper output)
{
    /// <summary>Libraries per test run; each is small so the thousand stay quick on a 2-core machine.</summary>
    private const int Libraries = 1000;

    private static readonly string[] TagPool =
    [
        "meme", "meme/funny", "People/meme", "Meme", "autotag_input_meme", "Holidays", "Holidays/Beach",
        "family", "archive/" + Unknown, Unknown, Conflict, "autotag_output_album_date_mismatch",
    ];

    private static readonly string[] AlbumPool =
    [
        "2019 Summer", "2020-01 Ski", "2021-05-06 Party", "autotag_input_meme", "autotag_input_meme old",
        "Favourites", "Summer 2019", " 2018 leading space",
    ];

    private static readonly string[] Visibilities = ["timeline", "timeline", "timeline", "timeline", "timeline", "timeline", "timeline", "archive", "hidden", "timeline"];

    /// <summary>One generated asset: who owns it, where it sits and what it carries (indices into the pools).</summary>
    public sealed record AssetSpec(bool Partner, int Visibility, bool Trashed, int Day, bool DateInName, int[] Tags, int[] Albums, int DuplicateGroup);

    public sealed record LibrarySpec(AssetSpec[] Assets, int ChunkSize)
    {
        public override string ToString() => $"chunk {ChunkSize}: " + string.Join("; ", Assets.Select((a, i) =>
            $"#{i}{(a.Partner ? " partner" : "")}{(a.Trashed ? " trashed" : "")} {Visibilities[a.Visibility]} day {a.Day}" +
            $" tags [{string.Join(", ", a.Tags.Select(t => TagPool[t]))}] albums [{string.Join(", ", a.Albums.Select(x => AlbumPool[x]))}] dup {a.DuplicateGroup}"));
    }

    private static readonly Gen<AssetSpec> AssetGen =
        Gen.Select(
            Gen.Int[0, 3],
            Gen.Int[0, Visibilities.Length - 1],
            Gen.Int[0, 19],
            Gen.Int[0, 3650],
            Gen.Bool,
            Gen.Int[0, TagPool.Length - 1].Array[0, 3],
            Gen.Int[0, AlbumPool.Length - 1].Array[0, 2],
            Gen.Int[-3, 2],
            (owner, visibility, trash, day, dateInName, tags, albums, duplicate) =>
                new AssetSpec(owner == 0, visibility, trash == 0, day, dateInName, [.. tags.Distinct()], [.. albums.Distinct()], duplicate));

    private static readonly Gen<LibrarySpec> LibraryGen =
        Gen.Select(AssetGen.Array[0, 8], Gen.Int[1, 6], (assets, chunk) => new LibrarySpec(assets, chunk));

    private static readonly AutoTagConfig Config = TestConfig() with
    {
        // Every output on, so the property covers them; the two duplicate features that write user tags and album
        // members (upstream's default, allowed by config) are off: with them the user's data may change by design.
        DuplicateProcessing = new DuplicateProcessingConfig { CopyClassificationFromDuplicates = false, AddToAlbumOfDuplicates = false },
        AlbumDateConsistency = new AlbumDateConsistencyConfig(),
    };

    private static readonly HashSet<string> OutputTags = new(StringComparer.Ordinal)
    {
        Unknown, Conflict,
        Config.DuplicateProcessing.AutotagAlbumConflict!, Config.DuplicateProcessing.AutotagClassificationConflict!,
        Config.DuplicateProcessing.AutotagAlbumDetectionConflict!, Config.AlbumDateConsistency.AutotagAlbumDateMismatch!,
    };

    [Fact]
    public async Task A_run_changes_only_its_own_output_tags_agrees_with_a_naive_oracle_and_converges()
    {
        var started = TimeProvider.System.GetTimestamp();
        var cpu = Environment.CpuUsage.TotalTime;

        await LibraryGen.SampleAsync(CheckAsync, iter: Libraries, print: l => l.ToString(), writeLine: output.WriteLine);

        // Reported, never asserted: timing depends on the machine.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Libraries} libraries in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s wall, {(Environment.CpuUsage.TotalTime - cpu).TotalSeconds:0.0} s CPU"));
    }

    private static async Task CheckAsync(LibrarySpec spec)
    {
        using var immich = new FakeLibrary();
        var assets = Build(immich, spec);
        var before = Snapshot(immich);

        var result = await RunAsync(immich, Config, new RunOptions { ChunkSize = spec.ChunkSize });

        result.Errors.Should().BeEmpty();
        immich.CallsTo("deleteTag").Should().Be(0);
        var after = Snapshot(immich);
        after.Albums.Should().BeEquivalentTo(before.Albums, "albums, their names, owners and members never change");
        after.Fields.Should().BeEquivalentTo(before.Fields, "asset fields never change (date repair is off)");
        after.TagValues.Where(t => !IsOutput(t)).Should().BeEquivalentTo(before.TagValues.Where(t => !IsOutput(t)), "no user tag is created, renamed or deleted");
        foreach (var (asset, assetSpec) in assets)
        {
            var was = before.Links[asset.Id];
            var now = after.Links[asset.Id];
            if (asset.OwnerId != immich.User.Id || assetSpec.Trashed)
            {
                now.Should().Equal(was, "partner and trashed assets are never changed");
                continue;
            }

            now.Where(p => !IsOutput(p)).Should().Equal(was.Where(p => !IsOutput(p)), "user tags are never changed");
            var albums = assetSpec.Albums.Select(i => AlbumPool[i]).ToList();
            now.Where(p => p is Unknown or Conflict).Should().Equal(Oracle(was, albums), $"{asset.OriginalFileName} in [{string.Join(", ", albums)}]");
        }

        immich.ResetCounters();
        var second = await RunAsync(immich, Config, new RunOptions { ChunkSize = spec.ChunkSize });
        second.Plan.HasChanges.Should().BeFalse("a second run right after the first plans nothing");
        immich.WriteCalls.Should().Be(0);
    }

    private static List<(FakeAsset Asset, AssetSpec Spec)> Build(FakeLibrary immich, LibrarySpec spec)
    {
        var albums = new Dictionary<int, FakeAlbum>();
        var duplicates = new Dictionary<int, List<Guid>>();
        var built = new List<(FakeAsset, AssetSpec)>();
        for (var i = 0; i < spec.Assets.Length; i++)
        {
            var a = spec.Assets[i];
            var taken = new DateTimeOffset(2015, 1, 1, 10, 0, 0, TimeSpan.Zero).AddDays(a.Day).AddMinutes(i);
            var name = a.DateInName
                ? string.Create(CultureInfo.InvariantCulture, $"IMG_{taken.AddDays(i * 40):yyyyMMdd_HHmmss}.jpg")
                : string.Create(CultureInfo.InvariantCulture, $"IMG_{i:D4}.jpg");
            var asset = immich.State.AddAsset(a.Partner ? immich.PartnerId : immich.User.Id, name, taken, visibility: Visibilities[a.Visibility]);
            foreach (var tag in a.Tags)
            {
                immich.TagAsset(asset, TagPool[tag]);
            }

            foreach (var index in a.Albums)
            {
                if (!albums.TryGetValue(index, out var album))
                {
                    album = immich.AddAlbum(AlbumPool[index]);
                    albums.Add(index, album);
                }

                immich.AddToAlbum(album, asset);
            }

            if (a.Trashed)
            {
                immich.State.TrashAsset(asset.Id);
            }
            else if (!a.Partner && a.DuplicateGroup >= 0)
            {
                duplicates.TryAdd(a.DuplicateGroup, []);
                duplicates[a.DuplicateGroup].Add(asset.Id);
            }

            built.Add((asset, a));
        }

        foreach (var group in duplicates.Values.Where(g => g.Count >= 2))
        {
            immich.State.AddDuplicateGroup(group);
        }

        return built;
    }

    private sealed record LibrarySnapshot(
        Dictionary<Guid, List<string>> Links,
        List<string> TagValues,
        List<string> Albums,
        List<string> Fields);

    private static LibrarySnapshot Snapshot(FakeLibrary immich)
    {
        var state = immich.State;
        var tags = state.Tags.ToDictionary(t => t.Id, t => t.Value);
        var links = state.Assets.ToDictionary(
            a => a.Id,
            a => state.DirectTagIdsOf(a.Id).Select(id => tags[id]).Order(StringComparer.Ordinal).ToList());
        var albums = state.Albums
            .Select(al => $"{al.Id} {al.Name} {al.OwnerId} {al.Description} [{string.Join(",", state.AlbumAssetIds(al.Id).Order())}] [{string.Join(",", state.AlbumSharedWith(al.Id).OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value))}]")
            .ToList();

        // Every field a user or the server's import sets; updatedAt is left out: Immich's write-back job moves it.
        var fields = state.Assets
            .Select(a => string.Create(CultureInfo.InvariantCulture,
                $"{a.Id} {a.OwnerId} {a.OriginalFileName} {a.OriginalPath} {a.Type} {a.Visibility} {a.FileCreatedAt:O} {a.LocalDateTime:O} {a.FileModifiedAt:O} {a.TimeZone} {a.DeletedAt:O} {a.IsFavorite} {a.DuplicateId} {a.Checksum}"))
            .ToList();
        return new LibrarySnapshot(links, [.. tags.Values], albums, fields);
    }

    /// <summary>An output tag, or one of the per-group tags named after one (e.g. the album conflict tag + "_" + group id).</summary>
    private static bool IsOutput(string path) =>
        OutputTags.Contains(path)
        || OutputTags.Any(o => path.StartsWith(o + "_", StringComparison.Ordinal))
        || path.StartsWith(Config.DuplicateProcessing.AutotagClassificationConflictPrefix!, StringComparison.Ordinal);

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
