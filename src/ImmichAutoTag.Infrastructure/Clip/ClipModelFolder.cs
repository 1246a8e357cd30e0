using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// A CLIP model as Immich's machine-learning service keeps it in its cache volume (<c>/cache</c> in the container,
/// <c>MACHINE_LEARNING_CACHE_FOLDER</c>): <c>clip/&lt;model name&gt;/</c> holding <c>config.json</c> (open_clip's
/// model config), <c>visual/model.onnx</c> + <c>visual/preprocess_cfg.json</c>, and <c>textual/model.onnx</c> +
/// <c>textual/tokenizer.json</c> + <c>textual/tokenizer_config.json</c>. Newer Immich releases pinned to a model
/// revision put the same files one level deeper, <c>clip/&lt;model name&gt;/&lt;revision&gt;/</c>; both are found.
/// Files are only read, never written.
/// </summary>
/// <param name="Name">The model name, Immich's folder name (for example <c>ViT-B-32__openai</c>).</param>
/// <param name="Directory">The folder holding <c>visual/</c> and <c>textual/</c>.</param>
public sealed record ClipModelFolder(string Name, string Directory)
{
    /// <summary>Immich's default CLIP model.</summary>
    public const string DefaultModelName = "ViT-B-32__openai";

    private readonly string? visualModel;

    /// <summary>
    /// The image tower loaded: <c>visual/model.onnx</c>, or another file with the same inputs and outputs (the int8
    /// copy in the tool's state folder) when set.
    /// </summary>
    public string VisualModel
    {
        get => visualModel ?? SourceVisualModel;
        init => visualModel = value;
    }

    /// <summary><c>visual/model.onnx</c>: Immich's image tower (the source of the model id and of an int8 copy).</summary>
    public string SourceVisualModel => Path.Combine(Directory, "visual", "model.onnx");

    /// <summary><c>visual/preprocess_cfg.json</c>: size, mean, std, interpolation, resize_mode (open_clip's preprocess config).</summary>
    public string PreprocessConfig => Path.Combine(Directory, "visual", "preprocess_cfg.json");

    /// <summary><c>textual/model.onnx</c>: the text tower.</summary>
    public string TextualModel => Path.Combine(Directory, "textual", "model.onnx");

    /// <summary><c>textual/tokenizer.json</c>: the Hugging Face tokenizer file (vocabulary, merges, pre-tokenizer).</summary>
    public string TokenizerFile => Path.Combine(Directory, "textual", "tokenizer.json");

    /// <summary><c>textual/tokenizer_config.json</c>: holds <c>pad_token</c>.</summary>
    public string TokenizerConfig => Path.Combine(Directory, "textual", "tokenizer_config.json");

    /// <summary><c>config.json</c> beside <c>visual/</c> (open_clip's model config: <c>embed_dim</c>, <c>text_cfg.context_length</c>, …).</summary>
    public string ModelConfig => Path.Combine(Directory, "config.json");

    /// <summary>
    /// Finds the model <paramref name="modelName"/> under <paramref name="folder"/>, which may be the model folder itself
    /// (holding <c>visual/model.onnx</c>), Immich's cache root (holding <c>clip/&lt;name&gt;/</c>) or its
    /// <c>clip/</c> folder; a single revision subfolder is followed.
    /// </summary>
    /// <exception cref="ClipModelException">Nothing matching was found; the message lists the places looked at.</exception>
    public static ClipModelFolder Locate(string folder, string modelName = DefaultModelName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        var root = Path.GetFullPath(folder);
        var candidates = new[] { root, Path.Combine(root, "clip", modelName), Path.Combine(root, modelName) };
        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "visual", "model.onnx")))
            {
                var name = candidate == root ? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) : modelName;
                return new ClipModelFolder(name, candidate);
            }

            if (System.IO.Directory.Exists(candidate) && candidate != root)
            {
                var revisions = System.IO.Directory.GetDirectories(candidate)
                    .Where(d => File.Exists(Path.Combine(d, "visual", "model.onnx")))
                    .ToArray();
                if (revisions.Length == 1)
                {
                    return new ClipModelFolder(modelName, revisions[0]);
                }

                if (revisions.Length > 1)
                {
                    throw new ClipModelException(
                        $"CLIP model '{modelName}' has several revisions in {candidate} ({string.Join(", ", revisions.Select(Path.GetFileName))}); point the model folder at one of them.");
                }
            }
        }

        var found = ModelsIn(root);
        var hint = found.Count > 0
            ? $"Models found in {root}: {string.Join(", ", found)}; set clip.model_name to one of them (Immich's smart search setting names the model it uses)."
            : "No CLIP model was found there either: mount Immich's model cache volume and point the model folder at it.";
        throw new ClipModelException(
            $"CLIP model '{modelName}' not found: no visual/model.onnx in {string.Join(", ", candidates)}. {hint}");
    }

    /// <summary>
    /// The names of the models in <paramref name="folder"/> laid out as <see cref="Locate"/> reads them: folders of
    /// <c>clip/</c> (or of the folder itself) holding <c>visual/model.onnx</c>, directly or in one revision subfolder.
    /// </summary>
    /// <returns>Model names, ordinal order; empty when the folder does not exist or holds none.</returns>
    public static IReadOnlyList<string> ModelsIn(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var parent in new[] { Path.Combine(folder, "clip"), folder })
        {
            if (!System.IO.Directory.Exists(parent))
            {
                continue;
            }

            try
            {
                foreach (var candidate in System.IO.Directory.EnumerateDirectories(parent))
                {
                    // The cache's own clip/ folder is listed through its models, not as one.
                    if (parent == folder && string.Equals(Path.GetFileName(candidate), "clip", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (File.Exists(Path.Combine(candidate, "visual", "model.onnx"))
                        || System.IO.Directory.EnumerateDirectories(candidate).Any(d => File.Exists(Path.Combine(d, "visual", "model.onnx"))))
                    {
                        names.Add(Path.GetFileName(candidate));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Listing is only a hint for the error message: an unreadable folder lists nothing.
            }
        }

        return [.. names];
    }

    /// <summary>Reads <c>visual/preprocess_cfg.json</c>.</summary>
    /// <exception cref="ClipModelException">The file is missing, not JSON, or a key is missing or invalid (named with the file).</exception>
    public ClipPreprocessConfig ReadPreprocessConfig()
    {
        using var doc = ReadJson(PreprocessConfig);
        var root = doc.RootElement;
        var sizeElement = Required(root, "size", PreprocessConfig);
        int size;
        if (sizeElement.ValueKind == JsonValueKind.Array)
        {
            var sizes = sizeElement.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            if (sizes.Length != 2 || sizes[0] != sizes[1])
            {
                throw new ClipModelException($"{PreprocessConfig}: key 'size' must be one number or two equal numbers (square input).");
            }

            size = sizes[0];
        }
        else
        {
            size = sizeElement.GetInt32();
        }

        var mean = Triple(root, "mean", PreprocessConfig);
        var std = Triple(root, "std", PreprocessConfig);
        if (std.Any(s => !(s > 0)))
        {
            throw new ClipModelException($"{PreprocessConfig}: key 'std' must hold three positive numbers.");
        }

        var interpolation = root.TryGetProperty("interpolation", out var i) ? i.GetString() ?? "bicubic" : "bicubic";
        var resizeMode = root.TryGetProperty("resize_mode", out var r) ? r.GetString() ?? "shortest" : "shortest";
        var config = new ClipPreprocessConfig(size, mean, std,
            interpolation.ToLowerInvariant() switch
            {
                "bicubic" => ClipInterpolation.Bicubic,
                "bilinear" => ClipInterpolation.Bilinear,
                _ => throw new ClipModelException($"{PreprocessConfig}: interpolation '{interpolation}' is not supported (bicubic, bilinear)."),
            },
            resizeMode.ToLowerInvariant() switch
            {
                "shortest" => ClipResizeMode.Shortest,
                "squash" => ClipResizeMode.Squash,
                _ => throw new ClipModelException($"{PreprocessConfig}: resize_mode '{resizeMode}' is not supported (shortest, squash)."),
            });
        return size is > 0 and <= 4096 ? config : throw new ClipModelException($"{PreprocessConfig}: key 'size' must lie in 1..4096.");
    }

    /// <summary>
    /// Reads <c>text_cfg.context_length</c> from <c>config.json</c> (77 when the file or key is absent, open_clip's
    /// default, as Immich does).
    /// </summary>
    public int ReadContextLength()
    {
        if (!File.Exists(ModelConfig))
        {
            return 77;
        }

        using var doc = ReadJson(ModelConfig);
        return doc.RootElement.TryGetProperty("text_cfg", out var text) && text.TryGetProperty("context_length", out var length)
            ? length.GetInt32() is var n and > 2 ? n : throw new ClipModelException($"{ModelConfig}: text_cfg.context_length must exceed 2.")
            : 77;
    }

    /// <summary>
    /// The id of this model: its name and the first 16 hex digits of SHA-256 over <c>visual/model.onnx</c> (reads the
    /// whole file once: about a second for ViT-B/32's 350 MB).
    /// </summary>
    public ClipModelId ComputeId()
    {
        using var stream = File.OpenRead(SourceVisualModel);
        var hash = SHA256.HashData(stream);
        return new ClipModelId(string.Create(CultureInfo.InvariantCulture, $"{Name}@{Convert.ToHexStringLower(hash)[..16]}"));
    }

    internal static JsonDocument ReadJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClipModelException($"{path}: cannot read ({e.Message}).", e);
        }
        catch (JsonException e)
        {
            throw new ClipModelException($"{path}: not valid JSON (line {e.LineNumber + 1}: {e.Message}).", e);
        }
    }

    private static JsonElement Required(JsonElement root, string key, string path) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var value)
            ? value
            : throw new ClipModelException($"{path}: key '{key}' is missing.");

    private static float[] Triple(JsonElement root, string key, string path)
    {
        var element = Required(root, key, path);
        float[] values = element.ValueKind switch
        {
            JsonValueKind.Array => element.EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            JsonValueKind.Number => [element.GetSingle(), element.GetSingle(), element.GetSingle()],
            _ => [],
        };
        return values.Length == 3 && values.All(float.IsFinite)
            ? values
            : throw new ClipModelException($"{path}: key '{key}' must hold three numbers (R, G, B).");
    }
}

/// <summary>How an image is brought to the model's square input (open_clip's <c>resize_mode</c>).</summary>
public enum ClipResizeMode
{
    /// <summary>Resize so the shortest side is the input size, then crop the centre square (CLIP's own preprocessing).</summary>
    Shortest,

    /// <summary>Resize both sides to the input size, ignoring the aspect ratio.</summary>
    Squash,
}

/// <summary>The resampling kernel (open_clip's <c>interpolation</c>).</summary>
public enum ClipInterpolation
{
    /// <summary>Cubic convolution (Catmull-Rom, a = −0.5), widened when shrinking, as PIL's BICUBIC.</summary>
    Bicubic,

    /// <summary>Linear, widened when shrinking.</summary>
    Bilinear,
}

/// <summary>The image preprocessing a CLIP model expects, from its <c>visual/preprocess_cfg.json</c>.</summary>
/// <param name="Size">Side of the square input in pixels (224 for ViT-B/32; key <c>size</c>).</param>
/// <param name="Mean">Per-channel mean (R, G, B) on the 0..1 scale (key <c>mean</c>; OpenAI's 0.48145466, 0.4578275, 0.40821073).</param>
/// <param name="Std">Per-channel standard deviation (R, G, B) (key <c>std</c>; OpenAI's 0.26862954, 0.26130258, 0.27577711).</param>
/// <param name="Interpolation">Key <c>interpolation</c>.</param>
/// <param name="ResizeMode">Key <c>resize_mode</c> (absent: shortest).</param>
public sealed record ClipPreprocessConfig(int Size, float[] Mean, float[] Std, ClipInterpolation Interpolation, ClipResizeMode ResizeMode);

/// <summary>A CLIP model folder or file is missing or malformed; the message names the file and key.</summary>
public sealed class ClipModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClipModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public ClipModelException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ClipModelException()
    {
    }
}
