using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine;

/// <summary>The verdict of <see cref="IncrementalCheck"/>: skip the run, or do a full pass, and why.</summary>
/// <param name="Fingerprint">Taken before the run gathers anything, to be saved once it succeeds.</param>
/// <param name="CheckedAt">The start of the check: the watermark to save after this run.</param>
public sealed record ChangeVerdict(bool FullPass, string Reason, string Fingerprint, DateTimeOffset CheckedAt)
{
    /// <summary>
    /// The full pass is the scheduled one (no earlier successful run, or full_pass_interval_hours elapsed), not one
    /// forced by a change: it also retries what earlier runs set aside, such as changes that do not stick.
    /// </summary>
    public bool Scheduled { get; init; }
}

/// <summary>
/// Decides whether a run can be skipped because nothing that matters changed since the last successful
/// one: no asset updated after it (Immich bumps an asset's updatedAt when its tags or dates change, or
/// it is uploaded), the same albums with the same names and asset counts, the same tags, the same
/// config. It costs three requests instead of a walk of the whole library. Whatever these signals
/// cannot see (say, one asset swapped for another in an album between two runs) is caught by the full
/// pass that is forced at a fixed interval.
/// </summary>
public static class IncrementalCheck
{
    /// <summary>Our clock and the server's may disagree a little; updates this close to the watermark count.</summary>
    public static readonly TimeSpan ClockSkewMargin = TimeSpan.FromSeconds(60);

    public static async Task<ChangeVerdict> CheckAsync(
        IImmichGateway gateway,
        IncrementalState? previous,
        string configDigest,
        TimeSpan fullPassInterval,
        TimeProvider time,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var fingerprint = await FingerprintAsync(gateway, configDigest, ct);
        ChangeVerdict Full(string reason) => new(true, reason, fingerprint, now);

        if (previous is null)
        {
            return Full("no earlier successful run") with { Scheduled = true };
        }

        if (fullPassInterval <= TimeSpan.Zero || now - previous.LastFullPassAt >= fullPassInterval)
        {
            return Full(string.Create(CultureInfo.InvariantCulture, $"a full pass is due (last one {previous.LastFullPassAt:u})")) with { Scheduled = true };
        }

        if (!string.Equals(previous.Fingerprint, fingerprint, StringComparison.Ordinal))
        {
            return Full("albums, tags or the config changed");
        }

        // The same query the full walk uses, so archived, hidden and partner assets count as they do there.
        var query = new AssetQuery { UpdatedAfter = previous.Watermark - ClockSkewMargin, PageSize = 1 };
        await foreach (var page in gateway.SearchAssetsAsync(query, ct))
        {
            if (page.Count > 0)
            {
                return Full("assets were added or changed");
            }

            break;
        }

        return new ChangeVerdict(false, "nothing changed", fingerprint, now);
    }

    /// <summary>A digest of what membership and rules look like, independent of listing order.</summary>
    public static async Task<string> FingerprintAsync(IImmichGateway gateway, string configDigest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var albums = await gateway.GetAlbumsAsync(ct);
        var tags = await gateway.GetTagsAsync(ct);
        var text = new StringBuilder();
        text.Append("config ").Append(configDigest).Append('\n');
        foreach (var album in albums.OrderBy(a => a.Id))
        {
            // Shared users too, so a sharing change made in Immich is not skipped by album_permissions.
            text.Append(CultureInfo.InvariantCulture, $"album {album.Id} {album.AssetCount} {album.Name} {string.Join(',', album.Members.OrderBy(m => m.UserId).Select(m => $"{m.UserId}:{m.Role}"))}\n");
        }

        foreach (var tag in tags.OrderBy(t => t.Id))
        {
            text.Append(CultureInfo.InvariantCulture, $"tag {tag.Id} {tag.Value}\n");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
