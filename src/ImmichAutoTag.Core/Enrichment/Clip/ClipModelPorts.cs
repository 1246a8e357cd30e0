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

    /// <summary>
    /// How long <paramref name="prompt"/> is for the text tower: its tokens (start and end of text included) and the
    /// model's context length, beyond which the text is cut. Null when the model cannot say (no tokenizer readable).
    /// </summary>
    ClipPromptLength? MeasurePrompt(string prompt) => null;
}

/// <summary>A prompt's length for the text tower.</summary>
/// <param name="Tokens">Tokens of the prompt, start and end of text included.</param>
/// <param name="ContextLength">Tokens the text tower reads (<c>text_cfg.context_length</c>, 77 for CLIP); the rest is cut.</param>
public readonly record struct ClipPromptLength(int Tokens, int ContextLength)
{
    /// <summary>Whether the text tower reads only part of the prompt.</summary>
    public bool IsCut => Tokens > ContextLength;
}

/// <summary>Checks of a label set against the model that do not stop a run.</summary>
public static class ClipPromptChecks
{
    /// <summary>
    /// One message per prompt longer than the model's context length: the text tower reads only its beginning, so
    /// words at its end change nothing (CLIP's own tokenizer cuts them silently).
    /// </summary>
    /// <param name="labels">Label name and prompts.</param>
    /// <param name="measure">The prompt's length (<see cref="IClipModelSession.MeasurePrompt"/>); null skips the prompt.</param>
    public static IReadOnlyList<string> TooLong(IEnumerable<ClipLabel> labels, Func<string, ClipPromptLength?> measure)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(measure);
        var messages = new List<string>();
        foreach (var label in labels)
        {
            foreach (var prompt in label.Prompts.Distinct(StringComparer.Ordinal))
            {
                if (measure(prompt) is { IsCut: true } length)
                {
                    var shown = prompt.Length > 60 ? prompt[..57] + "…" : prompt;
                    messages.Add(
                        $"clip.labels: label '{label.Name}', prompt '{shown}': {length.Tokens} tokens, but the model reads {length.ContextLength} (its context length, start and end of text included); the words after token {length.ContextLength - 2} are ignored. Shorten the prompt.");
                }
            }
        }

        return messages;
    }
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
/// <param name="Store">Image embeddings kept between runs (clip.db).</param>
/// <param name="TextStore">Label prompt embeddings kept between runs (clip.db); null encodes the prompts on every run.</param>
/// <param name="TagRoots">The tag roots the step has labelled under (clip.db); null: a changed <c>clip.tag_root</c> leaves the old labels.</param>
public sealed record ClipServices(IClipModels Models, IClipEmbeddingStore Store, IClipTextEmbeddingStore? TextStore = null, IClipTagRootStore? TagRoots = null);

/// <summary>
/// The <c>clip.tag_root</c> values the CLIP step has labelled under, per server and user: after the root changes, the
/// label tags the tool added below an earlier root are still its own and are taken off.
/// </summary>
public interface IClipTagRootStore
{
    /// <summary>The roots recorded for <paramref name="scope"/> (server URL and user id), ordinal order.</summary>
    Task<IReadOnlyList<string>> LoadTagRootsAsync(string scope, CancellationToken ct);

    /// <summary>Records that the step labels under <paramref name="tagRoot"/> for <paramref name="scope"/>.</summary>
    Task RememberTagRootAsync(string scope, string tagRoot, CancellationToken ct);
}

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
