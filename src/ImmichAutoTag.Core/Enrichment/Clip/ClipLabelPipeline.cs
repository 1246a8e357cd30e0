using System.Diagnostics;
using System.Threading.Channels;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>How the pipeline runs.</summary>
/// <param name="BatchSize">Images per encoder call.</param>
/// <param name="Downloads">Thumbnails downloaded at once.</param>
/// <param name="LookupChunk">Checksums per stored-embedding lookup.</param>
public sealed record ClipPipelineOptions(int BatchSize = 8, int Downloads = 4, int LookupChunk = 1000);

/// <summary>What one pass of the pipeline did.</summary>
/// <param name="Scores">Asset id → its zero-shot result; assets in <paramref name="Failures"/> are missing.</param>
/// <param name="Encoded">Images run through the model (0 when every asset was stored).</param>
/// <param name="Reused">Distinct checksums whose embedding came from the store.</param>
/// <param name="Failures">Asset id → why it has no score (thumbnail not fetched, not decodable).</param>
/// <param name="Times">Time spent per stage.</param>
public sealed record ClipPipelineResult(
    IReadOnlyDictionary<Guid, ZeroShotResult> Scores,
    int Encoded,
    int Reused,
    IReadOnlyDictionary<Guid, string> Failures,
    ClipPipelineTimes Times);

/// <summary>Wall time per stage of one pass.</summary>
/// <param name="Lookup">Reading stored embeddings and scoring them.</param>
/// <param name="Download">Sum over thumbnails of the time each download took (downloads overlap, so this can exceed the wall time).</param>
/// <param name="Encode">Encoder calls (decode, preprocess, inference), scoring and storing.</param>
/// <param name="WaitingForThumbnails">Time the encoder stage waited for the next thumbnail.</param>
/// <param name="Total">The whole pass.</param>
public sealed record ClipPipelineTimes(TimeSpan Lookup, TimeSpan Download, TimeSpan Encode, TimeSpan WaitingForThumbnails, TimeSpan Total);

/// <summary>
/// Scores assets with CLIP, encoding each image once ever: stored embeddings (by checksum and model id) are read in
/// chunks and scored at once; the others are downloaded while the model runs — a bounded channel between a few
/// concurrent thumbnail downloads and the encoder, so at most about two batches of thumbnails are held — then encoded,
/// scored and stored batch by batch. Embeddings are not kept after scoring, so memory grows only with the per-asset
/// scores (a few label probabilities each), not with the embeddings, at 100k assets too.
/// </summary>
public sealed class ClipLabelPipeline(IClipImageEncoder encoder, IClipEmbeddingStore store, ZeroShotClassifier classifier, ClipPipelineOptions options)
{
    /// <summary>
    /// Scores <paramref name="assets"/>. <paramref name="fetchThumbnail"/> returns the bytes of Immich's thumbnail
    /// (<c>GET /assets/{id}/thumbnail</c>) or throws; a failure affects only that asset.
    /// </summary>
    public async Task<ClipPipelineResult> RunAsync(
        IReadOnlyList<ClipAsset> assets,
        Func<Guid, CancellationToken, Task<byte[]>> fetchThumbnail,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(fetchThumbnail);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Downloads, 1);
        var started = Stopwatch.GetTimestamp();

        // Assets with the same file (same checksum) share one embedding.
        var byChecksum = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        foreach (var asset in assets)
        {
            if (!byChecksum.TryGetValue(asset.Checksum, out var ids))
            {
                ids = [];
                byChecksum[asset.Checksum] = ids;
            }

            ids.Add(asset.AssetId);
        }

        var scores = new Dictionary<Guid, ZeroShotResult>(assets.Count);
        var failures = new Dictionary<Guid, string>();
        var missing = new List<ClipAsset>();
        var reused = 0;
        var lookupStarted = Stopwatch.GetTimestamp();
        foreach (var chunk in byChecksum.Keys.Chunk(Math.Max(1, options.LookupChunk)))
        {
            var stored = await store.GetAsync(encoder.Model, chunk, ct).ConfigureAwait(false);
            foreach (var checksum in chunk)
            {
                if (stored.TryGetValue(checksum, out var embedding))
                {
                    reused++;
                    Score(checksum, embedding);
                }
                else
                {
                    missing.Add(new ClipAsset(byChecksum[checksum][0], checksum));
                }
            }
        }

        var lookup = Stopwatch.GetElapsedTime(lookupStarted);
        var (encoded, download, encode, waiting) = missing.Count == 0 ? (0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero) : await EncodeMissingAsync(missing, fetchThumbnail, failures, Score, ct).ConfigureAwait(false);

        // A failure of the one downloaded asset stands for every asset with its checksum.
        foreach (var asset in missing.Where(m => failures.ContainsKey(m.AssetId)))
        {
            foreach (var id in byChecksum[asset.Checksum].Skip(1))
            {
                failures[id] = failures[asset.AssetId];
            }
        }

        return new ClipPipelineResult(scores, encoded, reused, failures, new ClipPipelineTimes(lookup, download, encode, waiting, Stopwatch.GetElapsedTime(started)));

        void Score(string checksum, float[] embedding)
        {
            var result = classifier.Classify(embedding);
            foreach (var id in byChecksum[checksum])
            {
                scores[id] = result;
            }
        }
    }

    private async Task<(int Encoded, TimeSpan Download, TimeSpan Encode, TimeSpan Waiting)> EncodeMissingAsync(
        List<ClipAsset> missing,
        Func<Guid, CancellationToken, Task<byte[]>> fetchThumbnail,
        Dictionary<Guid, string> failures,
        Action<string, float[]> score,
        CancellationToken ct)
    {
        // Bounded: downloads wait while two batches of thumbnails are waiting for the model.
        var channel = Channel.CreateBounded<(ClipAsset Asset, byte[] Bytes)>(new BoundedChannelOptions(2 * options.BatchSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var failureLock = new object();
        long downloadTicks = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = options.Downloads, CancellationToken = stop.Token }, async (asset, token) =>
                    {
                        byte[] bytes;
                        var fetchStarted = Stopwatch.GetTimestamp();
                        try
                        {
                            bytes = await fetchThumbnail(asset.AssetId, token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            lock (failureLock)
                            {
                                failures[asset.AssetId] = $"thumbnail not fetched: {e.Message}";
                            }

                            return;
                        }
                        finally
                        {
                            Interlocked.Add(ref downloadTicks, Stopwatch.GetTimestamp() - fetchStarted);
                        }

                        await channel.Writer.WriteAsync((asset, bytes), token).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            CancellationToken.None);

        var encoded = 0;
        long encodeTicks = 0, waitTicks = 0;
        var batch = new List<(ClipAsset Asset, byte[] Bytes)>(options.BatchSize);
        try
        {
            while (true)
            {
                var waitStarted = Stopwatch.GetTimestamp();
                var more = await FillAsync(channel.Reader, batch, options.BatchSize, stop.Token).ConfigureAwait(false);
                waitTicks += Stopwatch.GetTimestamp() - waitStarted;
                if (batch.Count > 0)
                {
                    var encodeStarted = Stopwatch.GetTimestamp();
                    encoded += await EncodeBatchAsync(batch, failures, failureLock, score, stop.Token).ConfigureAwait(false);
                    encodeTicks += Stopwatch.GetTimestamp() - encodeStarted;
                    batch.Clear();
                }

                if (!more)
                {
                    break;
                }
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await producer.ConfigureAwait(false);
        }

        return (encoded, Stopwatch.GetElapsedTime(0, downloadTicks), Stopwatch.GetElapsedTime(0, encodeTicks), Stopwatch.GetElapsedTime(0, waitTicks));
    }

    /// <summary>Fills <paramref name="batch"/> up to <paramref name="size"/>; false once the channel is finished.</summary>
    private static async Task<bool> FillAsync(ChannelReader<(ClipAsset, byte[])> reader, List<(ClipAsset, byte[])> batch, int size, CancellationToken ct)
    {
        while (batch.Count < size)
        {
            if (reader.TryRead(out var item))
            {
                batch.Add(item);
                continue;
            }

            if (!await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<int> EncodeBatchAsync(
        List<(ClipAsset Asset, byte[] Bytes)> batch,
        Dictionary<Guid, string> failures,
        object failureLock,
        Action<string, float[]> score,
        CancellationToken ct)
    {
        var results = await encoder.EncodeImagesAsync(batch.Select(b => (ReadOnlyMemory<byte>)b.Bytes).ToArray(), ct).ConfigureAwait(false);
        var fresh = new Dictionary<string, float[]>(batch.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i].Embedding is { } embedding)
            {
                fresh[batch[i].Asset.Checksum] = embedding;
            }
            else
            {
                lock (failureLock)
                {
                    failures[batch[i].Asset.AssetId] = results[i].Error ?? "not encoded";
                }
            }
        }

        await store.StoreAsync(encoder.Model, fresh, ct).ConfigureAwait(false);
        foreach (var (checksum, embedding) in fresh)
        {
            score(checksum, embedding);
        }

        return fresh.Count;
    }
}
