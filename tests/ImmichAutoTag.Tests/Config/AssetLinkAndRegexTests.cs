using ImmichAutoTag.Config;
using ImmichAutoTag.Config.Internal;

namespace ImmichAutoTag.Tests.Config;

public sealed class AssetLinkAndRegexTests
{
    private static readonly Guid Id = Guid.Parse("5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90");

    [Theory]
    [InlineData("5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90")]
    [InlineData("  5E1D8F30-2C4B-4A9E-8F7D-0B6C3A2E1F90 ")]
    [InlineData("5e1d8f302c4b4a9e8f7d0b6c3a2e1f90")]
    [InlineData("{5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90}")]
    [InlineData("urn:uuid:5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90")]
    [InlineData("http://nas:2283/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90")]
    [InlineData("https://photos.example.net/immich/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90")]
    [InlineData("https://x/albums/11111111-2222-3333-4444-555555555555/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90")]
    [InlineData("https://x/tags/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90?path=autotag_output_unknown")]
    [InlineData("https://x/search/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90?query=%7B%7D")]
    [InlineData("https://x/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90#top")]
    public void Accepted_link_forms(string link)
    {
        AssetLinkParser.TryParse(link, out var id).Should().BeTrue();
        id.Should().Be(Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    [InlineData("https://x/albums/11111111-2222-3333-4444-555555555555")]
    [InlineData("https://x/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f9")]
    [InlineData("https://x/photos/5e1d8f30-2c4b-4a9e-8f7d-0b6c3a2e1f90abc")]
    public void Rejected_link_forms(string link)
    {
        AssetLinkParser.TryParse(link, out var id).Should().BeFalse();
        id.Should().Be(Guid.Empty);
    }

    [Fact]
    public void Translated_named_group_pattern_behaves_like_python()
    {
        var result = ConfigTestHelpers.Load(ConfigTestHelpers.Minimal + """

            classification:
              rules:
                - album_name_patterns: ['(?P<y>\d{4})-(?P=y)\Z']
            """);

        result.Errors.Should().BeEmpty();
        var pattern = result.Config!.Classification.Rules[0].AlbumNamePatterns[0];
        pattern.Written.Should().Be(@"(?P<y>\d{4})-(?P=y)\Z");
        pattern.IsMatch("2020-2020").Should().BeTrue();
        pattern.IsMatch("2020-2021").Should().BeFalse();
        pattern.IsMatch("2020-2020\n").Should().BeFalse();
    }
}
