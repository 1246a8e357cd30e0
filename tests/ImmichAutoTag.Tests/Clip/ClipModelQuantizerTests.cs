using Google.Protobuf;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit.Clip;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using NetVips;
using Onnx;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The int8 copy of an image tower (<c>clip.precision: int8</c>): which nodes become int8, that ONNX Runtime runs the
/// copy and its outputs stay close to the float model's, and that the copy is made once in its own folder.
/// </summary>
public sealed class ClipModelQuantizerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("immich-autotag-int8-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task The_int8_copy_of_a_ViT_image_tower_gives_embeddings_close_to_the_float_ones()
    {
        var folder = Path.Combine(root, "clip", "Vit__tiny");
        ClipTestModels.WriteRandomVit(Path.Combine(folder, "visual", "model.onnx"), ClipVitSpec.Tiny);
        ClipTestModels.WriteConfigs(folder, ClipVitSpec.Tiny.EmbedDim, ClipVitSpec.Tiny.ImageSize, tokenizerJson: null);
        var model = ClipModelFolder.Locate(root, "Vit__tiny");
        var copy = Path.Combine(root, "int8.onnx");

        var result = ClipModelQuantizer.Quantize(model.VisualModel, copy);

        // Per layer: QKV, attention output, two MLP matrices; plus the final projection. Attention's own products
        // (activation × activation) have no constant weight and stay float.
        result.Nodes.Should().Be((ClipVitSpec.Tiny.Layers * 4) + 1);
        // Every product of a layer is followed by its bias; the final projection has none.
        result.FoldedBiases.Should().Be(ClipVitSpec.Tiny.Layers * 4);
        var graph = ReadGraph(copy);
        graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Domain == "com.microsoft" && n.Input[0].EndsWith("_patches_rows", StringComparison.Ordinal) == false).Should().Be(result.Nodes);
        graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Input.Count == 5).Should().Be(result.FoldedBiases);
        // The patch embedding became one more int8 product over the unfolded patches.
        result.PatchConvolutions.Should().Be(1);
        graph.Node.Should().NotContain(n => n.OpType == "Conv");
        graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul").Should().Be(result.Nodes + 1);
        graph.Node.Where(n => n.OpType == "MatMul").Should().OnlyContain(n => !graph.Initializer.Any(i => i.Name == n.Input[1]));
        graph.Initializer.Where(i => i.DataType == 3).Sum(i => i.Dims.Aggregate(1L, (a, b) => a * b)).Should().BeGreaterThanOrEqualTo(result.Weights);
        // The tiny model's position embedding (float) outweighs its matrices; still smaller.
        new FileInfo(copy).Length.Should().BeLessThan(new FileInfo(model.VisualModel).Length);

        var images = Enumerable.Range(0, 6).Select(Thumbnail).ToArray();
        using var fp32 = new OnnxClipImageEncoder(model, new ClipRuntimeOptions(4, 1, UseCuda: false));
        using var int8 = new OnnxClipImageEncoder(model with { VisualModel = copy }, new ClipModelId("int8"), new ClipRuntimeOptions(4, 1, UseCuda: false));
        var a = await fp32.EncodeImagesAsync(images, CancellationToken.None);
        var b = await int8.EncodeImagesAsync(images, CancellationToken.None);

        for (var i = 0; i < images.Length; i++)
        {
            var cosine = a[i].Embedding!.Zip(b[i].Embedding!, (x, y) => (double)x * y).Sum();
            cosine.Should().BeGreaterThan(0.99, $"image {i}: int8 weights move the embedding only slightly");
            a[i].Embedding.Should().NotEqual(b[i].Embedding, "the int8 copy really runs (its rounding shows)");
        }
    }

    [Fact]
    public void A_Gemm_with_transposed_weight_and_bias_becomes_one_int8_product_with_the_same_result()
    {
        var random = new Random(3);
        var w = Enumerable.Range(0, 5 * 4).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray(); // [N=5, K=4], transB
        var c = Enumerable.Range(0, 5).Select(i => i * 0.25f).ToArray();
        var source = Path.Combine(root, "gemm.onnx");
        new OnnxModelWriter()
            .Input("x", OnnxModelWriter.Float, 2, 4)
            .FloatInitializer("w", [5, 4], w)
            .FloatInitializer("c", [5], c)
            .Node("Gemm", ["x", "w", "c"], ["y"], OnnxModelWriter.Attr.Int("transB", 1))
            .Output("y", OnnxModelWriter.Float, 2, 5)
            .Save(source);
        var copy = Path.Combine(root, "gemm-int8.onnx");

        ClipModelQuantizer.Quantize(source, copy).Should().Be(new ClipQuantizeResult(1, 1, 20, 0, 0));

        var graph = ReadGraph(copy);
        graph.Node.Should().ContainSingle().Which.OpType.Should().Be("DynamicQuantizeMatMul");
        graph.Node[0].Input.Should().Equal("x", "w_t_int8", "w_t_int8_scale", "w_t_int8_zero_point", "c");
        graph.Initializer.Select(i => i.Name).Should().NotContain("w", "the float weight is read by nothing any more");
        var x = new float[] { 0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 0f, -2f };
        var expected = new float[10];
        for (var row = 0; row < 2; row++)
        {
            for (var n = 0; n < 5; n++)
            {
                expected[(row * 5) + n] = c[n] + Enumerable.Range(0, 4).Sum(k => x[(row * 4) + k] * w[(n * 4) + k]);
            }
        }

        var actual = Run(copy, x);
        // Weights carry 7 bits and activations 8 per call: a few hundredths on values of about ±3.
        actual.Should().Equal(expected, (p, q) => Math.Abs(p - q) < 0.06);
        actual.Should().Equal(Run(source, x), (p, q) => Math.Abs(p - q) < 0.06);
    }

    [Fact]
    public void Folding_the_bias_adds_into_the_int8_products_removes_them_and_leaves_the_embeddings_as_they_were()
    {
        var source = Path.Combine(root, "vit-bias.onnx");
        ClipTestModels.WriteRandomVit(source, ClipVitSpec.Tiny, seed: 5, biasStd: 0.5f);
        var plain = Quantize(source, Path.Combine(root, "vit-bias-plain.onnx"), foldBiases: false);
        var folded = Quantize(source, Path.Combine(root, "vit-bias-folded.onnx"), foldBiases: true);

        plain.Result.FoldedBiases.Should().Be(0);
        folded.Result.Should().Be(plain.Result with { FoldedBiases = ClipVitSpec.Tiny.Layers * 4 });
        var plainAdds = plain.Graph.Node.Count(n => n.OpType == "Add");
        var foldedAdds = folded.Graph.Node.Where(n => n.OpType == "Add").ToList();
        foldedAdds.Should().HaveCount(plainAdds - (ClipVitSpec.Tiny.Layers * 4));
        // Left: the position embedding and the two residual sums of each layer, none reading a bias.
        foldedAdds.Should().HaveCount(1 + (ClipVitSpec.Tiny.Layers * 2));
        foldedAdds.SelectMany(n => n.Input).Should().NotContain(i => i.EndsWith("_b", StringComparison.Ordinal));
        folded.Graph.Node.Where(n => n.OpType == "DynamicQuantizeMatMul" && n.Input.Count == 5).Select(n => n.Input[4])
            .Should().BeEquivalentTo(Enumerable.Range(0, ClipVitSpec.Tiny.Layers).SelectMany(l => new[] { "qkv", "out", "fc", "proj" }.Select(b => $"l{l}_{b}_b")));

        var random = new Random(11);
        var image = Enumerable.Range(0, 2 * 3 * 224 * 224).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var withAdds = RunImage(plain.Path, image);
        var withBias = RunImage(folded.Path, image);
        // The same int8 weights and the same per-call activation quantisation: only float summation order may differ.
        withBias.Should().Equal(withAdds, (p, q) => Math.Abs(p - q) < 1e-4);
        RunImage(source, image).Should().NotEqual(withBias, "the copies really run int8 (its rounding shows)");
    }

    [Fact]
    public void Only_a_bias_add_that_alone_reads_the_product_and_holds_one_value_per_column_is_folded()
    {
        var random = new Random(7);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var source = Path.Combine(root, "adds.onnx");
        new OnnxModelWriter()
            .Input("x", OnnxModelWriter.Float, 2, 4)
            .FloatInitializer("w1", [4, 5], Values(20))
            .FloatInitializer("w2", [4, 5], Values(20))
            .FloatInitializer("w3", [4, 5], Values(20))
            .FloatInitializer("w4", [4, 5], Values(20))
            .FloatInitializer("b1", [5], Values(5))
            .FloatInitializer("b2", [5], Values(5))
            .FloatInitializer("b3", [1, 5], Values(5))
            .FloatInitializer("b4", [5], Values(5))
            // Folded: the bias first, as torch.onnx writes nn.Linear.
            .Node("MatMul", ["x", "w1"], ["p1"])
            .Node("Add", ["b1", "p1"], ["y1"])
            // Not folded: the product is also an output of its own.
            .Node("MatMul", ["x", "w2"], ["p2"])
            .Node("Add", ["p2", "b2"], ["y2"])
            // Not folded: a 2-D bias is not the operator's 1-D bias input.
            .Node("MatMul", ["x", "w3"], ["p3"])
            .Node("Add", ["p3", "b3"], ["y3"])
            // Not folded: the product is read by a second node.
            .Node("MatMul", ["x", "w4"], ["p4"])
            .Node("Add", ["p4", "b4"], ["y4"])
            .Node("Relu", ["p4"], ["r4"])
            .Output("y1", OnnxModelWriter.Float, 2, 5)
            .Output("p2", OnnxModelWriter.Float, 2, 5)
            .Output("y2", OnnxModelWriter.Float, 2, 5)
            .Output("y3", OnnxModelWriter.Float, 2, 5)
            .Output("y4", OnnxModelWriter.Float, 2, 5)
            .Output("r4", OnnxModelWriter.Float, 2, 5)
            .Save(source);
        var plain = Quantize(source, Path.Combine(root, "adds-plain.onnx"), foldBiases: false);
        var folded = Quantize(source, Path.Combine(root, "adds-folded.onnx"), foldBiases: true);

        folded.Result.Should().Be(new ClipQuantizeResult(4, 4, 80, 1, 0));
        folded.Graph.Node.Where(n => n.OpType == "Add").Select(n => n.Output[0]).Should().Equal("y2", "y3", "y4");
        var first = folded.Graph.Node.Single(n => n.OpType == "DynamicQuantizeMatMul" && n.Input[0] == "x" && n.Input[1] == "w1_int8");
        first.Input.Should().Equal("x", "w1_int8", "w1_int8_scale", "w1_int8_zero_point", "b1");
        first.Output.Should().Equal("y1");
        folded.Graph.Node.Where(n => n.OpType == "DynamicQuantizeMatMul" && n != first).Should().OnlyContain(n => n.Input.Count == 4);

        var x = new float[] { 0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 0f, -2f };
        string[] outputs = ["y1", "p2", "y2", "y3", "y4", "r4"];
        var expected = RunAll(plain.Path, x, outputs);
        var actual = RunAll(folded.Path, x, outputs);
        for (var i = 0; i < outputs.Length; i++)
        {
            actual[i].Should().Equal(expected[i], (p, q) => Math.Abs(p - q) < 1e-5, outputs[i]);
        }
    }

    [Fact]
    public void A_patch_convolution_becomes_an_int8_product_over_the_unfolded_patches_and_a_padded_one_stays()
    {
        var random = new Random(9);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var source = Path.Combine(root, "conv.onnx");
        new OnnxModelWriter()
            .Input("image", OnnxModelWriter.Float, "batch", 3, 8, 12)
            .FloatInitializer("pw", [5, 3, 4, 4], Values(5 * 3 * 4 * 4))
            .FloatInitializer("pb", [5], Values(5))
            .FloatInitializer("qw", [5, 3, 3, 3], Values(5 * 3 * 3 * 3))
            .FloatInitializer("m", [3, 2], Values(6))
            // A patch embedding: kernel = stride = 4, no padding, bias; output [N, 5, 2, 3].
            .Node("Conv", ["image", "pw", "pb"], ["patches"], OnnxModelWriter.Attr.Ints("kernel_shape", 4, 4), OnnxModelWriter.Attr.Ints("strides", 4, 4))
            // Not one: padded, stride 1.
            .Node("Conv", ["image", "qw"], ["features"], OnnxModelWriter.Attr.Ints("kernel_shape", 3, 3), OnnxModelWriter.Attr.Ints("pads", 1, 1, 1, 1))
            .Node("MatMul", ["patches", "m"], ["y"])
            .Output("patches", OnnxModelWriter.Float, "batch", 5, 2, 3)
            .Output("features", OnnxModelWriter.Float, "batch", 5, 8, 12)
            .Output("y", OnnxModelWriter.Float, "batch", 5, 2, 2)
            .Save(source);
        var copy = Path.Combine(root, "conv-int8.onnx");

        ClipModelQuantizer.Quantize(source, copy).Should().Be(new ClipQuantizeResult(1, 1, 6 + (5 * 48), 0, 1));

        var graph = ReadGraph(copy);
        graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Output[0]).Should().Equal("features");
        var product = graph.Node.Single(n => n.OpType == "DynamicQuantizeMatMul" && n.Input[1] == "pw_patches_int8");
        product.Input.Should().HaveCount(5).And.EndWith("pb");
        graph.Initializer.Select(i => i.Name).Should().NotContain("pw").And.Contain("qw");

        var image = Values(2 * 3 * 8 * 12);
        string[] outputs = ["patches", "features", "y"];
        var expected = RunAll(source, image, outputs, [2, 3, 8, 12], "image");
        var actual = RunAll(copy, image, outputs, [2, 3, 8, 12], "image");
        // The patches as the float convolution has them (same layout), within int8 rounding of sums of 48 products.
        actual[0].Should().Equal(expected[0], (p, q) => Math.Abs(p - q) < 0.12);
        actual[1].Should().Equal(expected[1], "the padded convolution is left as it was");
        actual[0].Should().NotEqual(expected[0], "the patch product really runs int8");
        actual[2].Should().Equal(expected[2], (p, q) => Math.Abs(p - q) < 0.12, "what reads the convolution's output reads the same layout");
    }

    [Fact]
    public void A_model_without_a_constant_weight_matrix_is_refused_with_its_path()
    {
        var source = Path.Combine(root, "none.onnx");
        new OnnxModelWriter()
            .Input("x", OnnxModelWriter.Float, 2, 4)
            .Node("Relu", ["x"], ["y"])
            .Output("y", OnnxModelWriter.Float, 2, 4)
            .Save(source);

        var act = () => ClipModelQuantizer.Quantize(source, Path.Combine(root, "none-int8.onnx"));

        act.Should().Throw<ClipModelException>().WithMessage($"{source}: no MatMul or Gemm*");
        File.Exists(Path.Combine(root, "none-int8.onnx")).Should().BeFalse();
        Directory.GetFiles(root, "*.tmp").Should().BeEmpty();
    }

    [Fact]
    public void The_copy_is_made_once_per_model_file_and_an_outdated_one_is_replaced()
    {
        var folder = ClipTestModels.WriteTinyModelFolder(root, "Tiny__m", 4, fixedBatch: false, tokenizerJson: null);
        var model = ClipModelFolder.Locate(root, "Tiny__m");
        var sourceBytes = File.ReadAllBytes(model.VisualModel);
        var sourceFiles = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        var copies = new ClipInt8Copies(Path.Combine(root, "state", "clip-int8"));
        var id = model.ComputeId();

        var path = copies.Ensure(model, id, NullLogger.Instance);
        var made = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, made.AddMinutes(-5)); // a rewrite would move it forward again
        var again = copies.Ensure(model, id, NullLogger.Instance);

        again.Should().Be(path);
        File.GetLastWriteTimeUtc(path).Should().Be(made.AddMinutes(-5), "an existing copy is reused, not made again");
        Path.GetFileName(path).Should().Be($"{id.Value}.int8-v{ClipModelQuantizer.Version}.onnx");
        ClipInt8Copies.IdOf(id).Value.Should().Be(id.Value + "+int8v" + ClipModelQuantizer.Version).And.NotBe(id.Value);
        File.ReadAllBytes(model.VisualModel).Should().Equal(sourceBytes, "Immich's file is only read");
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Should().BeEquivalentTo(sourceFiles, "nothing is written beside Immich's files");

        // Immich updated the model: a new file, a new id, a new copy; the old copy goes.
        ClipTestModels.WriteTinyVisual(model.VisualModel, 5, fixedBatch: false);
        var newId = model.ComputeId();
        var newPath = copies.Ensure(model, newId, NullLogger.Instance);

        newId.Should().NotBe(id);
        newPath.Should().NotBe(path);
        Directory.GetFiles(copies.Folder).Should().Equal(newPath);
    }

    [Fact]
    public void Int8_is_refused_without_a_state_folder_and_its_sessions_carry_their_own_model_id()
    {
        ClipTestModels.WriteTinyModelFolder(root, "Tiny__ids", 4, fixedBatch: false, tokenizerJson: null);
        var fp32 = new Core.Configuration.ClipConfig { ModelFolder = root, ModelName = "Tiny__ids" };
        var int8 = fp32 with { Precision = Core.Configuration.ClipPrecision.Int8 };

        using var fp32Session = new OnnxClipModels().Open(fp32, NullLogger.Instance);
        using var int8Session = new OnnxClipModels(Path.Combine(root, "state", "clip-int8")).Open(int8, NullLogger.Instance);
        var refused = () => new OnnxClipModels().Open(int8, NullLogger.Instance);

        int8Session.Model.Value.Should().Be(fp32Session.Model.Value + ClipInt8Copies.IdSuffix);
        Directory.Exists(Path.Combine(root, "state", "clip-int8")).Should().BeFalse("the copy is made when the image tower is first needed");
        int8Session.Images.Dimension.Should().Be(4);
        Directory.GetFiles(Path.Combine(root, "state", "clip-int8")).Should().ContainSingle();
        refused.Should().Throw<ClipUnavailableException>().WithMessage("*state folder*");
    }

    private static GraphProto ReadGraph(string path)
    {
        using var stream = File.OpenRead(path);
        return ModelProto.Parser.ParseFrom(stream).Graph;
    }

    private static (string Path, ClipQuantizeResult Result, GraphProto Graph) Quantize(string source, string destination, bool foldBiases)
    {
        ModelProto model;
        using (var stream = File.OpenRead(source))
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }

        var result = ClipModelQuantizer.Quantize(model, source, foldBiases: foldBiases);
        using (var output = File.Create(destination))
        {
            model.WriteTo(output);
        }

        return (destination, result, model.Graph);
    }

    private static float[] RunImage(string path, float[] image)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(image, [image.Length / (3 * 224 * 224), 3, 224, 224]);
        using var outputs = session.Run(new RunOptions(), ["image"], [input], ["embedding"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[][] RunAll(string path, float[] x, string[] names, long[]? shape = null, string input = "x")
    {
        using var session = new InferenceSession(path);
        using var value = OrtValue.CreateTensorValueFromMemory(x, shape ?? [2, 4]);
        using var outputs = session.Run(new RunOptions(), [input], [value], names);
        return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    private static float[] Run(string path, float[] x)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [2, 4]);
        using var outputs = session.Run(new RunOptions(), ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static ReadOnlyMemory<byte> Thumbnail(int n)
    {
        var pattern = ClipImagePreprocessorTests.Pattern(250 + (n * 10), 250 - (n * 7));
        using var image = Image.NewFromMemory(pattern, 250 + (n * 10), 250 - (n * 7), 3, Enums.BandFormat.Uchar);
        return image.WebpsaveBuffer(q: 90);
    }
}
