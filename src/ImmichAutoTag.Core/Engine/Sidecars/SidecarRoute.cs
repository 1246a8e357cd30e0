using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine.Sidecars;

/// <summary>One asset's sidecar edit and what came of it.</summary>
/// <param name="AssetId">The asset (Immich <c>id</c>).</param>
/// <param name="FileName">Its original file name, for reports.</param>
/// <param name="SidecarFile">The sidecar written (in a dry run: the one that would be); null when the write failed before one was chosen.</param>
/// <param name="Added">Tag paths the sidecar was given.</param>
/// <param name="Removed">The tool's tag paths taken out of it.</param>
/// <param name="Arrived">Whether Immich showed the intended tags after its re-read.</param>
/// <param name="Error">Why the sidecar could not be written or re-read; null otherwise.</param>
public sealed record SidecarWrite(Guid AssetId, string FileName, string? SidecarFile, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, bool Arrived, string? Error)
{
    /// <summary>Whether the sidecar now says what the edit asked (written, or already so); false in a dry run and on a write error.</summary>
    public bool Written { get; init; }

    /// <summary>Whether the sidecar was deleted instead of written: an undo left a sidecar the undone run created with nothing of its own (see <see cref="SidecarEdit.Created"/>).</summary>
    public bool Deleted { get; init; }
}

/// <summary>What the sidecar route did in a run.</summary>
/// <param name="Writes">Per asset: the sidecar edit (planned only, in a dry run) and its result.</param>
/// <param name="Arrived">The "does not stick" records whose change Immich now shows: they are forgotten.</param>
/// <param name="Applied">The arrived changes, as applied changes (for changes.jsonl and the reports), reason kept.</param>
/// <param name="Unmapped">Records of assets outside every path mapping (or of tags the tool does not own): reported as before.</param>
/// <param name="Errors">Sidecars that could not be written, refreshes that could not be queued.</param>
public sealed record SidecarOutcome(
    IReadOnlyList<SidecarWrite> Writes,
    IReadOnlyList<NonStickingChange> Arrived,
    IReadOnlyList<AppliedChange> Applied,
    IReadOnlyList<NonStickingChange> Unmapped,
    IReadOnlyList<EngineError> Errors)
{
    public static SidecarOutcome None { get; } = new([], [], [], [], []);
}

/// <summary>
/// Carries tag changes Immich does not keep (recorded as "does not stick": an external library mounted read-only,
/// where Immich cannot write the sidecar) through the asset's XMP sidecar instead: the tool writes the sidecar on its
/// own mount of the library (<see cref="PathMappings"/>), asks Immich to re-read only those assets
/// (<c>refresh-metadata</c>, or a scan of their libraries) and checks, after Immich's jobs ran, that each asset
/// shows the tags. Only the tool's own tags are written or removed. A dry run writes no file and sends no request
/// that writes; it lists what it would write.
/// </summary>
public sealed class SidecarRoute(IImmichGateway gateway, ISidecarWriter? writer, SidecarConfig config, TimeProvider time, ILogger logger)
{
    private readonly PathMappings _mappings = new(config.PathMappings);

    /// <summary>Whether the route is configured (enabled, with at least one mapping, and a writer composed).</summary>
    public bool Active => config.Enabled && !_mappings.IsEmpty && writer is not null;

    /// <param name="records">"Does not stick" records to carry (held by this run, or confirmed by it).</param>
    /// <param name="assets">Every asset the walk read, by id.</param>
    /// <param name="owns">Whether a tag path belongs to the tool: other tags are never written or removed.</param>
    /// <param name="reasonOf">The reason of the planned change a record stands for, when the run planned it.</param>
    /// <param name="settle">Waits for Immich's jobs; true when its queues were seen idle.</param>
    /// <param name="maxRounds">How many times the re-read is waited for before a change is reported as not arrived.</param>
    /// <param name="suggestion">
    /// Whether a tag path is a suggestion rather than a status tag; null treats every tag as a status tag. Additions of
    /// suggestions are carried only when <see cref="SidecarConfig.Suggestions"/> is on (removals always are).
    /// </param>
    /// <param name="createdBy">
    /// For an undo: the sidecar the undone run created for an asset, if it did; such a sidecar is deleted when the undo
    /// leaves nothing in it but what the tool gave it when creating it (<see cref="SidecarEdit.Created"/>). Null for a run.
    /// </param>
    public async Task<SidecarOutcome> RouteAsync(
        IReadOnlyList<NonStickingChange> records,
        IReadOnlyDictionary<Guid, Asset> assets,
        Func<string, bool> owns,
        Func<NonStickingChange, ChangeReason?> reasonOf,
        bool dryRun,
        Func<CancellationToken, Task<bool>> settle,
        int maxRounds,
        CancellationToken ct,
        Func<string, bool>? suggestion = null,
        Func<Guid, SidecarCreation?>? createdBy = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(owns);
        ArgumentNullException.ThrowIfNull(reasonOf);
        ArgumentNullException.ThrowIfNull(settle);
        if (!Active || records.Count == 0)
        {
            return SidecarOutcome.None with { Unmapped = records };
        }

        var unmapped = new List<NonStickingChange>();
        var targets = new List<(Asset Asset, string File, List<NonStickingChange> Records)>();
        var keptOut = 0;
        foreach (var group in records.Where(r => r.DoesNotStick).GroupBy(r => r.AssetId))
        {
            var file = assets.TryGetValue(group.Key, out var asset) ? _mappings.Map(asset.OriginalPath) : null;
            var owned = group.Where(r => owns(r.TagName)).ToList();
            var carried = owned.Where(r => config.Suggestions || r.Kind != ChangeKind.Added || suggestion?.Invoke(r.TagName) != true).ToList();
            if (file is not null)
            {
                keptOut += owned.Count - carried.Count;
            }

            unmapped.AddRange(file is null ? group : group.Except(carried));
            if (file is not null && carried.Count > 0)
            {
                targets.Add((asset!, file, carried)); // non-null: file is set only for a known asset
            }
        }

        if (keptOut > 0)
        {
            // A suggestion in a sidecar of a library Immich cannot write comes back after every removal by the user.
            logger.LogInformation("{Count} suggestion(s) that do not stick were not written to XMP sidecars (sidecars.suggestions is off: in a sidecar the user could no longer remove them in Immich); they stay reported as not sticking", keptOut);
        }

        if (targets.Count == 0)
        {
            return SidecarOutcome.None with { Unmapped = unmapped };
        }

        if (dryRun)
        {
            logger.LogInformation("Dry run: {Count} assets' tag changes would go to their XMP sidecars", targets.Count);
            return new SidecarOutcome([.. targets.Select(t => Write(t.Asset, writer!.SidecarFor(t.File), t.Records, false, null))], [], [], unmapped, []); // non-null: Active checked it
        }

        var errors = new List<EngineError>();
        var written = new List<(Asset Asset, string Sidecar, List<NonStickingChange> Records)>();
        var created = new Dictionary<Guid, IReadOnlyList<string>>();
        var deleted = new HashSet<Guid>();
        var writes = new List<SidecarWrite>();
        foreach (var (asset, file, carried) in targets)
        {
            ct.ThrowIfCancellationRequested();
            SidecarWriteResult result;
            IReadOnlyList<string> seed = [];
            try
            {
                // The tags Immich shows now are what the file holds: a new sidecar property must keep them.
                var current = await gateway.GetAssetAsync(asset.Id, ct);
                seed = [.. current.Tags.Select(t => t.Value)];
                result = await writer!.WriteAsync( // non-null: Active checked it
                    new SidecarEdit(
                        asset.Id,
                        file,
                        [.. carried.Where(r => r.Kind == ChangeKind.Added).Select(r => r.TagName)],
                        [.. carried.Where(r => r.Kind == ChangeKind.Removed).Select(r => r.TagName)],
                        seed)
                    {
                        Created = createdBy?.Invoke(asset.Id),
                    },
                    ct);
            }
            catch (ImmichException e) when (e is not (ImmichUnreachableException or ImmichAuthenticationException))
            {
                result = new SidecarWriteResult(null, false, $"reading the asset's tags failed: {e.Message}");
            }

            if (result.Error is { } error)
            {
                logger.LogWarning("Sidecar of {File} not written: {Error}", asset.OriginalFileName, error);
                errors.Add(new EngineError(EngineErrorKind.WriteSidecars, $"{asset.OriginalFileName}: {error}", [asset.Id], [.. carried.Select(r => r.TagName)], time.GetUtcNow()));
                writes.Add(Write(asset, result.SidecarFile, carried, false, error));
                continue;
            }

            written.Add((asset, result.SidecarFile!, carried)); // non-null: no error means a sidecar was chosen
            if (result.Created)
            {
                // The original's tags then: Immich may still show an API change of this run it has not reverted yet.
                var added = carried.Where(r => r.Kind == ChangeKind.Added).Select(r => r.TagName).ToHashSet(StringComparer.Ordinal);
                created[asset.Id] = [.. seed.Where(t => !added.Contains(t)).Concat(carried.Where(r => r.Kind == ChangeKind.Removed).Select(r => r.TagName)).Distinct(StringComparer.Ordinal)];
            }

            if (result.Deleted)
            {
                deleted.Add(asset.Id);
            }
        }

        if (written.Count == 0)
        {
            return new SidecarOutcome(writes, [], [], unmapped, errors);
        }

        logger.LogInformation("Wrote the XMP sidecars of {Count} assets; asking Immich to re-read them (refresh-metadata)", written.Count);
        var refreshError = await RefreshAsync(written.Select(w => w.Asset).ToList(), ct);
        if (refreshError is not null)
        {
            errors.Add(refreshError);
            writes.AddRange(written.Select(w => Write(w.Asset, w.Sidecar, w.Records, false, refreshError.Message) with { Written = true }));
            return new SidecarOutcome(writes, [], [], unmapped, errors);
        }

        var arrived = await VerifyAsync(written, settle, maxRounds, ct);
        var unknown = written.Where(w => !arrived.Contains(w.Asset.Id) && created.ContainsKey(w.Asset.Id)).ToList();
        if (unknown.Count > 0)
        {
            var (found, discoveryError) = await DiscoverAsync(unknown, settle, maxRounds, ct);
            arrived.UnionWith(found);
            if (discoveryError is not null)
            {
                errors.Add(discoveryError);
            }
        }
        var applied = new List<AppliedChange>();
        var arrivedRecords = new List<NonStickingChange>();
        foreach (var (asset, sidecar, carried) in written)
        {
            var ok = arrived.Contains(asset.Id);
            var why = !created.ContainsKey(asset.Id)
                ? "Immich did not show the sidecar's tags after re-reading it"
                : config.Discover
                    ? "Immich did not show the new sidecar's tags, not even after its sidecar discovery"
                    : "Immich has no record of the new sidecar (sidecars.discover is off): run Administration → Jobs → Sidecar metadata → Discover, then the tool again";
            writes.Add(Write(asset, sidecar, carried, ok, ok ? null : why) with { Written = true, Deleted = deleted.Contains(asset.Id) });
            if (!ok)
            {
                continue;
            }

            arrivedRecords.AddRange(carried);
            var how = deleted.Contains(asset.Id) ? "through the XMP sidecar, deleted: the undone run had created it" : "through the XMP sidecar";
            applied.AddRange(carried.Select(r => new AppliedChange(r.AssetId, asset.OriginalFileName, r.TagName, r.Kind, time.GetUtcNow())
            {
                NewValue = sidecar,
                Reason = reasonOf(r) is { } reason
                    ? reason with { Text = $"{reason.Text} ({how})" }
                    : new ChangeReason(StepName, deleted.Contains(asset.Id) ? "does not stick in Immich; the XMP sidecar the undone run had created was deleted" : "does not stick in Immich; written to the XMP sidecar"),
                SidecarSeed = created.GetValueOrDefault(asset.Id),
            }));
        }

        var missing = written.Count - arrived.Count;
        if (missing > 0)
        {
            logger.LogWarning("{Count} assets did not show their sidecar's tags after Immich re-read them", missing);
        }

        return new SidecarOutcome(writes, arrivedRecords, applied, unmapped, errors);
    }

    /// <summary>The reason step of a sidecar change whose planned reason is unknown.</summary>
    public const string StepName = "sidecar";

    private static SidecarWrite Write(Asset asset, string? sidecar, List<NonStickingChange> records, bool arrived, string? error) => new(
        asset.Id,
        asset.OriginalFileName,
        sidecar,
        [.. records.Where(r => r.Kind == ChangeKind.Added).Select(r => r.TagName)],
        [.. records.Where(r => r.Kind == ChangeKind.Removed).Select(r => r.TagName)],
        arrived,
        error);

    /// <summary>
    /// Queues Immich's re-read of the written assets (<c>POST /assets/jobs</c> refresh-metadata, in chunks of 1000):
    /// Immich's <c>MetadataService.handleMetadataExtraction</c> reads the original and the sidecar it has on record.
    /// A library scan would not do: <c>LibraryService.handleSyncAssets</c> re-checks only originals whose modification
    /// time changed. An error when Immich refused.
    /// </summary>
    private async Task<EngineError?> RefreshAsync(IReadOnlyList<Asset> assets, CancellationToken ct)
    {
        try
        {
            foreach (var chunk in assets.Select(a => a.Id).Chunk(1000))
            {
                await gateway.RunAssetJobAsync(chunk, AssetJobNames.RefreshMetadata, CancellationToken.None);
            }

            return null;
        }
        catch (ImmichException e) when (e is not (ImmichUnreachableException or ImmichAuthenticationException))
        {
            logger.LogError("Asking Immich to re-read the written sidecars failed: {Message}", e.Message);
            return new EngineError(EngineErrorKind.WriteSidecars, $"the sidecars were written but Immich could not be asked to re-read them (refresh-metadata): {e.Message}", [.. assets.Select(a => a.Id)], [], time.GetUtcNow());
        }
    }

    /// <summary>
    /// New sidecars Immich did not read: it had no sidecar on record for those assets (its write-back records
    /// <c>&lt;file&gt;.xmp</c> after a failed write, but a later sidecar check that found no file drops the record).
    /// Only its sidecar check (<c>MetadataService.handleSidecarCheck</c>) records a sidecar found on disk, and only the
    /// sidecar queue's discovery runs it on demand, for every asset without a record, each followed by a metadata
    /// extraction (<c>JobService.onDone</c>). Started once per run, when <see cref="SidecarConfig.Discover"/> allows.
    /// </summary>
    private async Task<(HashSet<Guid> Arrived, EngineError? Error)> DiscoverAsync(List<(Asset Asset, string Sidecar, List<NonStickingChange> Records)> unknown, Func<CancellationToken, Task<bool>> settle, int maxRounds, CancellationToken ct)
    {
        var ids = unknown.Select(u => u.Asset.Id).ToList();
        if (!config.Discover)
        {
            logger.LogWarning("{Count} new sidecars were not read by Immich, which has none on record for those assets; sidecars.discover is off, so run Administration → Jobs → Sidecar metadata → Discover by hand", ids.Count);
            return ([], null);
        }

        logger.LogInformation("{Count} new sidecars were not read by Immich (it has none on record for those assets): starting its sidecar discovery, which re-reads every asset without a sidecar on record", ids.Count);
        try
        {
            await gateway.StartSidecarDiscoveryAsync(CancellationToken.None);
        }
        catch (ImmichException e) when (e is not (ImmichUnreachableException or ImmichAuthenticationException))
        {
            var hint = e is ImmichPermissionException ? " (it needs an admin API key with job.create)" : string.Empty;
            logger.LogError("Starting Immich's sidecar discovery failed: {Message}", e.Message);
            return ([], new EngineError(EngineErrorKind.WriteSidecars, $"Immich has no record of {ids.Count} new sidecar(s) and its sidecar discovery could not be started{hint}: {e.Message}; run Administration → Jobs → Sidecar metadata → Discover, then the tool again", ids, [], time.GetUtcNow()));
        }

        return (await VerifyAsync(unknown, settle, maxRounds, ct), null);
    }

    /// <summary>The written assets that show every added tag and none of the removed ones, after Immich's jobs ran.</summary>
    private async Task<HashSet<Guid>> VerifyAsync(List<(Asset Asset, string Sidecar, List<NonStickingChange> Records)> written, Func<CancellationToken, Task<bool>> settle, int maxRounds, CancellationToken ct)
    {
        var arrived = new HashSet<Guid>();
        for (var round = 0; round <= maxRounds && arrived.Count < written.Count; round++)
        {
            var idle = await settle(ct);
            foreach (var (asset, _, records) in written.Where(w => !arrived.Contains(w.Asset.Id)))
            {
                var tags = (await gateway.GetAssetAsync(asset.Id, ct)).Tags.Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
                if (records.All(r => r.Kind == ChangeKind.Added ? tags.Contains(r.TagName) : !tags.Contains(r.TagName)))
                {
                    arrived.Add(asset.Id);
                }
            }

            if (idle)
            {
                // Immich's jobs have run: what has not arrived now will not arrive by waiting.
                break;
            }
        }

        return arrived;
    }
}
