using System.Text.RegularExpressions;

namespace ImmichAutoTag.Config;

/// <summary>Extracts an asset id from the forms users paste: a bare UUID or an Immich web URL.</summary>
public static partial class AssetLinkParser
{
    // bare UUID, <server>/photos/<id>, <server>/albums/<a>/photos/<id> (also /tags/photos/<id>?..., /search/photos/<id>)
    public static bool TryParse(string link, out Guid assetId)
    {
        assetId = Guid.Empty;
        if (string.IsNullOrWhiteSpace(link))
        {
            return false;
        }

        var text = link.Trim();
        if (text.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            text = text["urn:uuid:".Length..];
        }

        if (Guid.TryParse(text, out assetId))
        {
            return true;
        }

        // Every web-UI form that shows one asset ends its path in /photos/<id>; the host is not checked,
        // so links copied through a different hostname or proxy still work.
        var match = PhotoPath().Match(text);
        return match.Success && Guid.TryParse(match.Groups["id"].Value, out assetId);
    }

    [GeneratedRegex(@"/photos/(?<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[/?#]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex PhotoPath();
}
