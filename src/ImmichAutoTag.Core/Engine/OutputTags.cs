using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// The tags the engine owns, as full tag paths. A null name disables a tag: the engine then neither adds
/// nor removes it. Nothing outside this set is ever written.
/// </summary>
public sealed record OutputTags(string? Unknown, string? Conflict)
{
    public static OutputTags From(ClassificationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new OutputTags(Normalise(config.AutotagUnknown), Normalise(config.AutotagConflict));
    }

    /// <summary>The enabled output tag paths, without duplicates.</summary>
    public IReadOnlyList<string> Enabled =>
        new[] { Unknown, Conflict }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    public bool IsOutputTag(string path) =>
        string.Equals(path, Unknown, StringComparison.Ordinal) || string.Equals(path, Conflict, StringComparison.Ordinal);

    /// <summary>The output tags an asset with this status should carry.</summary>
    public IReadOnlySet<string> DesiredFor(ClassificationStatus status)
    {
        var desired = new HashSet<string>(StringComparer.Ordinal);
        var name = status switch
        {
            ClassificationStatus.Unclassified => Unknown,
            ClassificationStatus.Conflict => Conflict,
            _ => null,
        };
        if (name is not null)
        {
            desired.Add(name);
        }

        return desired;
    }

    private static string? Normalise(string? name) => string.IsNullOrWhiteSpace(name) ? null : name;
}
