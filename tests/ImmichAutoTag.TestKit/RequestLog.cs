namespace ImmichAutoTag.TestKit;

/// <summary>One request as the fake saw it; StatusCode is 0 when the fake dropped the connection.</summary>
public sealed record RecordedRequest(string OperationId, string Method, string Path, string? Body, int StatusCode)
{
    /// <summary>Length of the request body as sent (HTTP headers not included).</summary>
    public long RequestBodyBytes { get; init; }

    /// <summary>Length of the response body (HTTP headers not included).</summary>
    public long ResponseBodyBytes { get; init; }

    /// <summary>Writes are every non-GET request except the read-only POST /search/* calls.</summary>
    public bool IsWrite =>
        !string.Equals(Method, "GET", StringComparison.OrdinalIgnoreCase)
        && !(string.Equals(Method, "POST", StringComparison.OrdinalIgnoreCase)
             && Path.StartsWith("/api/search/", StringComparison.Ordinal));
}

public sealed class RequestLog
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _all = [];

    public int Count(string operationId)
    {
        lock (_gate)
        {
            return _all.Count(r => r.OperationId == operationId);
        }
    }

    public int Total
    {
        get
        {
            lock (_gate)
            {
                return _all.Count;
            }
        }
    }

    public int WriteCount
    {
        get
        {
            lock (_gate)
            {
                return _all.Count(r => r.IsWrite);
            }
        }
    }

    public IReadOnlyDictionary<string, int> ByOperation()
    {
        lock (_gate)
        {
            return _all.GroupBy(r => r.OperationId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<RecordedRequest> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _all.Clear();
        }
    }

    internal void Add(RecordedRequest request)
    {
        lock (_gate)
        {
            _all.Add(request);
        }
    }
}
