using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// The fake Immich server in its own process, so the benchmark process's CPU time and peak working set are
/// the engine's alone. It takes one-line commands on stdin and answers each with one JSON line on stdout.
/// </summary>
internal static class FakeHost
{
    public const string Flag = "--serve-fake";

    public static async Task<int> RunAsync(int assets, int seed, CancellationToken ct)
    {
        await using var server = await FakeImmichServer.StartAsync(ct: ct);
        var state = server.State;
        var owner = state.AddUser("Bench", "bench@example.com");
        var partner = state.AddUser("Partner", "partner@example.com");
        var key = state.AddApiKey(owner.Id, "all");
        var started = Stopwatch.GetTimestamp();
        var library = BenchLibrary.Build(state, owner.Id, partner.Id, assets, seed);
        var built = Stopwatch.GetElapsedTime(started);

        var stdout = Console.Out;
        await stdout.WriteLineAsync(Line(new HostReady(server.BaseUrl.ToString(), key, library.Summary.AlbumIds.Count, built.TotalSeconds)));
        await stdout.FlushAsync(ct);
        while (await Console.In.ReadLineAsync(ct) is { } command)
        {
            string answer = command.Trim() switch
            {
                "inspect" => Line(library.Inspect()),
                "take" => Line(Take(server.Requests)),
                "mutate" => Line(new MutateResult(library.ChangeOnePercent())),
                "quit" => string.Empty,
                var other => Line(new HostError($"unknown command '{other}'")),
            };
            if (answer.Length == 0)
            {
                break;
            }

            await stdout.WriteLineAsync(answer);
            await stdout.FlushAsync(ct);
        }

        return 0;
    }

    /// <summary>The requests since the last call, then forgets them.</summary>
    private static RequestStats Take(RequestLog log)
    {
        var all = log.All;
        log.Clear();
        return new RequestStats(
            all.Count,
            all.Count(r => r.IsWrite),
            all.Sum(r => r.RequestBodyBytes),
            all.Sum(r => r.ResponseBodyBytes),
            all.Count(r => r.StatusCode is < 200 or >= 300),
            all.GroupBy(r => r.OperationId, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    public static string Line<T>(T value) => JsonSerializer.Serialize(value, Wire.Options);
}

internal static class Wire
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

internal sealed record HostReady(string Url, string ApiKey, int Albums, double BuildSeconds);

internal sealed record HostError(string Error);

internal sealed record MutateResult(int Changed);

/// <param name="Failed">Answers outside 2xx; a benchmark run with any is not trustworthy.</param>
internal sealed record RequestStats(int Requests, int Writes, long BytesSent, long BytesReceived, int Failed, IReadOnlyDictionary<string, int> ByOperation);
