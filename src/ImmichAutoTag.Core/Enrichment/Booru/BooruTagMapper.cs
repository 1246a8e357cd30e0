using System.Text;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>The part of a Danbooru post a booru tag comes from; its name is the tag's second level.</summary>
public enum BooruTagCategory
{
    /// <summary><c>tag_string_character</c>: <c>&lt;root&gt;/character/&lt;tag&gt;</c>.</summary>
    Character,

    /// <summary><c>tag_string_copyright</c>: <c>&lt;root&gt;/series/&lt;tag&gt;</c>.</summary>
    Series,

    /// <summary><c>tag_string_artist</c>: <c>&lt;root&gt;/artist/&lt;tag&gt;</c>.</summary>
    Artist,

    /// <summary><c>tag_string_general</c> after the allow/deny list and top N: <c>&lt;root&gt;/general/&lt;tag&gt;</c>.</summary>
    General,

    /// <summary>The post's <c>rating</c>: <c>&lt;root&gt;/rating/&lt;general|sensitive|questionable|explicit&gt;</c>.</summary>
    Rating,
}

/// <summary>One Immich tag planned from a Danbooru post.</summary>
/// <param name="Path">The full Immich tag path, e.g. <c>booru/character/hu tao (genshin impact)</c>.</param>
/// <param name="Category">Which part of the post it comes from.</param>
/// <param name="DanbooruTag">The tag as Danbooru writes it (<c>hu_tao_(genshin_impact)</c>), or the rating word.</param>
public sealed record BooruTag(string Path, BooruTagCategory Category, string DanbooruTag);

/// <summary>
/// Turns a Danbooru post into Immich tag paths below the configured root. Each Danbooru tag is one path segment:
/// underscores become spaces (Danbooru tags hold no spaces, so this is reversible), except in kaomoji such as
/// <c>^_^</c>, whose underscores are part of the face; a <c>/</c> inside a tag (<c>fate/stay_night</c>) would start a new
/// tag level in Immich, so it is written as U+2215 DIVISION SLASH (<c>∕</c>), which Danbooru tags do not use, so
/// <see cref="ToDanbooruTag"/> can undo it. Case is kept (Danbooru's tags are lowercase).
/// </summary>
public static class BooruTagMapper
{
    /// <summary>What a <c>/</c> inside a booru tag becomes in the Immich tag segment (U+2215 DIVISION SLASH).</summary>
    public const char SlashReplacement = '\u2215';

    // Danbooru's face tags: their underscores draw the face, so they stay. Any tag without a letter or digit is a face
    // too (^_^, >_<, =_=); these are the ones that carry letters or digits.
    private static readonly HashSet<string> Kaomoji = new(StringComparer.Ordinal)
    {
        "o_o", "0_0", "o_0", "0_o", "u_u", "x_x", "t_t", "3_3", "6_9", ">_o", "o_<", "@_@", "q_q", ">o<", "<o>_<o>", "(o)_(o)", "d_d",
    };

    /// <summary>
    /// The tags <paramref name="post"/> becomes under <paramref name="config"/>: characters, series, artists, up to
    /// <see cref="BooruConfig.GeneralTopN"/> general tags (those of <see cref="BooruConfig.GeneralAllow"/> first, in that
    /// list's order, then the post's; <see cref="BooruConfig.GeneralDeny"/> never), and the rating. Each path once.
    /// </summary>
    public static IReadOnlyList<BooruTag> Map(BooruPost post, BooruConfig config)
    {
        ArgumentNullException.ThrowIfNull(post);
        ArgumentNullException.ThrowIfNull(config);
        var tags = new List<BooruTag>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(BooruTagCategory category, string danbooruTag)
        {
            if (Segment(danbooruTag) is { } segment)
            {
                var path = $"{config.TagRoot}/{CategoryName(category)}/{segment}";
                if (seen.Add(path))
                {
                    tags.Add(new BooruTag(path, category, danbooruTag));
                }
            }
        }

        if (config.Characters)
        {
            post.Characters.ToList().ForEach(t => Add(BooruTagCategory.Character, t));
        }

        if (config.Series)
        {
            post.Copyrights.ToList().ForEach(t => Add(BooruTagCategory.Series, t));
        }

        if (config.Artists)
        {
            post.Artists.ToList().ForEach(t => Add(BooruTagCategory.Artist, t));
        }

        foreach (var general in General(post.General, config))
        {
            Add(BooruTagCategory.General, general);
        }

        if (config.Rating)
        {
            Add(BooruTagCategory.Rating, RatingWord(post.Rating));
        }

        return tags;
    }

    /// <summary>The general tags taken from <paramref name="general"/> (see <see cref="Map"/>).</summary>
    public static IReadOnlyList<string> General(IReadOnlyList<string> general, BooruConfig config)
    {
        ArgumentNullException.ThrowIfNull(general);
        ArgumentNullException.ThrowIfNull(config);
        if (config.GeneralTopN == 0)
        {
            return [];
        }

        var deny = config.GeneralDeny.ToHashSet(StringComparer.Ordinal);
        var present = general.Where(t => !deny.Contains(t)).ToList();
        IEnumerable<string> ordered = config.GeneralAllow.Count > 0
            ? config.GeneralAllow.Where(a => present.Contains(a, StringComparer.Ordinal))
            : present;
        return ordered.Distinct(StringComparer.Ordinal).Take(config.GeneralTopN).ToList();
    }

    /// <summary>The Immich tag segment of a Danbooru tag; null for a tag that is empty once trimmed.</summary>
    public static string? Segment(string danbooruTag)
    {
        ArgumentNullException.ThrowIfNull(danbooruTag);
        var tag = danbooruTag.Trim();
        if (tag.Length == 0)
        {
            return null;
        }

        var face = Kaomoji.Contains(tag) || !tag.Any(char.IsLetterOrDigit);
        var segment = new StringBuilder(tag.Length);
        foreach (var c in tag)
        {
            segment.Append(c switch
            {
                '/' => SlashReplacement,
                '_' when !face => ' ',
                _ => c,
            });
        }

        return segment.ToString();
    }

    /// <summary>The Danbooru tag a segment made by <see cref="Segment"/> came from (its inverse).</summary>
    public static string ToDanbooruTag(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return segment.Replace(SlashReplacement, '/').Replace(' ', '_');
    }

    /// <summary>The second level of a category's tags: character, series, artist, general, rating.</summary>
    public static string CategoryName(BooruTagCategory category) => category switch
    {
        BooruTagCategory.Character => "character",
        BooruTagCategory.Series => "series",
        BooruTagCategory.Artist => "artist",
        BooruTagCategory.General => "general",
        BooruTagCategory.Rating => "rating",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    /// <summary>The rating's word: general, sensitive, questionable or explicit.</summary>
    public static string RatingWord(BooruRating rating) => rating switch
    {
        BooruRating.General => "general",
        BooruRating.Sensitive => "sensitive",
        BooruRating.Questionable => "questionable",
        BooruRating.Explicit => "explicit",
        _ => throw new ArgumentOutOfRangeException(nameof(rating), rating, null),
    };
}
