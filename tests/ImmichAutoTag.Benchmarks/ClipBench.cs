using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Clip;
using NetVips;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// <c>--clip</c>: CLIP image-tower throughput on a generated model with ViT-B/32's architecture and random weights
/// (same operators, shapes and parameter count as Immich's default <c>ViT-B-32__openai</c>; its outputs mean
/// nothing, its cost is the real one). Reports model-only images/s for batch 1/8/32 × 1/2 threads, per-stage times
/// (thumbnail decode + preprocessing, inference) and peak working set. See docs/performance.md.
/// </summary>
internal static class ClipBench
{
    public const string Usage =
        "usage: dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --clip [--json FILE] [--images N] [--model-dir DIR] [--keep]";

    private static readonly int[] Batches = [1, 8, 32];
    private static readonly int[] ThreadCounts = [1, 2];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken ct)
    {
        string? json = null, modelDir = null;
        var images = 64;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--clip":
                    break;
                case "--json" when i + 1 < args.Count:
                    json = args[++i];
                    break;
                case "--model-dir" when i + 1 < args.Count:
                    modelDir = args[++i];
                    break;
                case "--images" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out images) && images >= 32:
                    i++;
                    break;
                case "--keep":
                    keep = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"error: unexpected or incomplete argument '{args[i]}' (--images needs at least 32)\n{Usage}");
                    return 2;
            }
        }

        var inv = CultureInfo.InvariantCulture;
        var root = Directory.CreateTempSubdirectory("immich-autotag-clip-bench-").FullName;
        try
        {
            ProcessMemory.TryResetPeak();
            var load = ProcessMemory.LoadAverage();
            var clock = Stopwatch.StartNew();
            ClipModelFolder model;
            double generateSeconds = 0;
            if (modelDir is null)
            {
                var folder = Path.Combine(root, "clip", "ViT-B-32__random");
                ClipTestModels.WriteRandomVit(Path.Combine(folder, "visual", "model.onnx"), ClipVitSpec.VitB32);
                ClipTestModels.WriteConfigs(folder, ClipVitSpec.VitB32.EmbedDim, ClipVitSpec.VitB32.ImageSize, tokenizerJson: null);
                generateSeconds = clock.Elapsed.TotalSeconds;
                model = ClipModelFolder.Locate(root, "ViT-B-32__random");
                await output.WriteLineAsync(string.Create(inv,
                    $"Generated ViT-B/32-architecture model with random weights: {ClipVitSpec.VitB32.Parameters / 1e6:F1} M parameters, {new FileInfo(model.VisualModel).Length / 1e6:F0} MB, {generateSeconds:F1} s"));
            }
            else
            {
                model = ClipModelFolder.Locate(modelDir);
                await output.WriteLineAsync($"Model: {model.Directory}");
            }

            var id = model.ComputeId();
            var thumbnails = Thumbnails(images);
            var configs = new List<ClipConfigResult>();
            StageResult? stages = null;
            foreach (var threads in ThreadCounts)
            {
                var loadStarted = Stopwatch.GetTimestamp();
                using var encoder = new OnnxClipImageEncoder(model, id, new ClipRuntimeOptions(BatchSize: Batches.Max(), Threads: threads, UseCuda: false));
                var loadSeconds = Stopwatch.GetElapsedTime(loadStarted).TotalSeconds;
                await output.WriteLineAsync(string.Create(inv, $"threads {threads}: session loaded in {loadSeconds:F1} s"));

                // Preprocessing once per image (single thread), timed; the tensors feed the model-only runs.
                var one = encoder.TensorLength;
                var tensor = new float[images * one];
                var preprocessStarted = Stopwatch.GetTimestamp();
                for (var i = 0; i < images; i++)
                {
                    encoder.Preprocess(thumbnails[i].Span, tensor.AsSpan(i * one, one));
                }

                var preprocessMs = Stopwatch.GetElapsedTime(preprocessStarted).TotalMilliseconds / images;
                foreach (var batch in Batches)
                {
                    ct.ThrowIfCancellationRequested();
                    encoder.Run(tensor, batch, batch); // warm-up: a new shape's first run allocates and plans
                    using var process = Process.GetCurrentProcess();
                    var cpu = process.TotalProcessorTime;
                    var started = Stopwatch.GetTimestamp();
                    encoder.Run(tensor, images, batch);
                    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    process.Refresh();
                    var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / images;
                    var result = new ClipConfigResult(batch, threads, images, Math.Round(images / seconds, 2), Math.Round(seconds * 1000 / images, 1), Math.Round(seconds * 1000 / Math.Ceiling((double)images / batch), 1), Math.Round(cpuMs, 1));
                    configs.Add(result);
                    await output.WriteLineAsync(string.Create(inv,
                        $"  batch {batch,2}: {result.ImagesPerSecond:F2} images/s ({result.MsPerImage:F0} ms/image, {result.MsPerBatch:F0} ms/batch, {result.CpuMsPerImage:F0} CPU ms/image)"));
                }

                // Decode + preprocess + inference from thumbnail bytes in memory, sequential, at the largest batch.
                var pipelineStarted = Stopwatch.GetTimestamp();
                var encoded = await encoder.EncodeImagesAsync(thumbnails, ct);
                var pipelineSeconds = Stopwatch.GetElapsedTime(pipelineStarted).TotalSeconds;
                if (encoded.Any(e => e.Embedding is null))
                {
                    await output.WriteLineAsync("error: a generated thumbnail failed to encode");
                    return 1;
                }

                if (threads == ThreadCounts.Max())
                {
                    stages = new StageResult(threads, Math.Round(preprocessMs, 2), configs.Where(c => c.Threads == threads).Min(c => c.MsPerImage), Math.Round(images / pipelineSeconds, 2), Math.Round(loadSeconds, 2));
                }
            }

            // End to end: thumbnails from the fake over HTTP, decode, preprocess, inference, scoring, SQLite store;
            // at each thread count's best batch. Then the same assets again: all stored, nothing encoded.
            var endToEnd = new List<EndToEndResult>();
            EndToEndResult? secondRun = null;
            await using (var fake = await FakeImmichServer.StartAsync(ct: ct))
            {
                var user = fake.State.AddUser("Bench", "bench@example.com").Id;
                var key = fake.State.AddApiKey(user, "all");
                using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(fake.BaseUrl, key));
                var classifier = RandomClassifier(512, 8);
                foreach (var threads in ThreadCounts)
                {
                    var batch = configs.Where(c => c.Threads == threads).MaxBy(c => c.ImagesPerSecond)!.Batch; // non-null: three batches ran
                    var assets = Enumerable.Range(0, images).Select(i => fake.State.AddAsset(user, $"e2e-{threads}-{i}.jpg", DateTimeOffset.UnixEpoch)).ToList();
                    foreach (var asset in assets)
                    {
                        // The fake makes each picture once; made here, its cost stays out of the timing.
                        FakeThumbnails.Webp(FakeThumbnails.ColourOf(asset.Id));
                    }

                    var clipAssets = assets.Select(a => new ClipAsset(a.Id, a.Checksum)).ToList();
                    using var encoder = new OnnxClipImageEncoder(model, id, new ClipRuntimeOptions(BatchSize: batch, Threads: threads, UseCuda: false));
                    encoder.Run(new float[encoder.TensorLength * batch], batch, batch); // warm-up, as for model-only
                    var store = new SqliteClipEmbeddingStore(Path.Combine(root, $"e2e-{threads}.db"));
                    var pipeline = new ClipLabelPipeline(encoder, store, classifier, new ClipPipelineOptions(BatchSize: batch));
                    var run = await EndToEndAsync(pipeline, clipAssets, gateway, batch, threads, ct);
                    endToEnd.Add(run);
                    await output.WriteLineAsync(string.Create(inv,
                        $"end to end, threads {threads}, batch {batch}: {run.ImagesPerSecond:F2} images/s ({run.Encoded} encoded; download {run.DownloadMsPerImage:F1} ms/image summed over parallel downloads, encode {run.EncodeMsPerImage:F0} ms/image, encoder waiting for thumbnails {run.WaitingMs:F0} ms in all)"));
                    if (threads == ThreadCounts.Max())
                    {
                        secondRun = await EndToEndAsync(pipeline, clipAssets, gateway, batch, threads, ct);
                        await output.WriteLineAsync(string.Create(inv, $"second run: {secondRun.Encoded} encoded, {secondRun.Reused} reused, {secondRun.TotalMs:F0} ms"));
                    }
                }
            }

            var stored = await StoredEmbeddingsAsync(root, 100_000, 512, ct);
            await output.WriteLineAsync(string.Create(inv,
                $"100k stored embeddings: {stored.FileMb:F0} MB on disk, scored from the store in {stored.Seconds:F1} s, managed heap after scoring {stored.ManagedMbAfter:F0} MB (before {stored.ManagedMbBefore:F0} MB), peak working set so far {stored.PeakWorkingSetMb:F0} MB"));

            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var best = configs.MaxBy(c => c.ImagesPerSecond)!; // non-null: six configurations ran
            var report = new ClipReport(
                modelDir is null ? "ViT-B/32 architecture, random weights (generated)" : model.Directory,
                id.Value,
                ClipVitSpec.VitB32.Parameters,
                Math.Round(generateSeconds, 1),
                Math.Round(best.ImagesPerSecond, 2),
                best.Batch,
                best.Threads,
                stages!, // non-null: set on the last thread count
                configs,
                Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 0),
                load,
                Environment.ProcessorCount,
                string.Join(".", global::NetVips.NetVips.Version(0), global::NetVips.NetVips.Version(1), global::NetVips.NetVips.Version(2)))
            {
                EndToEndImagesPerS = endToEnd.Max(e => e.ImagesPerSecond),
                EndToEnd = endToEnd,
                SecondRunEncoded = secondRun!.Encoded, // non-null: set on the last thread count
                SecondRunMs = Math.Round(secondRun.TotalMs, 0),
                StoredEmbeddings100k = stored,
            };
            await output.WriteLineAsync();
            await output.WriteLineAsync(Table(report));
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { clip = report }, JsonReport.Options) + "\n", ct);
                await output.WriteLineAsync($"JSON written to {json}");
            }

            return 0;
        }
        finally
        {
            if (keep)
            {
                await output.WriteLineAsync($"Model kept in {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<EndToEndResult> EndToEndAsync(ClipLabelPipeline pipeline, List<ClipAsset> assets, ImmichGateway gateway, int batch, int threads, CancellationToken ct)
    {
        var result = await pipeline.RunAsync(assets, (id, token) => gateway.GetThumbnailAsync(id, "thumbnail", token), ct);
        if (result.Failures.Count > 0)
        {
            throw new InvalidOperationException("end to end: " + string.Join("; ", result.Failures.Values.Take(3)));
        }

        var n = assets.Count;
        var t = result.Times;
        return new EndToEndResult(
            batch,
            threads,
            n,
            Math.Round(n / t.Total.TotalSeconds, 2),
            result.Encoded,
            result.Reused,
            Math.Round(t.Download.TotalMilliseconds / n, 1),
            Math.Round(t.Encode.TotalMilliseconds / Math.Max(1, result.Encoded), 1),
            Math.Round(t.WaitingForThumbnails.TotalMilliseconds, 0),
            Math.Round(t.Total.TotalMilliseconds, 0));
    }

    /// <summary>A label set of <paramref name="labels"/> random unit vectors: scoring costs what a real set costs.</summary>
    private static ZeroShotClassifier RandomClassifier(int dimension, int labels)
    {
        var random = new Random(7);
        var set = Enumerable.Range(0, labels).Select(i => new ClipLabel($"label{i}", ["p"])).ToList();
        var vectors = set.Select(_ => (IReadOnlyList<float[]>)[Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()]).ToList();
        return new ZeroShotClassifier(set, vectors, new ZeroShotDecisionRule(0.5, 0.1));
    }

    /// <summary>
    /// <paramref name="count"/> random embeddings stored in SQLite, then all scored through the pipeline from the store
    /// (no encoder call): the file size and the memory a run over that many stored assets needs.
    /// </summary>
    private static async Task<StoredEmbeddingsResult> StoredEmbeddingsAsync(string root, int count, int dimension, CancellationToken ct)
    {
        var path = Path.Combine(root, "stored-100k.db");
        var store = new SqliteClipEmbeddingStore(path);
        var modelId = new ClipModelId("bench@stored");
        var random = new Random(3);
        var assets = new List<ClipAsset>(count);
        for (var start = 0; start < count; start += 5000)
        {
            var chunk = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var i = start; i < Math.Min(count, start + 5000); i++)
            {
                var checksum = Convert.ToBase64String(BitConverter.GetBytes((long)i)) + "====";
                chunk[checksum] = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                assets.Add(new ClipAsset(Guid.NewGuid(), checksum));
            }

            await store.StoreAsync(modelId, chunk, ct);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var started = Stopwatch.GetTimestamp();
        var pipeline = new ClipLabelPipeline(new NoEncoder(modelId, dimension), store, RandomClassifier(dimension, 8), new ClipPipelineOptions());
        var result = await pipeline.RunAsync(assets, (_, _) => throw new InvalidOperationException("all stored"), ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(result);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new StoredEmbeddingsResult(
            count,
            result.Reused,
            result.Encoded,
            Math.Round(new FileInfo(path).Length / (1024.0 * 1024.0), 0),
            Math.Round(seconds, 1),
            Math.Round(before / (1024.0 * 1024.0), 0),
            Math.Round(after / (1024.0 * 1024.0), 0),
            Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 0));
    }

    private sealed class NoEncoder(ClipModelId model, int dimension) : IClipImageEncoder
    {
        public ClipModelId Model => model;

        public int Dimension => dimension;

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            throw new InvalidOperationException("every embedding is stored");
    }

    /// <summary>Distinct WebP pictures the size of Immich's thumbnails (250 px on the short side).</summary>
    private static ReadOnlyMemory<byte>[] Thumbnails(int count)
    {
        var result = new ReadOnlyMemory<byte>[count];
        for (var n = 0; n < count; n++)
        {
            var (width, height) = n % 3 == 0 ? (250, 333) : n % 3 == 1 ? (333, 250) : (250, 250);
            var pixels = new byte[width * height * 3];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var i = ((y * width) + x) * 3;
                    pixels[i] = (byte)(128 + (100 * Math.Sin((x + (n * 7)) / 11.0)));
                    pixels[i + 1] = (byte)((x * y / (n + 3)) & 0xFF);
                    pixels[i + 2] = (byte)(128 + (100 * Math.Cos((y - (n * 5)) / 17.0)));
                }
            }

            using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
            result[n] = image.WebpsaveBuffer(q: 80);
        }

        return result;
    }

    private static string Table(ClipReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| batch | threads | images/s (model only) | ms/image | ms/batch | CPU ms/image |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in r.Configurations)
        {
            text.AppendLine(string.Create(inv, $"| {c.Batch} | {c.Threads} | {c.ImagesPerSecond:F2} | {c.MsPerImage:F0} | {c.MsPerBatch:F0} | {c.CpuMsPerImage:F0} |"));
        }

        text.AppendLine();
        text.AppendLine(string.Create(inv,
            $"Best model-only: {r.ModelOnlyImagesPerS:F2} images/s (batch {r.BestBatch}, {r.BestThreads} threads). Stages ({r.Stages.Threads} threads): decode + preprocess {r.Stages.PreprocessMsPerImage:F1} ms/image (one thread), inference {r.Stages.InferenceMsPerImage:F0} ms/image; decode + preprocess + inference from in-memory thumbnails, sequential: {r.Stages.InMemoryPipelineImagesPerS:F2} images/s."));
        text.Append(string.Create(inv,
            $"Peak working set {r.PeakWorkingSetMb:F0} MB. Load average (1 min) at start: {r.LoadAverage?.ToString("F1", inv) ?? "n/a"} on {r.Cores} cores (a busy machine slows every figure). libvips {r.Libvips}."));
        return text.ToString();
    }
}

/// <param name="Batch">Images per model call.</param>
/// <param name="Threads">ONNX Runtime intra-op threads.</param>
/// <param name="Images">Images timed (after one warm-up batch).</param>
/// <param name="ImagesPerSecond">Model-only throughput: preprocessed tensors in, embeddings out.</param>
/// <param name="MsPerImage">Wall ms per image.</param>
/// <param name="MsPerBatch">Wall ms per model call.</param>
/// <param name="CpuMsPerImage">Process CPU ms per image: much less affected than wall time when other work shares the cores.</param>
internal sealed record ClipConfigResult(int Batch, int Threads, int Images, double ImagesPerSecond, double MsPerImage, double MsPerBatch, double CpuMsPerImage);

/// <param name="Threads">The thread count these stage figures were measured with.</param>
/// <param name="PreprocessMsPerImage">Decoding a 250 px WebP thumbnail and preprocessing it to 3×224×224 floats, one thread.</param>
/// <param name="InferenceMsPerImage">Best model-only ms per image at this thread count.</param>
/// <param name="InMemoryPipelineImagesPerS">Decode + preprocess + inference from thumbnail bytes in memory, one after the other (no download, no overlap).</param>
/// <param name="SessionLoadSeconds">Creating the ONNX Runtime session (graph optimisation included).</param>
internal sealed record StageResult(int Threads, double PreprocessMsPerImage, double InferenceMsPerImage, double InMemoryPipelineImagesPerS, double SessionLoadSeconds);

/// <param name="ModelOnlyImagesPerS">Best model-only images/s over the configurations.</param>
internal sealed record ClipReport(
    string Model,
    string ModelId,
    long Parameters,
    double GenerateSeconds,
    double ModelOnlyImagesPerS,
    int BestBatch,
    int BestThreads,
    StageResult Stages,
    IReadOnlyList<ClipConfigResult> Configurations,
    double PeakWorkingSetMb,
    double? LoadAverage,
    int Cores,
    string Libvips)
{
    /// <summary>Best end-to-end images/s (thumbnails from the fake over HTTP + decode + preprocess + inference + store).</summary>
    public double EndToEndImagesPerS { get; init; }

    /// <summary>End-to-end runs, one per thread count at its best batch.</summary>
    public IReadOnlyList<EndToEndResult> EndToEnd { get; init; } = [];

    /// <summary>Images encoded when the same assets are scored again (0: each asset is encoded once).</summary>
    public int SecondRunEncoded { get; init; }

    /// <summary>Wall ms of that second pass (stored embeddings read and scored).</summary>
    public double SecondRunMs { get; init; }

    /// <summary>100,000 stored embeddings: disk and memory.</summary>
    public StoredEmbeddingsResult? StoredEmbeddings100k { get; init; }
}

/// <param name="DownloadMsPerImage">Sum of the per-thumbnail download times over images (downloads overlap).</param>
/// <param name="EncodeMsPerImage">Encoder calls (decode, preprocess, inference) plus scoring and storing, per encoded image.</param>
/// <param name="WaitingMs">Total time the encoder waited for thumbnails.</param>
internal sealed record EndToEndResult(int Batch, int Threads, int Images, double ImagesPerSecond, int Encoded, int Reused, double DownloadMsPerImage, double EncodeMsPerImage, double WaitingMs, double TotalMs);

/// <param name="FileMb">state.db size with the embeddings.</param>
/// <param name="ManagedMbBefore">Managed heap before scoring (after the list of assets was built).</param>
/// <param name="ManagedMbAfter">Managed heap after scoring all of them, the scores still held.</param>
internal sealed record StoredEmbeddingsResult(int Count, int Reused, int Encoded, double FileMb, double Seconds, double ManagedMbBefore, double ManagedMbAfter, double PeakWorkingSetMb);
