using System.Collections;
using System.Reflection;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// What a block needs beyond its keys' own checks (a rule needs one non-empty list, a time zone must exist, keys that
/// only make sense together): called with the block as written and the record bound from it; returns the record to
/// keep (the same one, or a copy with derived fields set).
/// </summary>
internal delegate object BlockCheck(RawBlock raw, object record);

/// <summary>
/// Builds the records from the raw blocks by the descriptor alone: every key with a <see cref="KeySpec.Field"/> sets
/// that property from its checked value (bool, int, string, a choice as the enum member of the same name, a string list,
/// a pattern list compiled once, a child block, a list of child blocks); an absent key keeps the record's own default.
/// It also reports the declared required keys and empty non-empty strings, each at its file:line:col. Anything else
/// is a <see cref="BlockCheck"/>.
/// </summary>
internal sealed class ConfigBinder(
    Diagnostics diag,
    IReadOnlyDictionary<BlockSpec, BlockCheck> checks,
    IReadOnlySet<BlockSpec> boundElsewhere)
{
    // Not thread-safe; one per binder, and a binder serves one load.
    private readonly NullabilityInfoContext _nullability = new();

    /// <summary>A new <paramref name="record"/> bound from <paramref name="raw"/>, after the block's own check.</summary>
    public object Bind(RawBlock raw, Type record)
    {
        var result = New(record);
        BindInto(raw, result);
        return checks.TryGetValue(raw.Spec, out var check) ? check(raw, result) : result;
    }

    private void BindInto(RawBlock raw, object record)
    {
        foreach (var key in raw.Spec.Keys)
        {
            if (key.Required && (!raw.Has(key.Name) || (key.Kind == KeyKind.Map && raw.Value(key.Name) is null && !raw.IsInvalid(key.Name))))
            {
                diag.Error(raw.Loc.Child(key.Name), $"missing required key '{key.Name}'");
            }

            if (key.Inline)
            {
                if (raw.Map(key.Name) is { } inline)
                {
                    BindInto(inline, record);
                }

                continue;
            }

            if (key.Field is not { } field || raw.Value(key.Name) is not { } value || (key.Child is { } child && boundElsewhere.Contains(child)))
            {
                continue;
            }

            if (Convert(key, field, value, out var converted))
            {
                field.SetValue(record, converted);
            }
        }
    }

    private bool Convert(KeySpec key, PropertyInfo field, object value, out object? converted)
    {
        converted = null;
        switch (value)
        {
            case Val<bool> b:
                converted = b.Value;
                return true;
            case Val<int> i:
                converted = i.Value;
                return true;
            case Val<string?> { Value: null }:
                // An explicit null: "off" where the field can say so (an output tag), else the default stays.
                return IsNullable(field);
            case Val<string?> { Value: { } text } s:
                if (key.NonEmpty && string.IsNullOrWhiteSpace(text))
                {
                    diag.Error(s.Loc, "tag name must not be empty (use null to disable the tag)");
                    return IsNullable(field);
                }

                if (key.TagPath is { } use && TagPaths.Problem(text, use) is { } tagProblem)
                {
                    diag.Error(s.Loc, tagProblem);
                    return false;
                }

                var type = Nullable.GetUnderlyingType(field.PropertyType) ?? field.PropertyType;
                // The reader has checked the choice; tag_to_album names SyncDirection.TagToAlbum.
                converted = type.IsEnum ? Enum.Parse(type, text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true) : text;
                return true;
            case IReadOnlyList<Val<string>> strings:
                if (key.TagPath is { } pathUse)
                {
                    foreach (var item in strings)
                    {
                        if (TagPaths.Problem(item.Value, pathUse) is { } itemProblem)
                        {
                            diag.Error(item.Loc, itemProblem);
                        }
                    }
                }

                converted = key.Pattern is { } kind ? Patterns(strings, kind) : strings.Select(v => v.Value).ToList();
                return true;
            case RawBlock child:
                converted = Bind(child, field.PropertyType);
                return true;
            case IReadOnlyList<RawBlock> items:
                var itemType = ConfigKeys.ItemType(field.PropertyType);
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
                foreach (var item in items)
                {
                    list.Add(Bind(item, itemType));
                }

                converted = list;
                return true;
            default:
                throw new InvalidOperationException($"Key '{key.Name}' read a {value.GetType().Name}, which no record field takes");
        }
    }

    private bool IsNullable(PropertyInfo field) =>
        Nullable.GetUnderlyingType(field.PropertyType) is not null
        || (!field.PropertyType.IsValueType && _nullability.Create(field).WriteState == NullabilityState.Nullable);

    private delegate CompiledPattern? TryCompile(string pattern, TimeSpan timeout, out string? error);

    /// <summary>The valid patterns, compiled (same order); each invalid one is an error at its position.</summary>
    private List<CompiledPattern> Patterns(IReadOnlyList<Val<string>> raw, PatternKind kind)
    {
        TryCompile compile = kind == PatternKind.PathSearch ? PatternCompiler.TryPathSearch : PatternCompiler.TryAlbumName;
        var result = new List<CompiledPattern>();
        foreach (var p in raw)
        {
            if (p.Value.Length == 0)
            {
                // An empty regex matches at the start of every name: almost certainly a slip, not "everything".
                diag.Error(p.Loc, kind == PatternKind.PathSearch
                    ? "empty pattern: it matches every name and path; remove the entry, or write '.*' if everything is meant"
                    : "empty pattern: it matches every album name; remove the entry, or write '.*' if every album is meant");
                continue;
            }

            // Patterns are Python's dialect, matched on code points: translated, then compiled once, here.
            if (compile(p.Value, CompiledPattern.DefaultMatchTimeout, out var error) is { } compiled)
            {
                result.Add(compiled);
            }
            else
            {
                diag.Error(p.Loc, $"invalid regex '{p.Value}': {error}");
            }
        }

        return result;
    }

    /// <summary>
    /// A record with its own defaults: the parameterless constructor, or for a positional record its constructor with
    /// each parameter's default (empty text or list where it declares none).
    /// </summary>
    private static object New(Type record)
    {
        if (record.GetConstructor(Type.EmptyTypes) is { } plain)
        {
            return plain.Invoke(null);
        }

        var positional = record.GetConstructors().MaxBy(c => c.GetParameters().Length)
            ?? throw new InvalidOperationException($"{record.Name} has no public constructor");
        var args = positional.GetParameters().Select(p => p switch
        {
            { HasDefaultValue: true, DefaultValue: { } d } when p.ParameterType.IsEnum => Enum.ToObject(p.ParameterType, d),
            { HasDefaultValue: true } => p.DefaultValue,
            _ when p.ParameterType == typeof(string) => "",
            _ when p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) =>
                Array.CreateInstance(p.ParameterType.GetGenericArguments()[0], 0),
            _ when p.ParameterType.IsValueType => Activator.CreateInstance(p.ParameterType),
            _ => null,
        }).ToArray();
        return positional.Invoke(args);
    }
}
