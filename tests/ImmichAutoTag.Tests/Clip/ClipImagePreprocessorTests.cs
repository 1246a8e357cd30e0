using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit.Clip;
using NetVips;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The preprocessing compared with a plain reference written here from the definition Immich's ML service follows
/// (PIL's resize with the BICUBIC filter: a = −0.5 cubic convolution, its support widened by the shrink factor and
/// weights renormalised at the borders; shortest side to the size; centre crop at ⌊(side − size)/2⌋; x/255, minus
/// mean, over std; planar RGB), computed in double precision from the generated pixels.
/// </summary>
public sealed class ClipImagePreprocessorTests
{
    private static readonly ClipPreprocessConfig OpenAi =
        new(224, ClipTestModels.OpenAiMean, ClipTestModels.OpenAiStd, ClipInterpolation.Bicubic, ClipResizeMode.Shortest);

    // One 8-bit level after normalisation by the smallest std (0.2613): 0.015. libvips computes in fixed point and
    // rounds to 8 bits between the two passes, the reference in double with one rounding at the end. Measured on
    // these images: mean difference 0.07-0.09 levels; the largest (up to 6 levels) sit at the rectangle's 240-level
    // step, where the cubic kernel's overshoot meets the rounding. A half-pixel shift (wrong centre convention or crop)
    // gives a mean near 2 levels and ~90 at the step; a mirrored or channel-swapped image far more.
    private const double OneLevel = 1 / 255.0 / 0.26130258;

    [Theory]
    [InlineData(320, 240)] // landscape, shrink by 1.07: crop 37 px from the left
    [InlineData(250, 375)] // portrait, Immich's thumbnail size class: shrink by 1.12, crop 56 px from the top
    [InlineData(160, 120)] // smaller than the input: enlarge by 1.87
    [InlineData(224, 224)] // already the input size
    public void Lossless_webp_matches_the_reference(int width, int height)
    {
        var pixels = Pattern(width, height);
        var webp = Encode(pixels, width, height, img => img.WebpsaveBuffer(lossless: true));
        var expected = Reference(pixels, width, height, OpenAi);
        var actual = new float[3 * 224 * 224];

        new ClipImagePreprocessor(OpenAi).Preprocess(webp, actual);

        var diffs = expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Order().ToArray();
        diffs.Average().Should().BeLessThan(0.25 * OneLevel, "on average the two agree within a quarter of a level");
        diffs[(int)(diffs.Length * 0.999)].Should().BeLessThanOrEqualTo(2.01 * OneLevel, "99.9 % of values agree within two levels");
        diffs[^1].Should().BeLessThanOrEqualTo(6.01 * OneLevel, "only the sharp step may differ by more, and by at most six levels");
    }

    [Fact]
    public void Jpeg_decodes_close_to_the_reference_of_its_source_pixels()
    {
        var pixels = Pattern(300, 200);
        var jpeg = Encode(pixels, 300, 200, img => img.JpegsaveBuffer(q: 95, subsampleMode: Enums.ForeignSubsample.Off));
        var expected = Reference(pixels, 300, 200, OpenAi);
        var actual = new float[3 * 224 * 224];

        new ClipImagePreprocessor(OpenAi).Preprocess(jpeg, actual);

        expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Average().Should().BeLessThan(3 * OneLevel, "JPEG at quality 95 loses a few levels");
    }

    [Fact]
    public void A_wrong_crop_or_channel_order_would_be_caught()
    {
        // Guards the comparison itself: the reference of the mirrored image is far from the preprocessing of the original.
        var pixels = Pattern(320, 240);
        var mirrored = new byte[pixels.Length];
        for (var y = 0; y < 240; y++)
        {
            for (var x = 0; x < 320; x++)
            {
                pixels.AsSpan((((y * 320) + x) * 3), 3).CopyTo(mirrored.AsSpan((((y * 320) + (319 - x)) * 3), 3));
            }
        }

        var actual = new float[3 * 224 * 224];
        new ClipImagePreprocessor(OpenAi).Preprocess(Encode(pixels, 320, 240, img => img.WebpsaveBuffer(lossless: true)), actual);

        Reference(mirrored, 320, 240, OpenAi).Zip(actual, (e, a) => (double)Math.Abs(e - a)).Average().Should().BeGreaterThan(20 * OneLevel);
    }

    [Fact]
    public void Grey_and_transparent_images_become_three_channels()
    {
        using var grey = Image.NewFromArray(Enumerable.Range(0, 50).Select(y => Enumerable.Range(0, 80).Select(x => (double)((x + y) % 256)).ToArray()).ToArray())
            .Cast(Enums.BandFormat.Uchar);
        using var withAlpha = grey.Bandjoin(grey, grey, grey);
        var destination = new float[3 * 224 * 224];
        var preprocessor = new ClipImagePreprocessor(OpenAi);

        preprocessor.Preprocess(grey.PngsaveBuffer(), destination);
        var fromGrey = destination.ToArray();
        preprocessor.Preprocess(withAlpha.Copy(interpretation: Enums.Interpretation.Srgb).PngsaveBuffer(), destination);

        fromGrey.Should().OnlyContain(v => float.IsFinite(v));
        destination.Zip(fromGrey, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(0.001f, "alpha is dropped, as PIL's convert(\"RGB\") does");
    }

    [Fact]
    public void Bytes_that_are_not_an_image_fail_with_a_clear_error()
    {
        var act = () => new ClipImagePreprocessor(OpenAi).Preprocess("not an image"u8, new float[3 * 224 * 224]);

        act.Should().Throw<ClipImageException>().WithMessage("cannot decode image*");
    }

    [Theory]
    [InlineData(250, 333, 80)] // Immich's thumbnail: 250 px on the short side, quality 80
    [InlineData(333, 250, 50)]
    [InlineData(160, 120, 95)] // enlarged
    public void Lossy_webp_gives_the_same_tensor_through_SkiaSharp_as_through_libvips(int width, int height, int quality)
    {
        // Both paths run libwebp on the same bytes; only the way to memory differs, so the tensors must agree exactly.
        var (viaSkia, viaLibvips) = BothDecoders(Encode(Pattern(width, height), width, height, img => img.WebpsaveBuffer(q: quality)));

        viaSkia.Should().Equal(viaLibvips);
        viaSkia.Distinct().Count().Should().BeGreaterThan(300, "the picture is not blank (at most 3 × 256 values exist)");
    }

    [Fact]
    public void A_transparent_webp_drops_its_alpha_through_SkiaSharp_as_through_libvips()
    {
        var rgb = Pattern(120, 90);
        var rgba = new byte[120 * 90 * 4];
        for (var p = 0; p < 120 * 90; p++)
        {
            rgb.AsSpan(p * 3, 3).CopyTo(rgba.AsSpan(p * 4, 3));
            rgba[(p * 4) + 3] = (byte)(p % 256); // alpha varies; the colour values must come through unchanged
        }

        using var image = Image.NewFromMemory(rgba, 120, 90, 4, Enums.BandFormat.Uchar);
        using var srgb = image.Copy(interpretation: Enums.Interpretation.Srgb);
        var (viaSkia, viaLibvips) = BothDecoders(srgb.WebpsaveBuffer(lossless: true, exact: true));

        viaSkia.Should().Equal(viaLibvips);
        viaSkia.Should().Equal(Tensor(Encode(rgb, 120, 90, img => img.WebpsaveBuffer(lossless: true))), "alpha is dropped without blending, as PIL's convert(\"RGB\") does");
    }

    [Fact]
    public void An_animated_webp_gives_its_first_frame_through_SkiaSharp_as_through_libvips()
    {
        // Two frames of 120 × 90 stacked: libvips writes them as an animated WebP when the image has a page height.
        var first = Pattern(120, 90);
        var second = first.Select(b => (byte)(255 - b)).ToArray();
        using var stacked = Image.NewFromMemory([.. first, .. second], 120, 180, 3, Enums.BandFormat.Uchar);
        using var srgb = stacked.Copy(interpretation: Enums.Interpretation.Srgb);
        using var animation = srgb.Mutate(m => m.Set(GValue.GIntType, "page-height", 90));
        var (viaSkia, viaLibvips) = BothDecoders(animation.WebpsaveBuffer(lossless: true));

        viaSkia.Should().Equal(viaLibvips);
        viaSkia.Should().Equal(Tensor(Encode(first, 120, 90, img => img.WebpsaveBuffer(lossless: true))));
    }

    [Theory]
    [InlineData(30)] // the headers only
    [InlineData(2)] // half the file
    public void A_truncated_webp_fails_with_a_clear_error(int keep)
    {
        var webp = Encode(Pattern(250, 333), 250, 333, img => img.WebpsaveBuffer(q: 80));
        var damaged = keep == 2 ? webp[..(webp.Length / 2)] : webp[..keep];

        SkiaWebPDecoder.IsWebP(damaged).Should().BeTrue("the container header is intact");
        SkiaWebPDecoder.TryDecode(damaged).Should().BeNull("an incomplete image is no decode");
        var act = () => new ClipImagePreprocessor(OpenAi).Preprocess(damaged, new float[3 * 224 * 224]);

        act.Should().Throw<ClipImageException>().WithMessage("cannot decode image*");
    }

    [Fact]
    public void A_webp_canvas_wider_than_webp_allows_fails_through_SkiaSharp_as_through_libvips()
    {
        // An animated WebP whose canvas (VP8X: 24-bit sizes) is 16384 × 1, one past the format's 16383 px limit, with a
        // single 1 × 1 frame. libvips refuses it ("bad image dimensions"); the same bytes must not become a tensor through
        // the other decoder. (At 23170 × 23170 the same 94-byte file makes SkiaSharp allocate and fill 2.1 GB.)
        var webp = AnimatedCanvas(16384, 1);

        var viaLibvips = () => new ClipImagePreprocessor(OpenAi, ClipWebPDecoder.Libvips).Preprocess(webp, new float[3 * 224 * 224]);
        var viaSkia = () => new ClipImagePreprocessor(OpenAi, ClipWebPDecoder.Skia).Preprocess(webp, new float[3 * 224 * 224]);

        viaLibvips.Should().Throw<ClipImageException>().WithMessage("cannot decode image*");
        viaSkia.Should().Throw<ClipImageException>().WithMessage("cannot decode image*")
            .Which.Message.Should().Contain("; ", "libvips' reason follows the operation that failed: {0}", viaSkia.Should().Throw<ClipImageException>().Which.Message);
    }

    /// <summary>An animated WebP with a <paramref name="width"/> × <paramref name="height"/> canvas and one 1 × 1 lossless frame at 0, 0.</summary>
    private static byte[] AnimatedCanvas(int width, int height)
    {
        using var pixel = Image.NewFromMemory(new byte[] { 200, 100, 50 }, 1, 1, 3, Enums.BandFormat.Uchar);
        var still = pixel.WebpsaveBuffer(lossless: true, keep: Enums.ForeignKeep.None);
        var vp8l = still[12..]; // the VP8L chunk after "RIFF" size "WEBP" (a simple-format lossless file holds nothing else)
        System.Text.Encoding.ASCII.GetString(vp8l, 0, 4).Should().Be("VP8L");

        static byte[] U24(int v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16)];
        static byte[] Chunk(string tag, byte[] data) =>
            [.. System.Text.Encoding.ASCII.GetBytes(tag), .. BitConverter.GetBytes(data.Length), .. data, .. (data.Length % 2 == 1 ? new byte[] { 0 } : [])];

        byte[] body =
        [
            .. "WEBP"u8.ToArray(),
            .. Chunk("VP8X", [0x02, 0, 0, 0, .. U24(width - 1), .. U24(height - 1)]),
            .. Chunk("ANIM", [0, 0, 0, 0, 0, 0]),
            .. Chunk("ANMF", [.. U24(0), .. U24(0), .. U24(0), .. U24(0), .. U24(100), 0, .. vp8l]),
        ];
        return [.. "RIFF"u8.ToArray(), .. BitConverter.GetBytes(body.Length), .. body];
    }

    /// <summary>The tensors of <paramref name="webp"/> through SkiaSharp and through libvips' own WebP loader.</summary>
    private static (float[] ViaSkia, float[] ViaLibvips) BothDecoders(byte[] webp)
    {
        SkiaWebPDecoder.Available.Should().BeTrue("SkiaSharp's native library ships for this platform");
        var pixels = SkiaWebPDecoder.TryDecode(webp);
        pixels.Should().NotBeNull("SkiaSharp decodes the whole image, so the first tensor comes through it");
        System.Runtime.InteropServices.Marshal.FreeHGlobal(pixels!.Pointer);
        var viaSkia = new float[3 * 224 * 224];
        var viaLibvips = new float[3 * 224 * 224];
        new ClipImagePreprocessor(OpenAi, ClipWebPDecoder.Skia).Preprocess(webp, viaSkia);
        new ClipImagePreprocessor(OpenAi, ClipWebPDecoder.Libvips).Preprocess(webp, viaLibvips);
        return (viaSkia, viaLibvips);
    }

    private static float[] Tensor(byte[] encoded)
    {
        var tensor = new float[3 * 224 * 224];
        new ClipImagePreprocessor(OpenAi).Preprocess(encoded, tensor);
        return tensor;
    }

    /// <summary>Smooth gradients, a sine and a sharp-edged rectangle (which pins the crop offset), RGB interleaved.</summary>
    internal static byte[] Pattern(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                var inBox = x > width / 3 && x < width / 2 && y > height / 4 && y < height / 2;
                pixels[i] = (byte)(inBox ? 250 : 128 + (int)(100 * Math.Sin((x / 13.0) + (y / 29.0))));
                pixels[i + 1] = (byte)(x * 255 / (width - 1));
                pixels[i + 2] = (byte)(inBox ? 10 : y * 255 / (height - 1));
            }
        }

        return pixels;
    }

    private static byte[] Encode(byte[] pixels, int width, int height, Func<Image, byte[]> save)
    {
        using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        return save(image);
    }

    /// <summary>The reference: separable cubic resampling in double, rounded to 8 bits once, cropped, normalised.</summary>
    internal static float[] Reference(byte[] pixels, int width, int height, ClipPreprocessConfig config)
    {
        var size = config.Size;
        var (outW, outH) = width < height
            ? (size, (int)((double)height / width * size))
            : ((int)((double)width / height * size), size);
        var horizontal = new double[outW * height * 3];
        var wx = Weights(width, outW);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < outW; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    double sum = 0;
                    foreach (var (source, weight) in wx[x])
                    {
                        sum += pixels[(((y * width) + source) * 3) + c] * weight;
                    }

                    horizontal[(((y * outW) + x) * 3) + c] = sum;
                }
            }
        }

        var wy = Weights(height, outH);
        var left = (outW - size) / 2;
        var top = (outH - size) / 2;
        var result = new float[3 * size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    double sum = 0;
                    foreach (var (source, weight) in wy[y + top])
                    {
                        sum += horizontal[(((source * outW) + x + left) * 3) + c] * weight;
                    }

                    var level = Math.Clamp(Math.Round(sum), 0, 255);
                    result[(c * size * size) + (y * size) + x] = (float)(((level / 255.0) - config.Mean[c]) / config.Std[c]);
                }
            }
        }

        return result;
    }

    private static List<(int Source, double Weight)>[] Weights(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var widen = Math.Max(scale, 1);
        var support = 2 * widen;
        var result = new List<(int, double)>[outSize];
        for (var i = 0; i < outSize; i++)
        {
            var centre = (i + 0.5) * scale;
            var from = Math.Max(0, (int)Math.Floor(centre - support));
            var to = Math.Min(inSize, (int)Math.Ceiling(centre + support));
            var taps = new List<(int, double)>();
            for (var s = from; s < to; s++)
            {
                var w = Cubic((s + 0.5 - centre) / widen);
                if (w != 0)
                {
                    taps.Add((s, w));
                }
            }

            var total = taps.Sum(t => t.Item2);
            result[i] = taps.Select(t => (t.Item1, t.Item2 / total)).ToList();
        }

        return result;
    }

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        return x < 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? ((((x - 5) * x) + 8) * x - 4) * a
            : 0;
    }
}
