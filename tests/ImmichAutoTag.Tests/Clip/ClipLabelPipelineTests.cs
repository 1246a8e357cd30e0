using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The pipeline with an encoder whose embedding is the image's first bytes (so scores are known) and an in-memory
/// store: encoded once, stored embeddings reused, failures isolated, thumbnails bounded in flight.
/// </summary>
public sealed class ClipLabelPipelineTests
{
    private static readonly ClipModelId Model = new("test@0");

    /// <summary>A classifier whose label i has the unit vector along axis i as its one prompt embedding.</summary>
    internal static ZeroShotClassifier Classifier(params string[] labels) =>
        new(
            labels.Select(l => new ClipLabel(l, [l])).ToList(),
            labels.Select((_, i) => (IReadOnlyList<float[]>)[Axis(i, labels.Length)]).ToList(),
            new ZeroShotDecisionRule(0.5, 0.1));

    /// <summary>The unit vector along axis <paramref name="i"/> of <paramref name="d"/> dimensions.</summary>
    internal static float[] Axis(int i, int d) => Enumerable.Range(0, d).Select(j => j == i ? 1f : 0f).ToArray();

    [Fact]
    public async Task Stored_embeddings_are_reused_and_a_second_pass_encodes_nothing()
    {
        var store = new MemoryStore();
        var encoder = new AxisEncoder(3);
        var assets = Enumerable.Range(0, 40).Select(i => new ClipAsset(Guid.NewGuid(), $"c{i}")).ToList();
        var axis = assets.ToDictionary(a => a.AssetId, a => (byte)(int.Parse(a.Checksum[1..], System.Globalization.CultureInfo.InvariantCulture) % 3));
        var fetched = 0;
        Task<byte[]> Fetch(Guid id, CancellationToken ct)
        {
            Interlocked.Increment(ref fetched);
            return Task.FromResult(new[] { axis[id] });
        }

        var pipeline = new ClipLabelPipeline(encoder, store, Classifier("a", "b", "c"), new ClipPipelineOptions(BatchSize: 8));
        var first = await pipeline.RunAsync(assets, Fetch, CancellationToken.None);
        first.Encoded.Should().Be(40);
        first.Reused.Should().Be(0);
        fetched.Should().Be(40);
        first.Scores.Should().HaveCount(40);
        first.Scores[assets[4].AssetId].Label.Should().Be("b");
        first.Scores[assets[5].AssetId].Label.Should().Be("c");

        fetched = 0;
        var second = await new ClipLabelPipeline(encoder, store, Classifier("c", "b", "a"), new ClipPipelineOptions(BatchSize: 8)).RunAsync(assets, Fetch, CancellationToken.None);
        second.Encoded.Should().Be(0);
        second.Reused.Should().Be(40);
        fetched.Should().Be(0, "a second pass, even with another label set, reads the stored embeddings only");
        second.Scores[assets[4].AssetId].Label.Should().Be("b");
        second.Scores[assets[6].AssetId].Label.Should().Be("c", "axis 0 is label 'c' in the new set");
    }

    [Fact]
    public async Task Assets_with_one_checksum_are_encoded_once_and_a_failure_stays_with_its_asset()
    {
        var store = new MemoryStore();
        var encoder = new AxisEncoder(2);
        var shared = new[] { new ClipAsset(Guid.NewGuid(), "same"), new ClipAsset(Guid.NewGuid(), "same") };
        var broken = new ClipAsset(Guid.NewGuid(), "broken");
        var undecodable = new ClipAsset(Guid.NewGuid(), "undecodable");
        Task<byte[]> Fetch(Guid id, CancellationToken ct) =>
            id == broken.AssetId ? throw new HttpRequestException("503 from the server")
            : id == undecodable.AssetId ? Task.FromResult(Array.Empty<byte>())
            : Task.FromResult(new byte[] { 1 });

        var result = await new ClipLabelPipeline(encoder, store, Classifier("a", "b"), new ClipPipelineOptions(BatchSize: 2))
            .RunAsync([.. shared, broken, undecodable], Fetch, CancellationToken.None);
        result.Encoded.Should().Be(1);
        result.Scores.Keys.Should().BeEquivalentTo(shared.Select(s => s.AssetId));
        result.Scores[shared[1].AssetId].Label.Should().Be("b");
        result.Failures[broken.AssetId].Should().Contain("503 from the server");
        result.Failures[undecodable.AssetId].Should().Contain("cannot decode");
        (await store.CountAsync(Model, CancellationToken.None)).Should().Be(1, "only what was encoded is stored");
    }

    [Fact]
    public async Task Thumbnails_in_flight_stay_bounded_while_the_model_is_slow()
    {
        var encoder = new AxisEncoder(2) { Delay = TimeSpan.FromMilliseconds(5) };
        var held = 0;
        var maxHeld = 0;
        encoder.OnBatch = n => Interlocked.Add(ref held, -n);
        Task<byte[]> Fetch(Guid id, CancellationToken ct)
        {
            var now = Interlocked.Increment(ref held);
            InterlockedMax(ref maxHeld, now);
            return Task.FromResult(new byte[] { 0 });
        }

        var assets = Enumerable.Range(0, 300).Select(i => new ClipAsset(Guid.NewGuid(), $"k{i}")).ToList();
        var options = new ClipPipelineOptions(BatchSize: 4, Downloads: 3);
        var result = await new ClipLabelPipeline(encoder, new MemoryStore(), Classifier("a", "b"), options).RunAsync(assets, Fetch, CancellationToken.None);
        result.Encoded.Should().Be(300);

        // Two batches wait in the channel, one is being encoded, and each download holds one more.
        maxHeld.Should().BeLessThanOrEqualTo((3 * options.BatchSize) + options.Downloads);
    }

    [Fact]
    public async Task A_preparing_encoder_gets_only_prepared_batches_prepared_between_its_model_calls()
    {
        var encoder = new PreparingAxisEncoder(3);
        var store = new MemoryStore();
        var assets = Enumerable.Range(0, 50).Select(i => new ClipAsset(Guid.NewGuid(), $"p{i}")).ToList();
        var bad = assets[7];
        var axis = assets.ToDictionary(a => a.AssetId, a => (byte)(int.Parse(a.Checksum[1..], System.Globalization.CultureInfo.InvariantCulture) % 3));
        Task<byte[]> Fetch(Guid id, CancellationToken ct) => Task.FromResult(id == bad.AssetId ? Array.Empty<byte>() : new[] { axis[id] });

        var result = await new ClipLabelPipeline(encoder, store, Classifier("a", "b", "c"), new ClipPipelineOptions(BatchSize: 8, Downloads: 3))
            .RunAsync(assets, Fetch, CancellationToken.None);

        result.Encoded.Should().Be(49);
        result.Failures.Should().ContainSingle().Which.Should().Be(new KeyValuePair<Guid, string>(bad.AssetId, "cannot decode image: empty"));
        result.Scores.Should().HaveCount(49);
        result.Scores[assets[4].AssetId].Label.Should().Be("b");
        result.Scores[assets[5].AssetId].Label.Should().Be("c");
        encoder.Prepared.Should().Be(50);
        encoder.BytesCalls.Should().Be(0, "a preparing encoder is only given prepared input");
        encoder.Batches.Should().OnlyContain(n => n >= 1 && n <= 8);
        encoder.Batches.Sum().Should().Be(49);
        (await store.CountAsync(Model, CancellationToken.None)).Should().Be(49);
        encoder.MaxHeld.Should().BeLessThanOrEqualTo(8, "a batch is prepared right before its model call");
        encoder.PreparedDuringModelCall.Should().Be(0, "decoding never runs beside the model, whose threads use every core");
        result.Times.Prepare.Should().BeGreaterThan(TimeSpan.Zero);
    }

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if that is larger, atomically.</summary>
    internal static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>Embedding = unit vector along axis image[0]; an empty image cannot be decoded.</summary>
    private sealed class AxisEncoder(int dimension) : IClipImageEncoder
    {
        public ClipModelId Model => ClipLabelPipelineTests.Model;

        public int Dimension => dimension;

        public TimeSpan Delay { get; init; }

        public Action<int>? OnBatch { get; set; }

        public async Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct)
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, ct);
            }

            var results = images.Select(i => i.Length == 0 ? ClipImageEncoding.Failed("cannot decode image: empty") : ClipImageEncoding.Of(Axis(i.Span[0], dimension))).ToList();
            OnBatch?.Invoke(images.Count);
            return results;
        }
    }

    /// <summary>
    /// The axis encoder as an <see cref="IClipImagePreparer"/>: preparing writes the axis into the first float; counts
    /// prepares, byte-encoding calls, batch sizes and distinct buffers seen.
    /// </summary>
    private sealed class PreparingAxisEncoder(int dimension) : IClipImagePreparer
    {
        private int prepared;
        private int held;
        private int maxHeld;

        public ClipModelId Model => ClipLabelPipelineTests.Model;

        public int Dimension => dimension;

        public int PreparedLength => 4;

        public int Prepared => prepared;

        public int BytesCalls { get; private set; }

        public List<int> Batches { get; } = [];

        /// <summary>Most images prepared and not yet through the model at any time.</summary>
        public int MaxHeld => maxHeld;

        /// <summary>Prepare calls made while a model call was running.</summary>
        public int PreparedDuringModelCall => preparedDuringModelCall;

        private int inModel;
        private int preparedDuringModelCall;

        public string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination)
        {
            Interlocked.Increment(ref prepared);
            if (Volatile.Read(ref inModel) != 0)
            {
                Interlocked.Increment(ref preparedDuringModelCall);
            }

            if (image.Length == 0)
            {
                return "cannot decode image: empty";
            }

            destination.Clear();
            destination[0] = image.Span[0];
            InterlockedMax(ref maxHeld, Interlocked.Increment(ref held));
            return null;
        }

        public async Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> input, int count, CancellationToken ct)
        {
            Volatile.Write(ref inModel, 1);
            Batches.Add(count);
            Interlocked.Add(ref held, -count);
            input.Length.Should().Be(count * PreparedLength);
            var result = Enumerable.Range(0, count).Select(i => Axis((int)input.Span[i * PreparedLength], dimension)).ToList();

            // The model "runs" a while, so a download finishing meanwhile would show a decode beside it.
            await Task.Delay(2, ct);
            Volatile.Write(ref inModel, 0);
            return result;
        }

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct)
        {
            BytesCalls++;
            throw new InvalidOperationException("not used when preparing");
        }
    }

    private sealed class MemoryStore : IClipEmbeddingStore
    {
        private readonly Dictionary<(string, string), float[]> _rows = [];

        public Task<IReadOnlyDictionary<string, float[]>> GetAsync(ClipModelId model, IReadOnlyCollection<string> checksums, CancellationToken ct)
        {
            lock (_rows)
            {
                IReadOnlyDictionary<string, float[]> found = checksums.Where(c => _rows.ContainsKey((model.Value, c))).ToDictionary(c => c, c => _rows[(model.Value, c)]);
                return Task.FromResult(found);
            }
        }

        public Task StoreAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct)
        {
            lock (_rows)
            {
                foreach (var (checksum, embedding) in embeddings)
                {
                    _rows[(model.Value, checksum)] = embedding;
                }
            }

            return Task.CompletedTask;
        }

        public Task<long> CountAsync(ClipModelId model, CancellationToken ct)
        {
            lock (_rows)
            {
                return Task.FromResult((long)_rows.Keys.Count(k => k.Item1 == model.Value));
            }
        }
    }
}
