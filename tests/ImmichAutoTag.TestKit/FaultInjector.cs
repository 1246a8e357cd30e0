namespace ImmichAutoTag.TestKit;

/// <summary>Which requests a seeded fault rule may hit.</summary>
public enum FaultPhase
{
    /// <summary>Reads: every GET and the read-only POST /search/* calls.</summary>
    Read,

    /// <summary>Writes: every other request (see <see cref="RecordedRequest.IsWrite"/>).</summary>
    Write,
}

/// <summary>The faults a seeded rule (<see cref="FaultInjector.Seeded"/>) injects.</summary>
public enum InjectedFault
{
    /// <summary>500, 502, 503 or 504 with an Immich-shaped error body; the request is not served.</summary>
    ServerError,

    /// <summary>The request is held until the client gives up (its time-out); it is not served.</summary>
    Timeout,

    /// <summary>The connection is reset before the request is served.</summary>
    ConnectionReset,

    /// <summary>The request is served, then the connection is reset: the answer is lost after the write took effect.</summary>
    ResponseLost,

    /// <summary>429 with <c>Retry-After: 1</c>; the request is not served.</summary>
    Throttled,

    /// <summary>The request is served and its answer sent in small pieces with pauses in between.</summary>
    SlowBody,

    /// <summary>The request is served and the connection cut half-way through the answer's body (Content-Length says more).</summary>
    TruncatedBody,
}

public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly List<Injected> _injected = [];

    /// <summary>Answers the next matching requests with the status and an Immich-shaped error body.</summary>
    public void Fail(string operationId, int statusCode, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.Fail, statusCode, TimeSpan.Zero, times));

    /// <summary>
    /// Answers every matching request whose JSON body satisfies <paramref name="bodyMatches"/> with the status, for
    /// as long as the rule stays (e.g. "the chunk that holds this asset id fails").
    /// </summary>
    public void FailWhere(string operationId, int statusCode, Func<string?, bool> bodyMatches) =>
        Add(new Rule(operationId, FaultKind.Fail, statusCode, TimeSpan.Zero, null) { BodyMatches = bodyMatches });

    /// <summary>Holds the next matching requests for the delay, then serves them normally.</summary>
    public void Delay(string operationId, TimeSpan delay, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.Delay, 0, delay, times));

    /// <summary>Aborts the connection of the next matching requests without any response.</summary>
    public void Drop(string operationId, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.Drop, 0, TimeSpan.Zero, times));

    /// <summary>
    /// Answers the next matching requests with the status and <paramref name="message"/> as the error body's message
    /// (say, a proxy's page that echoes the request's credentials).
    /// </summary>
    public void FailWithMessage(string operationId, int statusCode, string message, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.Fail, statusCode, TimeSpan.Zero, times) { Message = message });

    /// <summary>Answers the next matching requests with 429 and <c>Retry-After: <paramref name="retryAfterSeconds"/></c>.</summary>
    public void Throttle(string operationId, int retryAfterSeconds, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.Fail, 429, TimeSpan.Zero, times) { RetryAfterSeconds = retryAfterSeconds });

    /// <summary>
    /// Holds the next matching requests, unserved, until the client gives up (or the process holding the connection
    /// dies). <paramref name="onHeld"/> runs when one is held, with its operation id: a test waits for it instead of
    /// sleeping.
    /// </summary>
    public void Hang(string operationId, int? times = 1, Action<string>? onHeld = null) =>
        Add(new Rule(operationId, FaultKind.Hang, 0, TimeSpan.Zero, times) { OnHeld = onHeld });

    /// <summary>Serves the next matching requests, then resets the connection: the change is made, the answer is lost.</summary>
    public void LoseResponse(string operationId, int? times = 1) =>
        Add(new Rule(operationId, FaultKind.DropAfterServe, 0, TimeSpan.Zero, times));

    /// <summary>
    /// Holds every request that satisfies <paramref name="matches"/> (method, path, body), unserved, until the client
    /// gives up or dies; <paramref name="onHeld"/> runs with the operation id when one is held. Stays until <see cref="Clear"/>.
    /// </summary>
    /// <param name="served">Serve the request first (the change is made) and hold its answer instead.</param>
    public void HangWhere(Func<string, string, string?, bool> matches, Action<string>? onHeld = null, bool served = false) =>
        Add(new Rule("*", served ? FaultKind.HangAfterServe : FaultKind.Hang, 0, TimeSpan.Zero, null) { RequestMatches = matches, OnHeld = onHeld });

    /// <summary>
    /// Injects <paramref name="fault"/> into requests of <paramref name="phase"/> at <paramref name="rate"/> (0..1),
    /// decided per request from <paramref name="seed"/>, the operation and how many requests of that operation came
    /// before (ids differ between fakes, so the request's body does not count): the same seed hits the same requests of
    /// a client that sends them in the same order. So that every seed tests something, the
    /// (1 + <paramref name="seed"/> mod 3)-th request of the phase is hit when none was before it. One request (same
    /// method, path and body) is hit at most <paramref name="maxPerRequest"/> times in a row (so a client with that many
    /// retries gets through) and at most <paramref name="maxTotal"/> requests are hit in all. Stays until <see cref="Clear"/>.
    /// </summary>
    public void Seeded(int seed, InjectedFault fault, FaultPhase phase, double rate, int maxPerRequest = 2, int maxTotal = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1.0);
        lock (_gate)
        {
            _seeded.Add(new SeededRule(seed, fault, phase, rate, maxPerRequest, maxTotal));
        }
    }

    /// <summary>Every fault injected so far, oldest first.</summary>
    public IReadOnlyList<Injected> Log
    {
        get
        {
            lock (_gate)
            {
                return [.. _injected];
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _seeded.Clear();
        }
    }

    private readonly List<SeededRule> _seeded = [];

    /// <summary>Consumes one use of the oldest rule matching the operation (exact name before "*").</summary>
    internal Fault? Take(string operationId, string method, string path, string? body)
    {
        lock (_gate)
        {
            var rule = _rules.Find(r => r.OperationId == operationId && r.Accepts(method, path, body))
                ?? _rules.Find(r => r.OperationId == "*" && r.Accepts(method, path, body));
            if (rule is null)
            {
                return TakeSeeded(operationId, method, path, body);
            }

            if (rule.Remaining is { } remaining)
            {
                rule.Remaining = remaining - 1;
                if (rule.Remaining <= 0)
                {
                    _rules.Remove(rule);
                }
            }

            _injected.Add(new Injected(operationId, method, path, rule.Kind.ToString()));
            return new Fault(rule.Kind, rule.StatusCode, rule.Delay) { RetryAfterSeconds = rule.RetryAfterSeconds, OnHeld = rule.OnHeld, Message = rule.Message };
        }
    }

    private Fault? TakeSeeded(string operationId, string method, string path, string? body)
    {
        var isWrite = new RecordedRequest(operationId, method, path, body, 0).IsWrite;
        foreach (var rule in _seeded)
        {
            if ((rule.Phase == FaultPhase.Write) != isWrite || rule.Total >= rule.MaxTotal)
            {
                continue;
            }

            var key = method + " " + path + " " + body;
            var seen = rule.Seen.GetValueOrDefault(operationId);
            rule.Seen[operationId] = seen + 1;
            rule.Eligible++;
            var forced = rule.Total == 0 && rule.Eligible == 1 + (rule.Seed % 3);
            var streak = rule.Streak.GetValueOrDefault(key);
            if (streak >= rule.MaxPerRequest || (!forced && Draw(rule.Seed, operationId, seen) >= rule.Rate))
            {
                rule.Streak[key] = 0;
                continue;
            }

            rule.Streak[key] = streak + 1;
            rule.Total++;
            _injected.Add(new Injected(operationId, method, path, rule.Fault.ToString()));
            return rule.Fault switch
            {
                InjectedFault.ServerError => new Fault(FaultKind.Fail, ServerErrors[(int)(Draw(rule.Seed + 1, key, seen) * ServerErrors.Length)], TimeSpan.Zero),
                InjectedFault.Timeout => new Fault(FaultKind.Hang, 0, TimeSpan.Zero),
                InjectedFault.ConnectionReset => new Fault(FaultKind.Drop, 0, TimeSpan.Zero),
                InjectedFault.ResponseLost => new Fault(FaultKind.DropAfterServe, 0, TimeSpan.Zero),
                InjectedFault.Throttled => new Fault(FaultKind.Fail, 429, TimeSpan.Zero) { RetryAfterSeconds = 1 },
                InjectedFault.SlowBody => new Fault(FaultKind.SlowBody, 0, TimeSpan.Zero),
                InjectedFault.TruncatedBody => new Fault(FaultKind.Truncate, 0, TimeSpan.Zero),
                _ => throw new InvalidOperationException(rule.Fault.ToString()),
            };
        }

        return null;
    }

    private static readonly int[] ServerErrors = [500, 502, 503, 504];

    /// <summary>A number in [0, 1) from the seed, the request and its occurrence (FNV-1a; stable across processes).</summary>
    private static double Draw(int seed, string key, int occurrence)
    {
        var hash = 14695981039346656037UL ^ (ulong)(uint)seed;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (ulong)(uint)occurrence) * 1099511628211UL;
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    private void Add(Rule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(rule.OperationId);
        if (rule.Remaining is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rule), "times must be positive or null.");
        }

        lock (_gate)
        {
            _rules.Add(rule);
        }
    }

    private sealed class Rule(string operationId, FaultKind kind, int statusCode, TimeSpan delay, int? remaining)
    {
        public string OperationId { get; } = operationId;
        public FaultKind Kind { get; } = kind;
        public int StatusCode { get; } = statusCode;
        public TimeSpan Delay { get; } = delay;
        public int? Remaining { get; set; } = remaining;

        public Func<string?, bool>? BodyMatches { get; init; }

        public Func<string, string, string?, bool>? RequestMatches { get; init; }

        public int? RetryAfterSeconds { get; init; }

        public Action<string>? OnHeld { get; init; }

        public string? Message { get; init; }

        public bool Accepts(string method, string path, string? body) =>
            (BodyMatches is null || BodyMatches(body)) && (RequestMatches is null || RequestMatches(method, path, body));
    }

    private sealed class SeededRule(int seed, InjectedFault fault, FaultPhase phase, double rate, int maxPerRequest, int maxTotal)
    {
        public int Seed { get; } = seed;
        public InjectedFault Fault { get; } = fault;
        public FaultPhase Phase { get; } = phase;
        public double Rate { get; } = rate;
        public int MaxPerRequest { get; } = maxPerRequest;
        public int MaxTotal { get; } = maxTotal;
        public int Total { get; set; }
        public int Eligible { get; set; }
        public Dictionary<string, int> Seen { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Streak { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>One injected fault: the request it hit and what was done to it.</summary>
public sealed record Injected(string OperationId, string Method, string Path, string Fault);

internal enum FaultKind
{
    Fail,
    Delay,
    Drop,
    Hang,
    HangAfterServe,
    DropAfterServe,
    SlowBody,
    Truncate,
}

internal sealed record Fault(FaultKind Kind, int StatusCode, TimeSpan Delay)
{
    public int? RetryAfterSeconds { get; init; }

    public Action<string>? OnHeld { get; init; }

    public string? Message { get; init; }
}
