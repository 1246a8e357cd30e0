namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// What identifies the model an embedding came from: the model's folder name in Immich's cache (for example
/// <c>ViT-B-32__openai</c>) and a digest of its visual encoder file, so a replaced model file yields a new id even
/// under the same name. Embeddings of different ids are never compared.
/// </summary>
/// <param name="Value">Text of the form <c>&lt;model name&gt;@&lt;16 hex digits of SHA-256(visual/model.onnx)&gt;</c>.</param>
public readonly record struct ClipModelId(string Value)
{
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>The outcome for one image: its embedding, or why it has none (the other images of the batch are unaffected).</summary>
/// <param name="Embedding">Length <see cref="IClipImageEncoder.Dimension"/>, L2-normalised; null when <paramref name="Error"/> is set.</param>
/// <param name="Error">For example "cannot decode image: …"; null on success.</param>
public sealed record ClipImageEncoding(float[]? Embedding, string? Error)
{
    /// <summary>A successful encoding.</summary>
    public static ClipImageEncoding Of(float[] embedding) => new(embedding, null);

    /// <summary>A failed encoding.</summary>
    public static ClipImageEncoding Failed(string error) => new(null, error);
}

/// <summary>
/// CLIP's image tower: encoded image bytes (Immich's thumbnail, JPEG or WebP) in, one embedding per image out.
/// Decoding and the model's preprocessing (resize, centre crop, normalisation) happen behind this port. Calls may
/// overlap: <see cref="ClipLabelPipeline"/> runs <see cref="ClipPipelineOptions.Lanes"/> batches side by side.
/// </summary>
public interface IClipImageEncoder
{
    /// <summary>The model the embeddings come from.</summary>
    ClipModelId Model { get; }

    /// <summary>The embedding dimension D (512 for ViT-B/32), read from the model's output shape.</summary>
    int Dimension { get; }

    /// <summary>
    /// Encodes <paramref name="images"/> (one result per image, same order). An image that cannot be decoded gets a
    /// failed result; the others are still encoded.
    /// </summary>
    Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct);
}

/// <summary>CLIP's text tower: prompts in, one embedding per prompt out (L2-normalised, dimension D).</summary>
public interface IClipTextEncoder
{
    /// <summary>The model the embeddings come from (the same id as its image tower).</summary>
    ClipModelId Model { get; }

    /// <summary>Tokenizes (padded or truncated to the model's context length) and encodes each text.</summary>
    Task<IReadOnlyList<float[]>> EncodeTextsAsync(IReadOnlyList<string> texts, CancellationToken ct);
}

/// <summary>
/// Image embeddings kept between runs, keyed by the asset's checksum (Immich's <c>checksum</c> field of an asset:
/// base64 SHA-1 of the original file) and <see cref="ClipModelId"/>: an asset is encoded once per model, ever, and a
/// changed label set is re-scored from what is stored here without encoding again.
/// </summary>
public interface IClipEmbeddingStore
{
    /// <summary>The stored embeddings of those of <paramref name="checksums"/> known for <paramref name="model"/>.</summary>
    Task<IReadOnlyDictionary<string, float[]>> GetAsync(ClipModelId model, IReadOnlyCollection<string> checksums, CancellationToken ct);

    /// <summary>Stores (or replaces) embeddings for <paramref name="model"/>, keyed by asset checksum, in one transaction.</summary>
    Task StoreAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct);

    /// <summary>How many embeddings are stored for <paramref name="model"/>.</summary>
    Task<long> CountAsync(ClipModelId model, CancellationToken ct);

    /// <summary>
    /// Calls <paramref name="visit"/> once for each of <paramref name="checksums"/> that has a stored embedding of
    /// <paramref name="model"/>, in no particular order, one row at a time: the span is valid only during the call
    /// (a store may reuse its memory for the next row), so a re-score of 100k stored embeddings holds one row, not
    /// all of them. Returns how many were visited. This default reads through <see cref="GetAsync"/> in chunks of
    /// 1,000 checksums; a store can do better.
    /// </summary>
    async Task<int> VisitAsync(ClipModelId model, IReadOnlySet<string> checksums, ClipStoredEmbeddingVisitor visit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checksums);
        ArgumentNullException.ThrowIfNull(visit);
        var visited = 0;
        foreach (var chunk in checksums.Chunk(1000))
        {
            foreach (var (checksum, embedding) in await GetAsync(model, chunk, ct).ConfigureAwait(false))
            {
                visit(checksum, embedding);
                visited++;
            }
        }

        return visited;
    }
}

/// <summary>Receives one stored image embedding from <see cref="IClipEmbeddingStore.VisitAsync"/>.</summary>
/// <param name="checksum">The asset checksum the embedding is stored under.</param>
/// <param name="embedding">The embedding (dimension D); valid only during the call.</param>
public delegate void ClipStoredEmbeddingVisitor(string checksum, ReadOnlySpan<float> embedding);

/// <summary>
/// An image tower whose work splits in two: decoding and preprocessing (CPU only, thread-safe, any number at once)
/// apart from the model call. <see cref="ClipLabelPipeline"/> then prepares the next thumbnails while the model runs
/// on the current batch instead of one after the other.
/// </summary>
public interface IClipImagePreparer : IClipImageEncoder
{
    /// <summary>Floats one prepared image occupies (3 × size × size for CLIP's <c>[N, 3, size, size]</c> input).</summary>
    int PreparedLength { get; }

    /// <summary>
    /// Decodes <paramref name="image"/> (Immich's thumbnail bytes) and writes the model's input for it into
    /// <paramref name="destination"/> (<see cref="PreparedLength"/> floats). Returns null on success, else why the
    /// image cannot be used (for example "cannot decode image: …"); never throws for bad image bytes.
    /// </summary>
    string? Prepare(ReadOnlyMemory<byte> image, Span<float> destination);

    /// <summary>
    /// Runs the model on <paramref name="count"/> prepared images laid out one after another in
    /// <paramref name="prepared"/>; returns <paramref name="count"/> embeddings (dimension <see cref="IClipImageEncoder.Dimension"/>, L2-normalised).
    /// </summary>
    Task<IReadOnlyList<float[]>> EncodePreparedAsync(ReadOnlyMemory<float> prepared, int count, CancellationToken ct);
}

/// <summary>
/// Label prompt (text) embeddings kept between runs, keyed by <see cref="ClipModelId"/> and the exact prompt text: a
/// run whose label set is unchanged never runs the text tower, and a changed set encodes only its new prompts.
/// </summary>
public interface IClipTextEmbeddingStore
{
    /// <summary>The stored embeddings of those of <paramref name="prompts"/> known for <paramref name="model"/> (prompt → embedding).</summary>
    Task<IReadOnlyDictionary<string, float[]>> GetTextAsync(ClipModelId model, IReadOnlyCollection<string> prompts, CancellationToken ct);

    /// <summary>Stores (or replaces) prompt embeddings for <paramref name="model"/>, in one transaction.</summary>
    Task StoreTextAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct);
}
