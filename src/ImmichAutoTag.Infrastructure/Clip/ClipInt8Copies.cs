using System.Diagnostics;
using System.Globalization;
using ImmichAutoTag.Core.Enrichment.Clip;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// The int8 copies of image towers (<c>clip.precision: int8</c>), kept in the tool's own folder (Immich's model cache is
/// only read): one file per source model and quantisation scheme, <c>&lt;model id&gt;.int8-v&lt;scheme&gt;.onnx</c>,
/// where the model id carries the hash of Immich's <c>visual/model.onnx</c>. Made on the first run that needs the image
/// tower, reused afterwards; a copy of an older file or scheme of the same model is deleted when a new one is made.
/// </summary>
/// <param name="folder">Where the copies live (the state folder's <c>clip-int8/</c>).</param>
public sealed class ClipInt8Copies(string folder)
{
    /// <summary>The suffix of int8 model ids: embeddings of the copy are stored apart from those of the float model.</summary>
    public static string IdSuffix { get; } = string.Create(CultureInfo.InvariantCulture, $"+int8v{ClipModelQuantizer.Version}");

    private static readonly Lock Gate = new();

    /// <summary>The folder holding the copies.</summary>
    public string Folder { get; } = folder;

    /// <summary>The id embeddings of the int8 copy of the model <paramref name="source"/> are stored under.</summary>
    public static ClipModelId IdOf(ClipModelId source) => new(source.Value + IdSuffix);

    /// <summary>The copy's path for the model <paramref name="source"/> (whether or not it exists yet).</summary>
    public string PathOf(ClipModelId source) =>
        Path.Combine(Folder, string.Create(CultureInfo.InvariantCulture, $"{Safe(source.Value)}.int8-v{ClipModelQuantizer.Version}.onnx"));

    /// <summary>
    /// The path of the int8 copy of <paramref name="model"/>'s image tower, made now when it does not exist (about 7 s
    /// for ViT-B/32 on two cores; the whole float model is held in memory while it runs).
    /// </summary>
    /// <exception cref="ClipModelException">The source cannot be read or quantised, or the folder cannot be written (the message names the file).</exception>
    public string Ensure(ClipModelFolder model, ClipModelId source, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(logger);
        var path = PathOf(source);
        lock (Gate)
        {
            if (File.Exists(path))
            {
                logger.LogInformation("CLIP: int8 copy of {Model} reused: {Path}", source, path);
                return path;
            }

            var started = Stopwatch.GetTimestamp();
            ClipQuantizeResult result;
            try
            {
                Directory.CreateDirectory(Folder);
                result = ClipModelQuantizer.Quantize(model.SourceVisualModel, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ClipModelException($"{path}: cannot write the int8 copy of {model.SourceVisualModel} ({e.Message}).", e);
            }

            logger.LogInformation(
                "CLIP: int8 copy of {Model} quantised in {Seconds:0.0} s: {Nodes} matrix products ({Biases} with their bias folded in), {Convolutions} patch convolutions, {Weights} weights as int8, {Megabytes:0} MB at {Path}",
                source, Stopwatch.GetElapsedTime(started).TotalSeconds, result.Nodes, result.FoldedBiases, result.PatchConvolutions, result.Weights, new FileInfo(path).Length / 1e6, path);
            DeleteOthers(model.Name, path, logger);
            return path;
        }
    }

    private void DeleteOthers(string name, string keep, ILogger logger)
    {
        foreach (var other in Directory.EnumerateFiles(Folder, Safe(name) + "@*.int8-v*.onnx"))
        {
            if (!string.Equals(other, keep, StringComparison.Ordinal))
            {
                try
                {
                    File.Delete(other);
                    logger.LogInformation("CLIP: outdated int8 copy deleted: {Path}", other);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning("CLIP: outdated int8 copy {Path} could not be deleted: {Message}", other, e.Message);
                }
            }
        }
    }

    private static string Safe(string value) =>
        string.Concat(value.Select(c => Path.GetInvalidFileNameChars().Contains(c) || c == '*' || c == '?' ? '_' : c));
}
