namespace ImmichAutoTag.Core.Configuration;

/// <summary>
/// CLIP style labels (<c>clip:</c>): a local CLIP model from Immich's machine-learning cache scores each selected
/// asset's thumbnail against a label set; the chosen label becomes the tag <c>&lt;tag root&gt;/&lt;label&gt;</c>, which
/// the tool owns (a label from an earlier model or label set is removed and replaced).
/// </summary>
public sealed record ClipConfig
{
    /// <summary>Immich's default CLIP model, the folder name under <c>clip/</c> in its cache.</summary>
    public const string DefaultModelName = "ViT-B-32__openai";

    /// <summary>Where labels go: <c>autotag_clip/style/&lt;label&gt;</c>.</summary>
    public const string DefaultTagRoot = "autotag_clip/style";

    /// <summary>Whether the step runs; false (the default) sends no thumbnail request and loads no model.</summary>
    public bool Enabled { get; init; }

    /// <summary>Where Immich's machine-learning container mounts its model cache.</summary>
    public const string DefaultModelFolder = "/cache";

    /// <summary>Immich's model cache as mounted (its root, its <c>clip/</c> folder or the model folder itself).</summary>
    public string ModelFolder { get; init; } = DefaultModelFolder;

    /// <summary>The model's folder name in the cache, e.g. <c>ViT-B-32__openai</c>.</summary>
    public string ModelName { get; init; } = DefaultModelName;

    /// <summary>Label tags are <c>TagRoot/&lt;label&gt;</c>; every tag below the root belongs to the tool.</summary>
    public string TagRoot { get; init; } = DefaultTagRoot;

    /// <summary>The label set, in order; the default is <see cref="DefaultLabels"/>.</summary>
    public IReadOnlyList<ClipLabelConfig> Labels { get; init; } = DefaultLabels;

    /// <summary>Smallest softmax probability, in percent (0–100), of the label that is taken.</summary>
    public int MinProbabilityPercent { get; init; } = 50;

    /// <summary>Smallest lead, in percentage points, of the best label over the runner-up.</summary>
    public int MinMarginPercent { get; init; } = 10;

    /// <summary>Only assets some rule matches are labelled; empty: every asset of the selected media types.</summary>
    public IReadOnlyList<RuleConfig> Rules { get; init; } = [];

    /// <summary>Immich asset types labelled, <c>image</c> and/or <c>video</c> (a video is judged by its thumbnail).</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = ["image", "video"];

    /// <summary>Images per model call (a model exported with a fixed batch of 1 runs one at a time anyway).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Threads ONNX Runtime uses inside one model call.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>
    /// Numeric precision of the image tower: <see cref="ClipPrecision.Fp32"/> runs Immich's file as it is;
    /// <see cref="ClipPrecision.Int8"/> runs an int8 copy the tool makes once in its state folder (faster on CPU,
    /// embeddings slightly different, stored under their own model id).
    /// </summary>
    public ClipPrecision Precision { get; init; } = ClipPrecision.Fp32;

    /// <summary>The default label set: photo, anime/manga, 3D render, cartoon, painting, screenshot, document, meme.</summary>
    public static IReadOnlyList<ClipLabelConfig> DefaultLabels { get; } =
    [
        new("photo", ["a photo", "a photograph taken with a camera", "a snapshot"]),
        new("anime", ["an anime illustration", "a manga drawing", "anime art"]),
        new("3d_render", ["a 3D render", "a computer generated 3D image", "a CGI rendering"]),
        new("cartoon", ["a cartoon", "a comic drawing", "a cartoon illustration"]),
        new("painting", ["a painting", "a watercolor painting", "an oil painting"]),
        new("screenshot", ["a screenshot", "a screenshot of a phone screen", "a screenshot of a computer screen"]),
        new("document", ["a scanned document", "a photo of a document", "a page of text"]),
        new("meme", ["a meme", "an internet meme with text", "a funny meme image"]),
    ];
}

/// <summary>Numeric precision of the CLIP image tower (<c>clip.precision</c>).</summary>
public enum ClipPrecision
{
    /// <summary>32-bit floats: Immich's model file as it is.</summary>
    Fp32,

    /// <summary>
    /// int8 weights for the matrix products, activations quantised per call by ONNX Runtime (dynamic quantisation);
    /// the copy is made from Immich's file once and kept in the tool's state folder.
    /// </summary>
    Int8,
}

/// <summary>One label of <see cref="ClipConfig.Labels"/>: its name (the last part of the tag) and its prompts.</summary>
/// <param name="Name">Tag-safe name (no '/'), unique within the set.</param>
/// <param name="Prompts">Texts whose averaged embedding stands for the label.</param>
public sealed record ClipLabelConfig(string Name, IReadOnlyList<string> Prompts);
