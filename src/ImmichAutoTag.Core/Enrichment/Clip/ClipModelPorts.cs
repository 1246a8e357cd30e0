using ImmichAutoTag.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// An opened CLIP model: its id, its text tower and its image tower. Either tower may be loaded on first use, so a
/// run whose prompts and assets are all stored already loads neither. Disposing releases both towers.
/// </summary>
public interface IClipModelSession : IDisposable
{
    /// <summary>The model the embeddings come from (stored with every image embedding).</summary>
    ClipModelId Model { get; }

    /// <summary>The text tower (label prompts).</summary>
    IClipTextEncoder Text { get; }

    /// <summary>The image tower (thumbnails).</summary>
    IClipImageEncoder Images { get; }

    /// <summary>Whether the image tower has been loaded (it is loaded on the first image).</summary>
    bool ImagesLoaded { get; }
}

/// <summary>Opens the CLIP model <c>clip:</c> names (Immich's model cache layout, read-only; nothing is downloaded).</summary>
public interface IClipModels
{
    /// <summary>Opens <see cref="ClipConfig.ModelName"/> under <see cref="ClipConfig.ModelFolder"/>.</summary>
    /// <exception cref="ClipUnavailableException">The folder, a file or a key in it is missing or malformed (the message names it).</exception>
    IClipModelSession Open(ClipConfig config, ILogger logger);
}

/// <summary>What the CLIP step needs from outside Core: the model files and the embedding stores.</summary>
/// <param name="Models">Opens the configured model.</param>
/// <param name="Store">Image embeddings kept between runs (state.db).</param>
/// <param name="TextStore">Label prompt embeddings kept between runs (state.db); null encodes the prompts on every run.</param>
public sealed record ClipServices(IClipModels Models, IClipEmbeddingStore Store, IClipTextEmbeddingStore? TextStore = null);

/// <summary>The CLIP model cannot be used: the message says which folder, file or key and why. Nothing was changed.</summary>
public sealed class ClipUnavailableException : Exception
{
    /// <summary>Creates the exception with the message a user sees.</summary>
    public ClipUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the message a user sees.</summary>
    public ClipUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ClipUnavailableException()
        : base("The CLIP model cannot be used.")
    {
    }
}
