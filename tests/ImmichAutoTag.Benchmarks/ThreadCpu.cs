using System.Globalization;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// CPU time per thread of this process, from Linux's <c>/proc/self/task/&lt;tid&gt;/schedstat</c> (first field:
/// nanoseconds the thread ran) and <c>/proc/self/task/&lt;tid&gt;/comm</c> (its name, at most 15 characters), so a
/// timed pass can say which threads used the CPU: ONNX Runtime's pool, the .NET thread pool, the JIT's background
/// compiler, the background GC, libvips' workers, the socket engine. Empty where <c>/proc</c> is not there.
/// </summary>
internal static class ThreadCpu
{
    /// <summary>Thread id → (name, nanoseconds run so far), for every thread alive now.</summary>
    public static Dictionary<int, (string Name, long Nanoseconds)> Snapshot()
    {
        var result = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
            {
                continue;
            }

            try
            {
                var name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
                var schedstat = File.ReadAllText(Path.Combine(dir, "schedstat"));
                var first = schedstat.AsSpan(0, Math.Max(0, schedstat.IndexOf(' ', StringComparison.Ordinal)));
                if (long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                {
                    result[tid] = (name, ns);
                }
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }

        return result;
    }

    /// <summary>The ids of threads alive now.</summary>
    public static HashSet<int> Ids() => [.. Snapshot().Keys];

    /// <summary>
    /// CPU ms per group between two snapshots, highest first. A thread's group is <paramref name="label"/>'s answer,
    /// else its name (threads that ended before <paramref name="after"/> are not counted, so the figures are a lower
    /// bound; threads born after <paramref name="before"/> count from zero).
    /// </summary>
    public static IReadOnlyList<ThreadGroupCpu> Diff(
        Dictionary<int, (string Name, long Nanoseconds)> before,
        Dictionary<int, (string Name, long Nanoseconds)> after,
        Func<int, string?> label)
    {
        var groups = new Dictionary<string, (double Ms, int Threads)>(StringComparer.Ordinal);
        foreach (var (tid, (name, ns)) in after)
        {
            var delta = ns - (before.TryGetValue(tid, out var was) ? was.Nanoseconds : 0);
            if (delta <= 0)
            {
                continue;
            }

            var group = label(tid) ?? name;
            groups.TryGetValue(group, out var sum);
            groups[group] = (sum.Ms + (delta / 1e6), sum.Threads + 1);
        }

        return [.. groups.Select(g => new ThreadGroupCpu(g.Key, Math.Round(g.Value.Ms, 1), g.Value.Threads)).OrderByDescending(g => g.CpuMs)];
    }

    /// <summary>
    /// Adds a group "ended threads" for the process CPU time (<paramref name="processCpuMs"/>, all threads, the ended
    /// ones included) that no thread alive at the end accounts for: libvips' pool, for one, lets idle workers end
    /// and starts new ones, so a worker that ran during the pass may be gone when it ends.
    /// </summary>
    public static IReadOnlyList<ThreadGroupCpu> WithEnded(IReadOnlyList<ThreadGroupCpu> groups, double processCpuMs)
    {
        // Process CPU comes in clock ticks (10 ms), schedstat in nanoseconds: below a few ticks the gap is rounding.
        var ended = processCpuMs - groups.Sum(g => g.CpuMs);
        return ended < 30 ? groups : [.. groups.Append(new ThreadGroupCpu("ended threads", Math.Round(ended, 1), 0)).OrderByDescending(g => g.CpuMs)];
    }

    /// <summary>One line: "name 123 ms (2)" per group.</summary>
    public static string Format(IReadOnlyList<ThreadGroupCpu> groups, int images) =>
        string.Join(", ", groups.Where(g => g.CpuMs >= 0.05 * images).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Name} {g.CpuMs / images:F1} ({g.Threads})")));
}

/// <param name="Name">Thread name (Linux <c>comm</c>) or the label the benchmark gave the thread.</param>
/// <param name="CpuMs">CPU ms those threads ran during the pass.</param>
/// <param name="Threads">Threads of the group that ran.</param>
internal sealed record ThreadGroupCpu(string Name, double CpuMs, int Threads);
