using System.Globalization;
using ImmichAutoTag.Core.Dates;

namespace ImmichAutoTag.Tests.Dates;

public sealed class FileNameDatesTests
{
    // Latest credible year, as a run in 2026 would pass it.
    private const int MaxYear = 2027;

    /// <summary>name → expected wall clock ("yyyy-MM-dd HH:mm:ss"), "day" precision marker, or null for no date.</summary>
    public static TheoryData<string, string?, string?> Names => new()
    {
        // camera YYYYMMDD_HHMMSS
        { "IMG_20190704_153012.jpg", "2019-07-04 15:30:12", "camera" },
        { "VID_20190704_153012.mp4", "2019-07-04 15:30:12", "camera" },
        { "20190704_153012.jpg", "2019-07-04 15:30:12", "camera" },
        { "20190704-153012.heic", "2019-07-04 15:30:12", "camera" },
        { "IMG_20190704_153012_HDR.jpg", "2019-07-04 15:30:12", "camera" },
        { "IMG_20190704_153012123.jpg", "2019-07-04 15:30:12", "camera" },
        { "MVIMG_20210101_000001.jpg", "2021-01-01 00:00:01", "camera" },
        { "IMG_20240229_120000.jpg", "2024-02-29 12:00:00", "camera" },
        // dashed YYYY-MM-DD HH-MM-SS and its _ and . variants
        { "2019-07-04 15-30-12.jpg", "2019-07-04 15:30:12", "dashed" },
        { "2019-07-04_15-30-12.jpg", "2019-07-04 15:30:12", "dashed" },
        { "2019-07-04 15.30.12.jpg", "2019-07-04 15:30:12", "dashed" },
        { "2019-07-04_15_30_12.png", "2019-07-04 15:30:12", "dashed" },
        { "photo_2021-03-15_12-34-56.jpg", "2021-03-15 12:34:56", "dashed" },
        { "photo_2021-03-15 12.34.56.jpeg", "2021-03-15 12:34:56", "dashed" },
        { "2019-07-04T15:30:12.jpg", "2019-07-04 15:30:12", "dashed" },
        // Pixel (UTC)
        { "PXL_20230704_153012345.jpg", "2023-07-04 15:30:12", "pixel" },
        { "PXL_20230704_153012345.MP.jpg", "2023-07-04 15:30:12", "pixel" },
        { "PXL_20231231_235959999.NIGHT.jpg", "2023-12-31 23:59:59", "pixel" },
        // WhatsApp
        { "IMG-20190704-WA0001.jpg", "2019-07-04 day", "whatsapp" },
        { "VID-20190704-WA0012.mp4", "2019-07-04 day", "whatsapp" },
        { "IMG_20190704_WA0001.jpg", "2019-07-04 day", "whatsapp" },
        { "img-20190704-wa0001.jpeg", "2019-07-04 day", "whatsapp" },
        { "PTT-20200101-WA0003.opus", "2020-01-01 day", "whatsapp" },
        { "WhatsApp Image 2021-03-15 at 12.34.56.jpeg", "2021-03-15 12:34:56", "whatsapp" },
        { "WhatsApp Video 2021-03-15 at 9.04.56.mp4", "2021-03-15 09:04:56", "whatsapp" },
        { "WhatsApp Image 2021-03-15 at 12.34.56 (1).jpeg", "2021-03-15 12:34:56", "whatsapp" },
        // screenshots
        { "Screenshot_20220102-030405.png", "2022-01-02 03:04:05", "screenshot" },
        { "Screenshot_20220102-030405_Chrome.jpg", "2022-01-02 03:04:05", "screenshot" },
        { "Screenshot_2022-01-02-03-04-05-123_com.app.jpg", "2022-01-02 03:04:05", "screenshot" },
        { "Screenshot 2022-01-02 at 03.04.05.png", "2022-01-02 03:04:05", "macos" },
        // 12-hour clocks: 12 AM is midnight, 12 PM noon, one-digit hours, AM/PM after a space, U+202F or nothing
        { "WhatsApp Image 2020-06-16 at 9.15.00 PM.jpeg", "2020-06-16 21:15:00", "whatsapp" },
        { "WhatsApp Image 2020-06-16 at 12.15.00 AM.jpeg", "2020-06-16 00:15:00", "whatsapp" },
        { "WhatsApp Image 2020-06-16 at 12.15.00 PM.jpeg", "2020-06-16 12:15:00", "whatsapp" },
        { "WhatsApp Image 2020-06-16 at 11.59.59 pm.jpeg", "2020-06-16 23:59:59", "whatsapp" },
        { "WhatsApp Image 2020-06-16 at 9.15.00PM.jpeg", "2020-06-16 21:15:00", "whatsapp" },
        { "Screenshot 2024-03-05 at 9.41.07\u202FPM.png", "2024-03-05 21:41:07", "macos" },
        { "Screenshot 2024-03-05 at 9.41.07\u00A0AM.png", "2024-03-05 09:41:07", "macos" },
        { "2019-07-04 09.15.00 PM Paris.jpg", "2019-07-04 21:15:00", "dashed" },
        { "2019-07-04 09.15.00 Paris.jpg", "2019-07-04 09:15:00", "dashed" },
        // signal
        { "signal-2021-03-15-123456.jpg", "2021-03-15 12:34:56", "signal" },
        { "signal-2021-03-15-12-34-56-789.jpg", "2021-03-15 12:34:56", "signal" },
        // must not match: no date, random digit runs, impossible dates, years out of range
        { "DSC_0001.JPG", null, null },
        { "holiday.jpg", null, null },
        { "IMG_1234.HEIC", null, null },
        { "1234567890123456.jpg", null, null },
        { "987654321_123456789.jpg", null, null },
        { "IMG_20191332_120000.jpg", null, null },
        { "IMG_20190230_120000.jpg", null, null },
        { "IMG_20230229_120000.jpg", null, null },
        { "IMG_20190704_256012.jpg", null, null },
        { "IMG_20190704_156112.jpg", null, null },
        { "IMG_19850704_120000.jpg", null, null },
        { "IMG_20990704_120000.jpg", null, null },
        { "IMG-20991231-WA0001.jpg", null, null },
        { "IMG-19891231-WA0001.jpg", null, null },
        { "2019-13-04 15-30-12.jpg", null, null },
        { "WhatsApp Image 2021-02-30 at 12.34.56.jpeg", null, null },
        { "120190704_153012.jpg", null, null },
        { "20190704_1530121.jpg", null, null },
        { "PXL_20231301_153012345.jpg", null, null },
        { "2019-07-04.jpg", null, null },
        { "WhatsApp Image 2020-06-16 at 13.15.00 PM.jpeg", null, null },
        { "WhatsApp Image 2020-06-16 at 0.15.00 AM.jpeg", null, null },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Parses_the_date_in_a_name_or_nothing(string name, string? expected, string? pattern)
    {
        var date = FileNameDates.Parse(System.Text.RegularExpressions.Regex.Unescape(name), MaxYear);

        if (expected is null)
        {
            date.Should().BeNull();
            return;
        }

        date.Should().NotBeNull();
        date!.Pattern.Should().Be(pattern);
        if (expected.EndsWith(" day", StringComparison.Ordinal))
        {
            date.Precision.Should().Be(DatePrecision.Day);
            date.WallClock.Should().Be(DateTime.ParseExact(expected[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
        else
        {
            date.Precision.Should().Be(DatePrecision.Second);
            date.WallClock.Should().Be(DateTime.ParseExact(expected, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void The_table_covers_at_least_forty_names_including_non_matches()
    {
        Names.Count.Should().BeGreaterThanOrEqualTo(40);
        Names.Count(row => row[1] is null).Should().BeGreaterThanOrEqualTo(10);
    }

    [Fact]
    public void Camera_names_are_read_in_the_extraction_zone_and_pixel_names_as_utc()
    {
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

        var camera = FileNameDates.ToInstant(FileNameDates.Parse("IMG_20190704_153012.jpg", MaxYear)!, madrid);
        var pixel = FileNameDates.ToInstant(FileNameDates.Parse("PXL_20190704_153012000.jpg", MaxYear)!, madrid);

        camera.UtcDateTime.Should().Be(new DateTime(2019, 7, 4, 13, 30, 12, DateTimeKind.Utc));
        pixel.UtcDateTime.Should().Be(new DateTime(2019, 7, 4, 15, 30, 12, DateTimeKind.Utc));
    }

    [Fact]
    public void A_wall_clock_in_a_dst_gap_is_read_with_the_offset_before_the_gap()
    {
        // Europe/Madrid skipped 02:00-03:00 on 2019-03-31: a camera clock not yet moved forward shows 02:30.
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

        var instant = FileNameDates.ToInstant(FileNameDates.Parse("IMG_20190331_023000.jpg", MaxYear)!, madrid);

        instant.Offset.Should().Be(TimeSpan.FromHours(1));
        instant.UtcDateTime.Should().Be(new DateTime(2019, 3, 31, 1, 30, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void A_wall_clock_in_a_dst_overlap_is_read_as_its_first_occurrence()
    {
        // Europe/Madrid showed 02:00-03:00 twice on 2019-10-27: first at +02:00, then at +01:00.
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

        var instant = FileNameDates.ToInstant(FileNameDates.Parse("IMG_20191027_023000.jpg", MaxYear)!, madrid);

        instant.Offset.Should().Be(TimeSpan.FromHours(2));
        instant.UtcDateTime.Should().Be(new DateTime(2019, 10, 27, 0, 30, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void Names_dated_before_1990_or_after_next_year_are_no_date()
    {
        FileNameDates.Parse("Scan_19891231_235959.jpg", MaxYear).Should().BeNull();
        FileNameDates.Parse("Scan_19900101_000000.jpg", MaxYear).Should().NotBeNull();
        FileNameDates.Parse("IMG_20270101_000000.jpg", MaxYear).Should().NotBeNull();
        FileNameDates.Parse("IMG_20280101_000000.jpg", MaxYear).Should().BeNull();
        FileNameDates.Parse("mmexport0631065600000.jpg", MaxYear).Should().BeNull("1989-12-31T00:00Z is before 1990");
    }
}
