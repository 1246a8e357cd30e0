using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// One feature of a run (classification outputs, duplicates, date repair, album date check, conversions,
/// temporary albums, folder albums, album sharing, tag ↔ album sync, CLIP labels and the enrichment steps to
/// come): its config section, whether that section turns it on, what it needs read from the server, the IO-bound
/// work it does before planning (<see cref="PrepareAsync"/>), and the typed changes it plans into the run's one
/// <see cref="ChangeList"/> (<see cref="Plan"/>).
/// </summary>
/// <remarks>
/// A run calls, for every enabled step in registration order: the gather (the union of every step's
/// <see cref="Reads"/>), then <see cref="PrepareAsync"/>, then <see cref="Plan"/>. Facts a step computes while
/// preparing (scores, look-ups) go into <see cref="StepPrepareContext.Facts"/>, where later steps and the run's result
/// read them by type.
/// </remarks>
public interface IFeatureStep
{
    /// <summary>The step's name in logs and reports, e.g. "date_repair"; the <see cref="ChangeReason.Step"/> of its changes.</summary>
    string Name { get; }

    /// <summary>The config key the step is configured by, as written in config.yaml (e.g. "duplicate_processing.date_correction").</summary>
    string ConfigSection { get; }

    /// <summary>Whether the config turns the step on for this run.</summary>
    bool Enabled { get; }

    /// <summary>What the step needs the gatherer to read; <see cref="ReadNeeds.None"/> when the walk is enough.</summary>
    ReadNeeds Reads { get; }

    /// <summary>
    /// IO-bound enrichment before any step plans (model inference, look-ups at external services), called once per
    /// run for enabled steps, in registration order, after the library and the duplicate groups were read. The step
    /// records what it found in <see cref="StepPrepareContext.Facts"/>. It sends no write to Immich (a dry run must
    /// stay read-only). An exception ends the run before anything is planned or written.
    /// </summary>
    Task PrepareAsync(StepPrepareContext context, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The changes (each with its reason), notes and owned tags the step adds to the run's plan, planned from the
    /// library as read, the facts the steps prepared and the changes the earlier steps planned. Called once per run,
    /// in registration order, for enabled steps. Owned tags (<see cref="StepPlan.OwnedTags"/>) are turned into tag
    /// additions and removals per asset together with every other step's, so a step never diffs tags itself.
    /// </summary>
    StepPlan Plan(StepContext context) => StepPlan.None;
}

/// <summary>What a step prepares from: the library as read, the run's services, and the facts object it writes to.</summary>
public sealed class StepPrepareContext
{
    /// <summary>The library as the gatherer read it.</summary>
    public required LibrarySnapshot Snapshot { get; init; }

    /// <summary>The duplicate groups (GET /duplicates); null unless some step's <see cref="ReadNeeds.Duplicates"/> asked and the key may read them.</summary>
    public IReadOnlyList<DuplicateGroup>? Duplicates { get; init; }

    /// <summary>Where the step records what it computed, for later steps and the run's result.</summary>
    public required RunFacts Facts { get; init; }

    /// <summary>The server (reads only: under a dry run it refuses every write).</summary>
    public required IImmichGateway Gateway { get; init; }

    /// <summary>The run's options, which also carry the optional runtimes steps need (e.g. <see cref="RunOptions.Clip"/>).</summary>
    public required RunOptions Options { get; init; }

    /// <summary>The run's logger.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>The run's clock.</summary>
    public required TimeProvider Time { get; init; }
}

/// <summary>What a step plans from.</summary>
/// <param name="Snapshot">The library as the gatherer read it (assets, albums with their members, tags, the key's user).</param>
/// <param name="Planned">The changes the earlier steps planned (e.g. the albums this run creates); tag changes from owned tags are not in it yet.</param>
/// <param name="Users">The server's users (GET /users); empty unless some step's <see cref="ReadNeeds.Users"/> asked for them.</param>
public sealed record StepContext(LibrarySnapshot Snapshot, ChangeList Planned, IReadOnlyList<UserInfo> Users)
{
    /// <summary>What the steps computed while preparing (e.g. <c>ClipLabels</c>), read by type.</summary>
    public RunFacts Facts { get; init; } = new();
}

/// <summary>A step's contribution to the run's plan: typed changes with their reasons, and findings that change nothing.</summary>
public sealed record StepPlan(IReadOnlyList<PlannedChange> Changes, IReadOnlyList<PlanNote> Notes)
{
    /// <summary>Nothing to change, nothing to note.</summary>
    public static StepPlan None { get; } = new([], []);

    /// <summary>
    /// The tags the step owns and which of them each asset should carry; the run adds the missing ones and removes
    /// the step's stale ones (never a tag the step does not own). Null: the step owns no tags.
    /// </summary>
    public OwnedTagPlan? OwnedTags { get; init; }
}

/// <summary>A step described by its values; each feature's registration in <see cref="FeatureSteps"/> builds one.</summary>
internal sealed record FeatureStep(string Name, string ConfigSection, bool Enabled, ReadNeeds Reads) : IFeatureStep;
