namespace ImmichAutoTag.Config;

/// <summary>The chosen config file (null when none was found) and every place that was looked at.</summary>
/// <param name="Note">
/// A sibling with the other YAML extension that the user probably meant: <c>config.yml</c> beside a missing
/// <c>config.yaml</c> (or the reverse), or a <c>config.yml</c> that is ignored because <c>config.yaml</c> wins.
/// </param>
public sealed record ConfigLocation(string? Path, IReadOnlyList<string> Searched, string? Note = null);

public static class ConfigLocator
{
    public const string EnvConfig = "IMMICH_AUTOTAG_CONFIG";

    // Discovery order: explicit path (--config); env IMMICH_AUTOTAG_CONFIG;
    // $XDG_CONFIG_HOME/immich_autotag/config.yaml (XDG default ~/.config); ~/.immich_autotag/config.yaml.
    // (.yml accepted beside .yaml). Returns the chosen path plus the list of places tried (for the error
    // message when nothing is found). `env` abstracts Environment.GetEnvironmentVariable; `home` the user's home.
    public static ConfigLocation Locate(string? explicitPath, Func<string, string?> env, string home)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(home);

        // A path the user named explicitly must not silently fall back to some other file.
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Single(explicitPath);
        }

        // Unlike upstream (which checks it last), the env var wins: naming a file is a deliberate choice.
        if (env(EnvConfig) is { Length: > 0 } fromEnv)
        {
            return Single(fromEnv);
        }

        var xdg = env("XDG_CONFIG_HOME");
        // The XDG spec says relative values are invalid and must be ignored.
        var configHome = !string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(home, ".config");
        var searched = new List<string>();
        foreach (var dir in new[] { System.IO.Path.Combine(configHome, "immich_autotag"), System.IO.Path.Combine(home, ".immich_autotag") })
        {
            // config.py comes last so that an upstream user who only has a Python config gets the
            // "convert to YAML" message instead of "not found".
            foreach (var name in new[] { "config.yaml", "config.yml", "config.py" })
            {
                var candidate = System.IO.Path.Combine(dir, name);
                searched.Add(candidate);
                if (File.Exists(candidate))
                {
                    var ignored = name == "config.yaml" ? System.IO.Path.Combine(dir, "config.yml") : null;
                    return new ConfigLocation(candidate, searched, ignored is not null && File.Exists(ignored)
                        ? $"{ignored} is ignored: {candidate} beside it is read"
                        : null);
                }
            }
        }

        return new ConfigLocation(null, searched);
    }

    private static ConfigLocation Single(string path)
    {
        if (File.Exists(path))
        {
            return new ConfigLocation(path, [path]);
        }

        // `config init FOLDER` writes FOLDER/config.yaml, so a folder named here means the same file.
        if (Directory.Exists(path))
        {
            foreach (var name in new[] { "config.yaml", "config.yml" })
            {
                var inside = System.IO.Path.Combine(path, name);
                if (File.Exists(inside))
                {
                    return new ConfigLocation(inside, [inside]);
                }
            }
        }

        // Docker images and docs say config.yaml; a file saved as config.yml (or the reverse) is the usual slip.
        var extension = System.IO.Path.GetExtension(path);
        var other = extension.ToLowerInvariant() switch
        {
            ".yaml" => System.IO.Path.ChangeExtension(path, ".yml"),
            ".yml" => System.IO.Path.ChangeExtension(path, ".yaml"),
            _ => null,
        };
        return new ConfigLocation(null, [path], other is not null && File.Exists(other)
            ? $"{other} exists beside it: rename it to {System.IO.Path.GetFileName(path)}, or pass --config {other}"
            : null);
    }
}
