namespace ImmichAutoTag.Infrastructure;

/// <summary>Where runs keep their files.</summary>
/// <param name="OutputRoot">Absolute folder that receives one folder per run.</param>
/// <param name="StateFolder">Absolute folder of the run lock, status.json, the queue-pause markers and state.db.</param>
/// <param name="StateFolderHint">Added to the message when the state folder cannot be used, e.g. how to choose another.</param>
public sealed record RunLocations(string OutputRoot, string StateFolder, string? StateFolderHint = null);
