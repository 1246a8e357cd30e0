namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// One feature of a run (classification outputs, duplicates, date repair, album date check, conversions,
/// temporary albums, folder albums, album sharing, tag ↔ album sync, and the enrichment steps to come): its
/// config section, whether that section turns it on, and what it needs read from the server.
/// </summary>
public interface IFeatureStep
{
    /// <summary>The step's name in logs and reports, e.g. "date_repair".</summary>
    string Name { get; }

    /// <summary>The config key the step is configured by, as written in config.yaml (e.g. "duplicate_processing.date_correction").</summary>
    string ConfigSection { get; }

    /// <summary>Whether the config turns the step on for this run.</summary>
    bool Enabled { get; }

    /// <summary>What the step needs the gatherer to read; <see cref="ReadNeeds.None"/> when the walk is enough.</summary>
    ReadNeeds Reads { get; }
}

/// <summary>A step described by its values; each feature's registration in <see cref="FeatureSteps"/> builds one.</summary>
internal sealed record FeatureStep(string Name, string ConfigSection, bool Enabled, ReadNeeds Reads) : IFeatureStep;
