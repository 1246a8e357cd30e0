using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// <see cref="IClipModels"/> over Immich's model cache: finds <c>clip/&lt;model_name&gt;/</c>, computes the model id,
/// and loads each tower on its first use: the text tower and tokenizer on the first prompt, the image tower on the
/// first image, so a run whose prompts and assets are all stored loads neither. ONNX Runtime on CPU, CUDA when its
/// provider is available (the log says which ran). With <c>clip.precision: int8</c> the image tower is an int8 copy
/// made once in <paramref name="int8Folder"/> (see <see cref="ClipInt8Copies"/>) and embeddings carry the copy's
/// model id; the text tower stays as Immich ships it.
/// </summary>
/// <param name="int8Folder">Where int8 copies are kept (the state folder's <c>clip-int8/</c>); null refuses int8.</param>
public sealed class OnnxClipModels(string? int8Folder = null) : IClipModels
{
    /// <inheritdoc />
    public IClipModelSession Open(ClipConfig config, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logger);
        var folder = config.ModelFolder;
        try
        {
            var model = ClipModelFolder.Locate(folder, config.ModelName);
            var source = model.ComputeId();
            var options = new ClipRuntimeOptions(config.BatchSize, config.Threads) { OneImagePerCall = config.Precision == ClipPrecision.Int8 };
            if (!File.Exists(model.TextualModel))
            {
                throw new ClipModelException($"{model.TextualModel}: file not found.");
            }

            ClipInt8Copies? int8 = null;
            var id = source;
            if (config.Precision == ClipPrecision.Int8)
            {
                int8 = new ClipInt8Copies(int8Folder ?? throw new ClipModelException("clip.precision int8 needs a state folder for the int8 copy, and this run has none."));
                id = ClipInt8Copies.IdOf(source);
            }

            logger.LogInformation("CLIP model {Model} from {Folder}", id, model.Directory);
            return new Session(model, id, options, logger, int8 is null ? null : () => model with { VisualModel = int8.Ensure(model, source, logger) });
        }
        catch (ClipModelException e)
        {
            throw new ClipUnavailableException($"CLIP model '{config.ModelName}' in clip.model_folder '{folder}' cannot be used: {e.Message}", e);
        }
    }

    private sealed class Session : IClipModelSession
    {
        private readonly LazyImages images;
        private readonly LazyText text;
        private readonly Lazy<ClipTokenizer?> tokenizer;

        public Session(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger, Func<ClipModelFolder>? int8)
        {
            Model = id;
            text = new LazyText(model, id, options, logger);
            tokenizer = new Lazy<ClipTokenizer?>(() =>
            {
                try
                {
                    return ClipTokenizer.Load(model);
                }
                catch (Exception e) when (e is ClipModelException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
                {
                    // Only for the length check: the text tower reports a broken tokenizer when it loads.
                    return null;
                }
            });
            images = new LazyImages(model, id, options, logger, int8, text);
        }

        public ClipModelId Model { get; }

        public IClipTextEncoder Text => text;

        public IClipImageEncoder Images => images;

        public bool ImagesLoaded => images.Loaded;

        public ClipPromptLength? MeasurePrompt(string prompt) =>
            tokenizer.Value is { } t ? new ClipPromptLength(t.CountTokens(prompt), t.ContextLength) : null;

        public void Dispose()
        {
            text.Dispose();
            images.Dispose();
        }
    }

    /// <summary>The text tower and its tokenizer, loaded on the first call.</summary>
    private sealed class LazyText(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger) : IClipTextEncoder, IDisposable
    {
        private readonly Lock gate = new();
        private OnnxClipTextEncoder? encoder;

        public ClipModelId Model => id;

        /// <summary>The text tower's embedding dimension once it is loaded; null before.</summary>
        public int? LoadedDimension => encoder?.Dimension;

        public Task<IReadOnlyList<float[]>> EncodeTextsAsync(IReadOnlyList<string> texts, CancellationToken ct) => Encoder.EncodeTextsAsync(texts, ct);

        public void Dispose() => encoder?.Dispose();

        private OnnxClipTextEncoder Encoder
        {
            get
            {
                lock (gate)
                {
                    try
                    {
                        return encoder ??= new OnnxClipTextEncoder(model, id, options, logger);
                    }
                    catch (ClipModelException e)
                    {
                        throw new ClipUnavailableException($"CLIP model '{model.Name}': {e.Message}", e);
                    }
                }
            }
        }
    }

    /// <summary>The image tower, loaded on the first call (the int8 copy made first when <paramref name="int8"/> is set and it does not exist).</summary>
    private sealed class LazyImages(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger, Func<ClipModelFolder>? int8, LazyText text) : IClipImagePreparer, IDisposable
    {
        private readonly Lock gate = new();
        private OnnxClipImageEncoder? encoder;

        public ClipModelId Model => id;

        public int Dimension => Encoder.Dimension;

        public bool Loaded => encoder is not null;

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            Encoder.EncodeImagesAsync(images, ct);

        public int PreparedLength => Encoder.PreparedLength;

        public string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination) => Encoder.Prepare(image, destination);

        public Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> prepared, int count, CancellationToken ct) =>
            Encoder.EncodePreparedAsync(prepared, count, ct);

        public void Dispose() => encoder?.Dispose();

        private OnnxClipImageEncoder Encoder
        {
            get
            {
                lock (gate)
                {
                    try
                    {
                        if (encoder is null)
                        {
                            var loaded = new OnnxClipImageEncoder(int8?.Invoke() ?? model, id, options, logger);
                            if (text.LoadedDimension is { } textDimension && textDimension != loaded.Dimension)
                            {
                                // Towers of two models (a copied or half-updated cache): their embeddings cannot be compared.
                                loaded.Dispose();
                                throw new ClipModelException(
                                    $"{model.SourceVisualModel} gives {loaded.Dimension}-dimension embeddings but {model.TextualModel} gives {textDimension}: the two towers are not of one model.");
                            }

                            encoder = loaded;
                        }

                        return encoder;
                    }
                    catch (ClipModelException e)
                    {
                        throw new ClipUnavailableException($"CLIP model '{model.Name}': {e.Message}", e);
                    }
                }
            }
        }
    }
}
