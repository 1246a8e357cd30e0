using NetVips;

namespace ImmichAutoTag.Cli.Demo;

/// <summary>
/// Thumbnails for the demo's sample library: a small landscape per asset (sky, sun, hills), its colours drawn from the
/// asset id, so report.html shows pictures without any image file on disk. Lossless WebP, the format Immich serves its
/// thumbnails in, so the demo's CLIP labels go through the same decoder as a real server's thumbnails.
/// </summary>
internal static class DemoThumbnails
{
    public const int Width = 96;
    public const int Height = 72;

    /// <summary>A 96 × 72 RGB lossless WebP, the same bytes for the same id.</summary>
    public static byte[] WebP(Guid assetId)
    {
        var seed = assetId.ToByteArray();
        var sky = Hsv(seed[0] / 255.0 * 360, 0.45, 0.95);
        var hill = Hsv(seed[1] / 255.0 * 360, 0.55, 0.55);
        var sun = Hsv(40 + (seed[2] % 20), 0.7, 1.0);
        var sunX = 15 + (seed[3] % 66);
        var sunY = 12 + (seed[4] % 16);
        var phase = seed[5] / 255.0 * Math.PI * 2;

        var raw = new byte[Height * Width * 3];
        var i = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var horizon = 44 + (8 * Math.Sin((x / 14.0) + phase));
                var (r, g, b) = y > horizon
                    ? Shade(hill, 1 - ((y - horizon) / 60))
                    : ((x - sunX) * (x - sunX)) + ((y - sunY) * (y - sunY)) <= 64 ? sun : Shade(sky, 0.75 + (0.25 * y / horizon));
                raw[i++] = r;
                raw[i++] = g;
                raw[i++] = b;
            }
        }

        using var image = Image.NewFromMemory(raw, Width, Height, 3, Enums.BandFormat.Uchar);
        return image.WebpsaveBuffer(lossless: true, keep: Enums.ForeignKeep.None);
    }

    private static (byte R, byte G, byte B) Shade((byte R, byte G, byte B) c, double f)
    {
        f = Math.Clamp(f, 0.3, 1.0);
        return ((byte)(c.R * f), (byte)(c.G * f), (byte)(c.B * f));
    }

    private static (byte R, byte G, byte B) Hsv(double h, double s, double v)
    {
        var c = v * s;
        var x = c * (1 - Math.Abs((h / 60 % 2) - 1));
        var m = v - c;
        var (r, g, b) = (h % 360) switch
        {
            < 60 => (c, x, 0.0),
            < 120 => (x, c, 0.0),
            < 180 => (0.0, c, x),
            < 240 => (0.0, x, c),
            < 300 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return ((byte)((r + m) * 255), (byte)((g + m) * 255), (byte)((b + m) * 255));
    }
}
