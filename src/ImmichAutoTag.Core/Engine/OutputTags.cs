using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The tags the engine owns, as full tag paths. A null name disables a tag: the engine then neither adds
/// nor removes it. Besides the fixed names it owns two families keyed by duplicate group,
/// <c>&lt;classification prefix&gt;&lt;uuid&gt;</c> and <c>&lt;album conflict&gt;_&lt;uuid&gt;</c>. Nothing outside this set is ever
/// removed.
/// </summary>
public sealed record OutputTags(string? Unknown, string? Conflict)
{
    /// <summary>Generic tag on every member of a duplicate group whose classification tags disagree.</summary>
    public string? DuplicateClassificationConflict { get; init; }

    /// <summary>Prefix of the per-group classification conflict tag (prefix + duplicate id).</summary>
    public string? DuplicateClassificationPrefix { get; init; }

    /// <summary>Generic tag on every member of a duplicate group spread over several rule albums; per group: + "_" + id.</summary>
    public string? DuplicateAlbumConflict { get; init; }

    public string? AlbumDateMismatch { get; init; }

    /// <summary>Unclassified asset whose path holds several date-named folders (managed only while folder detection is on).</summary>
    public string? AlbumDetectionConflict { get; init; }

    /// <summary>Tags the run's steps own beyond the output tags (<see cref="OwnedTagPlan.Owns"/> of each); null for none.</summary>
    public Func<string, bool>? StepOwned { get; init; }

    public static OutputTags From(ClassificationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new OutputTags(Normalise(config.AutotagUnknown), Normalise(config.AutotagConflict));
    }

    /// <summary>
    /// Every output tag this run manages. Duplicate tags are managed only when the run read the duplicate
    /// groups: without them the engine cannot tell whether a conflict still stands, so it leaves them alone.
    /// </summary>
    public static OutputTags From(AutoTagConfig config, bool duplicatesManaged)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dup = config.DuplicateProcessing;
        var dates = config.AlbumDateConsistency;
        return From(config.Classification) with
        {
            DuplicateClassificationConflict = duplicatesManaged ? Normalise(dup.AutotagClassificationConflict) : null,
            DuplicateClassificationPrefix = duplicatesManaged ? Normalise(dup.AutotagClassificationConflictPrefix) : null,
            DuplicateAlbumConflict = duplicatesManaged ? Normalise(dup.AutotagAlbumConflict) : null,
            AlbumDateMismatch = dates.Enabled ? Normalise(dates.AutotagAlbumDateMismatch) : null,
            AlbumDetectionConflict = config.AlbumDetectionFromFolders.Enabled ? Normalise(dup.AutotagAlbumDetectionConflict) : null,
        };
    }

    /// <summary>The enabled fixed output tag paths, without duplicates (the per-group families are not listed).</summary>
    public IReadOnlyList<string> Enabled =>
        new[] { Unknown, Conflict, DuplicateClassificationConflict, DuplicateAlbumConflict, AlbumDateMismatch, AlbumDetectionConflict }
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Whether <paramref name="path"/> is one of the tags this run manages: an enabled fixed tag or a member of a
    /// per-group family. Asked for every relevant tag of every asset, so it compares the fields directly instead
    /// of building <see cref="Enabled"/> on each call.
    /// </summary>
    public bool IsOutputTag(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Is(path, Unknown)
            || Is(path, Conflict)
            || Is(path, DuplicateClassificationConflict)
            || Is(path, DuplicateAlbumConflict)
            || Is(path, AlbumDateMismatch)
            || Is(path, AlbumDetectionConflict)
            || IsFamily(path, DuplicateClassificationPrefix)
            || IsAlbumConflictFamily(path)
            || (StepOwned is { } owned && owned(path));
    }

    public string? ClassificationConflictTagFor(Guid duplicateId) =>
        DuplicateClassificationPrefix is null ? null : DuplicateClassificationPrefix + duplicateId.ToString("D");

    public string? AlbumConflictTagFor(Guid duplicateId) =>
        DuplicateAlbumConflict is null ? null : DuplicateAlbumConflict + "_" + duplicateId.ToString("D");

    /// <summary>The output tags an asset with this status should carry.</summary>
    public IReadOnlySet<string> DesiredFor(ClassificationStatus status)
    {
        var desired = new HashSet<string>(StringComparer.Ordinal);
        if (StatusTag(status) is { } name)
        {
            desired.Add(name);
        }

        return desired;
    }

    /// <summary>The output tag of a classification status (unknown or conflict); null for classified assets or a disabled tag.</summary>
    public string? StatusTag(ClassificationStatus status) => status switch
    {
        ClassificationStatus.Unclassified => Unknown,
        ClassificationStatus.Conflict => Conflict,
        _ => null,
    };

    private static bool Is(string path, string? name) => name is not null && string.Equals(path, name, StringComparison.Ordinal);

    // Only prefix + a canonical UUID: a user tag that merely starts with the prefix stays the user's.
    private static bool IsFamily(string path, string? prefix) =>
        prefix is not null
        && path.Length == prefix.Length + 36
        && path.StartsWith(prefix, StringComparison.Ordinal)
        && Guid.TryParseExact(path.AsSpan(prefix.Length), "D", out _);

    // The album conflict family is "<tag>_<uuid>"; checked in place rather than concatenating the prefix per call.
    private bool IsAlbumConflictFamily(string path) =>
        DuplicateAlbumConflict is { } tag
        && path.Length == tag.Length + 37
        && path.StartsWith(tag, StringComparison.Ordinal)
        && path[tag.Length] == '_'
        && Guid.TryParseExact(path.AsSpan(tag.Length + 1), "D", out _);

    private static string? Normalise(string? name) => string.IsNullOrWhiteSpace(name) ? null : name;
}
