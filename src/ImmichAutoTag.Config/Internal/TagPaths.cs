namespace ImmichAutoTag.Config.Internal;

/// <summary>How a config value that names an Immich tag path (<c>a/b/c</c>) is used, which decides what is refused.</summary>
internal enum TagPathUse
{
    /// <summary>
    /// A tag a rule looks for (<c>tag_names</c>): a leaf name or a full path. A leading or trailing '/' is ignored when
    /// matching (as upstream does); an empty or space-padded level can never match an Immich tag.
    /// </summary>
    Read,

    /// <summary>A tag the tool creates and adds (status tags, conversion destinations): every level must be a real name.</summary>
    Written,

    /// <summary>The start of tags the tool writes (a prefix plus a name): as <see cref="Written"/>, but it may end in '/' or a space.</summary>
    Prefix,
}

/// <summary>
/// Checks tag paths written in the config. Immich splits a tag value on '/' and creates every level as written:
/// <c>a//b</c>, <c>/a</c> or <c>a/</c> would ask for a tag with an empty name, <c> a /b</c> for a tag named " a " that
/// looks like "a" but is not (U2). Such a value is refused at its line and column instead of creating odd tags or
/// failing at apply (where a failed tag also takes the other tags of the same bulk call down with it).
/// </summary>
internal static class TagPaths
{
    /// <summary>What is wrong with <paramref name="value"/> used as <paramref name="use"/> says; null when nothing is.</summary>
    public static string? Problem(string value, TagPathUse use)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (string.IsNullOrWhiteSpace(value))
        {
            return use == TagPathUse.Read
                ? "tag name must not be empty: it matches no tag"
                : "tag name must not be empty";
        }

        // A prefix is followed by a name; read tags may start or end with '/', which matching ignores.
        var path = use switch
        {
            TagPathUse.Prefix => value + "x",
            TagPathUse.Read => value.Trim('/'),
            _ => value,
        };
        var levels = path.Split('/');
        var suggestion = string.Join('/', value.Split('/').Select(l => l.Trim()).Where(l => l.Length > 0));
        var effect = use == TagPathUse.Read ? "so it never matches a tag" : "so Immich would create a tag with an empty name";
        if (levels.Any(l => l.Length == 0))
        {
            var where = use == TagPathUse.Read ? "a doubled '/'" : "a leading, trailing or doubled '/'";
            return $"tag '{value}' has an empty level ({where}), {effect}; write '{suggestion}'";
        }

        if (levels.FirstOrDefault(l => l.Trim().Length != l.Length) is { } padded)
        {
            var padding = padded.Trim().Length == 0 ? "a level of only spaces" : $"the level '{padded}' starts or ends with a space";
            effect = use == TagPathUse.Read
                ? "so it matches only a tag named with those spaces, not the one you see"
                : "so Immich would create a tag named with those spaces, next to the one you see";
            return $"tag '{value}': {padding}, {effect}; write '{suggestion}'";
        }

        return null;
    }
}
