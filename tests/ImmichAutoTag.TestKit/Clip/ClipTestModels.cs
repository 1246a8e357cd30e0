using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using static ImmichAutoTag.TestKit.Clip.OnnxModelWriter;

namespace ImmichAutoTag.TestKit.Clip;

/// <summary>The shape of a generated CLIP-architecture image tower (a Vision Transformer).</summary>
/// <param name="ImageSize">Input side, pixels.</param>
/// <param name="Patch">Patch side, pixels.</param>
/// <param name="Width">Transformer width.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="EmbedDim">Output embedding dimension D.</param>
public sealed record ClipVitSpec(int ImageSize, int Patch, int Width, int Layers, int Heads, int EmbedDim)
{
    /// <summary>OpenAI's ViT-B/32: 224 px, 32 px patches, width 768, 12 layers, 12 heads, D = 512 (88 M parameters).</summary>
    public static ClipVitSpec VitB32 { get; } = new(224, 32, 768, 12, 12, 512);

    /// <summary>The same graph, small enough for unit tests.</summary>
    public static ClipVitSpec Tiny { get; } = new(224, 32, 32, 2, 2, 16);

    /// <summary>Parameters (weights and biases) of the model.</summary>
    public long Parameters
    {
        get
        {
            long w = Width, grid = ImageSize / Patch, tokens = (grid * grid) + 1;
            var block = (4 * w) + (w * 3 * w) + (3 * w) + (w * w) + w + (w * 4 * w) + (4 * w) + (4 * w * w) + w;
            return (w * 3 * Patch * Patch) + w + (tokens * w) + (2 * w) + (Layers * block) + (2 * w) + (w * EmbedDim);
        }
    }
}

/// <summary>
/// Generated CLIP models for tests and the benchmark, in the layout of Immich's model cache: tiny towers whose outputs
/// can be computed by hand, and a random-weight Vision Transformer with ViT-B/32's architecture. Inputs and outputs are
/// named as in Immich's exports: image tower <c>image</c> float[N, 3, size, size] → <c>embedding</c> float[N, D];
/// text tower <c>text</c> int32[N, 77] → <c>embedding</c> float[N, D].
/// </summary>
public static class ClipTestModels
{
    /// <summary>OpenAI CLIP's normalisation constants (open_clip's OPENAI_DATASET_MEAN / _STD).</summary>
    public static readonly float[] OpenAiMean = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <inheritdoc cref="OpenAiMean"/>
    public static readonly float[] OpenAiStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Vocabulary size of CLIP's BPE tokenizer.</summary>
    public const int VocabularySize = 49408;

    /// <summary>
    /// The tiny image tower: per-channel mean of the input (ReduceMean over H, W) times <see cref="TinyVisualWeights"/>
    /// [3, D] plus <see cref="TinyVisualBias"/> [D]. <paramref name="fixedBatch"/> makes the batch dimension 1 (as
    /// Immich's exports), otherwise it is symbolic.
    /// </summary>
    public static void WriteTinyVisual(string path, int dimension, bool fixedBatch, int size = 224)
    {
        object batch = fixedBatch ? 1 : "batch";
        new OnnxModelWriter()
            .Input("image", Float, batch, 3, size, size)
            .FloatInitializer("w", [3, dimension], TinyVisualWeights(dimension))
            .FloatInitializer("b", [dimension], TinyVisualBias(dimension))
            .Node("ReduceMean", ["image"], ["means"], Attr.Ints("axes", 2, 3), Attr.Int("keepdims", 0))
            .Node("MatMul", ["means", "w"], ["projected"])
            .Node("Add", ["projected", "b"], ["embedding"])
            .Output("embedding", Float, batch, dimension)
            .Save(path);
    }

    /// <summary>Weights [3, D] of the tiny image tower (row-major).</summary>
    public static float[] TinyVisualWeights(int dimension) =>
        Enumerable.Range(0, 3 * dimension).Select(i => (float)Math.Sin((i * 0.7) + 0.3)).ToArray();

    /// <summary>Bias [D] of the tiny image tower.</summary>
    public static float[] TinyVisualBias(int dimension) =>
        Enumerable.Range(0, dimension).Select(i => (float)Math.Cos(i * 1.3) * 0.1f).ToArray();

    /// <summary>
    /// The tiny text tower: token ids [N, 77] → rows of an embedding table [<see cref="VocabularySize"/>, D]
    /// (<see cref="TinyTextRow"/>) → mean over the sequence.
    /// </summary>
    public static void WriteTinyTextual(string path, int dimension, bool fixedBatch, int contextLength = 77)
    {
        object batch = fixedBatch ? 1 : "batch";
        var row = 0;
        var column = 0;
        new OnnxModelWriter()
            .Input("text", Int32Type, batch, contextLength)
            .FloatInitializer("table", [VocabularySize, dimension], span =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = TinyTextRow(row, column, dimension);
                    if (++column == dimension)
                    {
                        (row, column) = (row + 1, 0);
                    }
                }
            })
            .Node("Gather", ["table", "text"], ["rows"], Attr.Int("axis", 0))
            .Node("ReduceMean", ["rows"], ["embedding"], Attr.Ints("axes", 1), Attr.Int("keepdims", 0))
            .Output("embedding", Float, batch, dimension)
            .Save(path);
    }

    /// <summary>Entry (token, column) of the tiny text tower's embedding table.</summary>
    public static float TinyTextRow(int token, int column, int dimension) =>
        (float)Math.Sin((token * 0.013) + (column * 0.9) + (dimension * 0.01));

    /// <summary>
    /// Writes a Vision Transformer image tower with CLIP's architecture (patch convolution, class token, positional
    /// embedding, pre-LayerNorm, <see cref="ClipVitSpec.Layers"/> blocks of multi-head self-attention and a QuickGELU
    /// MLP of width 4×, post-LayerNorm on the class token, projection to D, L2 normalisation) and random weights drawn
    /// from a fixed seed. ViT-B/32 makes a 350 MB file. Each linear layer is a <c>MatMul</c> followed by
    /// <c>Add(bias, product)</c>, the order <c>torch.onnx</c> writes for <c>nn.Linear</c> on a 3-D input.
    /// </summary>
    /// <param name="path">Where the model is written.</param>
    /// <param name="spec">Its shape.</param>
    /// <param name="seed">Seed of the random weights.</param>
    /// <param name="biasStd">Standard deviation of the random linear-layer biases; 0 (the default) makes them zero
    /// and leaves the weights drawn for a seed unchanged.</param>
    public static void WriteRandomVit(string path, ClipVitSpec spec, int seed = 1, float biasStd = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var random = new Xorshift((uint)seed);
        long w = spec.Width, heads = spec.Heads, headDim = w / heads, grid = spec.ImageSize / spec.Patch, tokens = (grid * grid) + 1;
        var m = new OnnxModelWriter()
            .Input("image", Float, "batch", 3, spec.ImageSize, spec.ImageSize)
            .Int64Initializer("shape_patches", [3], 0, w, -1)
            .Int64Initializer("shape_heads", [5], 0, 0, 3, heads, headDim)
            .Int64Initializer("shape_merge", [3], 0, 0, w)
            .Int64Initializer("cls_tail", [2], 1, w)
            .Int64Initializer("zero_1d", [1], 0)
            .Int64Initializer("one_1d", [1], 1)
            .Int64Initializer("i0", [], 0)
            .Int64Initializer("i1", [], 1)
            .Int64Initializer("i2", [], 2)
            .FloatInitializer("attn_scale", [], [(float)(1 / Math.Sqrt(headDim))])
            .FloatInitializer("gelu_k", [], [1.702f]);
        void Weights(string name, params long[] dims) => m.FloatInitializer(name, dims, s => random.Fill(s, 0.02f));
        void Ones(string name, long n) => m.FloatInitializer(name, [n], s => s.Fill(1f));
        void Zeros(string name, long n) => m.FloatInitializer(name, [n], s => s.Clear());
        void Bias(string name, long n)
        {
            if (biasStd > 0)
            {
                m.FloatInitializer(name, [n], s => random.Fill(s, biasStd));
            }
            else
            {
                Zeros(name, n);
            }
        }

        void LayerNorm(string input, string output, string prefix) =>
            m.Node("LayerNormalization", [input, prefix + "_g", prefix + "_b"], [output], Attr.Int("axis", -1), Attr.Single("epsilon", 1e-5f));

        Weights("patch_w", w, 3, spec.Patch, spec.Patch);
        Weights("cls", 1, 1, w);
        Weights("pos", tokens, w);
        Ones("ln_pre_g", w);
        Zeros("ln_pre_b", w);
        m.Node("Conv", ["image", "patch_w"], ["patches_grid"], Attr.Ints("kernel_shape", spec.Patch, spec.Patch), Attr.Ints("strides", spec.Patch, spec.Patch))
            .Node("Reshape", ["patches_grid", "shape_patches"], ["patches_cf"])
            .Node("Transpose", ["patches_cf"], ["patches"], Attr.Ints("perm", 0, 2, 1))
            .Node("Shape", ["image"], ["image_shape"])
            .Node("Slice", ["image_shape", "zero_1d", "one_1d", "zero_1d"], ["batch_1d"])
            .Node("Concat", ["batch_1d", "cls_tail"], ["cls_shape"], Attr.Int("axis", 0))
            .Node("Expand", ["cls", "cls_shape"], ["cls_batch"])
            .Node("Concat", ["cls_batch", "patches"], ["sequence"], Attr.Int("axis", 1))
            .Node("Add", ["sequence", "pos"], ["positioned"]);
        LayerNorm("positioned", "x0", "ln_pre");
        var x = "x0";
        for (var l = 0; l < spec.Layers; l++)
        {
            var p = "l" + l.ToString(CultureInfo.InvariantCulture);
            Ones(p + "_ln1_g", w);
            Zeros(p + "_ln1_b", w);
            Weights(p + "_qkv_w", w, 3 * w);
            Bias(p + "_qkv_b", 3 * w);
            Weights(p + "_out_w", w, w);
            Bias(p + "_out_b", w);
            Ones(p + "_ln2_g", w);
            Zeros(p + "_ln2_b", w);
            Weights(p + "_fc_w", w, 4 * w);
            Bias(p + "_fc_b", 4 * w);
            Weights(p + "_proj_w", 4 * w, w);
            Bias(p + "_proj_b", w);
            LayerNorm(x, p + "_h", p + "_ln1");
            m.Node("MatMul", [p + "_h", p + "_qkv_w"], [p + "_qkv0"])
                .Node("Add", [p + "_qkv_b", p + "_qkv0"], [p + "_qkv"])
                .Node("Reshape", [p + "_qkv", "shape_heads"], [p + "_qkv5"])
                .Node("Transpose", [p + "_qkv5"], [p + "_qkvt"], Attr.Ints("perm", 2, 0, 3, 1, 4))
                .Node("Gather", [p + "_qkvt", "i0"], [p + "_q"], Attr.Int("axis", 0))
                .Node("Gather", [p + "_qkvt", "i1"], [p + "_k"], Attr.Int("axis", 0))
                .Node("Gather", [p + "_qkvt", "i2"], [p + "_v"], Attr.Int("axis", 0))
                .Node("Transpose", [p + "_k"], [p + "_kt"], Attr.Ints("perm", 0, 1, 3, 2))
                .Node("MatMul", [p + "_q", p + "_kt"], [p + "_s0"])
                .Node("Mul", [p + "_s0", "attn_scale"], [p + "_s"])
                .Node("Softmax", [p + "_s"], [p + "_a"], Attr.Int("axis", -1))
                .Node("MatMul", [p + "_a", p + "_v"], [p + "_o4"])
                .Node("Transpose", [p + "_o4"], [p + "_o4t"], Attr.Ints("perm", 0, 2, 1, 3))
                .Node("Reshape", [p + "_o4t", "shape_merge"], [p + "_o3"])
                .Node("MatMul", [p + "_o3", p + "_out_w"], [p + "_o0"])
                .Node("Add", [p + "_out_b", p + "_o0"], [p + "_o"])
                .Node("Add", [x, p + "_o"], [p + "_x1"]);
            LayerNorm(p + "_x1", p + "_h2", p + "_ln2");
            m.Node("MatMul", [p + "_h2", p + "_fc_w"], [p + "_f0"])
                .Node("Add", [p + "_fc_b", p + "_f0"], [p + "_f"])
                .Node("Mul", [p + "_f", "gelu_k"], [p + "_fk"])
                .Node("Sigmoid", [p + "_fk"], [p + "_fs"])
                .Node("Mul", [p + "_f", p + "_fs"], [p + "_g"])
                .Node("MatMul", [p + "_g", p + "_proj_w"], [p + "_m0"])
                .Node("Add", [p + "_proj_b", p + "_m0"], [p + "_m"])
                .Node("Add", [p + "_x1", p + "_m"], [p + "_x2"]);
            x = p + "_x2";
        }

        Ones("ln_post_g", w);
        Zeros("ln_post_b", w);
        Weights("proj", w, spec.EmbedDim);
        m.Node("Gather", [x, "i0"], ["cls_out"], Attr.Int("axis", 1));
        LayerNorm("cls_out", "cls_norm", "ln_post");
        m.Node("MatMul", ["cls_norm", "proj"], ["features"])
            .Node("ReduceL2", ["features"], ["norm"], Attr.Ints("axes", 1), Attr.Int("keepdims", 1))
            .Node("Div", ["features", "norm"], ["embedding"])
            .Output("embedding", Float, "batch", spec.EmbedDim)
            .Save(path);
    }

    /// <summary>
    /// Writes a complete Immich-layout model folder <c>&lt;root&gt;/clip/&lt;name&gt;/</c> with the tiny towers,
    /// <c>config.json</c>, <c>visual/preprocess_cfg.json</c> (OpenAI's constants, bicubic, shortest) and, when
    /// <paramref name="tokenizerJson"/> is given, <c>textual/tokenizer.json</c> + <c>tokenizer_config.json</c>.
    /// Returns the model folder.
    /// </summary>
    public static string WriteTinyModelFolder(string root, string name, int dimension, bool fixedBatch, string? tokenizerJson)
    {
        var folder = Path.Combine(root, "clip", name);
        WriteTinyVisual(Path.Combine(folder, "visual", "model.onnx"), dimension, fixedBatch);
        WriteTinyTextual(Path.Combine(folder, "textual", "model.onnx"), dimension, fixedBatch);
        WriteConfigs(folder, dimension, 224, tokenizerJson);
        return folder;
    }

    /// <summary>
    /// A "colour CLIP" in Immich's cache layout under <c>&lt;root&gt;/clip/&lt;name&gt;/</c>, whose labels can be
    /// predicted: the image tower returns the mean normalised (R, G, B) of the input (D = 3, symbolic batch); the
    /// text tower (byte tokenizer, <see cref="ClipTokenizerData.WriteByteTokenizerJson"/>) maps the one-letter words <c>r</c>, <c>g</c>,
    /// <c>b</c> to (1, −1, −1), (−1, 1, −1), (−1, −1, 1) and every other token to 0, averaged over the context. So a
    /// red thumbnail scores highest for the prompt "r", a blue one for "b". Returns <paramref name="root"/>.
    /// </summary>
    public static string WriteColourModelFolder(string root, string name = "ViT-B-32__openai")
    {
        var folder = Path.Combine(root, "clip", name);
        Directory.CreateDirectory(Path.Combine(folder, "visual"));
        Directory.CreateDirectory(Path.Combine(folder, "textual"));
        new OnnxModelWriter()
            .Input("image", Float, "batch", 3, 224, 224)
            .FloatInitializer("w", [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
            .Node("ReduceMean", ["image"], ["means"], Attr.Ints("axes", 2, 3), Attr.Int("keepdims", 0))
            .Node("MatMul", ["means", "w"], ["embedding"])
            .Output("embedding", Float, "batch", 3)
            .Save(Path.Combine(folder, "visual", "model.onnx"));
        var table = new float[514 * 3];
        foreach (var (letter, row) in new[] { ('r', new float[] { 1, -1, -1 }), ('g', [-1, 1, -1]), ('b', [-1, -1, 1]) })
        {
            row.CopyTo(table, ClipTokenizerData.ByteTokenizerWordId(letter) * 3);
        }

        new OnnxModelWriter()
            .Input("text", Int32Type, "batch", 77)
            .FloatInitializer("table", [514, 3], table)
            .Node("Gather", ["table", "text"], ["rows"], Attr.Int("axis", 0))
            .Node("ReduceMean", ["rows"], ["embedding"], Attr.Ints("axes", 1), Attr.Int("keepdims", 0))
            .Output("embedding", Float, "batch", 3)
            .Save(Path.Combine(folder, "textual", "model.onnx"));
        var tokenizer = ClipTokenizerData.WriteByteTokenizerJson(Path.Combine(root, "byte-tokenizer.json"));
        WriteConfigs(folder, 3, 224, tokenizer);
        return root;
    }

    /// <summary>Writes <c>config.json</c>, <c>visual/preprocess_cfg.json</c> and the tokenizer files beside existing towers.</summary>
    public static void WriteConfigs(string folder, int dimension, int size, string? tokenizerJson)
    {
        Directory.CreateDirectory(Path.Combine(folder, "visual"));
        Directory.CreateDirectory(Path.Combine(folder, "textual"));
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new
        {
            embed_dim = dimension,
            vision_cfg = new { image_size = size, layers = 12, width = 768, patch_size = 32 },
            text_cfg = new { context_length = 77, vocab_size = VocabularySize, width = 512, heads = 8, layers = 12 },
        }));
        File.WriteAllText(Path.Combine(folder, "visual", "preprocess_cfg.json"), JsonSerializer.Serialize(new
        {
            size = new[] { size, size },
            mode = "RGB",
            mean = OpenAiMean,
            std = OpenAiStd,
            interpolation = "bicubic",
            resize_mode = "shortest",
            fill_color = 0,
        }));
        if (tokenizerJson is not null)
        {
            File.Copy(tokenizerJson, Path.Combine(folder, "textual", "tokenizer.json"), overwrite: true);
            File.WriteAllText(Path.Combine(folder, "textual", "tokenizer_config.json"),
                """{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "model_max_length": 77}""");
        }
    }

    private sealed class Xorshift(uint seed)
    {
        private uint state = seed == 0 ? 2463534242u : seed;

        /// <summary>Uniform values with standard deviation <paramref name="std"/>.</summary>
        public void Fill(Span<float> span, float std)
        {
            var scale = std * MathF.Sqrt(3f) * 2f / uint.MaxValue;
            var shift = std * MathF.Sqrt(3f);
            for (var i = 0; i < span.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                span[i] = (state * scale) - shift;
            }
        }
    }
}

/// <summary>
/// OpenAI CLIP's tokenizer data, read from <c>shared/clip/bpe_simple_vocab_16e6.txt.gz</c> beside the repository
/// (never copied into it), and a Hugging Face <c>tokenizer.json</c> built from it the standard way: the 256
/// byte-to-unicode symbols, the same with <c>&lt;/w&gt;</c>, the first 49152 − 258 merges joined, then
/// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> (49,408 ids).
/// </summary>
public static class ClipTokenizerData
{
    /// <summary>Overrides where the merge list is looked for.</summary>
    public const string PathVariable = "CLIP_BPE_VOCAB";

    /// <summary>CLIP_BPE_VOCAB, else the first <c>shared/clip/bpe_simple_vocab_16e6.txt.gz</c> above the repository root.</summary>
    public static string LocateMerges()
    {
        var overridden = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return File.Exists(overridden) ? overridden : throw new FileNotFoundException($"{PathVariable} points at a missing file.", overridden);
        }

        for (var dir = Directory.GetParent(Schema.OpenApiSpec.RepositoryRoot()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "clip", "bpe_simple_vocab_16e6.txt.gz");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"CLIP's merge list was not found in <repo root>/../shared/clip/ (set {PathVariable}).");
    }

    /// <summary>Writes the tokenizer.json to <paramref name="path"/> (about 2 MB) and returns the path.</summary>
    public static string WriteTokenizerJson(string path) => WriteTokenizerJson(path, ReadMerges(LocateMerges()).Take(49152 - 256 - 2).ToArray());

    /// <summary>
    /// A tokenizer.json of CLIP's construction without merges: every word becomes its byte symbols, the last with
    /// <c>&lt;/w&gt;</c>; 514 ids (512 symbols, start and end of text). Needs no external file.
    /// </summary>
    public static string WriteByteTokenizerJson(string path) => WriteTokenizerJson(path, []);

    /// <summary>The id a one-letter word (e.g. "r") gets from <see cref="WriteByteTokenizerJson"/>: its byte symbol with <c>&lt;/w&gt;</c>.</summary>
    public static int ByteTokenizerWordId(char letter) => 256 + ByteSymbols().IndexOf(letter.ToString());

    internal static string WriteTokenizerJson(string path, string[] merges)
    {
        var symbols = ByteSymbols();
        var vocab = new List<string>(symbols);
        vocab.AddRange(symbols.Select(s => s + "</w>"));
        vocab.AddRange(merges.Select(m => m.Replace(" ", string.Empty, StringComparison.Ordinal)));
        vocab.Add("<|startoftext|>");
        vocab.Add("<|endoftext|>");
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteStartArray("added_tokens");
        foreach (var (token, id) in new[] { ("<|startoftext|>", vocab.Count - 2), ("<|endoftext|>", vocab.Count - 1) })
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", token);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("normalizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("normalizers");
        json.WriteStartObject();
        json.WriteString("type", "NFC");
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "Lowercase");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+");
        json.WriteEndObject();
        json.WriteString("behavior", "Removed");
        json.WriteBoolean("invert", true);
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteString("continuing_subword_prefix", string.Empty);
        json.WriteString("end_of_word_suffix", "</w>");
        json.WriteString("unk_token", "<|endoftext|>");
        json.WriteStartObject("vocab");
        for (var i = 0; i < vocab.Count; i++)
        {
            json.WriteNumber(vocab[i], i);
        }

        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var merge in merges)
        {
            json.WriteStringValue(merge);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        return path;
    }

    private static IEnumerable<string> ReadMerges(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        _ = reader.ReadLine(); // version header
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    /// <summary>GPT-2's reversible byte → printable character table, in CLIP's vocabulary order.</summary>
    private static List<string> ByteSymbols()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToList();
        var symbols = printable.Select(b => ((char)b).ToString()).ToList();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!printable.Contains(b))
            {
                symbols.Add(((char)(256 + extra++)).ToString());
            }
        }

        return symbols;
    }
}
