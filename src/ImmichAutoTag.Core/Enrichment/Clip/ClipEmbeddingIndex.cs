namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>An asset to embed: its checksum (Immich's asset <c>checksum</c>, the store key) and its id (to fetch the thumbnail).</summary>
/// <param name="AssetId">Immich asset id.</param>
/// <param name="Checksum">Immich's <c>checksum</c> of the asset (base64 SHA-1 of the original file).</param>
public sealed record ClipAsset(Guid AssetId, string Checksum);

/// <summary>The embeddings of a set of assets and what it cost to get them.</summary>
/// <param name="Embeddings">By checksum; assets whose thumbnail could not be fetched or decoded are missing.</param>
/// <param name="Encoded">Images run through the model by this call (0 when every asset was stored).</param>
/// <param name="Reused">Embeddings read from the store.</param>
/// <param name="Failures">Asset id → reason, for assets left without an embedding.</param>
public sealed record ClipEmbeddingBatch(
    IReadOnlyDictionary<string, float[]> Embeddings,
    int Encoded,
    int Reused,
    IReadOnlyDictionary<Guid, string> Failures);

/// <summary>
/// "Computed once": returns an embedding per asset, reading stored ones and encoding only the assets the store does
/// not hold for the encoder's model (new or changed assets: a changed file has a new checksum), then storing those.
/// Thumbnails are fetched only for assets that need encoding. Scoring with any label set then works from the returned
/// embeddings, so a changed label set costs no encoding.
/// </summary>
/// <param name="encoder">The image tower.</param>
/// <param name="store">Where embeddings persist.</param>
/// <param name="batchSize">Thumbnails fetched and encoded per round (bounds memory: at most this many images are held).</param>
public sealed class ClipEmbeddingIndex(IClipImageEncoder encoder, IClipEmbeddingStore store, int batchSize = 32)
{
    /// <summary>
    /// Embeddings of <paramref name="assets"/>. <paramref name="fetchThumbnail"/> returns an asset's thumbnail bytes
    /// (Immich's <c>GET /assets/{id}/thumbnail</c>) or throws; a failure affects only that asset.
    /// </summary>
    public async Task<ClipEmbeddingBatch> GetOrEncodeAsync(
        IReadOnlyList<ClipAsset> assets,
        Func<ClipAsset, CancellationToken, Task<ReadOnlyMemory<byte>>> fetchThumbnail,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(fetchThumbnail);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var checksums = assets.Select(a => a.Checksum).Distinct(StringComparer.Ordinal).ToArray();
        var stored = await store.GetAsync(encoder.Model, checksums, ct).ConfigureAwait(false);
        var embeddings = new Dictionary<string, float[]>(stored, StringComparer.Ordinal);
        var failures = new Dictionary<Guid, string>();
        var missing = assets
            .Where(a => !stored.ContainsKey(a.Checksum))
            .DistinctBy(a => a.Checksum, StringComparer.Ordinal)
            .ToArray();
        var encoded = 0;
        foreach (var chunk in missing.Chunk(batchSize))
        {
            var fetched = new List<(ClipAsset Asset, ReadOnlyMemory<byte> Bytes)>(chunk.Length);
            foreach (var asset in chunk)
            {
                try
                {
                    fetched.Add((asset, await fetchThumbnail(asset, ct).ConfigureAwait(false)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures[asset.AssetId] = $"thumbnail not fetched: {e.Message}";
                }
            }

            if (fetched.Count == 0)
            {
                continue;
            }

            var results = await encoder.EncodeImagesAsync(fetched.Select(f => f.Bytes).ToArray(), ct).ConfigureAwait(false);
            var fresh = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var i = 0; i < fetched.Count; i++)
            {
                if (results[i].Embedding is { } embedding)
                {
                    fresh[fetched[i].Asset.Checksum] = embedding;
                }
                else
                {
                    failures[fetched[i].Asset.AssetId] = results[i].Error ?? "not encoded";
                }
            }

            await store.StoreAsync(encoder.Model, fresh, ct).ConfigureAwait(false);
            encoded += fresh.Count;
            foreach (var (checksum, embedding) in fresh)
            {
                embeddings[checksum] = embedding;
            }
        }

        return new ClipEmbeddingBatch(embeddings, encoded, stored.Count, failures);
    }
}
