using static ImmichAutoTag.TestKit.Clip.OnnxModelWriter;

namespace ImmichAutoTag.TestKit.Clip;

/// <summary>
/// A small "colour CLIP" for trying the <c>clip:</c> step without Immich's model cache (the demo's
/// <c>--clip-model-folder</c>), in Immich's layout: <c>&lt;root&gt;/clip/<see cref="Name"/>/</c>. The image tower
/// returns the mean of the normalised R, G and B planes (D = 3); the text tower maps the words <c>red</c>,
/// <c>green</c> and <c>blue</c> (single tokens of its small BPE vocabulary) to (1, −1, −1), (−1, 1, −1) and
/// (−1, −1, 1) and every other token to 0, averaged over the context. So the prompt "a red picture" scores highest
/// for a reddish thumbnail — the same prompts a real CLIP model understands. A few kilobytes, made in milliseconds.
/// </summary>
public static class ClipDemoModel
{
    /// <summary>The model's folder name under <c>clip/</c>.</summary>
    public const string Name = "colour-demo";

    /// <summary>Merges that make red, green and blue whole words (ids 512 + index; "red&lt;/w&gt;" is index 1).</summary>
    private static readonly string[] Merges = ["r e", "re d</w>", "g re", "gre e", "gree n</w>", "b l", "bl u", "blu e</w>"];

    private static readonly (int Merge, float[] Row)[] Colours =
    [
        (1, [1, -1, -1]),
        (4, [-1, 1, -1]),
        (7, [-1, -1, 1]),
    ];

    /// <summary>Writes the model under <paramref name="root"/> (the cache root) and returns the model folder.</summary>
    public static string Write(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var folder = Path.Combine(Path.GetFullPath(root), "clip", Name);
        Directory.CreateDirectory(Path.Combine(folder, "visual"));
        Directory.CreateDirectory(Path.Combine(folder, "textual"));
        new OnnxModelWriter()
            .Input("image", Float, "batch", 3, 224, 224)
            .FloatInitializer("w", [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
            .Node("ReduceMean", ["image"], ["means"], Attr.Ints("axes", 2, 3), Attr.Int("keepdims", 0))
            .Node("MatMul", ["means", "w"], ["embedding"])
            .Output("embedding", Float, "batch", 3)
            .Save(Path.Combine(folder, "visual", "model.onnx"));

        var vocabulary = 512 + Merges.Length + 2;
        var table = new float[vocabulary * 3];
        foreach (var (merge, row) in Colours)
        {
            row.CopyTo(table, (512 + merge) * 3);
        }

        new OnnxModelWriter()
            .Input("text", Int32Type, "batch", 77)
            .FloatInitializer("table", [vocabulary, 3], table)
            .Node("Gather", ["table", "text"], ["rows"], Attr.Int("axis", 0))
            .Node("ReduceMean", ["rows"], ["embedding"], Attr.Ints("axes", 1), Attr.Int("keepdims", 0))
            .Output("embedding", Float, "batch", 3)
            .Save(Path.Combine(folder, "textual", "model.onnx"));
        var tokenizer = Path.Combine(folder, "textual", "tokenizer.source.json");
        ClipTokenizerData.WriteTokenizerJson(tokenizer, Merges);
        ClipTestModels.WriteConfigs(folder, 3, 224, tokenizer);
        File.Delete(tokenizer);
        return folder;
    }
}
