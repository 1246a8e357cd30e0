using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

public enum FolderDetectionKind
{
    /// <summary>No folder of the path starts with a date.</summary>
    None,

    /// <summary>An excluded_paths pattern is found in the folder path.</summary>
    Excluded,

    /// <summary>Several folders start with a date: which one names the event is a guess.</summary>
    Conflict,

    /// <summary>One date folder: <see cref="FolderDetection.AlbumName"/> is the album it names.</summary>
    Album,
}

public sealed record FolderDetection(FolderDetectionKind Kind, string? AlbumName = null);

/// <summary>
/// Infers an event album from an asset's folders, as upstream does: the one folder that starts with a date
/// (YYYY-MM-DD), joined by '/' with up to three folders below it. A bare date folder with nothing below it
/// names no album (it is a day, not an event).
/// </summary>
public sealed class FolderAlbums
{
    /// <summary>How many folders below the date folder belong to the album name.</summary>
    public const int MaxSubfolders = 3;

    private static readonly Regex DateFolder = new(@"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private readonly List<CompiledPattern> _excluded;

    public FolderAlbums(AlbumDetectionFromFoldersConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _excluded = [.. config.ExcludedPaths];
    }

    public FolderDetection Detect(string originalPath)
    {
        ArgumentNullException.ThrowIfNull(originalPath);
        var parts = originalPath.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        var folders = parts.Length <= 1 ? [] : parts[..^1];
        var joined = string.Join('/', folders).ToLowerInvariant();
        if (_excluded.Exists(r => r.IsMatch(joined)))
        {
            return new FolderDetection(FolderDetectionKind.Excluded);
        }

        var dated = folders.Select((f, i) => (f, i)).Where(x => DateFolder.IsMatch(x.f)).ToList();
        if (dated.Count == 0)
        {
            return new FolderDetection(FolderDetectionKind.None);
        }

        if (dated.Count > 1)
        {
            return new FolderDetection(FolderDetectionKind.Conflict);
        }

        var index = dated[0].i;
        var name = string.Join('/', folders.Skip(index).Take(MaxSubfolders + 1));
        return name.Length <= 10
            ? new FolderDetection(FolderDetectionKind.None)
            : new FolderDetection(FolderDetectionKind.Album, name);
    }
}
