using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace ImmichAutoTag.Benchmarks;

/// <summary>
/// Samples this process's allocations by type through the runtime's <c>GCAllocationTick</c> event (raised about
/// every 100 KB allocated, naming the type of the object that crossed the mark). The sums are estimates: a type's
/// share of the samples is its share of the bytes, give or take one sampling interval per type.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private volatile bool _recording;

    /// <summary>Starts counting (samples that arrive before this are dropped).</summary>
    public void Start()
    {
        _bytesByType.Clear();
        _recording = true;
    }

    /// <summary>Stops counting and returns the <paramref name="top"/> types by sampled bytes, largest first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Stop(int top)
    {
        _recording = false;
        return _bytesByType.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(top).ToList();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var typeIndex = names.IndexOf("TypeName");
        var amountIndex = names.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0 || eventData.Payload is not { } payload)
        {
            return;
        }

        var type = payload[typeIndex] as string ?? "?";
        var amount = Convert.ToInt64(payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
