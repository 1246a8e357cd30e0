using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using Onnx;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// Makes an int8 copy of an ONNX image tower with dynamic quantisation, the scheme ONNX Runtime's own
/// <c>quantize_dynamic</c> uses for transformers: every <c>MatMul</c> whose second input is a constant float matrix,
/// and every <c>Gemm</c> (alpha 1, no transposed A) with a constant weight and a constant 1-D bias or none, becomes one
/// <c>com.microsoft.DynamicQuantizeMatMul</c> with int8 weights and one scale per output column (symmetric, zero point 0).
/// A bias <c>Add</c> that follows such a <c>MatMul</c> (the product and a constant 1-D float tensor of one value per
/// output column, in either order, the product read by nothing else) becomes the operator's own <c>bias</c> input, so
/// ONNX Runtime adds it while it scales the int32 results instead of in a second pass over the output: the shape of a
/// <c>torch.nn.Linear</c> on a 3-D input in a <c>torch.onnx</c> export (<c>MatMul</c>, then <c>Add(bias, product)</c>).
/// A Vision Transformer's patch embedding (a <c>Conv</c> over the 3-channel image input, kernel = stride, no padding,
/// constant weight) becomes the same product over the unfolded patches: <c>Reshape</c> and <c>Transpose</c> cut the image
/// into patches [N, patches, 3·kh·kw], one <c>DynamicQuantizeMatMul</c> (the convolution's bias as its bias) and a
/// <c>Transpose</c> + <c>Reshape</c> back to the convolution's [N, width, rows, columns] output, so whatever read the
/// convolution reads the same layout.
/// Activations are quantised to uint8 by ONNX Runtime at run time, per call. Everything else (LayerNorm, Softmax,
/// attention's activation × activation products) stays float. The ONNX file is read and written
/// with OnnxSharp's generated ONNX protobuf classes.
/// </summary>
/// <remarks>
/// Weights use 7 bits (−63..63), ONNX Runtime's <c>reduce_range</c>: on x86 CPUs without VNNI the uint8 × int8
/// kernel adds pairs of products in 16 bits, which full-range weights can saturate.
/// </remarks>
public static class ClipModelQuantizer
{
    /// <summary>
    /// Version of the quantisation scheme; part of the cached copy's file name and of the model id, so a change in the
    /// scheme never reuses an older copy or mixes its embeddings with the new ones.
    /// </summary>
    public const int Version = 2;

    /// <summary>Largest absolute int8 weight (7-bit range, see remarks).</summary>
    internal const int WeightRange = 63;

    private const string MicrosoftDomain = "com.microsoft";
    private const int FloatType = 1;
    private const int Int8Type = 3;
    private const int Int64Type = 7;

    /// <summary>
    /// Reads the float model <paramref name="source"/> and writes its int8 copy to <paramref name="destination"/>
    /// (through a temporary file beside it, renamed at the end, so a half-written copy is never found).
    /// </summary>
    /// <returns>What was quantised.</returns>
    /// <exception cref="ClipModelException">The file cannot be read or parsed, keeps its weights in external files, or has no weight matrix to quantise.</exception>
    public static ClipQuantizeResult Quantize(string source, string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(source);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new ClipModelException($"{source}: cannot read the ONNX model to quantise ({e.Message}).", e);
        }

        var result = Quantize(model, source);
        var directory = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(destination)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var output = File.Create(temporary))
            {
                model.WriteTo(output);
            }

            File.Move(temporary, destination, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return result;
    }

    /// <summary>Quantises <paramref name="model"/> in place (see the type's summary).</summary>
    /// <param name="model">The model, changed in place.</param>
    /// <param name="source">Its path, for error messages.</param>
    /// <param name="weightRange">Largest absolute int8 weight.</param>
    /// <param name="foldBiases">Whether bias <c>Add</c>s become the products' <c>bias</c> input (off only to compare).</param>
    internal static ClipQuantizeResult Quantize(ModelProto model, string source, int weightRange = WeightRange, bool foldBiases = true)
    {
        var graph = model.Graph ?? throw new ClipModelException($"{source}: the model has no graph.");
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            initializers[tensor.Name] = tensor;
        }

        var quantised = new Dictionary<string, (string Weight, string Scale, string Zero, int Columns)>(StringComparer.Ordinal);
        var added = new List<TensorProto>();
        var products = new List<(NodeProto Node, int Columns)>();
        long weights = 0;
        var nodes = 0;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.Domain is not ("" or "ai.onnx") || !TryMatch(node, initializers, out var weightName, out var transpose, out var biasName))
            {
                continue;
            }

            var key = weightName + (transpose ? "^T" : "");
            if (!quantised.TryGetValue(key, out var q))
            {
                var tensor = initializers[weightName];
                var (int8, scales, rows, columns) = QuantizeColumns(ReadFloats(tensor, source), (int)tensor.Dims[0], (int)tensor.Dims[1], transpose, weightRange);
                var prefix = weightName + (transpose ? "_t" : "") + "_int8";
                q = (prefix, prefix + "_scale", prefix + "_zero_point", columns);
                added.Add(Tensor(q.Weight, Int8Type, [rows, columns], int8));
                added.Add(Tensor(q.Scale, FloatType, [columns], FloatBytes(scales)));
                added.Add(Tensor(q.Zero, Int8Type, [columns], new byte[columns]));
                quantised[key] = q;
                weights += (long)rows * columns;
            }

            var replacement = new NodeProto
            {
                Name = (node.Name.Length > 0 ? node.Name : node.Output[0]) + "_int8",
                OpType = "DynamicQuantizeMatMul",
                Domain = MicrosoftDomain,
            };
            replacement.Input.Add(node.Input[0]);
            replacement.Input.Add(q.Weight);
            replacement.Input.Add(q.Scale);
            replacement.Input.Add(q.Zero);
            if (biasName is not null)
            {
                replacement.Input.Add(biasName);
            }

            replacement.Output.Add(node.Output[0]);
            graph.Node[i] = replacement;
            products.Add((replacement, q.Columns));
            nodes++;
        }

        if (nodes == 0)
        {
            throw new ClipModelException($"{source}: no MatMul or Gemm with a constant float weight matrix found; nothing to quantise to int8.");
        }

        var folded = foldBiases ? FoldBiases(graph, products, initializers) : 0;
        var replaced = new HashSet<string>(quantised.Keys.Select(k => k.EndsWith("^T", StringComparison.Ordinal) ? k[..^2] : k), StringComparer.Ordinal);
        var convolutions = 0;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            if (TryUnfoldPatchConvolution(graph, i, initializers, weightRange, source, added, out var weight, out var weightCount))
            {
                replaced.Add(weight);
                weights += weightCount;
                convolutions++;
            }
        }

        // Float weights now read by no node (and no graph output) are dropped; shared ones stay.
        var used = new HashSet<string>(graph.Node.SelectMany(AllInputs), StringComparer.Ordinal);
        used.UnionWith(graph.Output.Select(o => o.Name));
        var removed = 0;
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            var name = graph.Initializer[i].Name;
            if (!used.Contains(name) && replaced.Contains(name))
            {
                graph.Initializer.RemoveAt(i);
                RemoveInput(graph, name);
                removed++;
            }
        }

        graph.Initializer.Add(added);
        if (!model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        model.MetadataProps.Add(new StringStringEntryProto
        {
            Key = "immich_autotag_quantization",
            Value = string.Create(CultureInfo.InvariantCulture, $"int8 dynamic, per-column symmetric weights in -{weightRange}..{weightRange}, {folded} bias adds folded, {convolutions} patch convolutions as products, scheme {Version}"),
        });
        return new ClipQuantizeResult(nodes, quantised.Count, weights, folded, convolutions);
    }

    /// <summary>
    /// Moves each bias <c>Add</c> that only follows one of <paramref name="products"/> into the product's optional
    /// <c>bias</c> input (ONNX Runtime's contrib schema: 1-D, one value per column of B) and removes the <c>Add</c>.
    /// The product then writes the <c>Add</c>'s output; it stays where it was in the node list, before every reader.
    /// </summary>
    /// <returns>The number of <c>Add</c> nodes removed.</returns>
    private static int FoldBiases(GraphProto graph, List<(NodeProto Node, int Columns)> products, Dictionary<string, TensorProto> initializers)
    {
        // Readers of each value: node inputs (subgraphs included, they may read outer values) and graph outputs.
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in graph.Node.SelectMany(AllInputs).Concat(graph.Output.Select(o => o.Name)))
        {
            readers[name] = readers.GetValueOrDefault(name) + 1;
        }

        var addOf = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node is { OpType: "Add", Domain: "" or "ai.onnx", Input.Count: 2, Output.Count: 1 } && node.Input[0] != node.Input[1])
            {
                addOf.TryAdd(node.Input[0], node);
                addOf.TryAdd(node.Input[1], node);
            }
        }

        var removed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var (product, columns) in products)
        {
            var output = product.Output[0];
            if (product.Input.Count != 4 || readers.GetValueOrDefault(output) != 1 || !addOf.TryGetValue(output, out var add) || removed.Contains(add))
            {
                continue;
            }

            var bias = add.Input[0] == output ? add.Input[1] : add.Input[0];
            if (!initializers.TryGetValue(bias, out var tensor) || tensor.DataType != FloatType || tensor.Dims.Count != 1 || tensor.Dims[0] != columns
                || graph.Input.Any(i => i.Name == bias))
            {
                // A graph input of the same name could replace the initializer at run time with any shape.
                continue;
            }

            product.Input.Add(bias);
            product.Output[0] = add.Output[0];
            removed.Add(add);
            RemoveValueInfo(graph, output);
        }

        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            if (removed.Contains(graph.Node[i]))
            {
                graph.Node.RemoveAt(i);
            }
        }

        return removed.Count;
    }

    /// <summary>
    /// Replaces node <paramref name="index"/> when it is a patch embedding: <c>Conv</c> over a 3-channel input of
    /// known height and width, a constant float weight [M, 3, kh, kw] with kh·kw &gt; 1, strides equal to the kernel,
    /// no padding, dilation 1, one group, height and width multiples of the kernel, and a constant 1-D bias [M] or none.
    /// The six nodes that replace it compute the same [N, M, H/kh, W/kw] output with int8 weights (see the type's summary).
    /// </summary>
    private static bool TryUnfoldPatchConvolution(GraphProto graph, int index, Dictionary<string, TensorProto> initializers, int range, string source,
        List<TensorProto> added, out string weight, out long weightCount)
    {
        var node = graph.Node[index];
        weight = "";
        weightCount = 0;
        if (node is not { OpType: "Conv", Domain: "" or "ai.onnx", Output.Count: 1 } || node.Input.Count < 2 || initializers.ContainsKey(node.Input[0])
            || !initializers.TryGetValue(node.Input[1], out var w) || w.DataType != FloatType || w.Dims.Count != 4 || w.Dims[1] != 3
            || w.Dims[2] * w.Dims[3] <= 1 || graph.Input.Any(i => i.Name == node.Input[1]))
        {
            return false;
        }

        long m = w.Dims[0], c = w.Dims[1], kh = w.Dims[2], kw = w.Dims[3];
        string? bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        if ((bias is not null && (!initializers.TryGetValue(bias, out var b) || b.DataType != FloatType || b.Dims.Count != 1 || b.Dims[0] != m
                || graph.Input.Any(i => i.Name == bias)))
            || !Ints(node, "kernel_shape", [kh, kw]).SequenceEqual([kh, kw]) || !Ints(node, "strides", [1, 1]).SequenceEqual([kh, kw])
            || Ints(node, "pads", [0, 0, 0, 0]).Any(p => p != 0) || Ints(node, "dilations", [1, 1]).Any(d => d != 1) || Int(node, "group", 1) != 1
            || node.Attribute.FirstOrDefault(a => a.Name == "auto_pad") is { } pad && pad.S.ToStringUtf8() is not ("NOTSET" or "VALID"))
        {
            return false;
        }

        var shape = graph.Input.Concat(graph.ValueInfo).FirstOrDefault(v => v.Name == node.Input[0])?.Type?.TensorType?.Shape;
        if (shape is not { Dim.Count: 4 } || shape.Dim[1].DimValue != c || shape.Dim[2].DimValue is var h && (h <= 0 || h % kh != 0)
            || shape.Dim[3].DimValue is var wd && (wd <= 0 || wd % kw != 0))
        {
            return false;
        }

        long gh = shape.Dim[2].DimValue / kh, gw = shape.Dim[3].DimValue / kw, k = c * kh * kw;
        // The weight [M, C, kh, kw] read as an M × K matrix is B transposed; patches are unfolded in the same (c, i, j) order.
        var (int8, scales, rows, columns) = QuantizeColumns(ReadFloats(w, source), (int)m, (int)k, transpose: true, range);
        var prefix = w.Name + "_patches_int8";
        added.Add(Tensor(prefix, Int8Type, [rows, columns], int8));
        added.Add(Tensor(prefix + "_scale", FloatType, [columns], FloatBytes(scales)));
        added.Add(Tensor(prefix + "_zero_point", Int8Type, [columns], new byte[columns]));
        var output = node.Output[0];
        var name = (node.Name.Length > 0 ? node.Name : output) + "_patches";
        // Reshape's 0 keeps the batch dimension as it comes.
        added.Add(Int64s(name + "_grid_shape", [0, c, gh, kh, gw, kw]));
        added.Add(Int64s(name + "_rows_shape", [0, gh * gw, k]));
        added.Add(Int64s(name + "_output_shape", [0, m, gh, gw]));
        NodeProto Node(string op, string suffix, string[] inputs, string result, long[]? perm = null)
        {
            var n = new NodeProto { Name = name + suffix, OpType = op };
            n.Input.Add(inputs);
            n.Output.Add(result);
            if (perm is not null)
            {
                var attribute = new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints };
                attribute.Ints.Add(perm);
                n.Attribute.Add(attribute);
            }

            return n;
        }

        var product = Node("DynamicQuantizeMatMul", "_int8", [name + "_rows", prefix, prefix + "_scale", prefix + "_zero_point"], name + "_product");
        product.Domain = MicrosoftDomain;
        if (bias is not null)
        {
            product.Input.Add(bias);
        }

        NodeProto[] replacement =
        [
            Node("Reshape", "_grid", [node.Input[0], name + "_grid_shape"], name + "_grid"),
            Node("Transpose", "_unfold", [name + "_grid"], name + "_unfolded", [0, 2, 4, 1, 3, 5]),
            Node("Reshape", "_rows", [name + "_unfolded", name + "_rows_shape"], name + "_rows"),
            product,
            Node("Transpose", "_channels", [name + "_product"], name + "_channels", [0, 2, 1]),
            Node("Reshape", "_output", [name + "_channels", name + "_output_shape"], output),
        ];
        graph.Node.RemoveAt(index);
        for (var i = 0; i < replacement.Length; i++)
        {
            graph.Node.Insert(index + i, replacement[i]);
        }

        weight = w.Name;
        weightCount = m * k;
        return true;
    }

    private static TensorProto Int64s(string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = Int64Type };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        return tensor;
    }

    private static long[] Ints(NodeProto node, string name, long[] fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : fallback;

    private static void RemoveValueInfo(GraphProto graph, string name)
    {
        for (var i = graph.ValueInfo.Count - 1; i >= 0; i--)
        {
            if (graph.ValueInfo[i].Name == name)
            {
                graph.ValueInfo.RemoveAt(i);
            }
        }
    }

    private static bool TryMatch(NodeProto node, Dictionary<string, TensorProto> initializers, out string weight, out bool transpose, out string? bias)
    {
        weight = "";
        transpose = false;
        bias = null;
        if (node.Input.Count < 2 || node.Output.Count != 1 || initializers.ContainsKey(node.Input[0])
            || !initializers.TryGetValue(node.Input[1], out var b) || b.DataType != FloatType || b.Dims.Count != 2)
        {
            return false;
        }

        weight = node.Input[1];
        switch (node.OpType)
        {
            case "MatMul" when node.Input.Count == 2:
                return true;
            case "Gemm":
                if (Int(node, "transA", 0) != 0 || Float(node, "alpha", 1) != 1)
                {
                    return false;
                }

                transpose = Int(node, "transB", 0) != 0;
                if (node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    var columns = transpose ? b.Dims[0] : b.Dims[1];
                    if (Float(node, "beta", 1) != 1 || !initializers.TryGetValue(node.Input[2], out var c)
                        || c.DataType != FloatType || c.Dims.Count != 1 || c.Dims[0] != columns)
                    {
                        return false;
                    }

                    bias = node.Input[2];
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Quantises the row-major <paramref name="rows"/> × <paramref name="columns"/> matrix <paramref name="values"/>, transposed first when asked.</summary>
    private static (byte[] Int8, float[] Scales, int Rows, int Columns) QuantizeColumns(float[] values, int rows, int columns, bool transpose, int range)
    {
        if (transpose)
        {
            (rows, columns) = (columns, rows);
        }

        // Element (r, c) of the matrix as MatMul sees it (K × N).
        float At(int r, int c) => transpose ? values[(c * rows) + r] : values[(r * columns) + c];
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(At(r, c)));
            }
        }

        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 && float.IsFinite(scales[c]) ? scales[c] / range : 1f;
        }

        var int8 = new byte[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var q = Math.Clamp(MathF.Round(At(r, c) / scales[c], MidpointRounding.ToEven), -range, range);
                int8[(r * columns) + c] = unchecked((byte)(sbyte)q);
            }
        }

        return (int8, scales, rows, columns);
    }

    private static float[] ReadFloats(TensorProto tensor, string source)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new ClipModelException($"{source}: weight '{tensor.Name}' is kept in an external data file; int8 quantisation supports single-file models only.");
        }

        var count = checked((int)tensor.Dims.Aggregate(1L, (a, b) => a * b));
        if (tensor.FloatData.Count == count)
        {
            return [.. tensor.FloatData];
        }

        var raw = tensor.RawData.Span;
        if (raw.Length != count * 4)
        {
            throw new ClipModelException($"{source}: weight '{tensor.Name}' holds {raw.Length} bytes, expected {count * 4}.");
        }

        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
        }

        return values;
    }

    private static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    private static TensorProto Tensor(string name, int type, long[] dims, byte[] raw)
    {
        var tensor = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static IEnumerable<string> AllInputs(NodeProto node) =>
        node.Input.Concat(node.Attribute.Where(a => a.G is not null).SelectMany(a => a.G.Node.SelectMany(AllInputs)))
            .Concat(node.Attribute.SelectMany(a => a.Graphs).SelectMany(g => g.Node.SelectMany(AllInputs)));

    private static void RemoveInput(GraphProto graph, string name)
    {
        for (var i = graph.Input.Count - 1; i >= 0; i--)
        {
            if (graph.Input[i].Name == name)
            {
                graph.Input.RemoveAt(i);
            }
        }
    }

    private static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;
}

/// <summary>What <see cref="ClipModelQuantizer.Quantize(string, string)"/> changed.</summary>
/// <param name="Nodes">MatMul/Gemm nodes replaced by <c>DynamicQuantizeMatMul</c>.</param>
/// <param name="Matrices">Distinct weight matrices quantised.</param>
/// <param name="Weights">Weights now stored as int8.</param>
/// <param name="FoldedBiases">Bias <c>Add</c> nodes folded into the int8 products' <c>bias</c> input.</param>
/// <param name="PatchConvolutions">Patch-embedding convolutions replaced by an int8 product over the unfolded patches (their weights are counted in <paramref name="Weights"/>).</param>
public sealed record ClipQuantizeResult(int Nodes, int Matrices, long Weights, int FoldedBiases, int PatchConvolutions);
