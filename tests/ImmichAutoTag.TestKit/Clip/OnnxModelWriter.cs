using System.Buffers.Binary;
using System.Text;

namespace ImmichAutoTag.TestKit.Clip;

/// <summary>
/// Writes small ONNX models (a <c>ModelProto</c> in protobuf's wire format) without the onnx tooling, so tests and the
/// benchmark can make CLIP-shaped models on a machine without internet or Python packages. Field numbers are those of
/// the ONNX IR's <c>onnx.proto</c> (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
/// TypeProto); nothing of that file is copied. Large initializers are streamed from a generator, so a 350 MB model
/// never sits in memory.
/// </summary>
public sealed class OnnxModelWriter
{
    /// <summary>TensorProto.DataType values.</summary>
    public const int Float = 1, Int32Type = 6, Int64Type = 7;

    private readonly Message graph = new();

    /// <summary>Adds a node <paramref name="op"/> (default domain) reading <paramref name="inputs"/> and writing <paramref name="outputs"/>.</summary>
    public OnnxModelWriter Node(string op, string[] inputs, string[] outputs, params Attr[] attributes)
    {
        var node = new Message();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        foreach (var output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, $"{op}_{outputs[0]}");
        node.String(4, op);
        foreach (var attribute in attributes)
        {
            node.Nested(5, attribute.Proto);
        }

        graph.Nested(1, node);
        return this;
    }

    /// <summary>Adds a float initializer whose values come from <paramref name="fill"/> (called with chunks to fill, in order).</summary>
    public OnnxModelWriter FloatInitializer(string name, long[] dims, SpanAction fill)
    {
        var count = dims.Aggregate(1L, (a, b) => a * b);
        return Initializer(name, Float, dims, count * 4, stream =>
        {
            var floats = new float[16 * 1024];
            var bytes = new byte[floats.Length * 4];
            for (long done = 0; done < count;)
            {
                var n = (int)Math.Min(floats.Length, count - done);
                fill(floats.AsSpan(0, n));
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), floats[i]);
                }

                stream.Write(bytes, 0, n * 4);
                done += n;
            }
        });
    }

    /// <summary>Adds a float initializer with the given values.</summary>
    public OnnxModelWriter FloatInitializer(string name, long[] dims, float[] values)
    {
        var offset = 0;
        return FloatInitializer(name, dims, span =>
        {
            values.AsSpan(offset, span.Length).CopyTo(span);
            offset += span.Length;
        });
    }

    /// <summary>Adds an int64 initializer (shapes, axes, indices); empty <paramref name="dims"/> makes a scalar.</summary>
    public OnnxModelWriter Int64Initializer(string name, long[] dims, params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return Initializer(name, Int64Type, dims, bytes.Length, s => s.Write(bytes));
    }

    /// <summary>Declares a graph input; a dimension is a number or a symbolic name such as "batch".</summary>
    public OnnxModelWriter Input(string name, int dataType, params object[] dims)
    {
        graph.Nested(11, ValueInfo(name, dataType, dims));
        return this;
    }

    /// <summary>Declares a graph output.</summary>
    public OnnxModelWriter Output(string name, int dataType, params object[] dims)
    {
        graph.Nested(12, ValueInfo(name, dataType, dims));
        return this;
    }

    /// <summary>Writes the model (IR version 8, default-domain opset <paramref name="opset"/>) to <paramref name="path"/>.</summary>
    public void Save(string path, int opset = 17)
    {
        graph.String(2, "clip_test_graph");
        var model = new Message();
        model.Varint(1, 8);
        model.String(2, "ImmichAutoTag.TestKit");
        model.Nested(7, graph);
        var opsetId = new Message();
        opsetId.String(1, string.Empty);
        opsetId.Varint(2, opset);
        model.Nested(8, opsetId);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        model.WriteTo(stream);
    }

    private OnnxModelWriter Initializer(string name, int dataType, long[] dims, long byteLength, Action<Stream> write)
    {
        var tensor = new Message();
        foreach (var dim in dims)
        {
            tensor.Varint(1, dim);
        }

        tensor.Varint(2, dataType);
        tensor.String(8, name);
        tensor.Bytes(9, byteLength, write);
        graph.Nested(5, tensor);
        return this;
    }

    private static Message ValueInfo(string name, int dataType, object[] dims)
    {
        var shape = new Message();
        foreach (var dim in dims)
        {
            var d = new Message();
            if (dim is string symbol)
            {
                d.String(2, symbol);
            }
            else
            {
                d.Varint(1, Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
            }

            shape.Nested(1, d);
        }

        var tensorType = new Message();
        tensorType.Varint(1, dataType);
        tensorType.Nested(2, shape);
        var type = new Message();
        type.Nested(1, tensorType);
        var info = new Message();
        info.String(1, name);
        info.Nested(2, type);
        return info;
    }

    /// <summary>Fills a chunk of an initializer.</summary>
    public delegate void SpanAction(Span<float> chunk);

    /// <summary>A node attribute (AttributeProto).</summary>
    public sealed class Attr
    {
        private Attr(Message proto) => Proto = proto;

        internal Message Proto { get; }

        /// <summary>An INT attribute.</summary>
        public static Attr Int(string name, long value)
        {
            var m = new Message();
            m.String(1, name);
            m.Varint(20, 2);
            m.Varint(3, value);
            return new Attr(m);
        }

        /// <summary>A FLOAT attribute.</summary>
        public static Attr Single(string name, float value)
        {
            var m = new Message();
            m.String(1, name);
            m.Varint(20, 1);
            m.Fixed32(2, value);
            return new Attr(m);
        }

        /// <summary>An INTS attribute.</summary>
        public static Attr Ints(string name, params long[] values)
        {
            var m = new Message();
            m.String(1, name);
            m.Varint(20, 7);
            foreach (var v in values)
            {
                m.Varint(8, v);
            }

            return new Attr(m);
        }
    }

    /// <summary>A protobuf message whose length is known before it is written (nested messages need their length first).</summary>
    internal sealed class Message
    {
        private readonly List<(int Field, int WireType, long Length, Action<Stream> Write)> fields = [];

        public long Length => fields.Sum(f => VarintSize(((ulong)f.Field << 3) | (uint)f.WireType) + (f.WireType == 2 ? VarintSize((ulong)f.Length) : 0) + f.Length);

        public void Varint(int field, long value) => fields.Add((field, 0, VarintSize((ulong)value), s => WriteVarint(s, (ulong)value)));

        public void Fixed32(int field, float value) => fields.Add((field, 5, 4, s =>
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, value);
            s.Write(b);
        }));

        public void String(int field, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            fields.Add((field, 2, bytes.Length, s => s.Write(bytes)));
        }

        public void Bytes(int field, long length, Action<Stream> write) => fields.Add((field, 2, length, write));

        public void Nested(int field, Message message) => fields.Add((field, 2, message.Length, message.WriteTo));

        public void WriteTo(Stream stream)
        {
            foreach (var (field, wireType, length, write) in fields)
            {
                WriteVarint(stream, ((ulong)field << 3) | (uint)wireType);
                if (wireType == 2)
                {
                    WriteVarint(stream, (ulong)length);
                }

                write(stream);
            }
        }

        private static int VarintSize(ulong value)
        {
            var size = 1;
            while (value >= 0x80)
            {
                value >>= 7;
                size++;
            }

            return size;
        }

        private static void WriteVarint(Stream stream, ulong value)
        {
            while (value >= 0x80)
            {
                stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            stream.WriteByte((byte)value);
        }
    }
}
