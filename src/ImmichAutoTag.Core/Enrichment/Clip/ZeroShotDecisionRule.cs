namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// When the best label of a softmax over the label set is taken: its probability is at least
/// <see cref="MinimumProbability"/> and exceeds the runner-up's by at least <see cref="MinimumMargin"/>. Otherwise the
/// asset gets no label (the model is not sure enough, or two labels are too close to call).
/// </summary>
/// <param name="MinimumProbability">In [0, 1].</param>
/// <param name="MinimumMargin">In [0, 1]; the difference of the two highest probabilities.</param>
/// <param name="LogitScale">
/// Multiplies cosine similarities before the softmax. CLIP learns it during training; OpenAI's ViT-B/32 ends at
/// 100 (its <c>logit_scale</c> parameter is ln 100), the value zero-shot classification with CLIP uses.
/// </param>
public sealed record ZeroShotDecisionRule(double MinimumProbability, double MinimumMargin, double LogitScale = ZeroShotDecisionRule.ClipLogitScale)
{
    /// <summary>exp(logit_scale) of OpenAI's CLIP models after training.</summary>
    public const double ClipLogitScale = 100.0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a bound lies outside [0, 1] or the scale is not positive.</summary>
    public void Validate()
    {
        if (MinimumProbability is < 0 or > 1 || double.IsNaN(MinimumProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumProbability), MinimumProbability, "must lie in [0, 1]");
        }

        if (MinimumMargin is < 0 or > 1 || double.IsNaN(MinimumMargin))
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumMargin), MinimumMargin, "must lie in [0, 1]");
        }

        if (!(LogitScale > 0) || double.IsInfinity(LogitScale))
        {
            throw new ArgumentOutOfRangeException(nameof(LogitScale), LogitScale, "must be a positive number");
        }
    }
}
