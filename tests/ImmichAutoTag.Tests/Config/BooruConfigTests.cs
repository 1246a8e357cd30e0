using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Enrichment.Booru;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class BooruConfigTests
{
    [Fact]
    public void Without_the_section_booru_is_off_with_md5_saucenao_and_iqdb()
    {
        var booru = Load(Minimal).Config!.Booru;

        booru.Enabled.Should().BeFalse();
        booru.TagRoot.Should().Be("booru");
        booru.ReviewTag.Should().Be("autotag_output_booru_review");
        booru.MediaTypes.Should().Equal("image");
        booru.ClipExcludeLabels.Should().Equal("photo");
        booru.Sources.Select(s => s.Source).Should().Equal(BooruSource.DanbooruMd5, BooruSource.SauceNao, BooruSource.Iqdb);
    }

    [Fact]
    public void A_written_section_lands_in_the_record()
    {
        var result = Load(Minimal + """

            clip:
              enabled: true
            booru:
              enabled: true
              tag_root: /anime/booru/
              review_tag: booru_review
              assets:
                rules:
                  - tag_names: [fanart]
                clip_labels: [anime]
                clip_min_percent: 70
              sources:
                - source: saucenao
                  accept_percent: 92
                  review_percent: 60
                  base_url: http://127.0.0.1:8080/
                - source: DANBOORU_MD5
              tags:
                general_allow: [long_hair]
                general_top_n: 3
                rating: false
            """);

        result.Errors.Should().BeEmpty();
        var booru = result.Config!.Booru;
        booru.TagRoot.Should().Be("anime/booru");
        booru.ReviewTag.Should().Be("booru_review");
        booru.Rules.Should().ContainSingle().Which.TagNames.Should().Equal("fanart");
        booru.ClipLabels.Should().Equal("anime");
        booru.ClipMinPercent.Should().Be(70);
        booru.Sources.Should().HaveCount(2);
        booru.Sources[0].Should().Match<BooruSourceConfig>(s => s.Source == BooruSource.SauceNao && s.AcceptPercent == 92 && s.ReviewPercent == 60 && s.BaseUrl == "http://127.0.0.1:8080");
        booru.Sources[1].Source.Should().Be(BooruSource.DanbooruMd5);
        booru.GeneralAllow.Should().Equal("long_hair");
        booru.GeneralTopN.Should().Be(3);
        booru.Rating.Should().BeFalse();
    }

    [Theory]
    [InlineData("sources: [{source: saucenao, accept_percent: 80, review_percent: 90}]", "review_percent (90) is above accept_percent (80)")]
    [InlineData("sources: [{source: iqdb}, {source: iqdb}]", "listed twice")]
    [InlineData("sources: [{source: google}]", "danbooru_md5, saucenao, iqdb or ascii2d")]
    [InlineData("sources: []", "booru.sources is empty")]
    [InlineData("review_tag: booru/review", "lies below booru.tag_root")]
    [InlineData("tag_root: ''", "booru.tag_root must not be empty")]
    [InlineData("danbooru_url: 'https://me:secret@danbooru.donmai.us'", "without credentials")]
    [InlineData("sources: [{source: saucenao, base_url: 'https://saucenao.com/?api_key=abc'}]", "without credentials or query")]
    [InlineData("tag_root: autotag_clip", "overlaps clip.tag_root")]
    [InlineData("assets: {rules: [{tag_names: [x]}], media_types: [gif]}", "unknown media type 'gif'")]
    public void Bad_values_are_reported_where_they_are(string line, string message)
    {
        var assets = line.StartsWith("assets:", StringComparison.Ordinal) ? "" : "assets: {rules: [{tag_names: [x]}]}\n  ";
        var error = SingleError(Minimal + "\nbooru:\n  enabled: true\n  " + assets + line + "\n");

        error.Message.Should().Contain(message);
        error.Message.Should().NotContain("secret").And.NotContain("abc");
        error.KeyPath.Should().StartWith("booru");
    }

    [Fact]
    public void A_gate_without_clip_and_without_rules_warns_that_nothing_is_selected()
    {
        var result = Load(Minimal + "\nbooru:\n  enabled: true\n");

        result.Errors.Should().BeEmpty();
        result.Warnings.Should().Contain(w => w.Message.Contains("no asset is selected", StringComparison.Ordinal));
    }
}
