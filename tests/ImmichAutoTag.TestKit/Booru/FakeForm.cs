using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>The fields and files of a <c>multipart/form-data</c> or <c>application/x-www-form-urlencoded</c> body.</summary>
public sealed class FakeForm
{
    private FakeForm(Dictionary<string, string> fields, Dictionary<string, byte[]> files)
    {
        Fields = fields;
        Files = files;
    }

    /// <summary>Text fields by name (the last value wins).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>File parts by field name.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>A text field, or null.</summary>
    public string? Field(string name) => Fields.TryGetValue(name, out var value) ? value : null;

    /// <summary>Reads the request's body; an empty form when it has none or an unknown type.</summary>
    public static FakeForm Read(BooruFakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var contentType = request.Header("Content-Type");
        if (contentType is null || request.Body.Length == 0 || !MediaTypeHeaderValue.TryParse(contentType, out var type))
        {
            return new FakeForm(fields, files);
        }

        if (type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (name, value) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(request.Body)))
            {
                fields[name] = value.ToString();
            }

            return new FakeForm(fields, files);
        }

        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (!type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(boundary))
        {
            return new FakeForm(fields, files);
        }

        // The body is in memory: reading it synchronously does no I/O.
        ReadMultipartAsync(request.Body, boundary, fields, files).GetAwaiter().GetResult();
        return new FakeForm(fields, files);
    }

    private static async Task ReadMultipartAsync(byte[] body, string boundary, Dictionary<string, string> fields, Dictionary<string, byte[]> files)
    {
        using var stream = new MemoryStream(body, writable: false);
        var reader = new MultipartReader(boundary, stream) { BodyLengthLimit = 64 * 1024 * 1024 };
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            using var part = new MemoryStream();
            await section.Body.CopyToAsync(part);
            if (disposition.FileName.HasValue || disposition.FileNameStar.HasValue)
            {
                files[name] = part.ToArray();
            }
            else
            {
                fields[name] = Encoding.UTF8.GetString(part.ToArray());
            }
        }
    }

    /// <summary>The lowercase hex MD5 of <paramref name="bytes"/> (how the fakes key their fixtures).</summary>
    public static string Md5(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
}
