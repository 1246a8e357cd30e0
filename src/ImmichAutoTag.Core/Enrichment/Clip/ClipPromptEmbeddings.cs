namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>A label set's prompt embeddings and where they came from.</summary>
/// <param name="PerLabel">For each label (label set order), one embedding per prompt (prompt order).</param>
/// <param name="Encoded">Distinct prompts the text tower encoded in this call (0 when all were stored).</param>
/// <param name="Reused">Distinct prompts whose embedding came from the store.</param>
public sealed record ClipPromptEmbeddingSet(IReadOnlyList<IReadOnlyList<float[]>> PerLabel, int Encoded, int Reused);

/// <summary>
/// Embeds a label set's prompts once per model, ever: stored prompt embeddings (by model id and prompt text) are read
/// first, only the missing distinct prompts go through the text tower, and those are stored for the next run.
/// Without a store every prompt is encoded (once per distinct text).
/// </summary>
public static class ClipPromptEmbeddings
{
    /// <summary>Embeddings for every prompt of <paramref name="labels"/>.</summary>
    /// <param name="labels">The label set, in order.</param>
    /// <param name="text">The text tower; called at most once, only for prompts not in <paramref name="store"/>.</param>
    /// <param name="store">Prompt embeddings kept between runs; null keeps nothing.</param>
    /// <param name="ct">Cancels the lookup and the encoding.</param>
    /// <exception cref="ClipLabelSetException">
    /// A prompt embeds to a zero or non-finite vector (stored or freshly encoded): it names every such label and prompt.
    /// Nothing is stored then.
    /// </exception>
    public static async Task<ClipPromptEmbeddingSet> EmbedAsync(IReadOnlyList<ClipLabel> labels, IClipTextEncoder text, IClipTextEmbeddingStore? store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(text);
        var distinct = labels.SelectMany(l => l.Prompts).Distinct(StringComparer.Ordinal).ToList();
        var known = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (store is not null && distinct.Count > 0)
        {
            foreach (var (prompt, embedding) in await store.GetTextAsync(text.Model, distinct, ct).ConfigureAwait(false))
            {
                known[prompt] = embedding;
            }
        }

        var reused = known.Count;
        var missing = distinct.Where(p => !known.ContainsKey(p)).ToList();
        if (missing.Count > 0)
        {
            var encoded = await text.EncodeTextsAsync(missing, ct).ConfigureAwait(false);
            var fresh = new Dictionary<string, float[]>(missing.Count, StringComparer.Ordinal);
            for (var i = 0; i < missing.Count; i++)
            {
                fresh[missing[i]] = encoded[i];
                known[missing[i]] = encoded[i];
            }

            // Checked before storing: an unusable embedding must not be kept for the next run.
            ThrowIfUnusable(labels, known, text.Model);
            if (store is not null)
            {
                await store.StoreTextAsync(text.Model, fresh, ct).ConfigureAwait(false);
            }
        }

        ThrowIfUnusable(labels, known, text.Model);
        var perLabel = labels.Select(l => (IReadOnlyList<float[]>)l.Prompts.Select(p => known[p]).ToList()).ToList();
        return new ClipPromptEmbeddingSet(perLabel, missing.Count, reused);
    }

    /// <summary>
    /// A prompt whose embedding is all zeros or not finite (for example a prompt made only of tokens the text tower
    /// maps to nothing) has no direction to compare images with; the label set cannot be used as configured.
    /// </summary>
    private static void ThrowIfUnusable(IReadOnlyList<ClipLabel> labels, Dictionary<string, float[]> known, ClipModelId model)
    {
        var bad = new List<string>();
        foreach (var label in labels)
        {
            foreach (var prompt in label.Prompts.Distinct(StringComparer.Ordinal))
            {
                if (known.TryGetValue(prompt, out var embedding) && !Usable(embedding))
                {
                    bad.Add($"label '{label.Name}', prompt '{prompt}'");
                }
            }
        }

        if (bad.Count > 0)
        {
            throw new ClipLabelSetException(
                $"clip.labels: {string.Join("; ", bad)}: the text tower of {model} embeds {(bad.Count == 1 ? "it" : "each")} to a zero (or not finite) vector, so it cannot be compared with images. Reword {(bad.Count == 1 ? "that prompt" : "those prompts")} or remove {(bad.Count == 1 ? "it" : "them")}.");
        }
    }

    private static bool Usable(float[] embedding)
    {
        double sum = 0;
        foreach (var v in embedding)
        {
            sum += (double)v * v;
        }

        return embedding.Length > 0 && sum > 0 && double.IsFinite(sum);
    }
}

/// <summary>
/// The configured label set (<c>clip.labels</c>) cannot be used with the model: a prompt embeds to nothing, a label's
/// prompts cancel out, a label repeats. The message names the label and prompt. A config error: the run stops before
/// anything is written.
/// </summary>
public sealed class ClipLabelSetException : Exception
{
    /// <summary>Creates the exception with the message a user sees.</summary>
    public ClipLabelSetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message a user sees and its cause.</summary>
    public ClipLabelSetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ClipLabelSetException()
        : base("The CLIP label set cannot be used.")
    {
    }
}
