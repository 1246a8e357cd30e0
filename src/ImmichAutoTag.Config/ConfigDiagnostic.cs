using System.Globalization;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Config;

/// <summary>One problem found in a config file, pointing at the offending YAML node.</summary>
public sealed record ConfigDiagnostic(string File, int Line, int Column, string KeyPath, string Message)
{
    public override string ToString() =>
        KeyPath.Length == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}: {Message}")
            : string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}: {KeyPath}: {Message}");
}

/// <summary>The outcome of loading a config: the validated config (when valid) plus every diagnostic.</summary>
public sealed record ConfigLoadResult(AutoTagConfig? Config, IReadOnlyList<ConfigDiagnostic> Errors,
                                      IReadOnlyList<ConfigDiagnostic> Warnings)
{
    public bool IsValid => Config is not null && Errors.Count == 0;
}
