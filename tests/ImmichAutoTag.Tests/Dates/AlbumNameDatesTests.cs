using ImmichAutoTag.Core.Dates;

namespace ImmichAutoTag.Tests.Dates;

public sealed class AlbumNameDatesTests
{
    [Theory]
    [InlineData("2019 Summer", "2019-01-01", "2019-12-31")]
    [InlineData("2019-07 Trip", "2019-07-01", "2019-07-31")]
    [InlineData("2020-02", "2020-02-01", "2020-02-29")]
    [InlineData("2019-07-04 Beach", "2019-07-04", "2019-07-04")]
    [InlineData("2019-07-4 Beach", "2019-07-01", "2019-07-31")]
    public void A_date_prefix_stands_for_its_whole_period(string name, string first, string last)
    {
        var period = AlbumNameDates.Parse(name);

        period.Should().Be(new AlbumPeriod(DateOnly.Parse(first, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(last, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("Summer 2019")]
    [InlineData("20190704 Beach")]
    [InlineData("2019-13 Nope")]
    [InlineData("2019-02-30 Nope")]
    [InlineData("12345")]
    public void Names_without_a_valid_date_prefix_have_no_period(string name) => AlbumNameDates.Parse(name).Should().BeNull();

    [Fact]
    public void A_mid_year_photo_is_inside_a_year_album_and_distance_counts_from_the_nearest_edge()
    {
        var year = AlbumNameDates.Parse("2019 Summer")!;

        year.DaysOutside(new DateOnly(2019, 8, 15)).Should().Be(0, "upstream would count 226 days from 1 January");
        year.DaysOutside(new DateOnly(2020, 1, 10)).Should().Be(10);
        year.DaysOutside(new DateOnly(2018, 12, 1)).Should().Be(31);
    }
}
