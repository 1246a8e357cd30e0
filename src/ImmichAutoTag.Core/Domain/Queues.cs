namespace ImmichAutoTag.Core.Domain;

/// <summary>One of Immich's background job queues, as GET /queues reports it.</summary>
public sealed record QueueStatus(string Name, bool IsPaused, long Active, long Waiting, long Delayed)
{
    /// <summary>Immich's own notion: nothing running and nothing queued (delayed jobs are retries, not our write-backs).</summary>
    public bool IsIdle => Active == 0 && Waiting == 0;
}

/// <summary>Names of the queues whose jobs write tags back from XMP sidecars (see docs on the write-back race).</summary>
public static class QueueNames
{
    public const string Sidecar = "sidecar";
    public const string MetadataExtraction = "metadataExtraction";

    /// <summary>The two queues whose jobs can revert a tag change; pausing both defers the write-back.</summary>
    public static IReadOnlyList<string> WriteBack { get; } = [Sidecar, MetadataExtraction];
}
