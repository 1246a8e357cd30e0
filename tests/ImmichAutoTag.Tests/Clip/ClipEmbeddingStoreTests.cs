using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Infrastructure.Clip;

namespace ImmichAutoTag.Tests.Clip;

public sealed class ClipEmbeddingStoreTests : IDisposable
{
    private static readonly ClipModelId ModelA = new("ViT-B-32__openai@0123456789abcdef");
    private static readonly ClipModelId ModelB = new("ViT-B-32__openai@fedcba9876543210");
    private readonly string folder = Directory.CreateTempSubdirectory("clip-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Embeddings_round_trip_bit_for_bit_per_model()
    {
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var tricky = new[] { 0f, -0f, float.Epsilon, 1e-38f, -3.4e38f, 0.1f, (float)Math.PI };
        await store.StoreAsync(ModelA, new Dictionary<string, float[]> { ["c1"] = tricky, ["c2"] = [1, 2, 3, 4, 5, 6, 7] }, CancellationToken.None);
        await store.StoreAsync(ModelB, new Dictionary<string, float[]> { ["c1"] = [9, 9, 9] }, CancellationToken.None);

        var a = await SqliteClipEmbeddingStore.InFolder(folder).GetAsync(ModelA, ["c1", "c2", "c3"], CancellationToken.None);
        var b = await store.GetAsync(ModelB, ["c1", "c2"], CancellationToken.None);

        a.Keys.Should().BeEquivalentTo("c1", "c2");
        a["c1"].Select(BitConverter.SingleToInt32Bits).Should().Equal(tricky.Select(BitConverter.SingleToInt32Bits));
        b.Keys.Should().Equal("c1");
        b["c1"].Should().Equal(9, 9, 9);
        (await store.CountAsync(ModelA, CancellationToken.None)).Should().Be(2);
    }

    [Fact]
    public async Task Storing_again_replaces_and_lookups_handle_many_keys()
    {
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var many = Enumerable.Range(0, 1200).ToDictionary(i => $"sum{i}", i => new float[] { i, -i });
        await store.StoreAsync(ModelA, many, CancellationToken.None);
        await store.StoreAsync(ModelA, new Dictionary<string, float[]> { ["sum7"] = [70, 70] }, CancellationToken.None);

        var found = await store.GetAsync(ModelA, many.Keys.Append("unknown").ToArray(), CancellationToken.None);

        found.Should().HaveCount(1200);
        found["sum7"].Should().Equal(70, 70);
        found["sum1199"].Should().Equal(1199, -1199);
    }

    [Fact]
    public async Task A_second_pass_and_a_changed_label_set_encode_nothing()
    {
        var encoder = new CountingEncoder(ModelA);
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var assets = Enumerable.Range(0, 10).Select(i => new ClipAsset(Guid.NewGuid(), $"checksum{i % 8}")).ToArray(); // two duplicates
        var fetched = 0;
        Task<ReadOnlyMemory<byte>> Fetch(ClipAsset asset, CancellationToken ct)
        {
            fetched++;
            return asset.Checksum == "checksum3"
                ? throw new HttpRequestException("404 Not Found")
                : Task.FromResult<ReadOnlyMemory<byte>>(new[] { (byte)asset.Checksum[^1] });
        }

        var first = await new ClipEmbeddingIndex(encoder, store, batchSize: 3).GetOrEncodeAsync(assets, Fetch, CancellationToken.None);
        var fetchedFirst = fetched;
        var second = await new ClipEmbeddingIndex(encoder, store, batchSize: 3).GetOrEncodeAsync(assets, Fetch, CancellationToken.None);

        first.Encoded.Should().Be(7);
        first.Failures.Should().ContainSingle().Which.Value.Should().Contain("404");
        encoder.Encoded.Should().Be(7, "8 distinct checksums, one thumbnail not fetched");
        second.Encoded.Should().Be(0);
        second.Failures.Should().ContainSingle("the failed asset is tried again, and fails again");
        second.Reused.Should().Be(7);
        fetched.Should().Be(fetchedFirst + 1, "only the failed asset's thumbnail is fetched again");

        var labels = new ClipLabel[] { new("photo", ["a photo"]), new("anime", ["anime"]) };
        var prompts = new float[][][] { [[1, 0]], [[0, 1]] };
        var scored = second.Embeddings.Values.Select(e => new ZeroShotClassifier(labels, prompts, new ZeroShotDecisionRule(0, 0)).Classify(e).Label).ToArray();
        var rescored = second.Embeddings.Values.Select(e => new ZeroShotClassifier(labels[..1], prompts[..1], new ZeroShotDecisionRule(0, 0)).Classify(e).Label).ToArray();
        scored.Should().Contain("anime");
        rescored.Should().OnlyContain(l => l == "photo");
        encoder.Encoded.Should().Be(7, "scoring with another label set reads the stored embeddings");
    }

    /// <summary>Encodes a thumbnail's single byte b into the 2-vector (cos b, sin b) and counts the images.</summary>
    private sealed class CountingEncoder(ClipModelId model) : IClipImageEncoder
    {
        public ClipModelId Model => model;

        public int Dimension => 2;

        public int Encoded { get; private set; }

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct)
        {
            Encoded += images.Count;
            return Task.FromResult<IReadOnlyList<ClipImageEncoding>>(images
                .Select(i => ClipImageEncoding.Of([(float)Math.Cos(i.Span[0]), (float)Math.Sin(i.Span[0])]))
                .ToArray());
        }
    }
}
