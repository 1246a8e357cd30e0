using System.Diagnostics.Tracing;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// Counts the methods the JIT compiles while it listens, by namespace (the runtime's <c>MethodLoadVerbose</c>
/// events, keyword JIT), so a timed pass can say whose code was still being compiled: the tool's, the HTTP client's,
/// the in-process fake's web server. For <c>--clip --jit-log</c> only: listening to the runtime's events costs a
/// little itself.
/// </summary>
internal sealed class JitListener : EventListener
{
    private const int MethodLoadVerbose = 143;
    private readonly Dictionary<string, int> _byNamespace = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _on;

    /// <summary>Starts counting (clears the previous counts).</summary>
    public void Start()
    {
        lock (_lock)
        {
            _byNamespace.Clear();
            _on = true;
        }
    }

    /// <summary>Stops counting; returns "namespace count" pairs, the largest first.</summary>
    public IReadOnlyList<(string Namespace, int Methods)> Stop()
    {
        lock (_lock)
        {
            _on = false;
            return [.. _byNamespace.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))];
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != MethodLoadVerbose || eventData.PayloadNames is null)
        {
            return;
        }

        var index = eventData.PayloadNames.IndexOf("MethodNamespace");
        var type = index >= 0 ? eventData.Payload?[index] as string ?? "?" : "?";

        // The type's namespace and first type name segment are enough to tell whose code it is.
        var dots = 0;
        var cut = type.Length;
        for (var i = 0; i < type.Length; i++)
        {
            if (type[i] == '.' && ++dots == 3)
            {
                cut = i;
                break;
            }
        }

        var key = type[..cut];
        lock (_lock)
        {
            if (_on)
            {
                _byNamespace[key] = _byNamespace.GetValueOrDefault(key) + 1;
            }
        }
    }
}
