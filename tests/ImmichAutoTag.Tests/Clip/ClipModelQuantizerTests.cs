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
        var graph = ReadGraph(copy);
        graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Domain == "com.microsoft").Should().Be(result.Nodes);
        graph.Node.Where(n => n.OpType == "MatMul").Should().OnlyContain(n => !graph.Initializer.Any(i => i.Name == n.Input[1]));
        graph.Initializer.Where(i => i.DataType == 3).Sum(i => i.Dims.Aggregate(1L, (a, b) => a * b)).Should().BeGreaterThanOrEqualTo(result.Weights);
        // The tiny model's patch convolution and position embedding (float) outweigh its matrices; still smaller.
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

        ClipModelQuantizer.Quantize(source, copy).Should().Be(new ClipQuantizeResult(1, 1, 20));

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
