using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Cli;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// Builds the library in a fake server process, then runs the CLI's <c>run</c> command in this process, the
/// way a user would, once per scenario, and measures each run.
/// </summary>
internal static class BenchRunner
{
    private sealed record Scenario(string Name, bool DryRun, bool ChangeFirst);

    // The dry run goes first so it plans against the unorganised library, as a cautious user's first run would.
    private static readonly Scenario[] Scenarios =
    [
        new("dry-run", DryRun: true, ChangeFirst: false),
        new("first-run", DryRun: false, ChangeFirst: false),
        new("rerun", DryRun: false, ChangeFirst: false),
        new("changed-1pct", DryRun: false, ChangeFirst: true),
    ];

    public static async Task<int> RunAsync(BenchOptions options, TextWriter output, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var root = Directory.CreateTempSubdirectory("immich-autotag-bench-").FullName;
        try
        {
            var started = Stopwatch.GetTimestamp();
            await using var fake = await FakeProcess.StartAsync(options.Assets, options.Seed, ct);
            await output.WriteLineAsync(string.Create(inv,
                $"Library: {options.Assets} assets, {fake.Ready.Albums} albums, built in {fake.Ready.BuildSeconds:F1} s (fake ready after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s)"));
            var config = Path.Combine(root, "config.yaml");
            await File.WriteAllTextAsync(config, Config(fake.Ready.Url, fake.Ready.ApiKey) + WorkflowRules(options.WorkflowRules, options.WorkflowCamera), ct);

            var runs = new List<ScenarioResult>();
            foreach (var scenario in Scenarios)
            {
                var run = await RunScenarioAsync(scenario, options, fake, root, config, output, ct);
                if (run is null)
                {
                    return 1;
                }

                runs.Add(run);
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync(Table(runs));
            if (options.JsonPath is { } path)
            {
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new BenchReport(runs), JsonReport.Options) + "\n", ct);
                await output.WriteLineAsync($"JSON written to {path}");
            }

            return options.Check ? await CheckAsync(runs, output) : 0;
        }
        finally
        {
            if (options.Keep)
            {
                await output.WriteLineAsync($"Run folders kept in {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<ScenarioResult?> RunScenarioAsync(
        Scenario scenario,
        BenchOptions options,
        FakeProcess fake,
        string root,
        string config,
        TextWriter output,
        CancellationToken ct)
    {
        var changed = scenario.ChangeFirst ? (await fake.AskAsync<MutateResult>("mutate", ct)).Changed : 0;
        var before = await fake.AskAsync<LibraryFacts>("inspect", ct);
        _ = await fake.AskAsync<RequestStats>("take", ct); // forget whatever came before

        // Start each scenario from a collected heap and a reset high-water mark, so its peak is its own.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var peakReset = ProcessMemory.TryResetPeak();
        var load = ProcessMemory.LoadAverage();
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var fakeCpu = fake.CpuTime;
        using var sampler = options.AllocationTypes > 0 ? new AllocationSampler() : null;
        sampler?.Start();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var gen2 = GC.CollectionCount(2);
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var gcPause = GC.GetTotalPauseDuration();

        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        var context = new CliContext(stdout, stderr, _ => null, home, root);
        string[] args = scenario.DryRun
            ? ["run", "--config", config, "--output", Path.Combine(root, "logs"), "--dry-run"]
            : ["run", "--config", config, "--output", Path.Combine(root, "logs")];
        var clock = Stopwatch.StartNew();
        var code = await CliApp.RunAsync(args, context, ct);
        clock.Stop();

        self.Refresh();
        var peak = self.PeakWorkingSet64;
        var cpuUsed = self.TotalProcessorTime - cpu;
        var fakeCpuUsed = fake.CpuTime - fakeCpu;
        var allocatedUsed = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var gen2Used = GC.CollectionCount(2) - gen2;
        var jitUsed = System.Runtime.JitInfo.GetCompilationTime() - jit;
        var jitMethodsUsed = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods;
        var gcPauseUsed = GC.GetTotalPauseDuration() - gcPause;
        var topTypes = sampler?.Stop(options.AllocationTypes);

        if ((options.WorkflowRules > 0 || options.WorkflowCamera) && RuleEngineMilliseconds(Path.Combine(root, "logs")) is { } engineMs)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.Name}: workflow rule engine {engineMs:0} ms CPU of the run's {cpuUsed.TotalMilliseconds:0} ms CPU ({engineMs / cpuUsed.TotalMilliseconds * 100:0.0} %)"));
        }

        var stats = await fake.AskAsync<RequestStats>("take", ct);
        var after = await fake.AskAsync<LibraryFacts>("inspect", ct);
        if (options.Verbose || code != 0 || stats.Failed > 0)
        {
            await output.WriteLineAsync($"--- {scenario.Name}: exit {code}\n{stdout}{stderr}");
        }

        if (code != 0 || stats.Failed > 0)
        {
            await output.WriteLineAsync($"error: scenario {scenario.Name} failed (exit {code}, {stats.Failed} failed requests)");
            return null;
        }

        // Least writes: one call creating the missing output tags, then one per tag and 1000 changed assets.
        var changes = before.OutputTagAssets.Sum(kv => Math.Abs(after.OutputTagAssets[kv.Key] - kv.Value));
        var writeFloor = (after.ExistingOutputTags.Count > before.ExistingOutputTags.Count ? 1 : 0)
            + before.OutputTagAssets.Sum(kv => BenchLibrary.Pages(Math.Abs(after.OutputTagAssets[kv.Key] - kv.Value)));
        var result = new ScenarioResult(
            scenario.Name,
            options.Assets,
            before.Albums,
            stats.Requests,
            stats.Writes,
            before.RequestFloor,
            scenario.DryRun ? 0 : writeFloor,
            Math.Round(clock.Elapsed.TotalSeconds, 3),
            Math.Round(peak / (1024.0 * 1024.0), 1),
            Math.Round(cpuUsed.TotalSeconds, 3),
            Math.Round(fakeCpuUsed.TotalSeconds, 3),
            Math.Round(allocatedUsed / (1024.0 * 1024.0), 1),
            allocatedUsed,
            gen2Used,
            peakReset,
            stats.BytesSent,
            stats.BytesReceived,
            before.VisibleAssets,
            changed,
            scenario.DryRun ? 0 : changes,
            load,
            stats.ByOperation)
        {
            JitSeconds = Math.Round(jitUsed.TotalSeconds, 3),
            JitMethods = jitMethodsUsed,
            GcPauseSeconds = Math.Round(gcPauseUsed.TotalSeconds, 3),
        };
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{result.Scenario}: {result.Requests} requests (floor {result.RequestFloor}), {result.WriteRequests} writes, {result.WallSeconds:F2} s, {result.CpuSeconds:F2} s CPU (JIT {result.JitSeconds:F2} s over {result.JitMethods} methods, GC pauses {result.GcPauseSeconds:F2} s)"));
        if (topTypes is not null)
        {
            await output.WriteLineAsync("  sampled allocations by type (MB):");
            foreach (var (type, bytes) in topTypes)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {bytes / (1024.0 * 1024.0),8:F1}  {type}"));
            }
        }
        return result;
    }

    private static async Task<int> CheckAsync(IReadOnlyList<ScenarioResult> runs, TextWriter output)
    {
        var failures = new List<string>();
        var rerun = runs.Single(r => r.Scenario == "rerun");
        if (rerun.Requests > rerun.RequestFloor + BenchOptions.RerunSlack)
        {
            failures.Add($"rerun sent {rerun.Requests} requests; the floor is {rerun.RequestFloor} and at most {BenchOptions.RerunSlack} more are allowed");
        }

        if (rerun.WriteRequests > 0)
        {
            failures.Add($"rerun sent {rerun.WriteRequests} write requests; a converged library needs none");
        }

        var dry = runs.Single(r => r.Scenario == "dry-run");
        if (dry.WriteRequests > 0)
        {
            failures.Add($"dry run sent {dry.WriteRequests} write requests");
        }

        foreach (var failure in failures)
        {
            await output.WriteLineAsync($"check failed: {failure}");
        }

        if (failures.Count == 0)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"check passed: rerun {rerun.Requests} requests ≤ floor {rerun.RequestFloor} + {BenchOptions.RerunSlack}, no write"));
        }

        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// <paramref name="count"/> generated workflow rules, cycling through the kinds of condition (file name, folder,
    /// album, media type, dates, classification, duplicates, favourite, nested any/not); each adds its own tag.
    /// <paramref name="camera"/> adds one more rule on the camera make and model.
    /// </summary>
    internal static string WorkflowRules(int count, bool camera = false)
    {
        if (count == 0 && !camera)
        {
            return string.Empty;
        }

        string[] conditions =
        [
            "{file_name_patterns: ['^IMG_1']}",
            "{folder_patterns: ['/2019']}",
            "{album_name_patterns: ['^2020']}",
            "{media_types: [video]}",
            "{taken_from: '2021-01-01', taken_to: '2021-06-30'}",
            "{classification: [conflict]}",
            "{in_duplicate_group: true}",
            "{favorite: true, media_types: [image]}",
            "{any: [{file_name_patterns: ['5\\.jpg$']}, {not: {media_types: [image]}}]}",
            "{all: [{classification: [unclassified]}, {file_name_patterns: ['7']}]}",
        ];
        var text = new StringBuilder("\nworkflows:\n  rules:\n");
        for (var i = 0; i < count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    - name: rule {i}\n      when: {conditions[i % conditions.Length]}\n      then: {{add_tags: [bench_workflow/rule_{i}]}}\n");
        }

        if (camera)
        {
            text.Append("    - name: phone camera\n      when: {camera_make_patterns: ['^apple$', '^samsung$'], camera_model_patterns: ['iphone|^sm-']}\n      then: {add_tags: [bench_workflow/phone]}\n");
        }

        return text.ToString();
    }

    private static string Config(string url, string apiKey) => $"""
        server:
          url: {url}
          api_key: {apiKey}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['{BenchLibrary.AlbumPattern}']
              description: Events
            - tag_names: [{string.Join(", ", BenchLibrary.ClassificationTags)}]
              description: Tagged categories
          autotag_unknown: {BenchLibrary.UnknownTag}
          autotag_conflict: {BenchLibrary.ConflictTag}
        """;

    /// <summary>The workflow step's CPU time ("rule engine N ms, M ms CPU") from the newest run folder's plan.txt; null when absent.</summary>
    private static double? RuleEngineMilliseconds(string logs)
    {
        var newest = Directory.Exists(logs) ? Directory.GetDirectories(logs).Select(d => Path.Combine(d, "plan.txt")).Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() : null;
        var match = newest is null ? null : System.Text.RegularExpressions.Regex.Match(File.ReadAllText(newest), "rule engine [0-9]+ ms, ([0-9]+) ms CPU");
        return match is { Success: true } ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static string Table(IReadOnlyList<ScenarioResult> runs)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| scenario | assets | albums | requests | floor | writes | write floor | changes | sent KB | received MB | wall s | wall ms/1k assets | CPU s | fake CPU s | peak WS MB | allocated MB | gen2 GCs |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs)
        {
            text.AppendLine(string.Create(inv,
                $"| {r.Scenario} | {r.Assets} | {r.Albums} | {r.Requests} | {r.RequestFloor} | {r.WriteRequests} | {r.WriteFloor} | {r.Changes} | {r.BytesSent / 1024.0:F1} | {r.BytesReceived / (1024.0 * 1024.0):F1} | {r.WallSeconds:F2} | {r.WallSeconds * 1_000_000 / r.Assets:F0} | {r.CpuSeconds:F2} | {r.FakeCpuSeconds:F2} | {r.PeakWorkingSetMb:F0}{(r.PeakReset ? string.Empty : "*")} | {r.AllocatedMb:F0} | {r.Gen2Collections} |"));
        }

        text.AppendLine();
        text.AppendLine("Requests per operation:");
        foreach (var r in runs)
        {
            text.AppendLine($"- {r.Scenario}: {string.Join(", ", r.RequestsByOperation.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }

        text.AppendLine();
        text.AppendLine("CPU s, peak WS and allocated MB are the engine's process (the CLI run in-process; the fake Immich runs in a child process, whose CPU is \"fake CPU s\").");
        text.AppendLine("sent/received count HTTP bodies only. The first scenario also pays the JIT warm-up a real run pays every time.");
        text.Append(string.Create(inv, $"Load average (1 min) at each scenario's start: {string.Join(", ", runs.Select(r => r.LoadAverage?.ToString("F1", inv) ?? "n/a"))} on {Environment.ProcessorCount} cores; wall times are inflated when it exceeds the cores, CPU s much less so."));
        if (runs.Any(r => !r.PeakReset))
        {
            text.AppendLine();
            text.Append("* peak working set since process start (the per-scenario reset via /proc/self/clear_refs was not available).");
        }

        return text.ToString();
    }
}

internal sealed record BenchReport(IReadOnlyList<ScenarioResult> Runs);

/// <param name="RequestFloor">Least read requests the API allows for the library the run read.</param>
/// <param name="WriteFloor">Least write requests for the changes the run made (0 for a dry run).</param>
/// <param name="PeakWorkingSetMb">Peak working set of the engine's process during the scenario.</param>
/// <param name="AllocatedMb">Managed bytes the engine's process allocated during the run, in MiB (<see cref="AllocatedBytes"/> rounded).</param>
/// <param name="AllocatedBytes">Managed bytes the engine's process allocated during the run (<c>GC.GetTotalAllocatedBytes(precise: true)</c> after minus before).</param>
/// <param name="PeakReset">False when the peak could not be reset and covers the whole process lifetime.</param>
/// <param name="BytesSent">Request body bytes the engine sent.</param>
/// <param name="BytesReceived">Response body bytes the engine received.</param>
/// <param name="AssetsChangedBefore">Assets the benchmark changed just before this scenario.</param>
/// <param name="Changes">Output tag links the run added or removed.</param>
/// <param name="LoadAverage">The machine's 1-minute load average as the scenario started: wall times mean little when it exceeds the cores.</param>
internal sealed record ScenarioResult(
    string Scenario,
    int Assets,
    int Albums,
    int Requests,
    int WriteRequests,
    int RequestFloor,
    int WriteFloor,
    double WallSeconds,
    double PeakWorkingSetMb,
    double CpuSeconds,
    double FakeCpuSeconds,
    double AllocatedMb,
    long AllocatedBytes,
    int Gen2Collections,
    bool PeakReset,
    long BytesSent,
    long BytesReceived,
    int VisibleAssets,
    int AssetsChangedBefore,
    int Changes,
    double? LoadAverage,
    IReadOnlyDictionary<string, int> RequestsByOperation)
{
    /// <summary>
    /// Time the JIT spent compiling during the run (<c>JitInfo.GetCompilationTime</c>, every thread, tier-up
    /// recompilations and dynamic methods included): what a warm process still compiles when a scenario runs code the
    /// earlier scenarios did not (or not often enough for the optimizing tier). Elapsed time, not CPU: on a busy machine
    /// it counts the turns other processes had while the JIT ran; <see cref="JitMethods"/> is exact.
    /// </summary>
    public double JitSeconds { get; init; }

    /// <summary>Methods the JIT compiled during the run (<c>JitInfo.GetCompiledMethodCount</c>, recompilations included).</summary>
    public long JitMethods { get; init; }

    /// <summary>Time the run's threads were paused for garbage collections (<c>GC.GetTotalPauseDuration</c>), in seconds; elapsed time, inflated on a busy machine like <see cref="JitSeconds"/>.</summary>
    public double GcPauseSeconds { get; init; }
}

internal static class JsonReport
{
    public static readonly JsonSerializerOptions Options = new(Wire.Options) { WriteIndented = true };
}

internal static class ProcessMemory
{
    /// <summary>Linux resets a process's peak RSS (VmHWM, which PeakWorkingSet64 reads) when "5" is written to clear_refs.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }
}
