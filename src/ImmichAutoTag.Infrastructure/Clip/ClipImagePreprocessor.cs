using NetVips;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// Turns encoded image bytes (Immich's thumbnail: WebP or JPEG; PNG and the other formats libvips reads also work)
/// into a CLIP input tensor slice, the way Immich's machine-learning service prepares an image for its visual model:
/// decode, convert to sRGB and drop alpha (PIL's <c>convert("RGB")</c>), resize the shortest side to
/// <see cref="ClipPreprocessConfig.Size"/> (the longer side becomes ⌊long/short·size⌋), crop the centre square at
/// ⌊(side − size)/2⌋, scale to 0..1 and normalise each channel with the config's mean and std. No EXIF rotation:
/// Immich's thumbnails are already upright. Uses libvips (NetVips), the library Immich's server makes the
/// thumbnails with; WebP bytes are decoded by libwebp through SkiaSharp (<see cref="SkiaWebPDecoder"/>: libvips' WebP
/// loader costs several times the decode on a thumbnail) and resized by libvips like any other image. Thread-safe.
/// </summary>
public sealed class ClipImagePreprocessor(ClipPreprocessConfig config)
{
    private readonly ClipWebPDecoder decoder = ClipWebPDecoder.Skia;

    /// <summary>Creates a preprocessor whose WebP images go through <paramref name="webPDecoder"/> (tests compare the two).</summary>
    internal ClipImagePreprocessor(ClipPreprocessConfig config, ClipWebPDecoder webPDecoder)
        : this(config)
    {
        decoder = webPDecoder;
    }

    // libvips runs each image's pipeline on one thread (process-wide; libvips' own VIPS_CONCURRENCY variable still
    // wins): thumbnails are small, the CLIP pipeline decodes several at once between model calls, and libvips' worker
    // threads would only add threads to cores the model uses. The process uses libvips for nothing else.
    // libvips' operation cache is off: every thumbnail is a new image, so no cached operation is ever reused, and the
    // cache would keep up to 100 operations (with their decoded images) alive and trim its lists on every call
    // (about 0.4 CPU ms per thumbnail, measured with the benchmark's thumbnails).
    static ClipImagePreprocessor()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("VIPS_CONCURRENCY")))
        {
            NetVips.NetVips.Concurrency = 1;
        }

        Cache.Max = 0;
    }

    /// <summary>Floats one image occupies: 3 × size × size.</summary>
    public int TensorLength => 3 * config.Size * config.Size;

    /// <summary>The configuration in use.</summary>
    public ClipPreprocessConfig Config => config;

    /// <summary>
    /// Writes the planar (channel-major: R plane, G plane, B plane, each row-major) normalised values of
    /// <paramref name="encoded"/> into <paramref name="destination"/>, which holds <see cref="TensorLength"/> floats:
    /// one <c>[3, size, size]</c> slice of the model's <c>[N, 3, size, size]</c> input.
    /// </summary>
    /// <exception cref="ClipImageException">The bytes are not an image libvips can decode.</exception>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination) => Decode(encoded.ToArray(), destination);

    /// <inheritdoc cref="Preprocess(ReadOnlySpan{byte}, Span{float})"/>
    /// <remarks>Bytes that are a whole array (a downloaded thumbnail) go to libvips without a copy.</remarks>
    public void Preprocess(ReadOnlyMemory<byte> encoded, Span<float> destination) =>
        Decode(
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray(encoded, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : encoded.ToArray(),
            destination);

    private void Decode(byte[] encoded, Span<float> destination)
    {
        if (destination.Length < TensorLength)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; {TensorLength} needed.", nameof(destination));
        }

        // libvips renders into a native buffer (size × size × 3 bytes, freed below) whose bytes are read through a
        // pooled array: a fresh managed array per image would be a large-object-heap allocation (150 KB at 224 px),
        // zeroed and later collected with gen 2.
        var pixels = IntPtr.Zero;
        try
        {
            ulong length;
            try
            {
                // Random access: libvips decodes the thumbnail into memory once and the resize reads it from there.
                // Sequential access would put a line cache (with its locks) between the decoder and the resize,
                // which costs more than it saves on an image of a few hundred pixels a side (about 1.5 CPU ms per
                // thumbnail with the benchmark's thumbnails). Steps that would not change the pixels are skipped,
                // so the usual thumbnail (3-band 8-bit sRGB) goes straight from the decoder to the resize.
                var webp = decoder == ClipWebPDecoder.Skia && SkiaWebPDecoder.IsWebP(encoded) && SkiaWebPDecoder.Available
                    ? SkiaWebPDecoder.TryDecode(encoded)
                    : null;
                try
                {
                    using var decoded = webp is null
                        ? Image.NewFromBuffer(encoded, access: Enums.Access.Random, failOn: Enums.FailOn.Error)
                        : WrapRgb(webp);
                    var rgb = ToRgb8(decoded);
                    try
                    {
                        using var sized = Resize(rgb);
                        pixels = sized.WriteToMemory(out length);
                    }
                    finally
                    {
                        DisposeIfNew(rgb, decoded);
                    }
                }
                finally
                {
                    // libvips read the decoded pixels in WriteToMemory above; with its operation cache off no image
                    // refers to them after the images are disposed.
                    if (webp is not null)
                    {
                        System.Runtime.InteropServices.Marshal.FreeHGlobal(webp.Pointer);
                    }
                }
            }
            catch (VipsException e)
            {
                throw new ClipImageException($"cannot decode image: {OneLine(e.Message)}", e);
            }

            var size = config.Size;
            var plane = size * size;
            if (pixels == IntPtr.Zero || length < (ulong)(3 * plane))
            {
                throw new ClipImageException($"cannot decode image: libvips rendered {length} bytes, {3 * plane} expected.");
            }

            var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(3 * plane);
            try
            {
                System.Runtime.InteropServices.Marshal.Copy(pixels, bytes, 0, 3 * plane);
                Normalise(bytes.AsSpan(0, 3 * plane), destination, plane);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        finally
        {
            if (pixels != IntPtr.Zero)
            {
                NetVips.NetVips.Free(pixels);
            }
        }
    }

    private void Normalise(ReadOnlySpan<byte> pixels, Span<float> destination, int plane)
    {
        Span<float> scale = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            scale[c] = 1f / (255f * config.Std[c]);
            offset[c] = config.Mean[c] / config.Std[c];
        }

        for (var p = 0; p < plane; p++)
        {
            destination[p] = (pixels[3 * p] * scale[0]) - offset[0];
            destination[plane + p] = (pixels[(3 * p) + 1] * scale[1]) - offset[1];
            destination[(2 * plane) + p] = (pixels[(3 * p) + 2] * scale[2]) - offset[2];
        }
    }

    // The RGBA pixels SkiaSharp decoded, as a 3-band sRGB libvips image over the same memory (alpha dropped, as the
    // libvips path and PIL's convert("RGB") drop it).
    private static Image WrapRgb(SkiaWebPDecoder.DecodedPixels webp)
    {
        using var rgba = Image.NewFromMemory(webp.Pointer, webp.Length, webp.Width, webp.Height, 4, Enums.BandFormat.Uchar);
        return rgba.ExtractBand(0, n: 3);
    }

    // Returns the image itself when it already is 3-band 8-bit sRGB (Immich's thumbnails are), otherwise a new image.
    private static Image ToRgb8(Image image)
    {
        if ((image.Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Rgb) && image.Bands == 3 && image.Format == Enums.BandFormat.Uchar)
        {
            return image;
        }

        var srgb = image.Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Rgb
            ? image.Copy()
            : image.Colourspace(Enums.Interpretation.Srgb);
        try
        {
            var three = srgb.Bands switch
            {
                >= 3 => srgb.ExtractBand(0, n: 3),
                1 => srgb.Bandjoin(srgb, srgb),
                _ => srgb.ExtractBand(0).Bandjoin(srgb.ExtractBand(0), srgb.ExtractBand(0)),
            };
            if (three.Format == Enums.BandFormat.Uchar)
            {
                return three;
            }

            using (three)
            {
                return three.Cast(Enums.BandFormat.Uchar);
            }
        }
        finally
        {
            srgb.Dispose();
        }
    }

    private Image Resize(Image image)
    {
        var size = config.Size;
        int width, height;
        if (config.ResizeMode == ClipResizeMode.Squash)
        {
            (width, height) = (size, size);
        }
        else if (image.Width < image.Height)
        {
            (width, height) = (size, (int)((double)image.Height / image.Width * size));
        }
        else
        {
            (width, height) = ((int)((double)image.Width / image.Height * size), size);
        }

        using var resized = ScaleAxis(image, width, horizontal: true);
        using var scaled = ScaleAxis(resized, height, horizontal: false);
        var left = (scaled.Width - size) / 2;
        var top = (scaled.Height - size) / 2;
        return scaled.Crop(left, top, size, size);
    }

    // One axis at a time, as PIL does: shrinking convolves with the kernel widened by the shrink factor over the whole
    // shrink (gap 0: no box pre-shrink); enlarging interpolates with the kernel itself, pixel centres aligned
    // (output x + ½ = scale · (input x + ½)), edges extended.
    private Image ScaleAxis(Image image, int target, bool horizontal)
    {
        var from = horizontal ? image.Width : image.Height;
        if (target == from)
        {
            return image.Copy();
        }

        var kernel = config.Interpolation == ClipInterpolation.Bicubic ? Enums.Kernel.Cubic : Enums.Kernel.Linear;
        if (target < from)
        {
            var shrink = (double)from / target;
            return horizontal ? image.Reduceh(shrink, kernel: kernel, gap: 0) : image.Reducev(shrink, kernel: kernel, gap: 0);
        }

        var scale = (double)target / from;
        using var interpolate = Interpolate.NewFromName(config.Interpolation == ClipInterpolation.Bicubic ? "bicubic" : "bilinear");
        return horizontal
            ? image.Affine([scale, 0, 0, 1], interpolate: interpolate, oarea: [0, 0, target, image.Height], odx: -0.5, idx: 0.5, extend: Enums.Extend.Copy)
            : image.Affine([1, 0, 0, scale], interpolate: interpolate, oarea: [0, 0, image.Width, target], ody: -0.5, idy: 0.5, extend: Enums.Extend.Copy);
    }

    private static void DisposeIfNew(Image image, Image source)
    {
        if (!ReferenceEquals(image, source))
        {
            image.Dispose();
        }
    }

    // libvips' message starts with the operation that failed ("unable to call VipsForeignLoadWebpBuffer") and names the
    // fault on the lines after it ("webp: unable to parse image", "bad image dimensions"): all of them, on one line.
    private static string OneLine(string message) =>
        string.Join("; ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)) is { Length: > 0 } joined ? joined : message;
}

/// <summary>An image could not be decoded or preprocessed; only that image is affected.</summary>
public sealed class ClipImageException : Exception
{
    /// <summary>Creates the exception with its cause.</summary>
    public ClipImageException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ClipImageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ClipImageException()
    {
    }
}

/// <summary>Which library turns WebP bytes into pixels.</summary>
internal enum ClipWebPDecoder
{
    /// <summary>libwebp through SkiaSharp (<see cref="SkiaWebPDecoder"/>), libvips when SkiaSharp cannot load or decode.</summary>
    Skia,

    /// <summary>libvips' own WebP loader.</summary>
    Libvips,
}
