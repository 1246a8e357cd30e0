using System.Text;
using ImmichAutoTag.Infrastructure;

namespace ImmichAutoTag.Tests.State;

/// <summary>The state stores' instant reader: its byte-level fast path reads what the culture-aware parser reads.</summary>
public sealed class StateRowsInstantTests
{
    public static TheoryData<string> Written => new()
    {
        // As StateDatabase.Format writes them: UTC, seven fraction digits, an explicit offset.
        StateDatabase.Format(new DateTimeOffset(2026, 12, 1, 2, 59, 31, TimeSpan.Zero).AddTicks(4579065)),
        StateDatabase.Format(new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5)).AddTicks(1)),
        StateDatabase.Format(DateTimeOffset.UnixEpoch),
        // Written by hand or by an older version: other offsets, no fraction, 'Z'.
        "2026-06-01T12:00:00.1234567+02:00",
        "2026-06-01T12:00:00.0000000-09:30",
        "2026-06-01T12:00:00Z",
        "2026-06-01T12:00:00.5+01:00",
        "2026-06-01T12:00:00.1234567Z",
    };

    [Theory]
    [MemberData(nameof(Written))]
    public void An_instant_reads_as_the_culture_aware_parser_reads_it(string text)
    {
        var read = StateRows.Instants.Parse(Encoding.UTF8.GetBytes(text));

        var expected = StateDatabase.Parse(text);
        Assert.Equal(expected.UtcTicks, read.UtcTicks);
        Assert.Equal(expected.Offset, read.Offset);
    }

    [Fact]
    public void Rows_with_a_new_instant_each_read_each_instant()
    {
        var instants = new StateRows.Instants();
        var first = new DateTimeOffset(2026, 12, 1, 2, 59, 31, TimeSpan.Zero);
        var values = Enumerable.Range(0, 5).Select(i => first.AddTicks(i * 37)).ToList();

        var read = values.Select(v => instants.Get(Encoding.UTF8.GetBytes(StateDatabase.Format(v)))).ToList();

        Assert.Equal(values, read);
    }

    [Fact]
    public void Text_that_is_no_instant_is_refused()
    {
        Assert.Throws<FormatException>(() => StateRows.Instants.Parse("2026-13-01T12:00:00.0000000+00:00"u8));
    }
}
