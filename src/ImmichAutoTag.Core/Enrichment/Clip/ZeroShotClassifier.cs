namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// Zero-shot classification over a label set from CLIP embeddings: each label's prompt embeddings are L2-normalised,
/// averaged and normalised again into one label vector; an image's (normalised) embedding is compared with every
/// label vector by cosine similarity, the similarities times <see cref="ZeroShotDecisionRule.LogitScale"/> go through
/// a softmax, and <see cref="ZeroShotDecisionRule"/> picks the label or declines. Pure: build it once per label set
/// (its text embeddings come from the model's text encoder), then score any number of stored image embeddings.
/// </summary>
public sealed class ZeroShotClassifier
{
    private readonly string[] names;
    private readonly float[][] labelVectors;
    private readonly ZeroShotDecisionRule rule;

    /// <param name="labels">The label set, in its configured order.</param>
    /// <param name="promptEmbeddings">
    /// For each label (same order), one embedding per prompt (same order as <see cref="ClipLabel.Prompts"/>), as the
    /// text encoder returned them; all of the same dimension <see cref="Dimension"/>.
    /// </param>
    /// <param name="rule">The decision rule.</param>
    /// <exception cref="ArgumentException">Counts or dimensions disagree, a name repeats, or an embedding is zero or not finite.</exception>
    public ZeroShotClassifier(IReadOnlyList<ClipLabel> labels, IReadOnlyList<IReadOnlyList<float[]>> promptEmbeddings, ZeroShotDecisionRule rule)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(promptEmbeddings);
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        if (labels.Count == 0)
        {
            throw new ArgumentException("The CLIP label set is empty.", nameof(labels));
        }

        if (promptEmbeddings.Count != labels.Count)
        {
            throw new ArgumentException($"{labels.Count} labels but prompt embeddings for {promptEmbeddings.Count}.", nameof(promptEmbeddings));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            label.Validate();
            if (!seen.Add(label.Name))
            {
                throw new ArgumentException($"CLIP label '{label.Name}' appears twice.", nameof(labels));
            }
        }

        Dimension = promptEmbeddings[0].Count > 0 ? promptEmbeddings[0][0].Length : 0;
        names = labels.Select(l => l.Name).ToArray();
        labelVectors = new float[labels.Count][];
        for (var i = 0; i < labels.Count; i++)
        {
            var prompts = promptEmbeddings[i];
            if (prompts.Count != labels[i].Prompts.Count)
            {
                throw new ArgumentException($"CLIP label '{labels[i].Name}' has {labels[i].Prompts.Count} prompts but {prompts.Count} embeddings.", nameof(promptEmbeddings));
            }

            var sum = new double[Dimension];
            foreach (var embedding in prompts)
            {
                if (embedding.Length != Dimension || Dimension == 0)
                {
                    throw new ArgumentException($"CLIP label '{labels[i].Name}': embedding of dimension {embedding.Length}, expected {Dimension}.", nameof(promptEmbeddings));
                }

                var norm = Norm(embedding, $"a prompt of label '{labels[i].Name}'");
                for (var d = 0; d < Dimension; d++)
                {
                    sum[d] += embedding[d] / norm;
                }
            }

            labelVectors[i] = Normalised(sum, $"label '{labels[i].Name}': the mean embedding of its prompts {string.Join(", ", labels[i].Prompts.Select(p => $"'{p}'"))} (they cancel out)");
        }

        this.rule = rule;
    }

    /// <summary>The embedding dimension D the classifier expects (512 for ViT-B/32).</summary>
    public int Dimension { get; }

    /// <summary>The label names, in label set order.</summary>
    public IReadOnlyList<string> Labels => names;

    /// <summary>Scores one image embedding (any length-D vector; it is normalised here) and applies the rule.</summary>
    /// <exception cref="ArgumentException">Wrong dimension, or the embedding is zero or not finite.</exception>
    public ZeroShotResult Classify(ReadOnlySpan<float> imageEmbedding)
    {
        if (imageEmbedding.Length != Dimension)
        {
            throw new ArgumentException($"Image embedding of dimension {imageEmbedding.Length}, expected {Dimension}.", nameof(imageEmbedding));
        }

        var norm = Norm(imageEmbedding, "the image embedding");
        var logits = new double[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            double dot = 0;
            var vector = labelVectors[i];
            for (var d = 0; d < Dimension; d++)
            {
                dot += imageEmbedding[d] * (double)vector[d];
            }

            logits[i] = rule.LogitScale * dot / norm;
        }

        // Subtracting the largest logit keeps exp() finite; the softmax is unchanged by it.
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        double total = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = Math.Exp(logits[i] - max);
            total += logits[i];
        }

        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= total;
        }

        // Most probable first; equal probabilities keep the label set's order. No LINQ: a re-score of 100k stored
        // embeddings calls this 100k times.
        var order = new int[logits.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => logits[a] != logits[b] ? logits[b].CompareTo(logits[a]) : a.CompareTo(b));
        var ranked = new LabelProbability[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            ranked[i] = new LabelProbability(names[order[i]], logits[order[i]]);
        }

        var margin = ranked.Length > 1 ? ranked[0].Probability - ranked[1].Probability : ranked[0].Probability;
        var chosen = ranked[0].Probability >= rule.MinimumProbability && margin >= rule.MinimumMargin ? ranked[0].Label : null;
        return new ZeroShotResult(ranked, chosen, margin);
    }

    private static double Norm(ReadOnlySpan<float> vector, string what)
    {
        double sum = 0;
        foreach (var v in vector)
        {
            sum += (double)v * v;
        }

        var norm = Math.Sqrt(sum);
        return norm > 0 && double.IsFinite(norm) ? norm : throw new ArgumentException($"CLIP: {what} is zero or not finite.");
    }

    private static float[] Normalised(double[] vector, string what)
    {
        var norm = Math.Sqrt(vector.Sum(v => v * v));
        if (!(norm > 1e-12) || !double.IsFinite(norm))
        {
            throw new ArgumentException($"CLIP: {what} is zero or not finite.");
        }

        return vector.Select(v => (float)(v / norm)).ToArray();
    }
}
