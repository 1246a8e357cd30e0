using System.Diagnostics;
using System.Runtime.InteropServices;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>How the CLIP model runs.</summary>
/// <param name="BatchSize">Images per model call (1..256); a model exported with a fixed batch dimension (Immich's exports use 1) runs one image per call whatever this says.</param>
/// <param name="Threads">
/// Cores the image tower uses (≥ 1): with <see cref="SideBySide"/> (the default) that many batches run at once, each
/// on one ONNX Runtime thread; otherwise one batch at a time on that many intra-op threads. The text tower always uses
/// this many intra-op threads (it runs once per label set). Immich's ML service uses 2 intra-op threads on CPU.
/// </param>
/// <param name="UseCuda">Use the CUDA execution provider when ONNX Runtime reports it available (the GPU build of ONNX Runtime and CUDA libraries present).</param>
public sealed record ClipRuntimeOptions(int BatchSize = 8, int Threads = 2, bool UseCuda = true)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a batch size outside 1..256 or fewer than one thread.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1);
    }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin-wait for work between parallel sections
    /// (<c>session.intra_op.allow_spinning</c>). Off by default: the pipeline decodes thumbnails between model calls
    /// on the same cores, and threads spinning after a call would take those cores from the decoding (measured in
    /// docs/clip.md).
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Whether the image tower runs <see cref="Threads"/> batches side by side, each call on one ONNX Runtime thread
    /// (true, the default), or one batch at a time spread over <see cref="Threads"/> intra-op threads. Side by side
    /// spends the cores on arithmetic rather than on threads waiting for each other at each of the model's ~200
    /// operators per call: on a 2-core machine it ran the benchmark's ViT-B/32 int8 copy at 107–123 CPU ms per image
    /// against 138–151 within one batch (docs/clip.md, "Batches side by side").
    /// </summary>
    public bool SideBySide { get; init; } = true;

    /// <summary>
    /// Whether the image tower gets one image per call whatever <see cref="BatchSize"/> says (the batch stays the
    /// pipeline's unit of decoding and storing). Set for <c>clip.precision: int8</c>: the int8 copy quantises each
    /// call's activations with one scale for the whole call (<c>DynamicQuantizeMatMul</c>), so in a call of several
    /// images an image's embedding would depend on which images share it — on download timing. One image per call
    /// gives each image the same embedding every time; with calls side by side it cost no throughput in the
    /// benchmark (batch 1: 114 CPU ms per image, batch 8: 118).
    /// </summary>
    public bool OneImagePerCall { get; init; }

    /// <summary>Batches of images the image tower runs at once: <see cref="Threads"/> side by side, else 1.</summary>
    public int Lanes => SideBySide ? Threads : 1;

    /// <summary>ONNX Runtime intra-op threads of one image-tower call: 1 side by side, else <see cref="Threads"/>.</summary>
    internal int ImageIntraOpThreads => SideBySide ? 1 : Threads;

    /// <summary>Extra ONNX Runtime session settings applied last (the benchmark's A/B knobs).</summary>
    internal Action<SessionOptions>? Tune { get; init; }
}

/// <summary>Time spent per stage by an encoder since it was created (for the benchmark and run statistics).</summary>
/// <param name="Images">Images encoded successfully.</param>
/// <param name="Failed">Images that could not be decoded.</param>
/// <param name="Preprocess">Decoding, resizing, cropping, normalising.</param>
/// <param name="Inference">Model calls, including copying outputs.</param>
public sealed record ClipStageTimes(long Images, long Failed, TimeSpan Preprocess, TimeSpan Inference);

/// <summary>
/// CLIP's image tower on ONNX Runtime: <c>visual/model.onnx</c> of an Immich model folder. The input's name, element
/// type (float) and shape <c>[N, 3, size, size]</c> and the output's dimension D (<c>[N, D]</c>, the first output,
/// Immich's <c>embedding</c>) are read from the model; preprocessing from <c>visual/preprocess_cfg.json</c>. Outputs
/// are L2-normalised (Immich's exports already normalise; a model that does not still compares correctly).
/// </summary>
public sealed class OnnxClipImageEncoder : IClipImagePreparer, IDisposable
{
    private readonly InferenceSession session;
    private readonly ClipImagePreprocessor preprocessor;
    private readonly string inputName;
    private readonly string outputName;
    private readonly int batch;
    private readonly bool fixedBatch;
    private readonly bool perImage;
    private readonly Lock timesLock = new();
    private long images, failed, preprocessTicks, inferenceTicks;

    /// <summary>Loads the image tower of <paramref name="model"/>.</summary>
    /// <exception cref="ClipModelException">A file is missing or malformed, or the model's input/output is not CLIP's.</exception>
    public OnnxClipImageEncoder(ClipModelFolder model, ClipRuntimeOptions options, ILogger? logger = null)
        : this(model, model.ComputeId(), options, logger)
    {
    }

    /// <summary>Loads the image tower of <paramref name="model"/> under an id computed before (see <see cref="ClipModelFolder.ComputeId"/>).</summary>
    public OnnxClipImageEncoder(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = id;
        var config = model.ReadPreprocessConfig();
        preprocessor = new ClipImagePreprocessor(config);
        session = OnnxSessions.Open(model.VisualModel, options, logger ?? NullLogger.Instance, out var provider, intraOpThreads: options.ImageIntraOpThreads);
        (logger ?? NullLogger.Instance).LogInformation("CLIP: WebP thumbnails decoded by {Decoder}", SkiaWebPDecoder.Decoder);
        Lanes = options.Lanes;
        Provider = provider;
        try
        {
            var (name, input) = OnnxSessions.SingleInput(session, model.VisualModel);
            var dims = input.Dimensions;
            if (input.ElementDataType != TensorElementType.Float || dims.Length != 4 || dims[1] != 3
                || (dims[2] > 0 && dims[2] != config.Size) || (dims[3] > 0 && dims[3] != config.Size))
            {
                throw new ClipModelException(
                    $"{model.VisualModel}: input '{name}' is {input.ElementDataType}[{string.Join(", ", dims)}]; expected float[N, 3, {config.Size}, {config.Size}] (size from {model.PreprocessConfig}).");
            }

            inputName = name;
            (outputName, Dimension) = OnnxSessions.EmbeddingOutput(session, model.VisualModel);
            fixedBatch = dims[0] > 0;
            batch = fixedBatch ? dims[0] : options.OneImagePerCall ? 1 : options.BatchSize;
            perImage = options.OneImagePerCall;
            InputSize = config.Size;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ClipModelId Model { get; }

    /// <summary>
    /// Batches this encoder is set up to run at once (<see cref="ClipRuntimeOptions.Lanes"/>): calls may overlap
    /// (ONNX Runtime's <c>Run</c> is safe to call from several threads on one session), and each uses one thread
    /// when this is above 1.
    /// </summary>
    public int Lanes { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>The ONNX Runtime execution provider the model runs on: <c>CUDAExecutionProvider</c> or <c>CPUExecutionProvider</c>.</summary>
    public string Provider { get; }

    /// <summary>Side of the square input, pixels.</summary>
    public int InputSize { get; }

    /// <summary>Images per model call: the model's fixed batch dimension, else <see cref="ClipRuntimeOptions.BatchSize"/>.</summary>
    public int BatchSize => batch;

    /// <summary>Stage times since creation.</summary>
    public ClipStageTimes Times
    {
        get
        {
            lock (timesLock)
            {
                return new ClipStageTimes(images, failed, Stopwatch.GetElapsedTime(0, preprocessTicks), Stopwatch.GetElapsedTime(0, inferenceTicks));
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Task.Run<IReadOnlyList<ClipImageEncoding>>(() => Encode(images, ct), ct);
    }

    /// <summary>
    /// Runs the model on already preprocessed input: <paramref name="count"/> images of <c>3 × size × size</c> floats
    /// each in <paramref name="tensor"/>, <paramref name="batchSize"/> per call (default <see cref="BatchSize"/>; a
    /// fixed-batch model always takes its own), up to <see cref="Lanes"/> calls at once as the pipeline runs them;
    /// returns <c>count × D</c> normalised floats. For the benchmark's model-only figures.
    /// </summary>
    public float[] Run(float[] tensor, int count, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var result = new float[count * Dimension];
        var one = preprocessor.TensorLength;
        var step = fixedBatch || perImage ? batch : Math.Max(1, batchSize ?? batch);
        var calls = (count + step - 1) / step;

        // As the pipeline runs them: up to Lanes calls at once, each taking the next batch.
        Parallel.For(0, calls, new ParallelOptions { MaxDegreeOfParallelism = Lanes }, call =>
        {
            var start = call * step;
            var n = Math.Min(step, count - start);
            var started = Stopwatch.GetTimestamp();
            RunBatch(tensor.AsMemory(start * one, n * one), n, result.AsSpan(start * Dimension, n * Dimension));
            AddTimes(0, 0, 0, Stopwatch.GetTimestamp() - started);
        });

        return result;
    }

    /// <summary>Preprocesses one image into <paramref name="destination"/> (see <see cref="ClipImagePreprocessor.Preprocess"/>).</summary>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination) => preprocessor.Preprocess(encoded, destination);

    /// <inheritdoc />
    public int PreparedLength => preprocessor.TensorLength;

    /// <inheritdoc />
    public string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            preprocessor.Preprocess(image, destination);
            AddTimes(0, 0, Stopwatch.GetTimestamp() - started, 0);
            return null;
        }
        catch (ClipImageException e)
        {
            AddTimes(0, 1, Stopwatch.GetTimestamp() - started, 0);
            return e.Message;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> prepared, int count, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (prepared.Length < count * TensorLength)
        {
            throw new ArgumentException($"{count} prepared images need {count * TensorLength} floats; {prepared.Length} given.", nameof(prepared));
        }

        return Task.Run<IReadOnlyList<float[]>>(
            () =>
            {
                var one = TensorLength;
                var results = new float[count][];
                var output = new float[Math.Min(batch, Math.Max(count, 1)) * Dimension];
                for (var start = 0; start < count; start += batch)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = Math.Min(batch, count - start);
                    var started = Stopwatch.GetTimestamp();

                    // The model reads the caller's buffer in place (no copy): ONNX Runtime wraps managed memory.
                    RunBatch(MemoryMarshal.AsMemory(prepared.Slice(start * one, n * one)), n, output.AsSpan(0, n * Dimension), ct);
                    for (var i = 0; i < n; i++)
                    {
                        results[start + i] = output.AsSpan(i * Dimension, Dimension).ToArray();
                    }

                    AddTimes(n, 0, 0, Stopwatch.GetTimestamp() - started);
                }

                return results;
            },
            ct);
    }

    /// <summary>Floats one preprocessed image occupies.</summary>
    public int TensorLength => preprocessor.TensorLength;

    /// <inheritdoc />
    public void Dispose() => session.Dispose();

    private List<ClipImageEncoding> Encode(IReadOnlyList<ReadOnlyMemory<byte>> encoded, CancellationToken ct)
    {
        var results = new ClipImageEncoding[encoded.Count];
        var one = preprocessor.TensorLength;
        var tensor = new float[Math.Min(batch, Math.Max(encoded.Count, 1)) * one];
        var slots = new List<int>(batch);
        var next = 0;
        while (next < encoded.Count)
        {
            ct.ThrowIfCancellationRequested();
            slots.Clear();
            var started = Stopwatch.GetTimestamp();
            long bad = 0;
            while (next < encoded.Count && slots.Count < batch)
            {
                try
                {
                    preprocessor.Preprocess(encoded[next].Span, tensor.AsSpan(slots.Count * one, one));
                    slots.Add(next);
                }
                catch (ClipImageException e)
                {
                    results[next] = ClipImageEncoding.Failed(e.Message);
                    bad++;
                }

                next++;
            }

            var preprocessed = Stopwatch.GetTimestamp();
            if (slots.Count > 0)
            {
                var output = new float[slots.Count * Dimension];
                RunBatch(tensor.AsMemory(0, slots.Count * one), slots.Count, output, ct);
                for (var i = 0; i < slots.Count; i++)
                {
                    results[slots[i]] = ClipImageEncoding.Of(output.AsSpan(i * Dimension, Dimension).ToArray());
                }
            }

            AddTimes(slots.Count, bad, preprocessed - started, Stopwatch.GetTimestamp() - preprocessed);
        }

        return [.. results];
    }

    private void RunBatch(Memory<float> input, int count, Span<float> destination, CancellationToken ct = default)
    {
        long[] shape = [count, 3, InputSize, InputSize];
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, shape);
        using var run = new RunOptions();

        // A stop (Ctrl-C, the container's SIGTERM) ends a call in progress instead of waiting for it: one call of a
        // large batch on one thread takes many seconds. Disposed before the run options it sets.
        using var stop = ct.Register(() => run.Terminate = true);
        try
        {
            using var outputs = session.Run(run, [inputName], [value], [outputName]);
            OnnxSessions.CopyNormalised(outputs[0], count, Dimension, destination);
        }
        catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException("CLIP: the model call was stopped.", ct);
        }
    }

    private void AddTimes(long ok, long bad, long preprocess, long inference)
    {
        lock (timesLock)
        {
            images += ok;
            failed += bad;
            preprocessTicks += preprocess;
            inferenceTicks += inference;
        }
    }
}

/// <summary>
/// CLIP's text tower on ONNX Runtime: <c>textual/model.onnx</c> of an Immich model folder with its tokenizer. The
/// token input (Immich's <c>text</c>, int32 or int64 <c>[N, context length]</c>) and an optional
/// <c>attention_mask</c> input (multilingual CLIP exports) are read from the model.
/// </summary>
public sealed class OnnxClipTextEncoder : IClipTextEncoder, IDisposable
{
    private readonly InferenceSession session;
    private readonly ClipTokenizer tokenizer;
    private readonly string inputName;
    private readonly string? maskName;
    private readonly bool int64;
    private readonly string outputName;
    private readonly int dimension;
    private readonly int batch;

    /// <summary>Loads the text tower and tokenizer of <paramref name="model"/>; <paramref name="id"/> is the model's id (<see cref="ClipModelFolder.ComputeId"/>).</summary>
    /// <exception cref="ClipModelException">A file is missing or malformed, or the model's input/output is not CLIP's.</exception>
    public OnnxClipTextEncoder(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = id;
        tokenizer = ClipTokenizer.Load(model);
        session = OnnxSessions.Open(model.TextualModel, options, logger ?? NullLogger.Instance);
        try
        {
            var inputs = session.InputMetadata;
            maskName = inputs.Keys.FirstOrDefault(k => k == "attention_mask");
            var tokens = inputs.Where(kv => kv.Key != maskName).ToArray();
            if (tokens.Length != 1)
            {
                throw new ClipModelException($"{model.TextualModel}: expected one token input (and optionally attention_mask); found {string.Join(", ", inputs.Keys)}.");
            }

            var (name, input) = (tokens[0].Key, tokens[0].Value);
            var dims = input.Dimensions;
            if (input.ElementDataType is not (TensorElementType.Int32 or TensorElementType.Int64) || dims.Length != 2
                || (dims[1] > 0 && dims[1] != tokenizer.ContextLength))
            {
                throw new ClipModelException(
                    $"{model.TextualModel}: input '{name}' is {input.ElementDataType}[{string.Join(", ", dims)}]; expected int32[N, {tokenizer.ContextLength}] (context length from {model.ModelConfig}).");
            }

            inputName = name;
            int64 = input.ElementDataType == TensorElementType.Int64;
            (outputName, dimension) = OnnxSessions.EmbeddingOutput(session, model.TextualModel);
            batch = dims[0] > 0 ? dims[0] : options.BatchSize;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ClipModelId Model { get; }

    /// <summary>The tokenizer in use.</summary>
    public ClipTokenizer Tokenizer => tokenizer;

    /// <summary>The embedding dimension D, read from the model's output shape.</summary>
    public int Dimension => dimension;

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> EncodeTextsAsync(IReadOnlyList<string> texts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Task.Run<IReadOnlyList<float[]>>(() => Encode(texts, ct), ct);
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();

    private List<float[]> Encode(IReadOnlyList<string> texts, CancellationToken ct)
    {
        var length = tokenizer.ContextLength;
        var results = new List<float[]>(texts.Count);
        for (var start = 0; start < texts.Count; start += batch)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(batch, texts.Count - start);
            var ids = new int[n * length];
            var mask = new int[n * length];
            for (var i = 0; i < n; i++)
            {
                var used = tokenizer.Encode(texts[start + i], ids.AsSpan(i * length, length));
                mask.AsSpan(i * length, used).Fill(1);
            }

            long[] shape = [n, length];
            var values = new List<OrtValue>();
            try
            {
                values.Add(int64
                    ? OrtValue.CreateTensorValueFromMemory(ids.Select(v => (long)v).ToArray(), shape)
                    : OrtValue.CreateTensorValueFromMemory(ids, shape));
                var names = new List<string> { inputName };
                if (maskName is not null)
                {
                    values.Add(int64
                        ? OrtValue.CreateTensorValueFromMemory(mask.Select(v => (long)v).ToArray(), shape)
                        : OrtValue.CreateTensorValueFromMemory(mask, shape));
                    names.Add(maskName);
                }

                using var run = new RunOptions();
                using var outputs = session.Run(run, names, values, [outputName]);
                var output = new float[n * dimension];
                OnnxSessions.CopyNormalised(outputs[0], n, dimension, output);
                for (var i = 0; i < n; i++)
                {
                    results.Add(output.AsSpan(i * dimension, dimension).ToArray());
                }
            }
            finally
            {
                foreach (var value in values)
                {
                    value.Dispose();
                }
            }
        }

        return results;
    }
}

/// <summary>What both towers share: opening a session with the right execution provider, reading CLIP's output.</summary>
internal static class OnnxSessions
{
    public const string Cuda = "CUDAExecutionProvider";

    public const string Cpu = "CPUExecutionProvider";

    /// <summary>
    /// Opens <paramref name="path"/> on CUDA when <see cref="ClipRuntimeOptions.UseCuda"/> asks for it and ONNX Runtime
    /// offers it (<paramref name="availableProviders"/>: ONNX Runtime's list unless a test gives one), else on CPU.
    /// Logs which provider runs and, when CUDA was asked for but not used, why.
    /// </summary>
    public static InferenceSession Open(string path, ClipRuntimeOptions options, ILogger logger, IReadOnlyCollection<string>? availableProviders = null) =>
        Open(path, options, logger, out _, availableProviders);

    /// <inheritdoc cref="Open(string, ClipRuntimeOptions, ILogger, IReadOnlyCollection{string}?)"/>
    /// <param name="path">The ONNX file.</param>
    /// <param name="options">How the model runs.</param>
    /// <param name="logger">Where the provider choice is logged.</param>
    /// <param name="provider">The execution provider that runs the session.</param>
    /// <param name="availableProviders">ONNX Runtime's providers (tests pass their own).</param>
    /// <param name="intraOpThreads">Intra-op threads of one call (default <see cref="ClipRuntimeOptions.Threads"/>).</param>
    public static InferenceSession Open(string path, ClipRuntimeOptions options, ILogger logger, out string provider, IReadOnlyCollection<string>? availableProviders = null, int? intraOpThreads = null)
    {
        if (!File.Exists(path))
        {
            throw new ClipModelException($"{path}: file not found.");
        }

        using var session = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads ?? options.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try
        {
            session.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
            options.Tune?.Invoke(session);
            provider = ChooseProvider(session, options, logger, availableProviders ?? OrtEnv.Instance().GetAvailableProviders());
            var opened = new InferenceSession(path, session);
            logger.LogInformation("CLIP: loaded {Model} on {Provider} with {Threads} thread(s) per call", path, provider, intraOpThreads ?? options.Threads);
            return opened;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ClipModelException($"{path}: ONNX Runtime cannot load it ({e.Message}).", e);
        }
    }

    /// <summary>Appends the CUDA provider to <paramref name="session"/> when asked for and usable; returns the provider that will run.</summary>
    private static string ChooseProvider(SessionOptions session, ClipRuntimeOptions options, ILogger logger, IReadOnlyCollection<string> available)
    {
        if (!options.UseCuda)
        {
            logger.LogInformation("CLIP: CUDA not asked for; running on {Provider}", Cpu);
            return Cpu;
        }

        if (!available.Contains(Cuda, StringComparer.Ordinal))
        {
            logger.LogInformation(
                "CLIP: CUDA execution provider not available (ONNX Runtime offers {Providers}; the GPU build of ONNX Runtime and the CUDA libraries are needed); running on {Provider}",
                string.Join(", ", available),
                Cpu);
            return Cpu;
        }

        try
        {
            session.AppendExecutionProvider_CUDA();
            return Cuda;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            logger.LogWarning("CLIP: CUDA execution provider listed but not usable ({Reason}); running on {Provider}", e.Message, Cpu);
            return Cpu;
        }
    }

    public static (string Name, NodeMetadata Input) SingleInput(InferenceSession session, string path)
    {
        var inputs = session.InputMetadata;
        return inputs.Count == 1
            ? (inputs.Keys.Single(), inputs.Values.Single())
            : throw new ClipModelException($"{path}: expected one input; found {string.Join(", ", inputs.Keys)}.");
    }

    public static (string Name, int Dimension) EmbeddingOutput(InferenceSession session, string path)
    {
        var (name, output) = session.OutputMetadata.First();
        var dims = output.Dimensions;
        return output.ElementDataType == TensorElementType.Float && dims.Length == 2 && dims[1] > 0
            ? (name, dims[1])
            : throw new ClipModelException($"{path}: output '{name}' is {output.ElementDataType}[{string.Join(", ", dims)}]; expected float[N, D].");
    }

    public static void CopyNormalised(OrtValue output, int count, int dimension, Span<float> destination)
    {
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length != 2 || shape[0] != count || shape[1] != dimension)
        {
            throw new ClipModelException($"CLIP model returned shape [{string.Join(", ", shape)}]; expected [{count}, {dimension}].");
        }

        var data = output.GetTensorDataAsSpan<float>();
        for (var i = 0; i < count; i++)
        {
            var row = data.Slice(i * dimension, dimension);
            double sum = 0;
            foreach (var v in row)
            {
                sum += (double)v * v;
            }

            var scale = sum > 0 ? (float)(1 / Math.Sqrt(sum)) : 0f;
            for (var d = 0; d < dimension; d++)
            {
                destination[(i * dimension) + d] = row[d] * scale;
            }
        }
    }
}
