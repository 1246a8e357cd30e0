using System.Runtime.InteropServices;
using SkiaSharp;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// Decodes WebP bytes (Immich's default thumbnail format) with libwebp through SkiaSharp, into native memory that
/// libvips then wraps without a copy. libvips' own WebP loader hands the decoded frame on one line at a time through
/// its sequential line cache, and that per-line bookkeeping costs three to four times the decode itself on a
/// thumbnail (measured with the benchmark's 250 px thumbnails: about 11 CPU ms through libvips against about 3 ms
/// here; docs/clip.md). The pixels are libwebp's either way (the same fancy upsampling of the same YUV 4:2:0 data);
/// only the path to memory differs. Thread-safe: every call has its own codec.
/// </summary>
internal static class SkiaWebPDecoder
{
    // "RIFF" <4-byte size> "WEBP": the container header every WebP file starts with.
    private static ReadOnlySpan<byte> Riff => "RIFF"u8;

    private static ReadOnlySpan<byte> WebP => "WEBP"u8;

    // The WebP format's largest width or height (14-bit sizes in VP8L, 16383 in libwebp's own checks).
    private const int MaxSide = 16383;

    private static readonly Lazy<string?> LoadFailure = new(CanLoad);

    /// <summary>
    /// Whether SkiaSharp's native library loads on this platform. False where it does not (the tool package carries it
    /// for linux-x64 and linux-arm64 only); WebP then goes through libvips' loader as any other format.
    /// </summary>
    public static bool Available => LoadFailure.Value is null;

    /// <summary>
    /// What decodes WebP in this process, for logs and the benchmark: "SkiaSharp 3.119.4 (libwebp)", or "libvips
    /// (SkiaSharp's native library did not load: DllNotFoundException)" where it does not load.
    /// </summary>
    public static string Decoder => Available
        ? $"SkiaSharp {System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(SKCodec).Assembly)?.InformationalVersion.Split('+')[0]} (libwebp)"
        : $"libvips (SkiaSharp's native library did not load: {LoadFailure.Value})";

    /// <summary>Whether <paramref name="encoded"/> starts with the RIFF/WEBP container header.</summary>
    public static bool IsWebP(ReadOnlySpan<byte> encoded) =>
        encoded.Length >= 12 && encoded[..4].SequenceEqual(Riff) && encoded.Slice(8, 4).SequenceEqual(WebP);

    /// <summary>
    /// Decodes the first frame of a WebP image to 8-bit RGBA, not premultiplied, without a colour transform (libvips'
    /// loader applies none either; an embedded ICC profile is ignored on both paths).
    /// </summary>
    /// <returns>
    /// The pixels (width × height × 4 bytes, rows packed) in memory from <see cref="Marshal.AllocHGlobal(nint)"/> that the
    /// caller frees with <see cref="Marshal.FreeHGlobal"/>; or null when SkiaSharp cannot decode the bytes completely
    /// (not WebP, truncated, damaged, or wider or taller than WebP's 16383 px): the caller then lets libvips try, whose
    /// error then reaches the user.
    /// </returns>
    public static DecodedPixels? TryDecode(byte[] encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Webp)
        {
            return null;
        }

        // WebP allows 16383 px a side, and libvips' loader refuses more; SkiaSharp would decode a hand-made animated
        // WebP with a larger canvas (a 94-byte file can ask for gigabytes), so such a file gets libvips' error too.
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide)
        {
            return null;
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = Marshal.AllocHGlobal(info.BytesSize);
        try
        {
            // Anything short of a whole image (IncompleteInput leaves the missing rows blank) is no decode.
            if (codec.GetPixels(info, pixels) != SKCodecResult.Success)
            {
                Marshal.FreeHGlobal(pixels);
                return null;
            }
        }
        catch
        {
            Marshal.FreeHGlobal(pixels);
            throw;
        }

        return new DecodedPixels(pixels, (ulong)info.BytesSize, width, height);
    }

    // Null when the native library loads, else the name of the exception that says why not.
    private static string? CanLoad()
    {
        try
        {
            return SkiaSharpVersion.Native.Major > 0 ? null : "no native version";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>Decoded RGBA pixels in native memory, <paramref name="Length"/> bytes.</summary>
    internal sealed record DecodedPixels(nint Pointer, ulong Length, int Width, int Height);
}
