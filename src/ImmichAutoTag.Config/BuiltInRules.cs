namespace ImmichAutoTag.Config;

/// <summary>
/// The rules a run uses when no config file exists anywhere and the server comes from IMMICH_URL and
/// IMMICH_API_KEY: upstream's template classification — albums whose name starts with a date, the meme and
/// ignore tags (or albums) — with every other key at its default.
/// </summary>
public static class BuiltInRules
{
    /// <summary>Stands where a file name would in messages and in the run's config dump.</summary>
    public const string Name = "(built-in default rules)";

    /// <summary>One line for the console: what the built-in rules classify.</summary>
    public const string Summary = "albums whose name starts with a date (2024, 2024-07, 2024-07-14 …), the tags meme, autotag_input_meme and autotag_input_ignore (or albums named like them)";

    /// <summary>The rules as a config file would hold them; the server comes from the environment.</summary>
    public const string Yaml = """
        classification:
          rules:
            - tag_names: [meme, autotag_input_meme]
              album_name_patterns: ['^autotag_input_meme$']
            - tag_names: [autotag_input_ignore]
              album_name_patterns: ['^autotag_input_ignore$']
            - album_name_patterns: ['^\d{4}(-\d{2}(-\d{2})?)?']
          autotag_unknown: autotag_output_unknown
          autotag_conflict: autotag_output_conflict
        """;

    /// <summary>Loads <see cref="Yaml"/>; errors only when the environment lacks a valid IMMICH_URL or IMMICH_API_KEY.</summary>
    public static ConfigLoadResult Load(Func<string, string?> env) => ConfigLoader.LoadYaml(Yaml, Name, env);
}
