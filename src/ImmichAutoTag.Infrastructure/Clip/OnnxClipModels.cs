using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// <see cref="IClipModels"/> over Immich's model cache: finds <c>clip/&lt;model_name&gt;/</c>, computes the model id,
/// and loads each tower on its first use: the text tower and tokenizer on the first prompt, the image tower on the
/// first image, so a run whose prompts and assets are all stored loads neither. ONNX Runtime on CPU, CUDA when its
/// provider is available (the log says which ran).
/// </summary>
public sealed class OnnxClipModels : IClipModels
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
            var id = model.ComputeId();
            var options = new ClipRuntimeOptions(config.BatchSize, config.Threads);
            if (!File.Exists(model.TextualModel))
            {
                throw new ClipModelException($"{model.TextualModel}: file not found.");
            }

            logger.LogInformation("CLIP model {Model} from {Folder}", id, model.Directory);
            return new Session(model, id, options, logger);
        }
        catch (ClipModelException e)
        {
            throw new ClipUnavailableException($"CLIP model '{config.ModelName}' in clip.model_folder '{folder}' cannot be used: {e.Message}", e);
        }
    }

    private sealed class Session(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger) : IClipModelSession
    {
        private readonly LazyImages images = new(model, id, options, logger);
        private readonly LazyText text = new(model, id, options, logger);

        public ClipModelId Model => id;

        public IClipTextEncoder Text => text;

        public IClipImageEncoder Images => images;

        public bool ImagesLoaded => images.Loaded;

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

    /// <summary>The image tower, loaded on the first call.</summary>
    private sealed class LazyImages(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger) : IClipImagePreparer, IDisposable
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
                        return encoder ??= new OnnxClipImageEncoder(model, id, options, logger);
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
