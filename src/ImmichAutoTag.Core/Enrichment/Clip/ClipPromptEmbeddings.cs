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

            if (store is not null)
            {
                await store.StoreTextAsync(text.Model, fresh, ct).ConfigureAwait(false);
            }
        }

        var perLabel = labels.Select(l => (IReadOnlyList<float[]>)l.Prompts.Select(p => known[p]).ToList()).ToList();
        return new ClipPromptEmbeddingSet(perLabel, missing.Count, reused);
    }
}
