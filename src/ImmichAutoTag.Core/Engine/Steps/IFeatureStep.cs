using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// One feature of a run (classification outputs, duplicates, date repair, album date check, conversions,
/// temporary albums, folder albums, album sharing, tag ↔ album sync, and the enrichment steps to come): its
/// config section, whether that section turns it on, what it needs read from the server, and the typed changes
/// it plans into the run's one <see cref="ChangeList"/>.
/// </summary>
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
    /// The changes (each with its reason) and notes the step adds to the run's list, planned from the library as
    /// read and the changes the earlier steps planned. Called once per run, in registration order, for enabled steps.
    /// The steps that judge each asset on the state the others leave (sync, classification, duplicates, dates,
    /// conversions, folder and temporary albums, album date check) plan together in the run planner's phases; their
    /// registrations return <see cref="StepPlan.None"/> here.
    /// </summary>
    StepPlan Plan(StepContext context) => StepPlan.None;
}

/// <summary>What a step plans from.</summary>
/// <param name="Snapshot">The library as the gatherer read it (assets, albums with their members, tags, the key's user).</param>
/// <param name="Planned">The changes the earlier steps planned (e.g. the albums this run creates).</param>
/// <param name="Users">The server's users (GET /users); empty unless some step's <see cref="ReadNeeds.Users"/> asked for them.</param>
public sealed record StepContext(LibrarySnapshot Snapshot, ChangeList Planned, IReadOnlyList<UserInfo> Users)
{
    /// <summary>Classification status of every asset the run may change (empty when the caller has none).</summary>
    public IReadOnlyDictionary<Guid, Classification.ClassificationStatus> Statuses { get; init; } = new Dictionary<Guid, Classification.ClassificationStatus>();

    /// <summary>The CLIP step's scores; null when it is off.</summary>
    public Enrichment.Clip.ClipLabels? Clip { get; init; }

    /// <summary>Asset id → booru match facts; null until the booru step provides them.</summary>
    public IReadOnlyDictionary<Guid, Workflows.BooruMatchFacts>? Booru { get; init; }
}

/// <summary>A step's contribution to the run's plan: typed changes with their reasons, and findings that change nothing.</summary>
public sealed record StepPlan(IReadOnlyList<PlannedChange> Changes, IReadOnlyList<PlanNote> Notes)
{
    /// <summary>Nothing to change, nothing to note.</summary>
    public static StepPlan None { get; } = new([], []);
}

/// <summary>A step described by its values; each feature's registration in <see cref="FeatureSteps"/> builds one.</summary>
internal sealed record FeatureStep(string Name, string ConfigSection, bool Enabled, ReadNeeds Reads) : IFeatureStep;
