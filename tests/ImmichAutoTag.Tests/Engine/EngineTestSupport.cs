using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImmichAutoTag.Tests.Engine;

internal static class EngineTestSupport
{
    public const string Unknown = "autotag_output_unknown";
    public const string Conflict = "autotag_output_conflict";

    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Date-named event albums, a meme tag rule, as in upstream's example config.</summary>
    public static IReadOnlyList<RuleConfig> DefaultRules { get; } =
    [
        new RuleConfig { TagNames = ["meme", "autotag_input_meme"], AlbumNamePatterns = [PatternCompiler.AlbumName("^autotag_input_meme$")] },
        new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName(@"^\d{4}(-\d{2}(-\d{2})?)?")] },
    ];

    public static AutoTagConfig TestConfig(IReadOnlyList<RuleConfig>? rules = null, string? unknown = Unknown, string? conflict = Conflict, bool failFast = false) => new()
    {
        Server = new ServerConfig(new Uri("http://127.0.0.1:2283"), "test-key"),
        Classification = new ClassificationConfig
        {
            Rules = rules ?? DefaultRules,
            AutotagUnknown = unknown,
            AutotagConflict = conflict,
        },
        Performance = new PerformanceConfig { FailFastOnAssetErrors = failFast },

        // These tests are about the unknown/conflict tags; the duplicate and album-date features have their own.
        DuplicateProcessing = new DuplicateProcessingConfig { AutotagAlbumConflict = null, AutotagClassificationConflict = null, AutotagClassificationConflictPrefix = null },
        AlbumDateConsistency = new AlbumDateConsistencyConfig { Enabled = false },
    };

    /// <summary>
    /// The engine over the library's gateway. The default clock starts at <see cref="Start"/> and jumps through any
    /// wait, so a run that waits unexpectedly shows it in its times instead of hanging the test.
    /// </summary>
    public static AutoTagEngine CreateEngine(FakeLibrary immich, TimeProvider? time = null) =>
        new(immich.Gateway, time ?? new VirtualClock(Start), NullLogger<AutoTagEngine>.Instance);

    public static Task<RunResult> RunAsync(FakeLibrary immich, AutoTagConfig? config = null, RunOptions? options = null, CancellationToken ct = default) =>
        CreateEngine(immich).RunAsync(config ?? TestConfig(), options ?? new RunOptions(), ct);
}
