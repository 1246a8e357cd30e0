using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Preflight;

/// <summary>Counts of one full walk of the library as the key sees it.</summary>
public sealed record CensusResult(
    int Total,
    int Owned,
    int Partner,
    IReadOnlyDictionary<AssetType, int> OwnedByType,
    int Pages);

/// <summary>Walks every asset visible to the key with the largest page the API allows.</summary>
public static class LibraryCensus
{
    public static async Task<CensusResult> RunAsync(
        IImmichGateway gateway,
        Guid ownerId,
        IProgress<int>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);

        var byType = Enum.GetValues<AssetType>().ToDictionary(t => t, _ => 0);
        int total = 0, owned = 0, partner = 0, pages = 0;
        await foreach (var page in gateway.SearchAssetsAsync(AssetQuery.All with { PageSize = 1000 }, ct).ConfigureAwait(false))
        {
            pages++;
            foreach (var asset in page)
            {
                total++;
                if (asset.OwnerId == ownerId)
                {
                    owned++;
                    byType[asset.Type]++;
                }
                else
                {
                    // Partner assets show up in search with their own owner; they are never ours to change.
                    partner++;
                }
            }

            progress?.Report(total);
        }

        return new CensusResult(total, owned, partner, byType, pages);
    }
}
