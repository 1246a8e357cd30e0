using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// <see cref="IClipModels"/> over Immich's model cache: finds <c>clip/&lt;model_name&gt;/</c>, computes the model id,
/// loads the text tower and tokenizer at once and the image tower on the first image (a run whose assets are all
/// stored never loads it). ONNX Runtime on CPU, CUDA when its provider is available.
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
            var text = new OnnxClipTextEncoder(model, id, options, logger);
            logger.LogInformation("CLIP model {Model} from {Folder}", id, model.Directory);
            return new Session(model, id, options, text, logger);
        }
        catch (ClipModelException e)
        {
            throw new ClipUnavailableException($"CLIP model '{config.ModelName}' in clip.model_folder '{folder}' cannot be used: {e.Message}", e);
        }
    }

    private sealed class Session(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, OnnxClipTextEncoder text, ILogger logger) : IClipModelSession
    {
        private readonly LazyImages images = new(model, id, options, logger);

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

    /// <summary>The image tower, loaded on the first call.</summary>
    private sealed class LazyImages(ClipModelFolder model, ClipModelId id, ClipRuntimeOptions options, ILogger logger) : IClipImageEncoder, IDisposable
    {
        private readonly Lock gate = new();
        private OnnxClipImageEncoder? encoder;

        public ClipModelId Model => id;

        public int Dimension => Encoder.Dimension;

        public bool Loaded => encoder is not null;

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct) =>
            Encoder.EncodeImagesAsync(images, ct);

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
