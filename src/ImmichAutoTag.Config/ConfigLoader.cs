using ImmichAutoTag.Config.Internal;
using ImmichAutoTag.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Config;

/// <summary>Loads an upstream-compatible config.yaml into the validated <see cref="Core.Configuration.AutoTagConfig"/>.</summary>
public static class ConfigLoader
{
    // Reads the file; applies env overrides IMMICH_URL and IMMICH_API_KEY (they win over the file);
    // validates everything and returns ALL errors at once (unknown key, wrong type, invalid regex,
    // missing required key, bad URL), each with file, line, column and key path.
    // scheduleCheck (optional) checks the values of `schedule` (the daemon's cron parser lives in the CLI): it returns
    // why a schedule is invalid, or null; its message is reported at the key's line and column with the other errors.
    // clipModelCheck (optional, `validate` passes it) looks for the CLIP model a run would open when clip is on; its
    // problem is reported at clip.model_name or clip.model_folder.
    public static ConfigLoadResult LoadFile(string path, Func<string, string?> env, Func<string, string?>? scheduleCheck = null, Func<ClipConfig, ClipModelProblem?>? clipModelCheck = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path.GetExtension(path).Equals(".py", StringComparison.OrdinalIgnoreCase))
        {
            return Fail(path, 1, 1,
                "Python config files are not supported; only YAML (.yaml/.yml) is. To convert, write the same keys as YAML: "
                + "each keyword argument becomes a key (server=ServerConfig(host=\"h\", port=2283) becomes 'server:' with "
                + "indented 'host: h' and 'port: 2283'), lists become '- item' lines, True/False/None become true/false/null. "
                + "See rules/config.example.yaml for every key.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(path, 0, 0, $"cannot read config file: {ex.Message}");
        }

        return LoadYaml(text, path, env, scheduleCheck, clipModelCheck);
    }

    public static ConfigLoadResult LoadYaml(string yaml, string fileName, Func<string, string?> env, Func<string, string?>? scheduleCheck = null, Func<ClipConfig, ClipModelProblem?>? clipModelCheck = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(env);
        var diag = new Diagnostics(fileName);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            // Duplicate keys and syntax errors both land here; the marks point at the offending text.
            var message = ex.InnerException is { } inner && ex.Message.Contains("see inner", StringComparison.OrdinalIgnoreCase) ? inner.Message : ex.Message;
            var short_ = StripMarkPrefix(message);
            if (short_.Contains("escape", StringComparison.OrdinalIgnoreCase))
            {
                // Regexes copied into double quotes ("^\d{4}") hit YAML's own escapes before the regex sees them.
                short_ += ". In a double-quoted YAML string a backslash starts a YAML escape; write the value in single quotes"
                    + " ('^\\d{4}' keeps every backslash as written) or double each backslash (\"^\\\\d{4}\")";
            }

            var (line, column) = ((int)ex.Start.Line, (int)ex.Start.Column);
            if (short_.Contains("tab", StringComparison.OrdinalIgnoreCase) && IndentingTab(yaml, line) is { } tab)
            {
                // YamlDotNet places this error at the start of the enclosing mapping (often 1:1); the tab is what to fix.
                (line, column) = tab;
                short_ = short_.TrimEnd('.') + ". YAML indents with spaces only: replace the tab with spaces";
            }

            return Fail(fileName, line, column, $"YAML syntax error: {short_}");
        }
        catch (InvalidOperationException)
        {
            // Some malformed input (e.g. an unterminated flow list) trips YamlDotNet's scanner without a
            // YamlException; the scanner's position is still the best pointer to the problem.
            var at = scanner.CurrentPosition;
            return Fail(fileName, (int)at.Line, (int)at.Column, "YAML syntax error: unexpected end or malformed structure (unclosed [ or { ?)");
        }

        foreach (var document in stream.Documents)
        {
            // PyYAML, upstream's loader, applies `<<` merge keys, so an upstream config may share parts through them.
            YamlMergeKeys.Apply(document.RootNode);
        }

        var rootLoc = new Loc(1, 1, "");
        YamlMappingNode root;
        if (stream.Documents.Count == 0 || MapReader.IsNull(stream.Documents[0].RootNode))
        {
            root = new YamlMappingNode();
        }
        else if (stream.Documents[0].RootNode is YamlMappingNode map)
        {
            root = map;
            rootLoc = MapReader.At(map, rootLoc);
        }
        else
        {
            var node = stream.Documents[0].RootNode;
            return Fail(fileName, (int)node.Start.Line, (int)node.Start.Column, "the config must be a YAML map of keys (server:, classification:, ...)");
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            diag.Error(MapReader.At(second, rootLoc), "the config file must hold a single YAML document");
        }

        var raw = RawBlock.Read(new MapReader(root, ConfigKeys.Root, rootLoc, diag));
        var config = new ConfigValidator(diag, env, scheduleCheck, clipModelCheck).Validate(raw, fileName);
        diag.Sort();
        return new ConfigLoadResult(diag.Errors.Count == 0 ? config : null, diag.Errors, diag.Warnings);
    }

    /// <summary>
    /// The 1-based line and column of the first tab in the indentation of a non-blank line, from line
    /// <paramref name="fromLine"/> on; null when there is none.
    /// </summary>
    private static (int Line, int Column)? IndentingTab(string yaml, int fromLine)
    {
        var lines = yaml.Split('\n');
        for (var i = Math.Max(fromLine, 1) - 1; i < lines.Length; i++)
        {
            var text = lines[i].TrimEnd('\r');
            var indent = text.Length - text.TrimStart(' ', '\t').Length;
            var tab = text.IndexOf('\t', StringComparison.Ordinal);
            if (indent < text.Length && tab >= 0 && tab < indent)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    private static ConfigLoadResult Fail(string file, int line, int column, string message) =>
        new(null, [new ConfigDiagnostic(file, line, column, "", message)], []);

    // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (Line: ...): "; the diagnostic has its own position.
    private static string StripMarkPrefix(string message)
    {
        var idx = message.LastIndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && idx >= 0 ? message[(idx + 3)..] : message;
    }
}

/// <summary>What is wrong with the CLIP model a config names (see <see cref="ConfigLoader.LoadFile"/>'s clipModelCheck).</summary>
/// <param name="Message">What is missing, where, and how to get it.</param>
/// <param name="AboutModelName">The folder exists but holds no usable model of that name: reported at <c>clip.model_name</c> when the file sets it.</param>
public sealed record ClipModelProblem(string Message, bool AboutModelName);
