using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Workflows;

/// <summary>
/// The workflow conditions' patterns as the rules match them: a backtracking pattern (look-arounds, backreferences,
/// atomic groups) runs with <c>workflows.match_timeout_ms</c> as its per-match time-out; a linear-time one needs none.
/// Also says which rules use a pattern, so a time-out names them.
/// </summary>
internal static class WorkflowPatterns
{
    /// <summary><paramref name="config"/> with every backtracking condition pattern bounded by <see cref="WorkflowsConfig.MatchTimeoutMs"/>.</summary>
    public static WorkflowsConfig WithTimeout(WorkflowsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1, config.MatchTimeoutMs));
        return config with { Rules = [.. config.Rules.Select(r => r with { When = Bounded(r.When, timeout) })] };
    }

    /// <summary>The names of the rules whose condition uses <paramref name="pattern"/> (at any depth), in file order.</summary>
    public static IReadOnlyList<string> RulesUsing(WorkflowsConfig config, CompiledPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(pattern);
        return [.. config.Rules.Where(r => Patterns(r.When).Contains(pattern)).Select(r => r.Name)];
    }

    private static IEnumerable<CompiledPattern> Patterns(WorkflowConditionConfig c) =>
        c.AlbumNamePatterns.Concat(c.FileNamePatterns).Concat(c.FolderPatterns).Concat(c.CameraMakePatterns).Concat(c.CameraModelPatterns)
            .Concat(c.All.Concat(c.Any).Concat(c.Not is { } n ? [n] : []).SelectMany(Patterns));

    private static WorkflowConditionConfig Bounded(WorkflowConditionConfig c, TimeSpan timeout) => c with
    {
        AlbumNamePatterns = Bound(c.AlbumNamePatterns, timeout),
        FileNamePatterns = Bound(c.FileNamePatterns, timeout),
        FolderPatterns = Bound(c.FolderPatterns, timeout),
        CameraMakePatterns = Bound(c.CameraMakePatterns, timeout),
        CameraModelPatterns = Bound(c.CameraModelPatterns, timeout),
        All = [.. c.All.Select(a => Bounded(a, timeout))],
        Any = [.. c.Any.Select(a => Bounded(a, timeout))],
        Not = c.Not is { } not ? Bounded(not, timeout) : null,
    };

    private static IReadOnlyList<CompiledPattern> Bound(IReadOnlyList<CompiledPattern> patterns, TimeSpan timeout) =>
        patterns.All(p => p.IsLinearTime || p.Regex.MatchTimeout == timeout)
            ? patterns
            : [.. patterns.Select(p => p.IsLinearTime || p.Regex.MatchTimeout == timeout ? p : new CompiledPattern(p.Written, p.Source, new Regex(p.Regex.ToString(), p.Regex.Options, timeout)))];
}
