using CsCheck;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Booru;

namespace ImmichAutoTag.Tests.Enrichment;

public sealed class BooruTagMapperTests
{
    private static BooruPost Post(
        string[]? characters = null, string[]? series = null, string[]? artists = null, string[]? general = null, BooruRating rating = BooruRating.Sensitive) =>
        new(7000001, "0123456789abcdef0123456789abcdef", rating, characters ?? [], series ?? [], artists ?? [], general ?? [], ["highres"]);

    [Fact]
    public void A_post_becomes_tags_per_category_below_the_root_with_spaces_for_underscores()
    {
        var post = Post(["hu_tao_(genshin_impact)"], ["genshin_impact"], ["example_artist"], ["1girl", "long_hair", "twintails"]);

        var tags = BooruTagMapper.Map(post, new BooruConfig());

        tags.Select(t => t.Path).Should().Equal(
            "booru/character/hu tao (genshin impact)",
            "booru/series/genshin impact",
            "booru/artist/example artist",
            "booru/general/1girl",
            "booru/general/long hair",
            "booru/general/twintails",
            "booru/rating/sensitive");
        tags[0].DanbooruTag.Should().Be("hu_tao_(genshin_impact)");
        tags.Should().NotContain(t => t.Path.Contains("highres", StringComparison.Ordinal), "meta tags are not mapped");
    }

    [Fact]
    public void A_slash_inside_a_booru_tag_is_escaped_so_it_creates_no_tag_level_and_the_escape_is_reversible()
    {
        var tags = BooruTagMapper.Map(Post(series: ["fate/stay_night", "fate/zero"]), new BooruConfig { TagRoot = "anime/booru" });

        tags.Where(t => t.Category == BooruTagCategory.Series).Select(t => t.Path).Should().Equal("anime/booru/series/fate\u2215stay night", "anime/booru/series/fate\u2215zero");
        tags.Select(t => t.Path.Split('/').Length).Should().OnlyContain(n => n == 4, "root (2 levels) / category / tag");
        BooruTagMapper.ToDanbooruTag("fate\u2215stay night").Should().Be("fate/stay_night");
    }

    [Fact]
    public void Kaomoji_keep_their_underscores()
    {
        BooruTagMapper.Segment("^_^").Should().Be("^_^");
        BooruTagMapper.Segment("o_o").Should().Be("o_o");
        BooruTagMapper.Segment(">_<").Should().Be(">_<");
        BooruTagMapper.Segment("open_mouth").Should().Be("open mouth");
        BooruTagMapper.ToDanbooruTag(BooruTagMapper.Segment("^_^")!).Should().Be("^_^");
    }

    [Fact]
    public void Segment_and_its_inverse_round_trip_every_danbooru_tag()
    {
        // Danbooru tags: no spaces, no U+2215; anything else (slashes, colons, parentheses, non-ASCII) occurs.
        var punctuation = "_/:()'^><é東";
        var tagChars = Gen.OneOf(Gen.Char['a', 'z'], Gen.Char['0', '9'], Gen.Int[0, punctuation.Length - 1].Select(i => punctuation[i]));
        Gen.String[tagChars, 1, 24]
            .Where(t => t.Trim().Length == t.Length)
            .Sample(tag =>
            {
                var segment = BooruTagMapper.Segment(tag)!;
                segment.Should().NotContain("/");
                BooruTagMapper.ToDanbooruTag(segment).Should().Be(tag);
            });
    }

    [Fact]
    public void General_tags_follow_deny_allow_and_top_n()
    {
        var general = new[] { "1girl", "commentary_request", "long_hair", "solo", "twintails" };

        BooruTagMapper.General(general, new BooruConfig { GeneralTopN = 2 }).Should().Equal("1girl", "commentary_request");
        BooruTagMapper.General(general, new BooruConfig { GeneralTopN = 2, GeneralDeny = ["commentary_request", "1girl"] }).Should().Equal("long_hair", "solo");
        BooruTagMapper.General(general, new BooruConfig { GeneralAllow = ["twintails", "smile", "long_hair"] }).Should().Equal("twintails", "long_hair");
        BooruTagMapper.General(general, new BooruConfig { GeneralAllow = ["twintails", "long_hair"], GeneralDeny = ["long_hair"] }).Should().Equal("twintails");
        BooruTagMapper.General(general, new BooruConfig { GeneralTopN = 0 }).Should().BeEmpty();
    }

    [Theory]
    [InlineData(BooruRating.General, "general")]
    [InlineData(BooruRating.Sensitive, "sensitive")]
    [InlineData(BooruRating.Questionable, "questionable")]
    [InlineData(BooruRating.Explicit, "explicit")]
    public void The_rating_is_one_tag(BooruRating rating, string word)
    {
        var tags = BooruTagMapper.Map(Post(rating: rating), new BooruConfig());

        tags.Should().ContainSingle(t => t.Category == BooruTagCategory.Rating).Which.Path.Should().Be("booru/rating/" + word);
    }

    [Fact]
    public void Switched_off_parts_are_left_out_and_each_path_comes_once()
    {
        var post = Post(["a_b"], ["a_b"], ["x"], ["a_b", "a_b"]);
        var config = new BooruConfig { Artists = false, Rating = false };

        BooruTagMapper.Map(post, config).Select(t => t.Path).Should().Equal("booru/character/a b", "booru/series/a b", "booru/general/a b");
    }
}
