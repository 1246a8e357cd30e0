using ImmichAutoTag.Core.Enrichment.Clip;
using static ImmichAutoTag.Tests.Clip.ClipLabelPipelineTests;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The pipeline with several lanes (batches encoded side by side): model calls overlap up to the lane count and no
/// further, the store sees one batch at a time, every asset is scored once, thumbnails in flight stay bounded, and a
/// failing model call ends the pass with its error instead of hanging the other lane.
/// </summary>
public sealed class ClipLabelPipelineLaneTests
{
    private static readonly ClipModelId Model = new("lanes@0");

    /// <summary>Guards against a hang turning into a stuck CI job; not a performance limit.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Lanes_run_that_many_model_calls_at_once_and_store_one_batch_at_a_time(int lanes)
    {
        using var encoder = new LaneEncoder(3, lanes);
        var store = new GatedStore();
        var assets = Enumerable.Range(0, 120).Select(i => new ClipAsset(Guid.NewGuid(), $"l{i}")).ToList();
        var axis = assets.ToDictionary(a => a.AssetId, a => (byte)(int.Parse(a.Checksum[1..], System.Globalization.CultureInfo.InvariantCulture) % 3));
        var held = 0;
        var maxHeld = 0;
        encoder.OnModelCall = n => Interlocked.Add(ref held, -n);
        Task<byte[]> Fetch(Guid id, CancellationToken ct)
        {
            InterlockedMax(ref maxHeld, Interlocked.Increment(ref held));
            return Task.FromResult(new[] { axis[id] });
        }

        var options = new ClipPipelineOptions(BatchSize: 4, Downloads: 3, PrepareWorkers: 1, Lanes: lanes);
        var result = await new ClipLabelPipeline(encoder, store, Classifier("a", "b", "c"), options)
            .RunAsync(assets, Fetch, CancellationToken.None).WaitAsync(HangGuard);

        result.Encoded.Should().Be(120);
        result.Failures.Should().BeEmpty();
        result.Scores.Should().HaveCount(120);
        foreach (var asset in assets)
        {
            result.Scores[asset.AssetId].Label.Should().Be(new[] { "a", "b", "c" }[axis[asset.AssetId]]);
        }

        encoder.Overlapped.Should().BeTrue("the first calls wait until the lanes' calls run at once");
        encoder.MaxInModel.Should().Be(lanes, "never more model calls at once than lanes");
        encoder.Batches.Sum().Should().Be(120);
        store.MaxConcurrent.Should().Be(1, "the store (one SQLite connection) gets one batch at a time");
        store.Stored.Should().Be(120);

        // Per lane: two batches wait in the channel and one is being encoded; each download holds one more.
        maxHeld.Should().BeLessThanOrEqualTo((3 * options.BatchSize * lanes) + options.Downloads);
    }

    [Fact]
    public async Task A_model_call_that_fails_ends_the_pass_with_its_error_and_the_other_lane_stops()
    {
        using var encoder = new LaneEncoder(2, 2) { FailOnCall = 3 };
        var assets = Enumerable.Range(0, 400).Select(i => new ClipAsset(Guid.NewGuid(), $"f{i}")).ToList();
        var fetched = 0;
        Task<byte[]> Fetch(Guid id, CancellationToken ct)
        {
            Interlocked.Increment(ref fetched);
            return Task.FromResult(new byte[] { 1 });
        }

        var act = () => new ClipLabelPipeline(encoder, new GatedStore(), Classifier("a", "b"), new ClipPipelineOptions(BatchSize: 4, Downloads: 2, PrepareWorkers: 1, Lanes: 2))
            .RunAsync(assets, Fetch, CancellationToken.None).WaitAsync(HangGuard);

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("model call 3 failed");
        fetched.Should().BeLessThan(400, "downloads stop with the failed pass");
    }

    /// <summary>
    /// Prepares the axis (image[0]) into the first float; a model call returns the axis vectors. The first
    /// <c>lanes</c> calls wait (up to a minute) until that many calls are inside at once, so overlap is observed
    /// deterministically rather than by chance.
    /// </summary>
    private sealed class LaneEncoder(int dimension, int lanes) : IClipImagePreparer, IDisposable
    {
        private readonly Lock gate = new();
        private readonly SemaphoreSlim allIn = new(0, int.MaxValue);
        private int inModel;
        private int maxInModel;
        private int calls;

        public ClipModelId Model => ClipLabelPipelineLaneTests.Model;

        public int Dimension => dimension;

        public int PreparedLength => 2;

        public Action<int>? OnModelCall { get; set; }

        public int? FailOnCall { get; init; }

        public bool Overlapped { get; private set; }

        public int MaxInModel => Volatile.Read(ref maxInModel);

        public List<int> Batches { get; } = [];

        public string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination)
        {
            destination.Clear();
            destination[0] = image.Span[0];
            return null;
        }

        public async Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> prepared, int count, CancellationToken ct)
        {
            var call = Interlocked.Increment(ref calls);
            var now = Interlocked.Increment(ref inModel);
            InterlockedMax(ref maxInModel, now);
            try
            {
                lock (gate)
                {
                    Batches.Add(count);
                }

                var result = Enumerable.Range(0, count).Select(i => Axis((int)prepared.Span[i * PreparedLength], dimension)).ToList();
                OnModelCall?.Invoke(count);
                if (call == FailOnCall)
                {
                    throw new InvalidOperationException($"model call {call} failed");
                }

                if (call <= lanes)
                {
                    if (now == lanes)
                    {
                        Overlapped = true;
                        allIn.Release(lanes - 1);
                    }
                    else
                    {
                        await allIn.WaitAsync(TimeSpan.FromMinutes(1), ct);
                    }
                }
                else
                {
                    await Task.Yield();
                }

                return result;
            }
            finally
            {
                Interlocked.Decrement(ref inModel);
            }
        }

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            throw new InvalidOperationException("not used when preparing");

        public void Dispose() => allIn.Dispose();
    }

    /// <summary>An in-memory store that records how many store calls ran at once.</summary>
    private sealed class GatedStore : IClipEmbeddingStore
    {
        private readonly Dictionary<string, float[]> rows = [];
        private int concurrent;
        private int maxConcurrent;

        public int MaxConcurrent => Volatile.Read(ref maxConcurrent);

        public int Stored
        {
            get
            {
                lock (rows)
                {
                    return rows.Count;
                }
            }
        }

        public Task<IReadOnlyDictionary<string, float[]>> GetAsync(ClipModelId model, IReadOnlyCollection<string> checksums, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, float[]>>(new Dictionary<string, float[]>());

        public async Task StoreAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct)
        {
            InterlockedMax(ref maxConcurrent, Interlocked.Increment(ref concurrent));
            try
            {
                // A store takes a while (SQLite's commit), so an overlapping one would be seen.
                await Task.Delay(1, ct);
                lock (rows)
                {
                    foreach (var (checksum, embedding) in embeddings)
                    {
                        rows[checksum] = embedding;
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref concurrent);
            }
        }

        public Task<long> CountAsync(ClipModelId model, CancellationToken ct) => Task.FromResult((long)Stored);
    }
}
