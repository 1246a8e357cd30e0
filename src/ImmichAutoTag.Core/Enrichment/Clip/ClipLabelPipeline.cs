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
/// <param name="Encode">Encoder calls (inference; decoding and preprocessing too when they are not prepared apart), scoring and storing.</param>
/// <param name="WaitingForThumbnails">Time the encoder stage waited for the next thumbnail.</param>
/// <param name="Total">The whole pass.</param>
public sealed record ClipPipelineTimes(TimeSpan Lookup, TimeSpan Download, TimeSpan Encode, TimeSpan WaitingForThumbnails, TimeSpan Total)
{
    /// <summary>
    /// Sum over thumbnails of decoding + preprocessing done beside the model (with an <see cref="IClipImagePreparer"/>;
    /// zero otherwise, where it is part of <see cref="Encode"/>). Overlaps the model calls.
    /// </summary>
    public TimeSpan Prepare { get; init; }

    /// <summary>Time inside encoder calls (the model, plus decoding and preprocessing for an encoder that does not prepare apart).</summary>
    public TimeSpan Inference { get; init; }
}

/// <summary>
/// Scores assets with CLIP, encoding each image once ever: stored embeddings (by checksum and model id) are read in
/// chunks and scored at once; the others are downloaded while the model runs — a bounded channel between a few
/// concurrent thumbnail downloads and the encoder, so at most about two batches of thumbnails are held — then encoded,
/// scored and stored batch by batch. With an <see cref="IClipImagePreparer"/> the download workers also decode and
/// preprocess, so that CPU work overlaps the model call of the previous batch instead of preceding it. Embeddings are not kept after scoring, so memory grows only with the per-asset
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
        var times = missing.Count == 0 ? default : await EncodeMissingAsync(missing, fetchThumbnail, failures, Score, ct).ConfigureAwait(false);

        // A failure of the one downloaded asset stands for every asset with its checksum.
        foreach (var asset in missing.Where(m => failures.ContainsKey(m.AssetId)))
        {
            foreach (var id in byChecksum[asset.Checksum].Skip(1))
            {
                failures[id] = failures[asset.AssetId];
            }
        }

        return new ClipPipelineResult(
            scores,
            times.Encoded,
            reused,
            failures,
            new ClipPipelineTimes(lookup, times.Download, times.Encode, times.Waiting, Stopwatch.GetElapsedTime(started))
            {
                Prepare = times.Prepare,
                Inference = times.Inference,
            });

        void Score(string checksum, float[] embedding)
        {
            var result = classifier.Classify(embedding);
            foreach (var id in byChecksum[checksum])
            {
                scores[id] = result;
            }
        }
    }

    private async Task<EncodeTimes> EncodeMissingAsync(
        List<ClipAsset> missing,
        Func<Guid, CancellationToken, Task<byte[]>> fetchThumbnail,
        Dictionary<Guid, string> failures,
        Action<string, float[]> score,
        CancellationToken ct)
    {
        // Bounded: downloads (and, with a preparing encoder, decoding + preprocessing) wait while two batches are
        // waiting for the model, so at most about 2 × batch + downloads images are held at once.
        var preparer = encoder as IClipImagePreparer;
        var channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(2 * options.BatchSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var failureLock = new object();
        var buffers = new TensorPool(preparer?.PreparedLength ?? 0);
        long downloadTicks = 0, prepareTicks = 0;
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
                            Fail(asset, $"thumbnail not fetched: {e.Message}");
                            return;
                        }
                        finally
                        {
                            Interlocked.Add(ref downloadTicks, Stopwatch.GetTimestamp() - fetchStarted);
                        }

                        if (preparer is null)
                        {
                            await channel.Writer.WriteAsync(new Item(asset, bytes, null), token).ConfigureAwait(false);
                            return;
                        }

                        // Decoded and preprocessed here, on the download's worker, while the model runs on an earlier batch.
                        var prepareStarted = Stopwatch.GetTimestamp();
                        var tensor = buffers.Rent();
                        var error = preparer.Prepare(bytes, tensor);
                        Interlocked.Add(ref prepareTicks, Stopwatch.GetTimestamp() - prepareStarted);
                        if (error is not null)
                        {
                            buffers.Return(tensor);
                            Fail(asset, error);
                            return;
                        }

                        await channel.Writer.WriteAsync(new Item(asset, null, tensor), token).ConfigureAwait(false);
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
        long encodeTicks = 0, waitTicks = 0, inferenceTicks = 0;
        var batch = new List<Item>(options.BatchSize);
        Task<int>? pendingStore = null;
        var input = preparer is null ? null : new float[options.BatchSize * preparer.PreparedLength];
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
                    var (fresh, inference) = preparer is null
                        ? await EncodeBatchAsync(batch, failures, failureLock, stop.Token).ConfigureAwait(false)
                        : await EncodePreparedBatchAsync(preparer, batch, input!, buffers, stop.Token).ConfigureAwait(false);
                    inferenceTicks += inference;

                    // Storing and scoring a batch runs while the model works on the next one (one store at a time,
                    // in batch order); only its wait, if any, is on the model's path.
                    if (pendingStore is not null)
                    {
                        encoded += await pendingStore.ConfigureAwait(false);
                    }

                    pendingStore = Task.Run(() => StoreAndScoreAsync(fresh, score, stop.Token), CancellationToken.None);
                    encodeTicks += Stopwatch.GetTimestamp() - encodeStarted;
                    batch.Clear();
                }

                if (!more)
                {
                    break;
                }
            }

            if (pendingStore is not null)
            {
                var storeStarted = Stopwatch.GetTimestamp();
                encoded += await pendingStore.ConfigureAwait(false);
                pendingStore = null;
                encodeTicks += Stopwatch.GetTimestamp() - storeStarted;
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
            if (pendingStore is not null)
            {
                // Cancelled or failed: let the last store finish (or fail) before the caller sees the outcome.
                await pendingStore.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        return new EncodeTimes(
            encoded,
            Stopwatch.GetElapsedTime(0, downloadTicks),
            Stopwatch.GetElapsedTime(0, encodeTicks),
            Stopwatch.GetElapsedTime(0, waitTicks),
            Stopwatch.GetElapsedTime(0, prepareTicks),
            Stopwatch.GetElapsedTime(0, inferenceTicks));

        void Fail(ClipAsset asset, string reason)
        {
            lock (failureLock)
            {
                failures[asset.AssetId] = reason;
            }
        }
    }

    /// <summary>Fills <paramref name="batch"/> up to <paramref name="size"/>; false once the channel is finished.</summary>
    private static async Task<bool> FillAsync(ChannelReader<Item> reader, List<Item> batch, int size, CancellationToken ct)
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

    private async Task<(Dictionary<string, float[]> Fresh, long InferenceTicks)> EncodeBatchAsync(
        List<Item> batch,
        Dictionary<Guid, string> failures,
        object failureLock,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var results = await encoder.EncodeImagesAsync(batch.Select(b => (ReadOnlyMemory<byte>)b.Bytes!).ToArray(), ct).ConfigureAwait(false);
        var inference = Stopwatch.GetTimestamp() - started;
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

        return (fresh, inference);
    }

    private static async Task<(Dictionary<string, float[]> Fresh, long InferenceTicks)> EncodePreparedBatchAsync(
        IClipImagePreparer preparer,
        List<Item> batch,
        float[] input,
        TensorPool buffers,
        CancellationToken ct)
    {
        var length = preparer.PreparedLength;
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Prepared!.AsSpan().CopyTo(input.AsSpan(i * length, length));
            buffers.Return(batch[i].Prepared!);
        }

        var started = Stopwatch.GetTimestamp();
        var embeddings = await preparer.EncodePreparedAsync(input.AsMemory(0, batch.Count * length), batch.Count, ct).ConfigureAwait(false);
        var inference = Stopwatch.GetTimestamp() - started;
        var fresh = new Dictionary<string, float[]>(batch.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            fresh[batch[i].Asset.Checksum] = embeddings[i];
        }

        return (fresh, inference);
    }

    private async Task<int> StoreAndScoreAsync(Dictionary<string, float[]> fresh, Action<string, float[]> score, CancellationToken ct)
    {
        await store.StoreAsync(encoder.Model, fresh, ct).ConfigureAwait(false);
        foreach (var (checksum, embedding) in fresh)
        {
            score(checksum, embedding);
        }

        return fresh.Count;
    }

    /// <summary>A downloaded thumbnail: its bytes, or (with a preparing encoder) the model input made from them.</summary>
    private readonly record struct Item(ClipAsset Asset, byte[]? Bytes, float[]? Prepared);

    private readonly record struct EncodeTimes(int Encoded, TimeSpan Download, TimeSpan Encode, TimeSpan Waiting, TimeSpan Prepare, TimeSpan Inference);

    /// <summary>Reuses prepared-image buffers (600 KB each for 224 px), so a long run allocates only about as many as are in flight.</summary>
    private sealed class TensorPool(int length)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<float[]> free = [];

        public float[] Rent() => free.TryTake(out var buffer) ? buffer : new float[length];

        public void Return(float[] buffer) => free.Add(buffer);
    }
}
