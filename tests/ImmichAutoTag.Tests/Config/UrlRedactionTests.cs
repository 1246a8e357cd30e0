using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class UrlRedactionTests
{
    [Theory]
    [InlineData("https://me:s3cret@photos.example.com/immich/", "https://photos.example.com/immich/")]
    [InlineData("https://photos.example.com/?apiKey=s3cret", "https://photos.example.com/")]
    [InlineData("https://me:pw@photos.example.com:8443/base?token=s3cret#frag", "https://photos.example.com:8443/base")]
    public void Credentials_in_user_info_query_and_fragment_are_dropped(string url, string shown)
    {
        var redacted = UrlRedaction.Redact(new Uri(url));

        redacted.AbsoluteUri.Should().Be(shown);
        redacted.AbsoluteUri.Should().NotContain("s3cret").And.NotContain("pw@");
    }

    [Fact]
    public void A_url_without_credentials_is_returned_as_it_is()
    {
        var url = new Uri("https://photos.example.com/immich/");

        UrlRedaction.Redact(url).Should().BeSameAs(url);
    }

    [Fact]
    public void Text_that_may_not_parse_loses_user_info_and_query()
    {
        UrlRedaction.RedactText("http://me:s3cret@host:1/?apiKey=t0ken").Should().Be("http://***@host:1/?***");
        UrlRedaction.RedactText("not a url").Should().Be("not a url");
    }

    [Fact]
    public void The_config_dump_shows_the_server_url_without_its_credentials()
    {
        var config = Load("""
            server: {url: "https://me:s3cret@photos.example.net/base", api_key: k}
            enable_album_name_strip: true
            classification:
              rules:
                - {tag_names: [meme]}
            """).Config!;

        var yaml = ConfigWriter.ToRedactedYaml(config);

        yaml.Should().Contain("url: \"https://photos.example.net/base/\"").And.NotContain("s3cret");
    }
}
