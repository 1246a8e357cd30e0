using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>Share: one PUT per album for every user to add, one call per role change or removal (the API has no bulk form).</summary>
internal sealed class SharingApplier(IImmichGateway gateway, ILogger logger) : IChangeApplier
{
    public async Task ApplyAsync(TagPlan plan, ApplyRun run, CancellationToken ct)
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
                if (!run.MayWrite(ct))
                {
                    return;
                }

                try
                {
                    await gateway.AddUsersToAlbumAsync(album.Key, shares.Select(c => new AlbumMember(c.UserId, c.Email, c.NewRole ?? AlbumRole.Viewer)).ToList(), CancellationToken.None);
                    foreach (var c in shares)
                    {
                        run.Record(Sharing(c, ChangeKind.AlbumShared, run.Now));
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
                if (!run.MayWrite(ct))
                {
                    return;
                }

                try
                {
                    if (c.Action == ShareAction.ChangeRole)
                    {
                        await gateway.UpdateAlbumUserAsync(c.AlbumId, c.UserId, c.NewRole ?? AlbumRole.Viewer, CancellationToken.None);
                        run.Record(Sharing(c, ChangeKind.AlbumRoleChanged, run.Now));
                    }
                    else
                    {
                        await gateway.RemoveUserFromAlbumAsync(c.AlbumId, c.UserId, CancellationToken.None);
                        run.Record(Sharing(c, ChangeKind.AlbumUnshared, run.Now));
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

    private static string Describe(string email, AlbumRole? role) =>
        role is { } r ? $"{email} {r.ToString().ToLowerInvariant()}" : email;

    /// <summary>
    /// The user and role a sharing change wrote, read back from its <see cref="AppliedChange.NewValue"/> ("email role",
    /// as <see cref="Describe"/> writes it); null when it names no role.
    /// </summary>
    internal static (string Email, AlbumRole Role)? MemberOf(string? value)
    {
        var space = value?.LastIndexOf(' ') ?? -1;
        return space > 0 && Enum.TryParse<AlbumRole>(value![(space + 1)..], ignoreCase: true, out var role) // non-null: space > 0
            ? (value[..space], role)
            : null;
    }

    private static AppliedChange Sharing(AlbumShareChange c, ChangeKind kind, DateTimeOffset at) =>
        new(Guid.Empty, string.Empty, string.Empty, kind, at)
        {
            AlbumId = c.AlbumId,
            AlbumName = c.AlbumName,
            UserId = c.UserId,
            OldValue = c.OldRole is null ? null : Describe(c.Email, c.OldRole),
            NewValue = c.NewRole is null ? null : Describe(c.Email, c.NewRole),
        };
}
