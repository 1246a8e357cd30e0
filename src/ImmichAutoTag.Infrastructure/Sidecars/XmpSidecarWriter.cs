using ImmichAutoTag.Core.Ports;
using XmpCore;

namespace ImmichAutoTag.Infrastructure.Sidecars;

/// <summary>
/// <see cref="ISidecarWriter"/> on the local file system. The sidecar is the one Immich reads: <c>&lt;file&gt;.xmp</c>
/// (e.g. <c>IMG_1.jpg.xmp</c>) when it exists, else an existing <c>&lt;name&gt;.xmp</c> (<c>IMG_1.xmp</c>), else a new
/// <c>&lt;file&gt;.xmp</c>. The new content is written to a temporary file in the same folder and renamed over the
/// sidecar, so a reader sees the old or the new sidecar, never half of one. Before the rename the result is parsed
/// again and every property other than the three tag properties must equal the original's; otherwise nothing is
/// written. The original file is only looked at (it must exist, so a wrong mapping creates no stray sidecars).
/// </summary>
public sealed class XmpSidecarWriter : ISidecarWriter
{
    /// <summary>The sidecar Immich reads for <paramref name="originalFile"/>: an existing one, else <c>&lt;file&gt;.xmp</c>.</summary>
    public static string SidecarOf(string originalFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(originalFile);
        var full = originalFile + ".xmp";
        if (File.Exists(full))
        {
            return full;
        }

        var named = Path.ChangeExtension(originalFile, ".xmp");
        return !string.Equals(named, originalFile, StringComparison.Ordinal) && File.Exists(named) ? named : full;
    }

    /// <inheritdoc/>
    public string SidecarFor(string originalFile) => SidecarOf(originalFile);

    /// <inheritdoc/>
    public async Task<SidecarWriteResult> WriteAsync(SidecarEdit edit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(edit);
        if (!File.Exists(edit.OriginalFile))
        {
            return new SidecarWriteResult(null, false, $"the original {edit.OriginalFile} is not there (check sidecars.path_mappings: the tool must see the library's files)");
        }

        var sidecar = SidecarOf(edit.OriginalFile);
        if (string.Equals(Path.GetFullPath(sidecar), Path.GetFullPath(edit.OriginalFile), StringComparison.Ordinal))
        {
            return new SidecarWriteResult(null, false, $"{edit.OriginalFile} is itself an .xmp file; it is never written");
        }

        try
        {
            XmpTagDocument document;
            IReadOnlyList<string> before;
            var existed = File.Exists(sidecar);
            if (existed)
            {
                document = XmpTagDocument.Parse(await File.ReadAllBytesAsync(sidecar, ct).ConfigureAwait(false));
                before = document.OtherProperties();
            }
            else
            {
                document = XmpTagDocument.Create();
                before = [];
            }

            if (!document.Apply(edit.Add, edit.Remove, edit.Seed))
            {
                return new SidecarWriteResult(sidecar, false, null);
            }

            if (existed && edit.Created is { } created && IsSameFile(created.Sidecar, sidecar) && before.Count == 0 && document.HoldsOnly(created.Seed))
            {
                // The undone run created this sidecar and nothing else was put into it since: without it, Immich reads
                // the original alone again, as before that run (the tags left equal the original's then).
                File.Delete(sidecar);
                return new SidecarWriteResult(sidecar, true, null) { Deleted = true };
            }

            var bytes = document.Serialize();
            var after = XmpTagDocument.Parse(bytes).OtherProperties();
            if (!before.SequenceEqual(after, StringComparer.Ordinal))
            {
                return new SidecarWriteResult(sidecar, false, $"{sidecar}: the merged sidecar would not keep every other property as it was; left unchanged");
            }

            await WriteAtomicallyAsync(sidecar, bytes, ct).ConfigureAwait(false);
            return new SidecarWriteResult(sidecar, true, null) { Created = !existed };
        }
        catch (XmpException e)
        {
            return new SidecarWriteResult(sidecar, false, $"{sidecar}: not readable XMP ({e.Message}); left unchanged");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SidecarWriteResult(sidecar, false, $"{sidecar}: cannot be written ({e.Message}); the tool needs write access to the library folder");
        }
    }

    private static bool IsSameFile(string a, string b) => string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);

    private static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
