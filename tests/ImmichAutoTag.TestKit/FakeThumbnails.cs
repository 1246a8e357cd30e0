using System.Collections.Concurrent;
using NetVips;

namespace ImmichAutoTag.TestKit;

/// <summary>
/// Real thumbnail bytes for the fake, made with libvips: a 333 × 250 image (Immich 3.1's default <c>thumbnail</c> is a
/// WebP 250 px on the short side; a 4:3 photo gives 333 × 250) of one colour with a soft diagonal gradient, so
/// decoding and resizing have real work. (A short side under CLIP's 224 px would make preprocessing enlarge, which
/// real thumbnails never need, and cost about twice as much.) WebP as Immich's <c>thumbnail</c> size, JPEG as its <c>preview</c>. Cached per
/// colour.
/// </summary>
public static class FakeThumbnails
{
    /// <summary>Width of the generated images, pixels.</summary>
    public const int Width = 333;

    /// <summary>Height of the generated images, pixels.</summary>
    public const int Height = 250;

    private static readonly ConcurrentDictionary<(byte, byte, byte, bool), byte[]> Cache = new();

    /// <summary>A colour per asset id, so different assets get different bytes.</summary>
    public static (byte R, byte G, byte B) ColourOf(Guid id)
    {
        var b = id.ToByteArray();
        return (b[0], b[5], b[10]);
    }

    /// <summary>A lossy WebP of <paramref name="colour"/> (quality 80, as Immich's default thumbnail setting).</summary>
    public static byte[] Webp((byte R, byte G, byte B) colour) => Cache.GetOrAdd((colour.R, colour.G, colour.B, true), _ => Make(colour).WebpsaveBuffer(q: 80));

    /// <summary>A JPEG of <paramref name="colour"/> (quality 80).</summary>
    public static byte[] Jpeg((byte R, byte G, byte B) colour) => Cache.GetOrAdd((colour.R, colour.G, colour.B, false), _ => Make(colour).JpegsaveBuffer(q: 80));

    private static Image Make((byte R, byte G, byte B) colour)
    {
        // ±8 levels of diagonal gradient around the colour keeps its mean while giving the codec real content.
        using var ramp = Image.Xyz(Width, Height);
        using var x = ramp[0];
        using var y = ramp[1];
        using var diagonal = (x + y) * (16.0 / (Width + Height)) - 8.0;
        using var r = diagonal + colour.R;
        using var g = diagonal + colour.G;
        using var b = diagonal + colour.B;
        using var joined = r.Bandjoin(g, b);
        return joined.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }
}
