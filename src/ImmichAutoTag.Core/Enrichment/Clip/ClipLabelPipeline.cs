using System.Diagnostics;
using System.Threading.Channels;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>How the pipeline runs.</summary>
/// <param name="BatchSize">Images per encoder call.</param>
/// <param name="Downloads">Thumbnails downloaded at once (network waits; they run beside the model).</param>
/// <param name="PrepareWorkers">
/// Thumbnails of one batch decoded and preprocessed at once, right before its model call (with an
/// <see cref="IClipImagePreparer"/>).
/// </param>
/// <param name="Lanes">
/// Batches encoded side by side, each by its own lane that decodes its batch and then runs the model on it. The
/// encoder must allow that many overlapping calls; the ONNX encoder runs each call on one thread, so <c>clip.threads</c>
/// lanes keep that many cores busy (docs/clip.md, "Batches side by side").
/// </param>
public sealed record ClipPipelineOptions(int BatchSize = 8, int Downloads = 4, int PrepareWorkers = 2, int Lanes = 1);

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
/// <param name="Encode">Encoder calls (inference and decoding + preprocessing), and waiting for the previous batch's store; summed over lanes.</param>
/// <param name="WaitingForThumbnails">Time the encoder stage waited for the next thumbnail, summed over lanes.</param>
/// <param name="Total">The whole pass.</param>
public sealed record ClipPipelineTimes(TimeSpan Lookup, TimeSpan Download, TimeSpan Encode, TimeSpan WaitingForThumbnails, TimeSpan Total)
{
    /// <summary>
    /// Sum over thumbnails of decoding + preprocessing done apart from the model calls (with an
    /// <see cref="IClipImagePreparer"/>; zero otherwise, where it is part of <see cref="Encode"/>). Several
    /// thumbnails are prepared at once, so this can exceed <see cref="PreparePhase"/>.
    /// </summary>
    public TimeSpan Prepare { get; init; }

    /// <summary>Wall time between model calls spent preparing their batches (part of <see cref="Encode"/>; summed over lanes).</summary>
    public TimeSpan PreparePhase { get; init; }

    /// <summary>Time inside encoder calls (the model, plus decoding and preprocessing for an encoder that does not prepare apart); summed over lanes, so with several lanes it can exceed the wall time.</summary>
    public TimeSpan Inference { get; init; }
}

/// <summary>
/// Scores assets with CLIP, encoding each image once ever: stored embeddings (by checksum and model id) are streamed
/// from the store and scored row by row; the others are downloaded while the model runs — a bounded channel between a few
/// concurrent thumbnail downloads and the encoder, so at most about three batches of thumbnails per lane are held —
/// then decoded, encoded, scored and stored batch by batch, <see cref="ClipPipelineOptions.Lanes"/> batches side by
/// side. With an <see cref="IClipImagePreparer"/> a lane decodes and preprocesses its batch
/// (<see cref="ClipPipelineOptions.PrepareWorkers"/> thumbnails at once) right before its model call, not beside it:
/// on a machine whose cores the model already uses, decoding beside a call that spreads over every core slowed the call
/// by more than the decode took (see docs/clip.md). Embeddings are not kept after scoring, so memory grows only with the
/// per-asset scores (a few label probabilities each), not with the embeddings, at 100k assets too.
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
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PrepareWorkers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Lanes, 1);
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

        // Stored embeddings are scored as the store streams them, one row at a time, so a re-score of every stored
        // asset holds the scores, never the embeddings.
        var found = new HashSet<string>(StringComparer.Ordinal);
        await store.VisitAsync(
            encoder.Model,
            byChecksum.Keys.ToHashSet(StringComparer.Ordinal),
            (checksum, embedding) =>
            {
                if (byChecksum.ContainsKey(checksum) && found.Add(checksum))
                {
                    reused++;
                    Score(checksum, embedding);
                }
            },
            ct).ConfigureAwait(false);
        foreach (var (checksum, ids) in byChecksum)
        {
            if (!found.Contains(checksum))
            {
                missing.Add(new ClipAsset(ids[0], checksum));
            }
        }

        var lookup = Stopwatch.GetElapsedTime(lookupStarted);
        if (missing.Count > 0 && encoder.Dimension != classifier.Dimension)
        {
            // Before any download: towers of two different models (a half-updated cache) cannot be compared.
            throw new ClipUnavailableException(
                $"CLIP model {encoder.Model}: the image tower's embeddings have {encoder.Dimension} dimensions but the label prompts' (text tower) {classifier.Dimension}; the two towers are not of one model.");
        }

        var times = missing.Count == 0 ? default : await EncodeMissingAsync(missing, fetchThumbnail, failures, (checksum, embedding) => Score(checksum, embedding), ct).ConfigureAwait(false);

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
                PreparePhase = times.PreparePhase,
                Inference = times.Inference,
            });

        void Score(string checksum, ReadOnlySpan<float> embedding)
        {
            if (embedding.Length != classifier.Dimension)
            {
                throw new ClipUnavailableException(
                    $"CLIP model {encoder.Model}: its stored image embeddings have {embedding.Length} dimensions but the label prompts' (text tower) {classifier.Dimension}; the two towers are not of one model.");
            }

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
        // Bounded: downloads wait while two batches per lane of thumbnail bytes are waiting for the model, so at most
        // about 3 × batch × lanes + downloads thumbnails (tens of KB each) are held at once, plus one batch of model
        // input per lane.
        var preparer = encoder as IClipImagePreparer;
        var channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(2 * options.BatchSize * options.Lanes)
        {
            SingleReader = options.Lanes == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var failureLock = new object();
        long downloadTicks = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Downloading is waiting on the network, not CPU work: it runs beside the model. Decoding is not (see below).
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

                        await channel.Writer.WriteAsync(new Item(asset, bytes), token).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            CancellationToken.None);

        // Each lane fills its own batch from the channel, decodes it, runs the model on it and hands it to the store,
        // side by side with the other lanes: with one ONNX Runtime thread per call, lanes keep every core busy
        // without the threads of one call waiting for each other at every layer (docs/clip.md, "Batches side by side").
        var lanes = options.Lanes;
        using var storeGate = new SemaphoreSlim(1, 1);
        var totals = new LaneTotals();
        var running = new Task[lanes];
        for (var lane = 0; lane < lanes; lane++)
        {
            running[lane] = Task.Run(() => LaneAsync(channel.Reader, preparer, failures, failureLock, Fail, score, storeGate, totals, stop), CancellationToken.None);
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }

        return new EncodeTimes(
            totals.Encoded,
            Stopwatch.GetElapsedTime(0, downloadTicks),
            Stopwatch.GetElapsedTime(0, totals.EncodeTicks),
            Stopwatch.GetElapsedTime(0, totals.WaitTicks),
            Stopwatch.GetElapsedTime(0, totals.PrepareTicks),
            Stopwatch.GetElapsedTime(0, totals.InferenceTicks),
            Stopwatch.GetElapsedTime(0, totals.PreparePhaseTicks));

        void Fail(ClipAsset asset, string reason)
        {
            lock (failureLock)
            {
                failures[asset.AssetId] = reason;
            }
        }
    }

    /// <summary>
    /// One lane: takes up to <see cref="ClipPipelineOptions.BatchSize"/> thumbnails from <paramref name="reader"/>,
    /// decodes them (with a preparer), runs the model, and stores and scores the batch while it takes the next one;
    /// until the channel is finished. Its figures are added to <paramref name="totals"/> when it ends.
    /// </summary>
    private async Task LaneAsync(
        ChannelReader<Item> reader,
        IClipImagePreparer? preparer,
        Dictionary<Guid, string> failures,
        object failureLock,
        Action<ClipAsset, string> fail,
        Action<string, float[]> score,
        SemaphoreSlim storeGate,
        LaneTotals totals,
        CancellationTokenSource stop)
    {
        var encoded = 0;
        long encodeTicks = 0, waitTicks = 0, inferenceTicks = 0, prepareTicks = 0, preparePhaseTicks = 0;
        var batch = new List<Item>(options.BatchSize);
        Task<int>? pendingStore = null;
        var input = preparer is null ? null : new float[options.BatchSize * preparer.PreparedLength];
        try
        {
            while (true)
            {
                var waitStarted = Stopwatch.GetTimestamp();
                var more = await FillAsync(reader, batch, options.BatchSize, stop.Token).ConfigureAwait(false);
                waitTicks += Stopwatch.GetTimestamp() - waitStarted;
                if (batch.Count > 0)
                {
                    var encodeStarted = Stopwatch.GetTimestamp();
                    Dictionary<string, float[]> fresh;
                    long inference;
                    if (preparer is null)
                    {
                        (fresh, inference) = await EncodeBatchAsync(batch, failures, failureLock, stop.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        var phaseStarted = Stopwatch.GetTimestamp();
                        var (ready, ticks) = Prepare(preparer, batch, input!, fail, stop.Token);
                        prepareTicks += ticks;
                        preparePhaseTicks += Stopwatch.GetTimestamp() - phaseStarted;
                        (fresh, inference) = ready.Count == 0
                            ? ([], 0)
                            : await EncodePreparedBatchAsync(preparer, ready, input!, stop.Token).ConfigureAwait(false);
                    }

                    inferenceTicks += inference;

                    // Storing and scoring a batch (mostly waiting for SQLite's commit) runs while this lane's model
                    // works on its next batch; one store at a time over all lanes, and at most one pending per lane,
                    // so only its wait, if any, is on the model's path.
                    if (pendingStore is not null)
                    {
                        encoded += await pendingStore.ConfigureAwait(false);
                    }

                    pendingStore = Task.Run(() => StoreAndScoreAsync(fresh, score, storeGate, stop.Token), CancellationToken.None);
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
            // One lane's failure ends the others and the downloads.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (pendingStore is not null)
            {
                // Cancelled or failed: let the last store finish (or fail) before the caller sees the outcome.
                await pendingStore.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }

            totals.Add(encoded, encodeTicks, waitTicks, inferenceTicks, prepareTicks, preparePhaseTicks);
        }
    }

    /// <summary>
    /// Decodes and preprocesses <paramref name="batch"/> into <paramref name="input"/>, up to
    /// <see cref="ClipPipelineOptions.PrepareWorkers"/> thumbnails at once, between two model calls rather than beside
    /// them: the model keeps every core busy with threads that wait for each other at each layer, so one decoding
    /// beside it slows a whole call by more than the decode costs. Returns the prepared items, in input order.
    /// </summary>
    private (List<Item> Ready, long Ticks) Prepare(IClipImagePreparer preparer, List<Item> batch, float[] input, Action<ClipAsset, string> fail, CancellationToken ct)
    {
        var length = preparer.PreparedLength;
        var errors = new string?[batch.Count];
        long ticks = 0;
        Parallel.For(
            0,
            batch.Count,
            new ParallelOptions { MaxDegreeOfParallelism = options.PrepareWorkers, CancellationToken = ct },
            i =>
            {
                var started = Stopwatch.GetTimestamp();
                errors[i] = preparer.Prepare(batch[i].Bytes, input.AsSpan(i * length, length));
                Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - started);
            });
        var ready = new List<Item>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (errors[i] is { } error)
            {
                fail(batch[i].Asset, error);
                continue;
            }

            if (ready.Count != i)
            {
                // Close the gap a failed thumbnail left, so the model gets the prepared images one after another.
                input.AsSpan(i * length, length).CopyTo(input.AsSpan(ready.Count * length, length));
            }

            ready.Add(batch[i]);
        }

        return (ready, ticks);
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
        var results = await encoder.EncodeImagesAsync(batch.Select(b => (ReadOnlyMemory<byte>)b.Bytes).ToArray(), ct).ConfigureAwait(false);
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
        List<Item> ready,
        float[] input,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var embeddings = await preparer.EncodePreparedAsync(input.AsMemory(0, ready.Count * preparer.PreparedLength), ready.Count, ct).ConfigureAwait(false);
        var inference = Stopwatch.GetTimestamp() - started;
        var fresh = new Dictionary<string, float[]>(ready.Count, StringComparer.Ordinal);
        for (var i = 0; i < ready.Count; i++)
        {
            fresh[ready[i].Asset.Checksum] = embeddings[i];
        }

        return (fresh, inference);
    }

    private async Task<int> StoreAndScoreAsync(Dictionary<string, float[]> fresh, Action<string, float[]> score, SemaphoreSlim storeGate, CancellationToken ct)
    {
        // One batch at a time: the store is one SQLite connection, and scoring writes the pass's result maps.
        await storeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await store.StoreAsync(encoder.Model, fresh, ct).ConfigureAwait(false);
            foreach (var (checksum, embedding) in fresh)
            {
                score(checksum, embedding);
            }
        }
        finally
        {
            storeGate.Release();
        }

        return fresh.Count;
    }

    /// <summary>A downloaded thumbnail.</summary>
    private readonly record struct Item(ClipAsset Asset, byte[] Bytes);

    /// <summary>The lanes' figures, added as each lane ends.</summary>
    private sealed class LaneTotals
    {
        private readonly Lock gate = new();

        public int Encoded { get; private set; }

        public long EncodeTicks { get; private set; }

        public long WaitTicks { get; private set; }

        public long InferenceTicks { get; private set; }

        public long PrepareTicks { get; private set; }

        public long PreparePhaseTicks { get; private set; }

        public void Add(int encoded, long encode, long wait, long inference, long prepare, long preparePhase)
        {
            lock (gate)
            {
                Encoded += encoded;
                EncodeTicks += encode;
                WaitTicks += wait;
                InferenceTicks += inference;
                PrepareTicks += prepare;
                PreparePhaseTicks += preparePhase;
            }
        }
    }

    private readonly record struct EncodeTimes(int Encoded, TimeSpan Download, TimeSpan Encode, TimeSpan Waiting, TimeSpan Prepare, TimeSpan Inference, TimeSpan PreparePhase);
}
