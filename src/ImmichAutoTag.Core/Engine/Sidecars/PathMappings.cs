using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine.Sidecars;

/// <summary>
/// Maps Immich's <c>originalPath</c> to the file as the tool sees it, by the longest configured prefix that matches
/// whole path segments (<c>/mnt/nas</c> maps <c>/mnt/nas/a.jpg</c>, not <c>/mnt/nasty/a.jpg</c>).
/// </summary>
public sealed class PathMappings
{
    private readonly List<(string Immich, string Local)> _mappings;

    /// <summary>The mappings of <paramref name="config"/>, longest Immich prefix first.</summary>
    public PathMappings(IEnumerable<PathMappingConfig> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _mappings = [.. config
            .Select(m => (Immich: m.ImmichPath.TrimEnd('/'), Local: m.LocalPath.TrimEnd('/', '\\')))
            .OrderByDescending(m => m.Immich.Length)];
    }

    /// <summary>Whether no mapping is configured.</summary>
    public bool IsEmpty => _mappings.Count == 0;

    /// <summary>The local path of <paramref name="originalPath"/>, or null when no mapping covers it.</summary>
    public string? Map(string originalPath)
    {
        ArgumentNullException.ThrowIfNull(originalPath);
        foreach (var (immich, local) in _mappings)
        {
            if (originalPath.StartsWith(immich + "/", StringComparison.Ordinal))
            {
                return local + "/" + originalPath[(immich.Length + 1)..];
            }
        }

        return null;
    }
}
