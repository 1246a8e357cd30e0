using System.Text;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit.Booru;

namespace ImmichAutoTag.Tests.Booru;

public sealed class BooruParsingTests
{
    private const string SauceNaoAnswerJson = """
        {
          "header": {
            "user_id": "123456", "account_type": "1",
            "short_limit": "4", "long_limit": "100",
            "long_remaining": 87, "short_remaining": 3,
            "status": 0, "results_requested": "8",
            "index": { "5": {"status": 0, "parent_id": 5, "id": 5, "results": 8} },
            "search_depth": "128", "minimum_similarity": 54.12,
            "results_returned": 5
          },
          "results": [
            { "header": { "similarity": "93.02", "index_id": 5, "dupes": 0, "hidden": 0 },
              "data": { "ext_urls": ["https://www.pixiv.net/member_illust.php?mode=medium&illust_id=100000001"], "pixiv_id": 100000001 } },
            { "header": { "similarity": "94.61", "index_id": 9, "dupes": 1, "hidden": 0 },
              "data": { "ext_urls": ["https://danbooru.donmai.us/post/show/7000001", "https://gelbooru.com/index.php?page=post&s=view&id=9000001"],
                        "danbooru_id": 7000001, "gelbooru_id": "9000001", "creator": ["a", "b"] } },
            { "header": { "similarity": 88.5, "index_id": 9, "hidden": 0 },
              "data": { "ext_urls": ["https://danbooru.donmai.us/posts/7000002"] } },
            { "header": { "similarity": "87.10", "index_id": 9 },
              "data": { "ext_urls": ["https://danbooru.donmai.us/post/show/7000003"] } },
            { "header": { "similarity": "99.99", "index_id": 9, "hidden": 1 },
              "data": { "danbooru_id": 1 } }
          ]
        }
        """;

    [Fact]
    public void SauceNao_answer_reads_mixed_types_sorts_by_similarity_and_finds_ids_in_data_and_both_url_forms()
    {
        var answer = SauceNaoAnswer.Parse(Encoding.UTF8.GetBytes(SauceNaoAnswerJson));

        answer.Status.Should().Be(0);
        answer.UserId.Should().Be("123456");
        answer.Quota.Should().Be(new SearchQuota(4, 3, 100, 87));
        answer.Matches.Select(m => m.SimilarityPercent).Should().Equal(94.61, 93.02, 88.5, 87.10);
        answer.Matches.Select(m => m.DanbooruPostId).Should().Equal(7000001L, null, 7000002L, 7000003L);
        answer.Matches[0].GelbooruPostId.Should().Be(9000001);
        answer.Matches[0].Urls.Should().HaveCount(2);
        answer.Matches.Should().OnlyContain(m => m.Source == BooruSource.SauceNao);
    }

    [Fact]
    public void SauceNao_answer_without_counters_or_results_has_no_quota_and_no_matches()
    {
        var answer = SauceNaoAnswer.Parse("""{"header":{"user_id":"1","short_limit":"4","status":-2,"message":"<strong>Search Rate Too High.</strong>"}}"""u8);

        answer.Status.Should().Be(-2);
        answer.Quota.Should().BeNull();
        answer.Matches.Should().BeEmpty();
        answer.Message.Should().Contain("Search Rate Too High");
    }

    [Theory]
    [InlineData("https://danbooru.donmai.us/posts/123", 123L)]
    [InlineData("https://danbooru.donmai.us/post/show/456", 456L)]
    [InlineData("https://testbooru.donmai.us/posts/7?q=1", 7L)]
    [InlineData("https://gelbooru.com/index.php?page=post&s=view&id=9", null)]
    [InlineData("https://www.pixiv.net/artworks/100", null)]
    public void Danbooru_post_ids_come_from_new_and_old_url_forms(string url, long? id) =>
        BooruLinks.DanbooruPostId(new Uri(url)).Should().Be(id);

    [Fact]
    public void Gelbooru_ids_and_protocol_relative_links()
    {
        BooruLinks.GelbooruPostId(new Uri("https://gelbooru.com/index.php?page=post&s=view&id=9000001")).Should().Be(9000001);
        BooruLinks.GelbooruPostId(new Uri("https://gelbooru.com/index.php?page=post&s=list&md5=abc")).Should().BeNull();
        BooruLinks.Absolute("//danbooru.donmai.us/posts/1")!.AbsoluteUri.Should().Be("https://danbooru.donmai.us/posts/1");
        BooruLinks.Absolute("javascript:alert(1)").Should().BeNull();
        BooruLinks.Absolute("/relative/path").Should().BeNull();
    }

    [Fact]
    public void Danbooru_post_reads_the_tag_strings_by_category_and_the_rating()
    {
        var post = IllustrationLibrary.SamplePost(3) with { Rating = "q", Meta = ["highres", "absurdres"] };

        var read = DanbooruPostJson.Parse(FakeDanbooru.PostJson(post).Span)!;

        read.Id.Should().Be(post.Id);
        read.Md5.Should().Be(post.Md5);
        read.Rating.Should().Be(BooruRating.Questionable);
        read.Characters.Should().Equal(post.Characters);
        read.Copyrights.Should().Equal(post.Copyrights);
        read.Artists.Should().Equal(post.Artists);
        read.General.Should().Equal(post.General);
        read.Meta.Should().Equal("highres", "absurdres");
    }

    [Fact]
    public void Danbooru_post_hidden_from_the_requester_has_no_md5_but_keeps_its_tags()
    {
        var post = IllustrationLibrary.SamplePost(1) with { FileVisible = false };

        var read = DanbooruPostJson.Parse(FakeDanbooru.PostJson(post).Span)!;

        read.Md5.Should().BeNull();
        read.Characters.Should().Equal(post.Characters);
    }

    [Fact]
    public void Danbooru_post_in_an_array_and_empty_tag_strings()
    {
        DanbooruPostJson.Parse("[]"u8).Should().BeNull();
        var read = DanbooruPostJson.Parse("""[{"id":"5","rating":"g","tag_string_general":"","tag_string_meta":"  a  b "}]"""u8)!;
        read.Id.Should().Be(5);
        read.Md5.Should().BeNull();
        read.General.Should().BeEmpty();
        read.Meta.Should().Equal("a", "b");
        Assert.Throws<System.Text.Json.JsonException>(() => DanbooruPostJson.Parse("""{"rating":"g"}"""u8));
    }

    [Theory]
    [InlineData("g", BooruRating.General)]
    [InlineData("s", BooruRating.Sensitive)]
    [InlineData("q", BooruRating.Questionable)]
    [InlineData("e", BooruRating.Explicit)]
    [InlineData("safe", BooruRating.General)]
    [InlineData("general", BooruRating.General)]
    [InlineData("sensitive", BooruRating.Sensitive)]
    [InlineData("Questionable", BooruRating.Questionable)]
    [InlineData("explicit", BooruRating.Explicit)]
    [InlineData("", BooruRating.Explicit)]
    [InlineData(null, BooruRating.Explicit)]
    [InlineData("x", BooruRating.Explicit)]
    public void Ratings_map_danbooru_letters_and_full_words(string? rating, BooruRating expected) =>
        DanbooruPostJson.Rating(rating).Should().Be(expected);

    [Fact]
    public void Iqdb_page_with_a_best_match_reads_links_similarity_and_danbooru_id()
    {
        var library = new IllustrationLibrary();
        var picture = library.Add(iqdb: 94);

        var page = IqdbPage.Parse(FakeIqdb.ResultPage(picture));

        page.Error.Should().BeNull();
        page.Matches.Select(m => m.SimilarityPercent).Should().Equal(94, 76, 52);
        var best = page.Matches[0];
        best.DanbooruPostId.Should().Be(picture.Post!.Id);
        best.Urls.Select(u => u.AbsoluteUri).Should().Contain(u => u.StartsWith("https://danbooru.donmai.us/posts/", StringComparison.Ordinal))
            .And.Contain(u => u.StartsWith("https://gelbooru.com/index.php?page=post&s=list&md5=", StringComparison.Ordinal));
        page.Matches[1].DanbooruPostId.Should().BeNull();
        page.Matches.Should().OnlyContain(m => m.Source == BooruSource.Iqdb);
    }

    [Fact]
    public void Iqdb_page_with_no_relevant_matches_keeps_only_the_possible_ones()
    {
        var library = new IllustrationLibrary();
        var weak = library.Add(iqdb: 61);
        var unknown = library.Add();

        var page = IqdbPage.Parse(FakeIqdb.ResultPage(weak));
        var miss = IqdbPage.Parse(FakeIqdb.ResultPage(unknown));

        page.Matches.Select(m => m.SimilarityPercent).Should().Equal(61, 52);
        page.Matches[0].DanbooruPostId.Should().Be(weak.Post!.Id);
        miss.Matches.Should().ContainSingle().Which.SimilarityPercent.Should().BeLessThan(61);
        miss.Error.Should().BeNull();
    }

    [Fact]
    public void Iqdb_error_pages_say_whether_the_image_was_refused()
    {
        var notImage = IqdbPage.Parse("<html><body><div class='err'>Not an image or image format not supported</div></body></html>");
        var tooLarge = IqdbPage.Parse("<html><body>File is too large</body></html>");
        var other = IqdbPage.Parse("<html><body>Database maintenance</body></html>");

        notImage.ImageRefused.Should().BeTrue();
        notImage.Error.Should().Contain("Not an image");
        tooLarge.ImageRefused.Should().BeTrue();
        other.ImageRefused.Should().BeFalse();
        other.Error.Should().Be("Database maintenance");
    }

    [Fact]
    public void Ascii2d_page_skips_the_upload_row_and_has_no_score()
    {
        const string html = """
            <div class='row item-box'><div class='hash'>aaaa</div><small>250x188 JPEG</small></div>
            <div class='row item-box'><div class='hash'>bbbb</div><div class='detail-box gray-link'>
              <a href="https://www.pixiv.net/artworks/1">title</a><a href="https://www.pixiv.net/users/2">artist</a></div></div>
            <div class='row item-box'><div class='hash'>cccc</div><div class='detail-box'><a href="//danbooru.donmai.us/posts/77">d</a></div></div>
            """;

        var matches = Ascii2dPage.Parse(html);

        matches.Should().HaveCount(2);
        matches.Should().OnlyContain(m => m.SimilarityPercent == null && m.Source == BooruSource.Ascii2d);
        matches[0].Urls.Should().HaveCount(2);
        matches[1].DanbooruPostId.Should().Be(77);
    }
}
