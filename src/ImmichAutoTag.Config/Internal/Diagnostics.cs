namespace ImmichAutoTag.Config.Internal;

/// <summary>Where a value sits in the YAML text; Path is the user-facing key path.</summary>
internal readonly record struct Loc(int Line, int Column, string Path)
{
    public Loc Child(string key) => this with { Path = Path.Length == 0 ? key : $"{Path}.{key}" };

    public Loc Index(int i) => this with { Path = $"{Path}[{i}]" };
}

/// <summary>A value that was present in the file, with its position.</summary>
internal sealed record Val<T>(T Value, Loc Loc);

/// <summary>Collects errors and warnings so that a single load reports everything at once.</summary>
internal sealed class Diagnostics(string file)
{
    private readonly List<ConfigDiagnostic> _errors = [];
    private readonly List<ConfigDiagnostic> _warnings = [];

    public string File { get; } = file;

    public IReadOnlyList<ConfigDiagnostic> Errors => _errors;

    public IReadOnlyList<ConfigDiagnostic> Warnings => _warnings;

    public void Error(Loc loc, string message) => _errors.Add(new ConfigDiagnostic(File, loc.Line, loc.Column, loc.Path, message));

    public void Warning(Loc loc, string message) => _warnings.Add(new ConfigDiagnostic(File, loc.Line, loc.Column, loc.Path, message));

    /// <summary>Problems that come from environment variables rather than from the file.</summary>
    public void EnvError(string variable, string message) => _errors.Add(new ConfigDiagnostic("environment", 0, 0, variable, message));

    public void Sort()
    {
        _errors.Sort(Compare);
        _warnings.Sort(Compare);
    }

    // Stable ordering by position makes the report read top to bottom like the file.
    private static int Compare(ConfigDiagnostic a, ConfigDiagnostic b)
    {
        var c = a.Line.CompareTo(b.Line);
        return c != 0 ? c : a.Column.CompareTo(b.Column);
    }
}
