namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// One YAML map as written, read key by key as its <see cref="BlockSpec"/> declares: each present key holds a typed,
/// positioned value (<see cref="Val{T}"/> for scalars, a list of them, a child block or a list of child blocks).
/// Only <see cref="ConfigBinder"/> turns these into the Core records.
/// </summary>
internal sealed class RawBlock
{
    private readonly MapReader _reader;
    private readonly Dictionary<string, object> _values;

    private RawBlock(MapReader reader, Dictionary<string, object> values)
    {
        _reader = reader;
        _values = values;
    }

    /// <summary>Position and key path of the map itself (where "missing key" errors point).</summary>
    public Loc Loc => _reader.Loc;

    public BlockSpec Spec => _reader.Spec;

    /// <summary>The free-text description every block accepts.</summary>
    public Val<string?>? Description => String("description");

    /// <summary>Reads every key the block declares; unknown keys and type, range and choice errors are reported on the way.</summary>
    public static RawBlock Read(MapReader reader)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var key in reader.Spec.Keys)
        {
            object? value = key.Kind switch
            {
                KeyKind.Bool => reader.Bool(key.Name),
                KeyKind.Int => reader.Int(key.Name, allowNull: key.Nullable),
                KeyKind.String when key.Choices is not null => reader.Choice(key.Name),
                KeyKind.String => reader.String(key.Name),
                KeyKind.StringList => reader.StringList(key.Name),
                KeyKind.Map => reader.Map(key.Name) is { } map ? Read(map) : null,
                KeyKind.MapList => reader.MapList(key.Name)?.Select(Read).ToList(),
                _ => throw new InvalidOperationException($"Key kind {key.Kind} has no reader"),
            };
            if (value is not null)
            {
                values[key.Name] = value;
            }
        }

        reader.Done();
        return new RawBlock(reader, values);
    }

    /// <summary>Whether the file writes the key (even as null or with a wrong type).</summary>
    public bool Has(string key) => _reader.Has(key);

    /// <summary>Where the file writes the key; null when it does not.</summary>
    public Loc? KeyLoc(string key) => _reader.KeyLoc(key);

    /// <summary>True when the key had a type, range or choice error; checks that depend on its value then stay quiet.</summary>
    public bool IsInvalid(string key) => _reader.Invalid.Contains(key);

    /// <summary>The key's checked value: null when absent, invalid, or (for lists and maps) an explicit null.</summary>
    public object? Value(string key) => _values.GetValueOrDefault(key);

    public Val<bool>? Bool(string key) => Value(key) as Val<bool>;

    public Val<int>? Int(string key) => Value(key) as Val<int>;

    /// <summary>A string (or a choice, as declared); an explicit null is a present value of null.</summary>
    public Val<string?>? String(string key) => Value(key) as Val<string?>;

    public IReadOnlyList<Val<string>>? Strings(string key) => Value(key) as IReadOnlyList<Val<string>>;

    public RawBlock? Map(string key) => Value(key) as RawBlock;

    public IReadOnlyList<RawBlock>? Maps(string key) => Value(key) as IReadOnlyList<RawBlock>;
}
