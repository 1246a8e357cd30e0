using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

// Album creation, removal from albums and album sharing (tag ↔ album sync, album_permissions).
public sealed partial class PlanApplier
{
    private static string Describe(string email, AlbumRole? role) =>
        role is { } r ? $"{email} {r.ToString().ToLowerInvariant()}" : email;

    /// <summary>One PUT per album for every user to add, one call per role change or removal (the API has no bulk form).</summary>
    private async Task ApplySharingAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
    {
        foreach (var album in plan.SharingChanges.GroupBy(c => c.AlbumId))
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

    /// <summary>createAlbum is not retried (a retry could make a second album), so the first chunk rides on the create call.</summary>
    private async Task ApplyAlbumCreationsAsync(TagPlan plan, int chunkSize, ApplyRun run, CancellationToken ct)
    {
        foreach (var creation in plan.AlbumsToCreate)
        {
            if (run.Aborted || run.StopIfCancelled(ct))
            {
                return;
            }

            var chunks = creation.AssetIds.Chunk(chunkSize).ToList();
            Album album;
            try
            {
                album = await gateway.CreateAlbumAsync(creation.AlbumName, chunks.Count > 0 ? chunks[0] : [], CancellationToken.None);
                run.Record(new AppliedChange(Guid.Empty, string.Empty, string.Empty, ChangeKind.AlbumCreated, time.GetUtcNow()) { AlbumId = album.Id, AlbumName = album.Name });
                foreach (var id in chunks.Count > 0 ? chunks[0] : [])
                {
                    run.Record(new AppliedChange(id, run.FileName(id), string.Empty, ChangeKind.AddedToAlbum, time.GetUtcNow()) { AlbumId = album.Id, AlbumName = album.Name });
                }
            }
            catch (ImmichException ex)
            {
                run.Fail(EngineErrorKind.CreateAlbums, $"Creating album '{creation.AlbumName}': {ex.Message}", creation.AssetIds, []);
                logger.LogError(ex, "Creating album {Album} failed", creation.AlbumName);
                continue;
            }

            if (chunks.Count > 1)
            {
                await AddToAlbumAsync(new AlbumAddition(album.Id, album.Name, chunks.Skip(1).SelectMany(c => c).ToList()), chunkSize, run, ct);
            }
        }
    }

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

                    // "not_found" means it is out of the album already: the goal holds.
                    var failed = results.Where(r => !r.Success && !string.Equals(r.Error, "not_found", StringComparison.Ordinal)).ToDictionary(r => r.Id);
                    var gone = results.Where(r => !r.Success && string.Equals(r.Error, "not_found", StringComparison.Ordinal)).Select(r => r.Id).ToHashSet();
                    foreach (var id in chunk.Where(id => !failed.ContainsKey(id) && !gone.Contains(id)))
                    {
                        run.Record(new AppliedChange(id, run.FileName(id), string.Empty, ChangeKind.RemovedFromAlbum, time.GetUtcNow()) { AlbumId = removal.AlbumId, AlbumName = removal.AlbumName });
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
}
