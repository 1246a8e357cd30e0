namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>One label's share of the softmax for one image.</summary>
/// <param name="Label">The label's name.</param>
/// <param name="Probability">In [0, 1]; the probabilities of one image over the label set sum to 1.</param>
public readonly record struct LabelProbability(string Label, double Probability);

/// <summary>
/// The zero-shot scores of one image and the decision taken from them.
/// </summary>
/// <param name="Probabilities">Every label of the set, most probable first (ties: label set order).</param>
/// <param name="Label">The chosen label, or null when the decision rule declined.</param>
/// <param name="Margin">Best probability minus the runner-up's (the best probability when the set has one label).</param>
public sealed record ZeroShotResult(IReadOnlyList<LabelProbability> Probabilities, string? Label, double Margin)
{
    /// <summary>The most probable label and its probability (whether or not it was chosen).</summary>
    public LabelProbability Best => Probabilities[0];
}
