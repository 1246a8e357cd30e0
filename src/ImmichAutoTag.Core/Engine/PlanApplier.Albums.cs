using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

// Every album write, one code path each: creation, addition, removal, deletion (conversions, folder detection,
// temporary albums, tag ↔ album sync, album propagation) and sharing (album_permissions).
public sealed partial class PlanApplier
{
    /// <summary>
    /// One createAlbum per album with its first chunk of assets; the rest joins it like any addition. createAlbum is
    /// not retried (a retry could make a second album).
    /// </summary>
    private async Task ApplyAlbumCreationsAsync(TagPlan plan, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        var rest = new List<AlbumAddition>();
        foreach (var creation in plan.AlbumsToCreate)
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                return;
            }

            var first = creation.AssetIds.Take(chunkSize).ToList();
            try
            {
                var album = await gateway.CreateAlbumAsync(creation.AlbumName, first, CancellationToken.None);
                run.CreatedAlbums[creation.AlbumName] = album.Id;
                run.Record(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumCreated, time.GetUtcNow())
                {
                    AlbumId = album.Id,
                    AlbumName = album.Name,
                });
                foreach (var assetId in first)
                {
                    run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.AddedToAlbum, time.GetUtcNow())
                    {
                        AlbumId = album.Id,
                        AlbumName = album.Name,
                    });
                }

                if (creation.AssetIds.Count > first.Count)
                {
                    rest.Add(new AlbumAddition(album.Id, album.Name, creation.AssetIds.Skip(first.Count).ToList()));
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.CreateAlbums, $"Creating album '{creation.AlbumName}': {ex.Message}", creation.AssetIds, []);
                logger.LogError(ex, "Creating album {Album} failed", creation.AlbumName);
            }
        }

        await AddToAlbumsAsync(rest, chunkSize, run, ct);
    }

    /// <summary>Only the tool's temporary albums and albums tag → album sync owns ever lose assets (the planners guarantee it).</summary>
    private async Task ApplyAlbumRemovalsAsync(TagPlan plan, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        foreach (var removal in plan.AlbumRemovals)
        {
            foreach (var chunk in removal.AssetIds.Chunk(chunkSize))
            {
                if (run.Aborted || run.StopIfCancelled(ct))
                {
                    return;
                }

                try
                {
                    var results = await gateway.RemoveAssetsFromAlbumAsync(removal.AlbumId, chunk, CancellationToken.None);

                    // "not_found" means it is out already: the goal holds, nothing changed.
                    var failed = results.Where(r => !r.Success && !string.Equals(r.Error, "not_found", StringComparison.Ordinal)).ToDictionary(r => r.Id);
                    var gone = results.Where(r => !r.Success && string.Equals(r.Error, "not_found", StringComparison.Ordinal)).Select(r => r.Id).ToHashSet();
                    foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id) && !gone.Contains(id)))
                    {
                        run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.RemovedFromAlbum, time.GetUtcNow())
                        {
                            AlbumId = removal.AlbumId,
                            AlbumName = removal.AlbumName,
                        });
                    }

                    if (failed.Count > 0)
                    {
                        var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                        run.Fail(EngineErrorKind.RemoveFromAlbums, $"Immich did not remove {failed.Count} assets from album '{removal.AlbumName}': {reasons}", failed.Keys.ToList(), []);
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.RemoveFromAlbums, $"Removing from album '{removal.AlbumName}': {ex.Message}", chunk, []);
                    logger.LogError(ex, "Removing {Count} assets from album {Album} failed", chunk.Length, removal.AlbumName);
                }
            }
        }
    }

    private async Task ApplyAlbumDeletionsAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var deletion in plan.AlbumDeletions)
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                return;
            }

            try
            {
                await gateway.DeleteAlbumAsync(deletion.AlbumId, CancellationToken.None);
                run.Record(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumDeleted, time.GetUtcNow())
                {
                    AlbumId = deletion.AlbumId,
                    AlbumName = deletion.AlbumName,
                });
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.DeleteAlbums, $"Deleting album '{deletion.AlbumName}': {ex.Message}", [], []);
                logger.LogError(ex, "Deleting album {Album} failed", deletion.AlbumName);
            }
        }
    }

    private Task ApplyAlbumAdditionsAsync(TagPlan plan, int chunkSize, ApplyRun run, CancellationToken ct) =>
        AddToAlbumsAsync(plan.AlbumAdditions, chunkSize, run, ct);

    private async Task AddToAlbumsAsync(IReadOnlyList<AlbumAddition> additions, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        foreach (var addition in additions)
        {
            await AddToAlbumAsync(addition, chunkSize, run, ct);
        }
    }

    private async Task AddToAlbumAsync(AlbumAddition addition, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        foreach (var chunk in addition.AssetIds.Chunk(chunkSize))
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                return;
            }

            try
            {
                var results = await gateway.AddAssetsToAlbumAsync(addition.AlbumId, chunk, CancellationToken.None);

                // "duplicate" means it is in the album already: the goal holds, nothing changed.
                var failed = results.Where(r => !r.Success && !string.Equals(r.Error, "duplicate", StringComparison.Ordinal)).ToDictionary(r => r.Id);
                var already = results.Where(r => !r.Success && string.Equals(r.Error, "duplicate", StringComparison.Ordinal)).Select(r => r.Id).ToHashSet();
                foreach (var assetId in chunk.Where(id => !failed.ContainsKey(id) && !already.Contains(id)))
                {
                    run.Record(new AppliedChange(assetId, run.FileName(assetId), string.Empty, ChangeKind.AddedToAlbum, time.GetUtcNow())
                    {
                        AlbumId = addition.AlbumId,
                        AlbumName = addition.AlbumName,
                    });
                }

                if (failed.Count > 0)
                {
                    var reasons = string.Join(", ", failed.Values.Select(r => r.Error ?? "unknown").Distinct(StringComparer.Ordinal));
                    run.Fail(EngineErrorKind.AddToAlbums, $"Immich did not add {failed.Count} assets to album '{addition.AlbumName}': {reasons}", failed.Keys.ToList(), []);
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.AddToAlbums, $"Adding to album '{addition.AlbumName}': {ex.Message}", chunk, []);
                logger.LogError(ex, "Adding {Count} assets to album {Album} failed", chunk.Length, addition.AlbumName);
            }
        }
    }

    private static string Describe(string email, AlbumRole? role) =>
        role is { } r ? $"{email} {r.ToString().ToLowerInvariant()}" : email;

    /// <summary>One PUT per album for every user to add, one call per role change or removal (the API has no bulk form).</summary>
    private async Task ApplySharingAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        // A change for an album this run creates has no id yet: it takes the created album's. When the creation failed
        // its error is reported already and there is nothing to share; the next run plans it again.
        var resolved = plan.SharingChanges
            .Select(c => c.AlbumId != Guid.Empty ? c : run.CreatedAlbums.TryGetValue(c.AlbumName, out var id) ? c with { AlbumId = id } : null)
            .OfType<AlbumShareChange>();
        foreach (var album in resolved.GroupBy(c => c.AlbumId))
        {
            var shares = album.Where(c => c.Action == ShareAction.Share).ToList();
            if (shares.Count > 0)
            {
                if (run.Aborted || run.StopIfCancelled(ct))
                {
                    return;
                }

                try
                {
                    await gateway.AddUsersToAlbumAsync(album.Key, shares.Select(c => new AlbumMember(c.UserId, c.Email, c.NewRole ?? AlbumRole.Viewer)).ToList(), CancellationToken.None);
                    foreach (var c in shares)
                    {
                        run.Record(Sharing(c, ChangeKind.AlbumShared));
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.ShareAlbums, $"Sharing album '{shares[0].AlbumName}' with {string.Join(", ", shares.Select(s => s.Email))}: {ex.Message}", [], []);
                    logger.LogError(ex, "Sharing album {Album} failed", shares[0].AlbumName);
                }
            }

            foreach (var c in album.Where(c => c.Action != ShareAction.Share))
            {
                if (run.Aborted || run.StopIfCancelled(ct))
                {
                    return;
                }

                try
                {
                    if (c.Action == ShareAction.ChangeRole)
                    {
                        await gateway.UpdateAlbumUserAsync(c.AlbumId, c.UserId, c.NewRole ?? AlbumRole.Viewer, CancellationToken.None);
                        run.Record(Sharing(c, ChangeKind.AlbumRoleChanged));
                    }
                    else
                    {
                        await gateway.RemoveUserFromAlbumAsync(c.AlbumId, c.UserId, CancellationToken.None);
                        run.Record(Sharing(c, ChangeKind.AlbumUnshared));
                    }
                }
                catch (ImmichException ex)
                {
                    run.Fail(EngineErrorKind.ShareAlbums, $"Changing {c.Email}'s access to album '{c.AlbumName}': {ex.Message}", [], []);
                    logger.LogError(ex, "Changing a user's access to album {Album} failed", c.AlbumName);
                }
            }
        }
    }

    private AppliedChange Sharing(AlbumShareChange c, ChangeKind kind) =>
        new(Guid.Empty, string.Empty, string.Empty, kind, time.GetUtcNow())
        {
            AlbumId = c.AlbumId,
            AlbumName = c.AlbumName,
            OldValue = c.OldRole is null ? null : Describe(c.Email, c.OldRole),
            NewValue = c.NewRole is null ? null : Describe(c.Email, c.NewRole),
        };
}
