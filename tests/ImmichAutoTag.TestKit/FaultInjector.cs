namespace ImmichAutoTag.TestKit;

public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];

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

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    /// <summary>Consumes one use of the oldest rule matching the operation (exact name before "*").</summary>
    internal Fault? Take(string operationId, string? body = null)
    {
        lock (_gate)
        {
            var rule = _rules.Find(r => r.OperationId == operationId && r.Accepts(body)) ?? _rules.Find(r => r.OperationId == "*" && r.Accepts(body));
            if (rule is null)
            {
                return null;
            }

            if (rule.Remaining is { } remaining)
            {
                rule.Remaining = remaining - 1;
                if (rule.Remaining <= 0)
                {
                    _rules.Remove(rule);
                }
            }

            return new Fault(rule.Kind, rule.StatusCode, rule.Delay);
        }
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

        public bool Accepts(string? body) => BodyMatches is null || BodyMatches(body);
    }
}

internal enum FaultKind
{
    Fail,
    Delay,
    Drop,
}

internal sealed record Fault(FaultKind Kind, int StatusCode, TimeSpan Delay);
