using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit.Clip;
using NetVips;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The ONNX Runtime towers on generated models in Immich's cache layout, whose outputs are computed here by hand.
/// </summary>
public sealed class OnnxClipModelTests : IClassFixture<OnnxClipModelTests.Cache>
{
    private const int D = 8;
    private readonly Cache cache;

    public OnnxClipModelTests(Cache cache) => this.cache = cache;

    [Fact]
    public async Task Image_embedding_is_the_models_function_of_the_preprocessed_pixels()
    {
        var model = ClipModelFolder.Locate(cache.Root, "Tiny__dynamic");
        using var encoder = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(BatchSize: 4, Threads: 1, UseCuda: false));
        var image = Webp(ClipImagePreprocessorTests.Pattern(300, 200), 300, 200);

        var result = await encoder.EncodeImagesAsync([image], CancellationToken.None);

        var tensor = new float[encoder.TensorLength];
        encoder.Preprocess(image.Span, tensor);
        var plane = 224 * 224;
        var means = Enumerable.Range(0, 3).Select(c => tensor.Skip(c * plane).Take(plane).Average(v => (double)v)).ToArray();
        var w = ClipTestModels.TinyVisualWeights(D);
        var b = ClipTestModels.TinyVisualBias(D);
        var expected = Normalise(Enumerable.Range(0, D).Select(d => means[0] * w[d] + means[1] * w[D + d] + means[2] * w[(2 * D) + d] + b[d]).ToArray());
        encoder.Dimension.Should().Be(D);
        encoder.Model.Value.Should().StartWith("Tiny__dynamic@");
        result.Single().Error.Should().BeNull();
        result.Single().Embedding.Should().Equal(expected, (x, y) => Math.Abs(x - y) < 1e-4);
    }

    [Fact]
    public async Task A_fixed_batch_model_as_Immich_exports_gives_the_same_embeddings_one_image_per_call()
    {
        var images = new[] { (320, 240), (200, 300), (224, 224), (500, 120), (90, 90) }
            .Select(s => Webp(ClipImagePreprocessorTests.Pattern(s.Item1, s.Item2), s.Item1, s.Item2))
            .ToArray();
        using var dynamicBatch = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Tiny__dynamic"), new ClipRuntimeOptions(4, 1, false));
        using var fixedBatch = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Tiny__fixed"), new ClipRuntimeOptions(4, 1, false));

        var batched = await dynamicBatch.EncodeImagesAsync(images, CancellationToken.None);
        var single = await fixedBatch.EncodeImagesAsync(images, CancellationToken.None);

        dynamicBatch.BatchSize.Should().Be(4);
        fixedBatch.BatchSize.Should().Be(1);
        for (var i = 0; i < images.Length; i++)
        {
            batched[i].Embedding.Should().Equal(single[i].Embedding!, (x, y) => Math.Abs(x - y) < 1e-5);
        }

        batched.Select(r => r.Embedding!).Distinct(new VectorComparer()).Should().HaveCount(images.Length, "different images give different embeddings");
    }

    [Fact]
    public async Task An_undecodable_image_fails_alone()
    {
        using var encoder = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Tiny__dynamic"), new ClipRuntimeOptions(8, 1, false));
        var good = Webp(ClipImagePreprocessorTests.Pattern(100, 80), 100, 80);

        var results = await encoder.EncodeImagesAsync([good, "<html>502</html>"u8.ToArray(), good], CancellationToken.None);

        results[0].Embedding.Should().NotBeNull();
        results[1].Embedding.Should().BeNull();
        results[1].Error.Should().StartWith("cannot decode image");
        results[2].Embedding.Should().Equal(results[0].Embedding!);
        encoder.Times.Images.Should().Be(2);
        encoder.Times.Failed.Should().Be(1);
    }

    [Fact]
    public async Task Text_embedding_is_the_models_function_of_the_token_ids()
    {
        var model = ClipModelFolder.Locate(cache.Root, "Tiny__dynamic");
        using var encoder = new OnnxClipTextEncoder(model, model.ComputeId(), new ClipRuntimeOptions(4, 1, false));

        var embeddings = await encoder.EncodeTextsAsync(["a photo of a cat", "an anime illustration", "a 3D render"], CancellationToken.None);

        var ids = encoder.Tokenizer.Encode("a photo of a cat");
        var expected = Normalise(Enumerable.Range(0, D).Select(d => ids.Average(id => (double)ClipTestModels.TinyTextRow(id, d, D))).ToArray());
        embeddings.Should().HaveCount(3);
        embeddings[0].Should().Equal(expected, (x, y) => Math.Abs(x - y) < 1e-4);
        embeddings[1].Should().NotEqual(embeddings[0]);
    }

    [Fact]
    public async Task A_vision_transformer_with_clips_architecture_runs_and_is_batch_independent()
    {
        var folder = Path.Combine(cache.Root, "clip", "ViT-tiny");
        ClipTestModels.WriteRandomVit(Path.Combine(folder, "visual", "model.onnx"), ClipVitSpec.Tiny);
        ClipTestModels.WriteConfigs(folder, ClipVitSpec.Tiny.EmbedDim, 224, tokenizerJson: null);
        using var encoder = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "ViT-tiny"), new ClipRuntimeOptions(3, 1, false));
        var images = Enumerable.Range(0, 3).Select(i => Webp(ClipImagePreprocessorTests.Pattern(200 + (40 * i), 180), 200 + (40 * i), 180)).ToArray();

        var together = await encoder.EncodeImagesAsync(images, CancellationToken.None);
        var alone = await encoder.EncodeImagesAsync([images[2]], CancellationToken.None);

        encoder.Dimension.Should().Be(ClipVitSpec.Tiny.EmbedDim);
        together.Should().OnlyContain(r => r.Embedding != null && Math.Abs(r.Embedding.Sum(v => (double)v * v) - 1) < 1e-4);
        together[2].Embedding.Should().Equal(alone[0].Embedding!, (x, y) => Math.Abs(x - y) < 1e-4);
        together[0].Embedding.Should().NotEqual(together[1].Embedding!);
    }

    [Fact]
    public async Task Batches_side_by_side_on_one_thread_each_give_the_embeddings_of_one_batch_at_a_time_on_two_threads()
    {
        var folder = Path.Combine(cache.Root, "clip", "ViT-tiny-lanes");
        ClipTestModels.WriteRandomVit(Path.Combine(folder, "visual", "model.onnx"), ClipVitSpec.Tiny);
        ClipTestModels.WriteConfigs(folder, ClipVitSpec.Tiny.EmbedDim, 224, tokenizerJson: null);
        var model = ClipModelFolder.Locate(cache.Root, "ViT-tiny-lanes");
        using var sideBySide = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(2, 2, false));
        using var withinBatch = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(2, 2, false) { SideBySide = false });
        var images = Enumerable.Range(0, 7).Select(i => Webp(ClipImagePreprocessorTests.Pattern(230 + (10 * i), 250), 230 + (10 * i), 250)).ToArray();
        var one = sideBySide.TensorLength;
        var tensor = new float[images.Length * one];
        for (var i = 0; i < images.Length; i++)
        {
            sideBySide.Preprocess(images[i].Span, tensor.AsSpan(i * one, one));
        }

        // Four calls of at most two images, two at a time on one session, against the same calls one after another.
        var lanes = sideBySide.Run(tensor, images.Length, 2);
        var sequential = withinBatch.Run(tensor, images.Length, 2);
        var overlapping = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => sideBySide.EncodeImagesAsync(images, CancellationToken.None)));

        sideBySide.Lanes.Should().Be(2);
        withinBatch.Lanes.Should().Be(1);
        lanes.Should().Equal(sequential, (x, y) => Math.Abs(x - y) < 1e-5);
        foreach (var result in overlapping)
        {
            result.Select(r => r.Embedding!).SelectMany(e => e).Should().Equal(lanes, (x, y) => Math.Abs(x - y) < 1e-5, "overlapping calls on one session do not disturb each other");
        }
    }

    [Fact]
    public async Task An_int8_copy_run_one_image_per_call_gives_an_image_the_same_embedding_whatever_shares_its_batch()
    {
        var source = Path.Combine(cache.Root, "vit-tiny-float.onnx");
        ClipTestModels.WriteRandomVit(source, ClipVitSpec.Tiny);
        var folder = Path.Combine(cache.Root, "clip", "ViT-tiny-int8");
        ClipModelQuantizer.Quantize(source, Path.Combine(folder, "visual", "model.onnx"));
        ClipTestModels.WriteConfigs(folder, ClipVitSpec.Tiny.EmbedDim, 224, tokenizerJson: null);
        var model = ClipModelFolder.Locate(cache.Root, "ViT-tiny-int8");
        using var perImage = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(3, 2, false) { OneImagePerCall = true });
        using var batched = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(3, 2, false));

        // A dark image and a high-contrast one beside the image of interest: their activations span other ranges, so
        // one quantisation scale for the whole call differs from the image's own.
        var dark = Webp(new byte[250 * 250 * 3], 250, 250);
        var bright = Webp([.. ClipImagePreprocessorTests.Pattern(250, 250).Select(v => v > 127 ? (byte)255 : (byte)0)], 250, 250);
        var image = Webp(ClipImagePreprocessorTests.Pattern(300, 250), 300, 250);

        var alone = await perImage.EncodeImagesAsync([image], CancellationToken.None);
        var amongOthers = await perImage.EncodeImagesAsync([dark, image, bright], CancellationToken.None);
        var batchedAlone = await batched.EncodeImagesAsync([image], CancellationToken.None);
        var batchedAmongOthers = await batched.EncodeImagesAsync([dark, image, bright], CancellationToken.None);

        amongOthers[1].Embedding.Should().Equal(alone[0].Embedding!, "one image per call: nothing else is quantised with it");
        batchedAmongOthers[1].Embedding.Should().NotEqual(batchedAlone[0].Embedding!, "in a call of three, the three share one activation scale");
        batchedAlone[0].Embedding.Should().Equal(alone[0].Embedding!);
    }

    [Fact]
    public void A_model_whose_input_is_not_clips_is_refused_naming_the_file()
    {
        var folder = Path.Combine(cache.Root, "clip", "Wrong__size");
        ClipTestModels.WriteTinyVisual(Path.Combine(folder, "visual", "model.onnx"), D, fixedBatch: false, size: 256);
        ClipTestModels.WriteConfigs(folder, D, 224, tokenizerJson: null);

        var act = () => new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Wrong__size"), new ClipRuntimeOptions(1, 1, false));

        act.Should().Throw<ClipModelException>().WithMessage("*visual*model.onnx*input 'image'*expected float[N, 3, 224, 224]*");
    }

    [Fact]
    public async Task Prepared_images_give_the_same_embeddings_as_encoding_from_bytes_and_a_bad_image_gets_a_reason()
    {
        using var encoder = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Tiny__dynamic"), new ClipRuntimeOptions(2, 1, false));
        var images = new[] { (320, 240), (200, 300), (90, 90) }.Select(s => Webp(ClipImagePreprocessorTests.Pattern(s.Item1, s.Item2), s.Item1, s.Item2)).ToArray();
        var fromBytes = await encoder.EncodeImagesAsync(images, CancellationToken.None);

        var prepared = new float[images.Length * encoder.PreparedLength];
        for (var i = 0; i < images.Length; i++)
        {
            encoder.Prepare(images[i], prepared.AsSpan(i * encoder.PreparedLength, encoder.PreparedLength)).Should().BeNull();
        }

        var embeddings = await encoder.EncodePreparedAsync(prepared, images.Length, CancellationToken.None);

        embeddings.Should().HaveCount(3);
        for (var i = 0; i < images.Length; i++)
        {
            embeddings[i].Should().Equal(fromBytes[i].Embedding!, (x, y) => Math.Abs(x - y) < 1e-5, "three images at batch 2 run as two model calls, in order");
        }

        encoder.Prepare("<html>502</html>"u8.ToArray(), new float[encoder.PreparedLength]).Should().StartWith("cannot decode image");
    }

    [Fact]
    public void Without_cuda_in_onnx_runtime_the_model_runs_on_cpu_and_the_log_says_why_and_which_provider_ran()
    {
        var path = ClipModelFolder.Locate(cache.Root, "Tiny__dynamic").VisualModel;
        var log = new LineLogger();

        using var session = OnnxSessions.Open(path, new ClipRuntimeOptions(1, 1, UseCuda: true), log, out var provider, availableProviders: ["CPUExecutionProvider"]);

        provider.Should().Be("CPUExecutionProvider");
        log.Lines.Should().Contain(l => l.StartsWith("Information: CLIP: CUDA execution provider not available (ONNX Runtime offers CPUExecutionProvider", StringComparison.Ordinal));
        log.Lines.Should().Contain($"Information: CLIP: loaded {path} on CPUExecutionProvider with 1 thread(s) per call");
    }

    [Fact]
    public void Cuda_listed_but_unusable_falls_back_to_cpu_with_a_warning()
    {
        var path = ClipModelFolder.Locate(cache.Root, "Tiny__dynamic").VisualModel;
        var log = new LineLogger();
        var realProviders = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders();
        if (realProviders.Contains("CUDAExecutionProvider"))
        {
            return; // a GPU build of ONNX Runtime accepts the provider: the fallback cannot be provoked there
        }

        // The CPU build of ONNX Runtime refuses the CUDA provider even when told it is listed.
        using var session = OnnxSessions.Open(path, new ClipRuntimeOptions(1, 1, UseCuda: true), log, out var provider, availableProviders: ["CUDAExecutionProvider", "CPUExecutionProvider"]);

        provider.Should().Be("CPUExecutionProvider");
        log.Lines.Should().Contain(l => l.StartsWith("Warning: CLIP: CUDA execution provider listed but not usable (", StringComparison.Ordinal) && l.EndsWith("); running on CPUExecutionProvider", StringComparison.Ordinal));
        log.Lines.Should().Contain($"Information: CLIP: loaded {path} on CPUExecutionProvider with 1 thread(s) per call");
        session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["image"], [Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[3 * 224 * 224], [1, 3, 224, 224])], ["embedding"]).Should().HaveCount(1, "the session works on CPU");
    }

    [Fact]
    public void The_encoder_reports_the_provider_it_runs_on_as_onnx_runtime_offers_it()
    {
        var log = new LineLogger();
        using var encoder = new OnnxClipImageEncoder(ClipModelFolder.Locate(cache.Root, "Tiny__dynamic"), new ClipRuntimeOptions(1, 1, UseCuda: true), log);
        var cuda = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");

        log.Lines.Should().Contain(l => l.Contains($" on {encoder.Provider} with 1 thread(s) per call", StringComparison.Ordinal));
        if (!cuda)
        {
            encoder.Provider.Should().Be("CPUExecutionProvider");
            log.Lines.Should().Contain(l => l.Contains("CUDA execution provider not available", StringComparison.Ordinal));
        }
    }

    private sealed class LineLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }

    private static ReadOnlyMemory<byte> Webp(byte[] pixels, int width, int height)
    {
        using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        return image.WebpsaveBuffer(lossless: true);
    }

    private static float[] Normalise(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => (float)(x / norm)).ToArray();
    }

    private sealed class VectorComparer : IEqualityComparer<float[]>
    {
        public bool Equals(float[]? x, float[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(float[] obj) => obj.Length == 0 ? 0 : obj[0].GetHashCode();
    }

    /// <summary>An Immich-style cache root with two tiny models: batch dimension symbolic, and fixed at 1.</summary>
    public sealed class Cache : IDisposable
    {
        public Cache()
        {
            Root = Directory.CreateTempSubdirectory("clip-cache-").FullName;
            var tokenizer = ClipTokenizerData.WriteTokenizerJson(Path.Combine(Root, "tokenizer.json"));
            ClipTestModels.WriteTinyModelFolder(Root, "Tiny__dynamic", D, fixedBatch: false, tokenizer);
            ClipTestModels.WriteTinyModelFolder(Root, "Tiny__fixed", D, fixedBatch: true, tokenizer);
        }

        public string Root { get; }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
