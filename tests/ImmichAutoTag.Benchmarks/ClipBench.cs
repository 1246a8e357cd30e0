using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Clip;
using Microsoft.ML.OnnxRuntime;
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
        "usage: dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --clip [--json FILE] [--images N] [--model-dir DIR] [--batches 1,8,32] [--threads 1,2] [--stored N] [--stored-only] [--keep] [--ort KEY=VALUE]... [--ort-level basic|extended|all] [--ort-dump FILE] [--vips-concurrency N] [--prepare-workers N] [--precision fp32|int8] [--layout side-by-side|within-batch] [--warm-up N] [--rounds N] [--jit-log] [--ort-profile PREFIX]\n" +
        "       dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --clip --write-model DIR   (writes the demo's small colour CLIP model in Immich's layout: DIR/clip/" + ClipDemoModel.Name + ")";

    /// <summary>The child process that re-scores stored embeddings (its peak working set is the figure).</summary>
    public const string RescoreFlag = "--clip-rescore-child";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken ct)
    {
        string? json = null, modelDir = null;
        var images = 64;
        var stored100k = 100_000;
        var keep = false;
        var storedOnly = false;
        var int8 = false;
        int? prepareWorkers = null;
        var warmUp = 256;
        var roundCount = 3;
        JitListener? jitLog = null;
        var ortEntries = new List<(string Key, string Value)>();
        GraphOptimizationLevel? ortLevel = null;
        string? ortDump = null;
        string? ortProfile = null;
        var sideBySide = true;
        int[] batches = [1, 8, 32];
        int[] threadCounts = [1, 2];
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
                case "--ort" when i + 1 < args.Count && args[i + 1].Split('=', 2) is [var ortKey, var ortValue]:
                    ortEntries.Add((ortKey, ortValue));
                    i++;
                    break;
                case "--ort-level" when i + 1 < args.Count && Enum.TryParse<GraphOptimizationLevel>("ORT_" + args[i + 1], ignoreCase: true, out var level):
                    ortLevel = level;
                    i++;
                    break;
                case "--vips-concurrency" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var vipsThreads) && vipsThreads >= 1:
                    // The variable too: the preprocessor keeps libvips at one thread unless it is set.
                    Environment.SetEnvironmentVariable("VIPS_CONCURRENCY", vipsThreads.ToString(CultureInfo.InvariantCulture));
                    global::NetVips.NetVips.Concurrency = vipsThreads;
                    i++;
                    break;
                case "--prepare-workers" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var workers) && workers >= 1:
                    prepareWorkers = workers;
                    i++;
                    break;
                case "--warm-up" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out warmUp):
                    i++;
                    break;
                case "--rounds" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out roundCount) && roundCount >= 1:
                    i++;
                    break;
                case "--jit-log":
                    jitLog ??= new JitListener();
                    break;
                case "--ort-dump" when i + 1 < args.Count:
                    ortDump = args[++i];
                    break;
                case "--ort-profile" when i + 1 < args.Count:
                    ortProfile = args[++i];
                    break;
                case "--layout" when i + 1 < args.Count && args[i + 1] is "side-by-side" or "within-batch":
                    sideBySide = args[++i] == "side-by-side";
                    break;
                case "--stored-only":
                    storedOnly = true;
                    break;
                case "--precision" when i + 1 < args.Count && args[i + 1] is "fp32" or "int8":
                    int8 = args[++i] == "int8";
                    break;
                case "--batches" when i + 1 < args.Count && ParseList(args[i + 1], 256) is { } list:
                    batches = list;
                    i++;
                    break;
                case "--threads" when i + 1 < args.Count && ParseList(args[i + 1], 64) is { } list:
                    threadCounts = list;
                    i++;
                    break;
                case "--stored" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out stored100k):
                    i++;
                    break;
                case "--write-model" when i + 1 < args.Count:
                    var written = ClipDemoModel.Write(args[i + 1]);
                    await output.WriteLineAsync($"Wrote the demo's colour CLIP model to {written} (use: immich-autotag demo --clip-model-folder {args[i + 1]})");
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"error: unexpected or incomplete argument '{args[i]}' (--images needs at least 32; --batches and --threads take comma-separated positive numbers)\n{Usage}");
                    return 2;
            }
        }

        var inv = CultureInfo.InvariantCulture;
        var root = Directory.CreateTempSubdirectory("immich-autotag-clip-bench-").FullName;
        try
        {
            if (storedOnly)
            {
                return await StoredOnlyAsync(root, Math.Max(1, stored100k), json, output, ct);
            }

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
            double? quantizeSeconds = null;
            var floatModel = model;
            if (int8)
            {
                // The copy a run with clip.precision: int8 makes, here in the bench's temporary folder.
                var started = Stopwatch.GetTimestamp();
                var copy = new ClipInt8Copies(Path.Combine(root, "clip-int8")).Ensure(model, id, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
                quantizeSeconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
                model = model with { VisualModel = copy };
                id = ClipInt8Copies.IdOf(id);
                await output.WriteLineAsync(string.Create(inv, $"int8 copy made in {quantizeSeconds:F1} s: {new FileInfo(copy).Length / 1e6:F0} MB; it runs one image per model call, as a run does (the batch is the pipeline's unit of decoding and storing)"));
            }

            Action<SessionOptions>? tune = ortEntries.Count == 0 && ortLevel is null && ortDump is null && ortProfile is null ? null : session =>
            {
                foreach (var (key, value) in ortEntries)
                {
                    session.AddSessionConfigEntry(key, value);
                }

                if (ortLevel is { } chosen)
                {
                    session.GraphOptimizationLevel = chosen;
                }

                if (ortDump is not null)
                {
                    session.OptimizedModelFilePath = ortDump;
                }

                if (ortProfile is not null)
                {
                    // The prefix first: enabling profiling reads it.
                    session.ProfileOutputPathPrefix = ortProfile;
                    session.EnableProfiling = true;
                }
            };
            if (tune is not null)
            {
                await output.WriteLineAsync($"ONNX Runtime session settings: {string.Join(", ", ortEntries.Select(e => e.Key + "=" + e.Value))} level {ortLevel?.ToString() ?? "default"}{(ortDump is null ? "" : ", optimized model written to " + ortDump)}");
            }

            var thumbnails = Thumbnails(images);
            var agreement = int8 ? Agreement(floatModel, model, thumbnails, batches.Max(), threadCounts.Max(), tune) : null;
            if (agreement is not null)
            {
                await output.WriteLineAsync(string.Create(inv,
                    $"int8 vs fp32 on {agreement.Images} thumbnails: cosine min {agreement.MinCosine:F5}, mean {agreement.MeanCosine:F5}; same nearest of {agreement.Labels} random label vectors for {agreement.SameTopLabel}/{agreement.Images}; same decision of the tool's rule (50 %, margin 10) for {agreement.SameDecision}/{agreement.Images} ({agreement.Fp32Labelled} labelled with fp32); fp32 embeddings of different thumbnails: mean cosine {agreement.Fp32MeanCosineBetweenImages:F4}"));
            }

            var configs = new List<ClipConfigResult>();
            StageResult? stages = null;
            foreach (var threads in threadCounts)
            {
                var loadStarted = Stopwatch.GetTimestamp();
                using var encoder = new OnnxClipImageEncoder(model, id, new ClipRuntimeOptions(BatchSize: batches.Max(), Threads: threads, UseCuda: false) { Tune = tune, SideBySide = sideBySide, OneImagePerCall = int8 });
                var loadSeconds = Stopwatch.GetElapsedTime(loadStarted).TotalSeconds;
                await output.WriteLineAsync(string.Create(inv, $"threads {threads}: session loaded in {loadSeconds:F1} s"));

                // Preprocessing once per image (single thread), timed; the tensors feed the model-only runs.
                var one = encoder.TensorLength;
                var tensor = new float[images * one];
                encoder.Preprocess(thumbnails[0].Span, tensor.AsSpan(0, one)); // warm-up: libvips loads its codecs once
                var preprocessCpu = ProcessCpu();
                var preprocessStarted = Stopwatch.GetTimestamp();
                for (var i = 0; i < images; i++)
                {
                    encoder.Preprocess(thumbnails[i].Span, tensor.AsSpan(i * one, one));
                }

                var preprocessMs = Stopwatch.GetElapsedTime(preprocessStarted).TotalMilliseconds / images;
                var preprocessCpuMs = (ProcessCpu() - preprocessCpu).TotalMilliseconds / images;
                foreach (var batch in batches)
                {
                    ct.ThrowIfCancellationRequested();
                    encoder.Run(tensor, batch, batch); // warm-up: a new shape's first run allocates and plans
                    Settle();
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

                if (threads == threadCounts.Max())
                {
                    stages = new StageResult(threads, Math.Round(preprocessMs, 2), configs.Where(c => c.Threads == threads).Min(c => c.MsPerImage), Math.Round(images / pipelineSeconds, 2), Math.Round(loadSeconds, 2))
                    {
                        PreprocessCpuMsPerImage = Math.Round(preprocessCpuMs, 2),
                        InferenceCpuMsPerImage = configs.Where(c => c.Threads == threads).MinBy(c => c.MsPerImage)!.CpuMsPerImage,
                    };
                }
            }

            // End to end: thumbnails from the fake over HTTP, decode, preprocess, inference, scoring, SQLite store;
            // at each thread count's best batch, right after the model alone at that configuration (so the ratio of
            // the two compares like with like on a shared machine). Then the same assets again: all stored, nothing encoded.
            var endToEnd = new List<EndToEndResult>();
            var warmUps = new List<EndToEndResult>();
            var noModels = new List<EndToEndResult>();
            var pooledRuns = new List<PooledEndToEnd>();
            EndToEndResult? secondRun = null;
            await using (var fake = await FakeImmichServer.StartAsync(ct: ct))
            {
                var user = fake.State.AddUser("Bench", "bench@example.com").Id;
                var key = fake.State.AddApiKey(user, "all");
                using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(fake.BaseUrl, key));
                var classifier = RandomClassifier(512, 8);
                foreach (var threads in threadCounts)
                {
                    var batch = configs.Where(c => c.Threads == threads).MaxBy(c => c.ImagesPerSecond)!.Batch; // non-null: every batch ran
                    var threadsBefore = ThreadCpu.Ids();
                    using var encoder = new OnnxClipImageEncoder(model, id, new ClipRuntimeOptions(BatchSize: batch, Threads: threads, UseCuda: false) { Tune = tune, SideBySide = sideBySide, OneImagePerCall = int8 });

                    // Threads the session started are ONNX Runtime's intra-op pool (the calling thread is its other
                    // worker); named so in the per-thread CPU figures.
                    var ortThreads = ThreadCpu.Ids();
                    ortThreads.ExceptWith(threadsBefore);
                    string? Label(int tid) => ortThreads.Contains(tid) ? "onnxruntime pool" : tid == Environment.ProcessId ? "main" : null;
                    var store = new SqliteClipEmbeddingStore(Path.Combine(root, $"e2e-{threads}.db"));
                    var pipeline = new ClipLabelPipeline(encoder, store, classifier, PipelineOptions(batch, threads, sideBySide, prepareWorkers));

                    // Warm-up: the whole path once over other assets, so the timed pass measures the steady state a
                    // run over a library reaches after its first batches, as the model-only figure is taken after a
                    // warm-up call. A cold pass pays one-off costs here: JIT compilation of the HTTP client, the
                    // in-process fake's web server (no part of the product), SQLite and the pipeline, and the first
                    // connections; its figures are reported as they are (warm_up). 256 images by default: after 32 the
                    // timed pass still compiled about 1,600 methods (promotions to optimised code); after 128 (16
                    // batches of 8) the first two rounds still compiled 100-200, code run once per batch reaching the
                    // runtime's 30 calls for optimised code there, with the JIT's background thread taking 1-13 CPU
                    // ms per image. Each pass reports its JIT time and count, so the steady state can be checked.
                    if (warmUp > 0)
                    {
                        var warmAssets = AddAssets(fake, user, $"warm-up-{threads}", warmUp, thumbnails);
                        var warmRun = await EndToEndAsync(pipeline, warmAssets, gateway, batch, threads, configs.First(c => c.Threads == threads && c.Batch == batch).ImagesPerSecond, Label, ct);
                        warmUps.Add(warmRun);
                        await output.WriteLineAsync(string.Create(inv,
                            $"warm-up, threads {threads}, batch {batch}: {warmRun.Images} other assets end to end (not timed as the result): {warmRun.ImagesPerSecond:F2} images/s, CPU ms/image {warmRun.CpuMsPerImage:F0}, JIT {warmRun.JitMs:F0} ms for {warmRun.JitMethods} methods, GC pauses {warmRun.GcPauseMs:F0} ms; CPU ms/image by thread (count): {ThreadCpu.Format(warmRun.ThreadCpu, warmRun.Images)}"));
                    }

                    // The model alone and the whole pipeline in turns, `rounds` times (new assets each round), so that
                    // both see the same machine: on a shared (or turbo-clocked) machine the model alone varies by a
                    // quarter within one run, and one pass of each decided the ratio before. The model-only passes
                    // take the same thumbnails, preprocessed, as input.
                    var input = new float[encoder.TensorLength * images];
                    for (var i = 0; i < images; i++)
                    {
                        encoder.Preprocess(thumbnails[i].Span, input.AsSpan(i * encoder.TensorLength, encoder.TensorLength));
                    }

                    encoder.Run(input, batch, batch); // warm-up, as for model-only
                    List<ClipAsset>? firstAssets = null;
                    var rounds = new List<EndToEndResult>();
                    for (var round = 1; round <= roundCount; round++)
                    {
                        Settle();
                        var modelThreads = ThreadCpu.Snapshot();
                        var modelCpu = ProcessCpu();
                        var modelStarted = Stopwatch.GetTimestamp();
                        encoder.Run(input, images, batch);
                        var modelSeconds = Stopwatch.GetElapsedTime(modelStarted).TotalSeconds;
                        var modelCpuMs = (ProcessCpu() - modelCpu).TotalMilliseconds / images;
                        var modelByThread = ThreadCpu.WithEnded(ThreadCpu.Diff(modelThreads, ThreadCpu.Snapshot(), Label), modelCpuMs * images);
                        Settle();
                        var clipAssets = AddAssets(fake, user, $"e2e-{threads}-{round}", images, thumbnails);
                        firstAssets ??= clipAssets;
                        jitLog?.Start();
                        var run = await EndToEndAsync(pipeline, clipAssets, gateway, batch, threads, images / modelSeconds, Label, ct) with
                        {
                            Round = round,
                            ModelOnlyCpuMsPerImage = Math.Round(modelCpuMs, 1),
                            ModelOnlyThreadCpu = modelByThread,
                            ModelOnlySeconds = modelSeconds,
                        };
                        rounds.Add(run);
                        endToEnd.Add(run);
                        await output.WriteLineAsync(string.Create(inv,
                            $"end to end, threads {threads}, batch {batch}, round {round}: {run.ImagesPerSecond:F2} images/s = {run.RatioToModelOnly:P0} of the model alone just before ({run.ModelOnlyImagesPerSecond:F2}); CPU ms/image {run.CpuMsPerImage:F0} (model alone {run.ModelOnlyCpuMsPerImage:F0}); per image: download {run.DownloadMsPerImage:F1} ms (summed over parallel downloads), decode + preprocess {run.PrepareMsPerImage:F1} ms (summed over workers; {run.PreparePhaseMsPerImage:F1} ms wall between model calls, summed over lanes), inference {run.InferenceMsPerImage:F0} ms, store + score {run.StoreMsPerImage:F1} ms; model waited {run.WaitingMs:F0} ms in all for thumbnails; JIT {run.JitMs:F0} ms for {run.JitMethods} methods, GC pauses {run.GcPauseMs:F0} ms, {run.AllocatedKbPerImage:F0} KB allocated per image; thumbnails {run.ThumbnailBytesPerImage / 1024.0:F1} KB"));
                        await output.WriteLineAsync($"  CPU ms/image by thread (count): model alone: {ThreadCpu.Format(run.ModelOnlyThreadCpu, images)}; end to end: {ThreadCpu.Format(run.ThreadCpu, images)}");
                        if (jitLog?.Stop() is { Count: > 0 } compiled)
                        {
                            await output.WriteLineAsync($"  methods compiled during the pass, by namespace: {string.Join(", ", compiled.Take(12).Select(c => $"{c.Namespace} {c.Methods}"))}");
                        }
                    }

                    // The pipeline without the model (the model call replaced by constant embeddings): what downloads
                    // (the in-process fake included), decoding, preprocessing, storing and scoring cost on their own,
                    // so that end to end − model alone − this is what running them together adds.
                    Settle();
                    var noModelPipeline = new ClipLabelPipeline(new WithoutModel(encoder), new SqliteClipEmbeddingStore(Path.Combine(root, $"no-model-{threads}.db")), classifier, PipelineOptions(batch, threads, sideBySide, prepareWorkers));
                    var noModel = await EndToEndAsync(noModelPipeline, AddAssets(fake, user, $"no-model-{threads}", images, thumbnails), gateway, batch, threads, modelOnly: 0, Label, ct);
                    noModels.Add(noModel);
                    var pooled = Pooled(rounds);
                    pooledRuns.Add(pooled);
                    await output.WriteLineAsync(string.Create(inv,
                        $"threads {threads}, batch {batch}, {rounds.Count} rounds: end to end {pooled.ImagesPerSecond:F2} images/s, model alone {pooled.ModelOnlyImagesPerSecond:F2} (all rounds' images over all rounds' time): {pooled.Ratio:P0}; per round {string.Join(", ", rounds.Select(r => r.RatioToModelOnly.ToString("P0", inv)))}; CPU ms/image end to end {pooled.CpuMsPerImage:F0}, model alone {pooled.ModelOnlyCpuMsPerImage:F0}, the pipeline without the model {noModel.CpuMsPerImage:F1} ({ThreadCpu.Format(noModel.ThreadCpu, images)}): running them together adds {pooled.CpuMsPerImage - pooled.ModelOnlyCpuMsPerImage - noModel.CpuMsPerImage:F1}"));
                    if (threads == threadCounts.Max())
                    {
                        secondRun = await EndToEndAsync(pipeline, firstAssets!, gateway, batch, threads, 1, Label, ct); // non-null: at least one round
                        await output.WriteLineAsync(string.Create(inv, $"second run: {secondRun.Encoded} encoded, {secondRun.Reused} reused, {secondRun.TotalMs:F0} ms"));
                    }
                }
            }

            var stored = stored100k > 0 ? await StoredEmbeddingsAsync(root, stored100k, 512, ct) : null;
            if (stored is not null)
            {
                await output.WriteLineAsync(string.Create(inv,
                    $"{stored.Count} stored embeddings: {stored.FileMb:F0} MB on disk; a re-score-only pass in a fresh process: {stored.Reused} reused, {stored.Encoded} encoded, {stored.Seconds:F1} s ({stored.CpuSeconds:F1} CPU s), managed heap after scoring {stored.ManagedMbAfter:F0} MB (before {stored.ManagedMbBefore:F0} MB), peak working set {stored.PeakWorkingSetMb:F0} MB"));
            }

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
                WebpDecoder = SkiaWebPDecoder.Decoder,
                EndToEndImagesPerS = pooledRuns.Max(e => e.ImagesPerSecond),
                EndToEndToModelOnly = Math.Round(pooledRuns.Max(e => e.ImagesPerSecond) / best.ImagesPerSecond, 3),
                EndToEndToModelOnlySameConfig = pooledRuns.MaxBy(e => e.ImagesPerSecond)!.Ratio,
                EndToEndFirstRoundToModelOnly = endToEnd.Where(e => e.Round == 1).MaxBy(e => e.ImagesPerSecond)!.RatioToModelOnly,
                EndToEndPooled = pooledRuns,
                WithoutModel = noModels,
                Rounds = roundCount,
                EndToEnd = endToEnd,
                WarmUp = warmUps,
                WarmUpImages = warmUp,
                SecondRunEncoded = secondRun!.Encoded, // non-null: set on the last thread count
                SecondRunMs = Math.Round(secondRun.TotalMs, 0),
                StoredEmbeddings100k = stored,
                Precision = int8 ? "int8" : "fp32",
                Layout = sideBySide ? "side-by-side" : "within-batch",
                QuantizeSeconds = quantizeSeconds,
                Int8Agreement = agreement,
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
            jitLog?.Dispose();
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

    // --stored-only: just the re-score of stored embeddings (no model), for working on the store.
    private static async Task<int> StoredOnlyAsync(string root, int count, string? json, TextWriter output, CancellationToken ct)
    {
        var load = ProcessMemory.LoadAverage();
        var stored = await StoredEmbeddingsAsync(root, count, 512, ct);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{stored.Count} stored embeddings ({Path.Combine(root, "stored.db")}): {stored.FileMb:F0} MB on disk; a re-score-only pass in a fresh process: {stored.Reused} reused, {stored.Encoded} encoded, {stored.Seconds:F1} s ({stored.CpuSeconds:F1} CPU s), managed heap after scoring {stored.ManagedMbAfter:F0} MB (before {stored.ManagedMbBefore:F0} MB), peak working set {stored.PeakWorkingSetMb:F0} MB; load average {load}"));
        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { clip = new { stored_embeddings100k = stored, load_average = load } }, JsonReport.Options) + "\n", ct);
        }

        return 0;
    }

    /// <summary>The pipeline as a run sets it up for <paramref name="threads"/> (<c>clip.threads</c>) in the chosen layout.</summary>
    private static ClipPipelineOptions PipelineOptions(int batch, int threads, bool sideBySide, int? prepareWorkers) => sideBySide
        ? new ClipPipelineOptions(BatchSize: batch, PrepareWorkers: prepareWorkers ?? 1, Lanes: threads)
        : new ClipPipelineOptions(BatchSize: batch, PrepareWorkers: prepareWorkers ?? threads);

    private static int[]? ParseList(string text, int max)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || value > max)
            {
                return null;
            }

            values.Add(value);
        }

        return values.Count > 0 ? [.. values.Distinct()] : null;
    }

    private static async Task<EndToEndResult> EndToEndAsync(ClipLabelPipeline pipeline, List<ClipAsset> assets, ImmichGateway gateway, int batch, int threads, double modelOnly, Func<int, string?> label, CancellationToken ct)
    {
        var threadCpu = ThreadCpu.Snapshot();
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var gcPause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes();
        long thumbnailBytes = 0;
        var cpu = ProcessCpu();
        var result = await pipeline.RunAsync(
            assets,
            async (id, token) =>
            {
                var bytes = await gateway.GetThumbnailAsync(id, "thumbnail", token);
                Interlocked.Add(ref thumbnailBytes, bytes.Length);
                return bytes;
            },
            ct);
        var cpuMs = (ProcessCpu() - cpu).TotalMilliseconds;
        var byThread = ThreadCpu.WithEnded(ThreadCpu.Diff(threadCpu, ThreadCpu.Snapshot(), label), cpuMs);
        var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds;
        var jitCount = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods;
        var gcPauseMs = (GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds;
        var allocatedBytes = GC.GetTotalAllocatedBytes() - allocated;
        if (result.Failures.Count > 0)
        {
            throw new InvalidOperationException("end to end: " + string.Join("; ", result.Failures.Values.Take(3)));
        }

        var n = assets.Count;
        var t = result.Times;
        var encoded = Math.Max(1, result.Encoded);
        var perSecond = n / t.Total.TotalSeconds;
        return new EndToEndResult(
            batch,
            threads,
            n,
            Math.Round(perSecond, 2),
            Math.Round(modelOnly, 2),
            modelOnly > 0 ? Math.Round(perSecond / modelOnly, 3) : 0,
            result.Encoded,
            result.Reused,
            Math.Round(t.Download.TotalMilliseconds / n, 1),
            Math.Round(t.Prepare.TotalMilliseconds / encoded, 1),
            Math.Round(t.Inference.TotalMilliseconds / encoded, 1),
            Math.Round((t.Encode - t.Inference - t.PreparePhase).TotalMilliseconds / encoded, 1),
            Math.Round(t.WaitingForThumbnails.TotalMilliseconds, 0),
            Math.Round(t.Lookup.TotalMilliseconds, 0),
            Math.Round(t.Total.TotalMilliseconds, 0))
        {
            PreparePhaseMsPerImage = Math.Round(t.PreparePhase.TotalMilliseconds / encoded, 1),
            CpuMsPerImage = Math.Round(cpuMs / n, 1),
            JitMs = Math.Round(jitMs, 0),
            JitMethods = jitCount,
            GcPauseMs = Math.Round(gcPauseMs, 0),
            AllocatedKbPerImage = Math.Round(allocatedBytes / 1024.0 / n, 0),
            ThumbnailBytesPerImage = encoded == 0 ? 0 : thumbnailBytes / encoded,
            ThreadCpu = byThread,
        };
    }

    /// <summary>
    /// <paramref name="count"/> new assets on the fake whose thumbnails are the benchmark's textured WebP pictures (the
    /// fake's own one-colour gradients compress to a few hundred bytes and decode faster than any photo's thumbnail).
    /// </summary>
    private static List<ClipAsset> AddAssets(FakeImmichServer fake, Guid user, string prefix, int count, ReadOnlyMemory<byte>[] thumbnails)
    {
        var result = new List<ClipAsset>(count);
        for (var i = 0; i < count; i++)
        {
            var asset = fake.State.AddAsset(user, $"{prefix}-{i}.jpg", DateTimeOffset.UnixEpoch);
            asset.ThumbnailBytes = thumbnails[i % thumbnails.Length].ToArray();
            result.Add(new ClipAsset(asset.Id, asset.Checksum));
        }

        return result;
    }

    /// <summary>The rounds of one configuration as one measurement: all their images over all their time.</summary>
    private static PooledEndToEnd Pooled(List<EndToEndResult> rounds)
    {
        var images = rounds.Sum(r => r.Images);
        var seconds = rounds.Sum(r => r.TotalMs) / 1000;
        var modelSeconds = rounds.Sum(r => r.ModelOnlySeconds);
        var ratios = rounds.Select(r => r.RatioToModelOnly).Order().ToList();
        return new PooledEndToEnd(
            rounds[0].Batch,
            rounds[0].Threads,
            rounds.Count,
            Math.Round(images / seconds, 2),
            Math.Round(images / modelSeconds, 2),
            Math.Round(modelSeconds / seconds, 3),
            ratios[0],
            ratios[^1],
            Math.Round(rounds.Sum(r => r.CpuMsPerImage * r.Images) / images, 1),
            Math.Round(rounds.Sum(r => r.ModelOnlyCpuMsPerImage * r.Images) / images, 1));
    }

    /// <summary>
    /// The encoder with its model call replaced by constant unit embeddings: decoding and preprocessing as the real
    /// one does, no inference (the benchmark's "pipeline without the model").
    /// </summary>
    private sealed class WithoutModel(OnnxClipImageEncoder inner) : IClipImagePreparer
    {
        public ClipModelId Model { get; } = new("bench@no-model");

        public int Dimension => inner.Dimension;

        public int PreparedLength => inner.PreparedLength;

        public string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination) => inner.Prepare(image, destination);

        public Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> prepared, int count, CancellationToken ct)
        {
            var one = new float[Dimension];
            one[0] = 1;
            return Task.FromResult<IReadOnlyList<float[]>>([.. Enumerable.Range(0, count).Select(_ => one)]);
        }

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            throw new InvalidOperationException("the pipeline prepares images itself");
    }

    /// <summary>
    /// Collects garbage before a timed pass, the same before each: the benchmark itself leaves hundreds of MB behind
    /// (the generated float model's arrays, the int8 copy's, the agreement's sessions) that a run of the tool never
    /// holds, and a collection of them inside a timed pass would be charged to that pass.
    /// </summary>
    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>CPU time of this process so far (user + system, all threads; the in-process fake Immich included).</summary>
    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
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
    /// (no encoder call) in a child process of its own, so its peak working set is that of a re-score-only run and
    /// not the benchmark's (which held two ViT-B/32 sessions before).
    /// </summary>
    private static async Task<StoredEmbeddingsResult> StoredEmbeddingsAsync(string root, int count, int dimension, CancellationToken ct)
    {
        var path = Path.Combine(root, "stored.db");
        var store = new SqliteClipEmbeddingStore(path);
        var random = new Random(3);
        foreach (var chunk in StoredAssets(count).Chunk(5000))
        {
            var embeddings = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var asset in chunk)
            {
                embeddings[asset.Checksum] = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            }

            await store.StoreAsync(StoredModel, embeddings, ct);
        }

        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        info.Environment.Remove("DOTNET_DiagnosticPorts");
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(ClipBench).Assembly.Location);
        }

        info.ArgumentList.Add(RescoreFlag);
        info.ArgumentList.Add(path);
        info.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(dimension.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(info) ?? throw new InvalidOperationException("The re-score process did not start.");
        var line = await child.StandardOutput.ReadToEndAsync(ct);
        await child.WaitForExitAsync(ct);
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The re-score process failed ({child.ExitCode}): {line}");
        }

        return JsonSerializer.Deserialize<StoredEmbeddingsResult>(line, JsonReport.Options)! with
        {
            FileMb = Math.Round(new FileInfo(path).Length / (1024.0 * 1024.0), 0),
        };
    }

    /// <summary>
    /// The child of <see cref="StoredEmbeddingsAsync"/>: scores <c>count</c> assets whose embeddings are all in the
    /// SQLite file through <see cref="ClipLabelPipeline"/> (as a run after a label change does) and prints the
    /// figures as one JSON line.
    /// </summary>
    public static async Task<int> RescoreChildAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var path = args[1];
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        var dimension = int.Parse(args[3], CultureInfo.InvariantCulture);
        var assets = StoredAssets(count).ToList();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var pipeline = new ClipLabelPipeline(new NoEncoder(StoredModel, dimension), new SqliteClipEmbeddingStore(path) { ScanMode = args.Count > 4 ? Enum.Parse<ClipStoreScanMode>(args[4], ignoreCase: true) : ClipStoreScanMode.Auto }, RandomClassifier(dimension, 8), new ClipPipelineOptions());
        var result = await pipeline.RunAsync(assets, (_, _) => throw new InvalidOperationException("all stored"), ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(result);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(JsonSerializer.Serialize(
            new StoredEmbeddingsResult(
                count,
                result.Reused,
                result.Encoded,
                0,
                Math.Round(seconds, 1),
                Math.Round(before / (1024.0 * 1024.0), 0),
                Math.Round(after / (1024.0 * 1024.0), 0),
                Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 0))
            {
                CpuSeconds = Math.Round(cpuSeconds, 1),
                LoadAverage = ProcessMemory.LoadAverage(),
            },
            OneLine));
        return 0;
    }

    private static readonly ClipModelId StoredModel = new("bench@stored");

    private static readonly JsonSerializerOptions OneLine = new(JsonReport.Options) { WriteIndented = false };

    private static IEnumerable<ClipAsset> StoredAssets(int count) =>
        Enumerable.Range(0, count).Select(i => new ClipAsset(
            new Guid(i, 0, 0, new byte[8]),
            Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)).AsSpan(0, 20))));

    private sealed class NoEncoder(ClipModelId model, int dimension) : IClipImageEncoder
    {
        public ClipModelId Model => model;

        public int Dimension => dimension;

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            throw new InvalidOperationException("every embedding is stored");
    }

    /// <summary>Distinct WebP pictures the size of Immich's thumbnails (250 px on the short side).</summary>
    // Encodes the thumbnails with both towers and compares the embeddings (both L2-normalised by the encoder).
    private static Int8Agreement Agreement(ClipModelFolder fp32, ClipModelFolder int8, ReadOnlyMemory<byte>[] thumbnails, int batch, int threads, Action<SessionOptions>? tune)
    {
        float[][] Encode(ClipModelFolder folder)
        {
            using var encoder = new OnnxClipImageEncoder(folder, new ClipModelId("agreement"), new ClipRuntimeOptions(batch, threads, UseCuda: false) { Tune = tune });
            return [.. encoder.EncodeImagesAsync(thumbnails, CancellationToken.None).GetAwaiter().GetResult().Select(e => e.Embedding ?? throw new InvalidOperationException(e.Error))];
        }

        var a = Encode(fp32);
        var b = Encode(int8);
        static double Dot(float[] x, float[] y)
        {
            var sum = 0.0;
            for (var i = 0; i < x.Length; i++)
            {
                sum += (double)x[i] * y[i];
            }

            return sum;
        }

        var cosines = a.Zip(b, Dot).ToArray();
        var random = new Random(14);
        const int labels = 8;
        var vectors = Enumerable.Range(0, labels).Select(_ =>
        {
            var v = Enumerable.Range(0, a[0].Length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            var norm = (float)Math.Sqrt(Dot(v, v));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
        int Top(float[] e) => Enumerable.Range(0, labels).MaxBy(l => Dot(vectors[l], e));

        // The tool's own decision on those label vectors (softmax of 100 × cosine, clip's default minimum probability
        // 50 % and margin 10 points): the label a run would give, or none, with each precision.
        var names = Enumerable.Range(0, labels).Select(l => new ClipLabel($"label{l}", ["p"])).ToList();
        var classifier = new ZeroShotClassifier(names, [.. vectors.Select(v => (IReadOnlyList<float[]>)[v])], new ZeroShotDecisionRule(0.5, 0.1));
        var decisions = Enumerable.Range(0, a.Length).Select(i => (Fp32: classifier.Classify(a[i]).Label, Int8: classifier.Classify(b[i]).Label)).ToArray();
        var between = new List<double>();
        for (var i = 0; i < a.Length; i++)
        {
            for (var j = i + 1; j < a.Length; j++)
            {
                between.Add(Dot(a[i], a[j]));
            }
        }

        return new Int8Agreement(a.Length, Math.Round(cosines.Min(), 5), Math.Round(cosines.Average(), 5), labels,
            Enumerable.Range(0, a.Length).Count(i => Top(a[i]) == Top(b[i])), Math.Round(between.Average(), 4))
        {
            SameDecision = decisions.Count(d => d.Fp32 == d.Int8),
            Fp32Labelled = decisions.Count(d => d.Fp32 is not null),
        };
    }

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
        text.AppendLine(string.Create(inv,
            $"CPU ms per image: decode + preprocess {r.Stages.PreprocessCpuMsPerImage:F1}, model {r.Stages.InferenceCpuMsPerImage:F0}; end to end {string.Join(", ", r.EndToEndPooled.Select(e => $"{e.CpuMsPerImage:F0} at {e.Threads} thread(s) (model alone in the same rounds {e.ModelOnlyCpuMsPerImage:F0})"))}. End to end / model only: {r.EndToEndToModelOnly:P0} (best of each), {r.EndToEndToModelOnlySameConfig:P0} (same configuration, {r.Rounds} rounds in turns; rounds {string.Join(" ", r.EndToEndPooled.Select(e => $"{e.MinRoundRatio:P0}-{e.MaxRoundRatio:P0}"))}), {r.EndToEndFirstRoundToModelOnly:P0} (first round alone)."));
        if (r.Int8Agreement is { } agreement)
        {
            text.AppendLine(string.Create(inv,
                $"int8 vs fp32 (generated random-weight model; a real model's accuracy is not measured here): mean cosine {agreement.MeanCosine:F5} (min {agreement.MinCosine:F5}) over {agreement.Images} thumbnails; top label of {agreement.Labels} random label vectors the same for {agreement.SameTopLabel}/{agreement.Images}, the tool's decision the same for {agreement.SameDecision}/{agreement.Images}."));
        }

        text.Append(string.Create(inv,
            $"Threads as {r.Layout}. Peak working set {r.PeakWorkingSetMb:F0} MB. Load average (1 min) at start: {r.LoadAverage?.ToString("F1", inv) ?? "n/a"} on {r.Cores} cores (a busy machine slows every figure). libvips {r.Libvips}; WebP decoded by {r.WebpDecoder}."));
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
internal sealed record StageResult(int Threads, double PreprocessMsPerImage, double InferenceMsPerImage, double InMemoryPipelineImagesPerS, double SessionLoadSeconds)
{
    /// <summary>Process CPU ms per image of that decode + preprocess loop (one thread; libvips as configured).</summary>
    public double PreprocessCpuMsPerImage { get; init; }

    /// <summary>Process CPU ms per image of the model alone at this thread count's fastest batch.</summary>
    public double InferenceCpuMsPerImage { get; init; }
}

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
    /// <summary>What decodes the WebP thumbnails: SkiaSharp's libwebp with its native version, or libvips where SkiaSharp does not load.</summary>
    public string WebpDecoder { get; init; } = "";

    /// <summary>Best end-to-end images/s (thumbnails from the fake over HTTP + decode + preprocess + inference + store).</summary>
    public double EndToEndImagesPerS { get; init; }

    /// <summary>Best end-to-end images/s divided by best model-only images/s (both from this run).</summary>
    public double EndToEndToModelOnly { get; init; }

    /// <summary>The best end-to-end run divided by the model alone at its batch and threads, measured just before it.</summary>
    public double EndToEndToModelOnlySameConfig { get; init; }

    /// <summary>
    /// The first round's end-to-end / model-only ratio at the best configuration: one pass of each, as the benchmark
    /// measured before it took several rounds in turns.
    /// </summary>
    public double EndToEndFirstRoundToModelOnly { get; init; }

    /// <summary>Model-only and end-to-end passes taken in turns at each configuration (<c>--rounds N</c>, default 3).</summary>
    public int Rounds { get; init; }

    /// <summary>Per thread count: all rounds of the model alone and end to end, each as one measurement.</summary>
    public IReadOnlyList<PooledEndToEnd> EndToEndPooled { get; init; } = [];

    /// <summary>Per thread count: the pipeline with the model call replaced by constant embeddings (downloads, the fake, decoding, storing, scoring).</summary>
    public IReadOnlyList<EndToEndResult> WithoutModel { get; init; } = [];

    /// <summary>End-to-end runs, one per round per thread count at its best batch.</summary>
    public IReadOnlyList<EndToEndResult> EndToEnd { get; init; } = [];

    /// <summary>The untimed warm-up pass before each end-to-end run, over other assets (its cold figures: JIT, first connections).</summary>
    public IReadOnlyList<EndToEndResult> WarmUp { get; init; } = [];

    /// <summary>Images of each warm-up pass (<c>--warm-up N</c>; 0: the end-to-end runs are cold).</summary>
    public int WarmUpImages { get; init; }

    /// <summary>Images encoded when the same assets are scored again (0: each asset is encoded once).</summary>
    public int SecondRunEncoded { get; init; }

    /// <summary>Wall ms of that second pass (stored embeddings read and scored).</summary>
    public double SecondRunMs { get; init; }

    /// <summary>100,000 stored embeddings: disk and memory.</summary>
    public StoredEmbeddingsResult? StoredEmbeddings100k { get; init; }

    /// <summary><c>fp32</c> (the model file as it is) or <c>int8</c> (the copy <c>clip.precision: int8</c> makes).</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>
    /// How the threads of a configuration were spent: <c>side-by-side</c> (that many batches at once, one thread each,
    /// as a run does) or <c>within-batch</c> (one batch at a time on that many intra-op threads).
    /// </summary>
    public string Layout { get; init; } = "side-by-side";

    /// <summary>Seconds to make the int8 copy (null for fp32).</summary>
    public double? QuantizeSeconds { get; init; }

    /// <summary>int8 against fp32 on the same thumbnails (null for fp32).</summary>
    public Int8Agreement? Int8Agreement { get; init; }
}

/// <param name="ModelOnlyImagesPerSecond">The model alone at the same batch and threads, measured just before.</param>
/// <param name="RatioToModelOnly"><paramref name="ImagesPerSecond"/> / <paramref name="ModelOnlyImagesPerSecond"/>.</param>
/// <param name="DownloadMsPerImage">Sum of the per-thumbnail download times over images (downloads overlap each other and the model).</param>
/// <param name="PrepareMsPerImage">Decode + resize + crop + normalise per encoded image, summed over the workers that prepare a batch between model calls.</param>
/// <param name="InferenceMsPerImage">Model calls per encoded image (wall).</param>
/// <param name="StoreMsPerImage">The encoder stage minus the model and the preparing, per encoded image: mostly waiting for the previous batch's SQLite store.</param>
/// <param name="WaitingMs">Total time the model stage waited for prepared thumbnails.</param>
/// <param name="LookupMs">Reading stored embeddings (and scoring them).</param>
internal sealed record EndToEndResult(
    int Batch,
    int Threads,
    int Images,
    double ImagesPerSecond,
    double ModelOnlyImagesPerSecond,
    double RatioToModelOnly,
    int Encoded,
    int Reused,
    double DownloadMsPerImage,
    double PrepareMsPerImage,
    double InferenceMsPerImage,
    double StoreMsPerImage,
    double WaitingMs,
    double LookupMs,
    double TotalMs)
{
    /// <summary>Wall ms per encoded image spent preparing batches between model calls (on the model's path).</summary>
    public double PreparePhaseMsPerImage { get; init; }

    /// <summary>Process CPU ms per image of the whole end-to-end pass (the in-process fake Immich serving thumbnails included).</summary>
    public double CpuMsPerImage { get; init; }

    /// <summary>Process CPU ms per image of the model alone just before, at the same batch and threads.</summary>
    public double ModelOnlyCpuMsPerImage { get; init; }

    /// <summary>Time the JIT compiler spent during the pass, all threads (<c>JitInfo.GetCompilationTime</c>): a one-off cost of code run for the first time, or promoted to optimised code.</summary>
    public double JitMs { get; init; }

    /// <summary>Methods the JIT compiled during the pass.</summary>
    public long JitMethods { get; init; }

    /// <summary>Garbage-collection pauses during the pass, ms.</summary>
    public double GcPauseMs { get; init; }

    /// <summary>Managed memory allocated per image during the pass, KB (the fake's allocations included).</summary>
    public double AllocatedKbPerImage { get; init; }

    /// <summary>Mean size of a downloaded thumbnail, bytes.</summary>
    public long ThumbnailBytesPerImage { get; init; }

    /// <summary>CPU ms per thread group during the pass (Linux thread names; ONNX Runtime's pool and the main thread labelled).</summary>
    public IReadOnlyList<ThreadGroupCpu> ThreadCpu { get; init; } = [];

    /// <summary>The round (1..<c>--rounds</c>) this pass belongs to; 0 for warm-up, second and model-less passes.</summary>
    public int Round { get; init; }

    /// <summary>Wall seconds of the model-only pass just before (same images, batch and threads).</summary>
    public double ModelOnlySeconds { get; init; }

    /// <summary>The same for the model alone just before.</summary>
    public IReadOnlyList<ThreadGroupCpu> ModelOnlyThreadCpu { get; init; } = [];
}

/// <summary>All rounds of one configuration: model alone and end to end taken in turns, each summed over the rounds.</summary>
/// <param name="ImagesPerSecond">End to end: all rounds' images over all rounds' wall time.</param>
/// <param name="ModelOnlyImagesPerSecond">The model alone: the same over its passes.</param>
/// <param name="Ratio"><paramref name="ImagesPerSecond"/> / <paramref name="ModelOnlyImagesPerSecond"/>.</param>
/// <param name="MinRoundRatio">The lowest ratio of one round (its end-to-end pass over the model-only pass just before).</param>
/// <param name="MaxRoundRatio">The highest.</param>
/// <param name="CpuMsPerImage">Process CPU ms per image end to end, over all rounds.</param>
/// <param name="ModelOnlyCpuMsPerImage">The same for the model alone.</param>
internal sealed record PooledEndToEnd(int Batch, int Threads, int Rounds, double ImagesPerSecond, double ModelOnlyImagesPerSecond, double Ratio, double MinRoundRatio, double MaxRoundRatio, double CpuMsPerImage, double ModelOnlyCpuMsPerImage);

/// <param name="FileMb">state.db size with the embeddings.</param>
/// <param name="PeakWorkingSetMb">Peak working set of the re-score-only process (runtime, SQLite, asset list, scores).</param>
/// <param name="ManagedMbBefore">Managed heap before scoring (after the list of assets was built).</param>
/// <param name="ManagedMbAfter">Managed heap after scoring all of them, the scores still held.</param>
internal sealed record StoredEmbeddingsResult(int Count, int Reused, int Encoded, double FileMb, double Seconds, double ManagedMbBefore, double ManagedMbAfter, double PeakWorkingSetMb)
{
    /// <summary>CPU time of the re-score (user + system, all threads): less distorted than wall time on a busy machine.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>The machine's 1-minute load average when the re-score ended.</summary>
    public double? LoadAverage { get; init; }
}

/// <summary>How close the int8 copy's embeddings are to the float model's, on the benchmark's thumbnails.</summary>
/// <param name="Images">Thumbnails compared.</param>
/// <param name="MinCosine">Smallest cosine similarity between a thumbnail's int8 and fp32 embeddings.</param>
/// <param name="MeanCosine">Mean of those cosine similarities.</param>
/// <param name="Labels">Random unit vectors standing in for label embeddings (a random-weight model has no meaningful labels).</param>
/// <param name="SameTopLabel">Thumbnails whose nearest label vector is the same for both.</param>
/// <param name="Fp32MeanCosineBetweenImages">Mean cosine between fp32 embeddings of different thumbnails: how far apart images are at all.</param>
internal sealed record Int8Agreement(int Images, double MinCosine, double MeanCosine, int Labels, int SameTopLabel, double Fp32MeanCosineBetweenImages)
{
    /// <summary>
    /// Thumbnails for which the tool's decision on those label vectors (softmax of 100 × cosine, minimum probability
    /// 50 %, margin 10 points) is the same with both: the same label, or no label with either.
    /// </summary>
    public int SameDecision { get; init; }

    /// <summary>Thumbnails the fp32 model's embeddings get a label for under that decision rule.</summary>
    public int Fp32Labelled { get; init; }
}
