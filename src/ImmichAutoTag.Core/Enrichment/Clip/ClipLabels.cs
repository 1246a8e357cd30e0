using System.Globalization;

namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// The CLIP step's outcome for one run, available to the planner, to later steps (for example a booru lookup that
/// wants illustration-like assets first: <see cref="Probability"/>) and to the reports.
/// </summary>
public sealed class ClipLabels
{
    private readonly string _prefix;

    /// <param name="model">The model the scores come from.</param>
    /// <param name="tagRoot">Label tags are <c>tagRoot/&lt;label&gt;</c>.</param>
    /// <param name="labelNames">The label set, in order.</param>
    /// <param name="selected">Assets the step was asked to label.</param>
    /// <param name="pipeline">Scores, failures and counts.</param>
    public ClipLabels(ClipModelId model, string tagRoot, IReadOnlyList<string> labelNames, IReadOnlyCollection<Guid> selected, ClipPipelineResult pipeline)
    {
        ArgumentNullException.ThrowIfNull(tagRoot);
        ArgumentNullException.ThrowIfNull(labelNames);
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(pipeline);
        Model = model;
        TagRoot = tagRoot;
        _prefix = tagRoot + "/";
        LabelNames = labelNames;
        Selected = selected.Count;
        Scores = pipeline.Scores;
        Failures = pipeline.Failures;
        Encoded = pipeline.Encoded;
        Reused = pipeline.Reused;
        Times = pipeline.Times;
    }

    /// <summary>The model the scores come from.</summary>
    public ClipModelId Model { get; }

    /// <summary>The tag root the labels are under.</summary>
    public string TagRoot { get; }

    /// <summary>The label set, in order.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Assets the step selected (owned, visible to the run, of a selected media type, matched by clip.assets.rules).</summary>
    public int Selected { get; }

    /// <summary>Asset id → softmax over the label set and the decision; only scored assets.</summary>
    public IReadOnlyDictionary<Guid, ZeroShotResult> Scores { get; }

    /// <summary>Asset id → why it could not be scored; such an asset keeps the label tags it has.</summary>
    public IReadOnlyDictionary<Guid, string> Failures { get; }

    /// <summary>Images encoded by this run (0 on a run whose assets were all encoded before).</summary>
    public int Encoded { get; }

    /// <summary>Distinct files whose stored embedding was reused.</summary>
    public int Reused { get; }

    /// <summary>Time per stage.</summary>
    public ClipPipelineTimes Times { get; }

    /// <summary>The tag of a label: <c>TagRoot/label</c>.</summary>
    public string TagFor(string label) => _prefix + label;

    /// <summary>Whether a tag path lies below the tag root (the tool's own label tags).</summary>
    public bool IsLabelTag(string path) => path is not null && path.StartsWith(_prefix, StringComparison.Ordinal);

    /// <summary>The probability <paramref name="label"/> got for the asset, or null when the asset was not scored.</summary>
    public double? Probability(Guid assetId, string label) =>
        Scores.TryGetValue(assetId, out var result) ? result.Probabilities.FirstOrDefault(p => string.Equals(p.Label, label, StringComparison.Ordinal)).Probability : null;

    /// <summary>The label tag the asset should carry, or null (not scored, or the decision rule declined).</summary>
    public string? DesiredTag(Guid assetId) => Scores.TryGetValue(assetId, out var r) && r.Label is { } label ? TagFor(label) : null;

    /// <summary>Why the asset gets (or loses) its label, e.g. <c>clip anime 93% (next photo 4%)</c>.</summary>
    public string? Reason(Guid assetId)
    {
        if (Failures.TryGetValue(assetId, out var failure))
        {
            return $"clip: not scored ({failure}); label tags kept";
        }

        if (!Scores.TryGetValue(assetId, out var result))
        {
            return "clip: not selected by clip.assets";
        }

        var best = result.Best;
        var next = result.Probabilities.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" (next {result.Probabilities[1].Label} {Percent(result.Probabilities[1].Probability)})") : string.Empty;
        return result.Label is null
            ? string.Create(CultureInfo.InvariantCulture, $"clip: no label (best {best.Label} {Percent(best.Probability)}{next}, below the decision rule)")
            : string.Create(CultureInfo.InvariantCulture, $"clip {best.Label} {Percent(best.Probability)}{next}");
    }

    /// <summary>How many scored assets got each label (label set order).</summary>
    public IReadOnlyList<(string Label, int Assets)> Counts() =>
        LabelNames.Select(l => (l, Scores.Values.Count(r => string.Equals(r.Label, l, StringComparison.Ordinal)))).ToList();

    private static string Percent(double p) => string.Create(CultureInfo.InvariantCulture, $"{p * 100:0.#}%");
}
