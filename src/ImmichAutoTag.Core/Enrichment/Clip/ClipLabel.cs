namespace ImmichAutoTag.Core.Enrichment.Clip;

/// <summary>
/// One style label of a zero-shot label set (for example <c>anime</c>) and the prompts whose text embeddings stand
/// for it (for example "an anime illustration", "a manga drawing"). Several prompts per label are averaged, the
/// prompt-ensembling CLIP's authors describe for zero-shot classification.
/// </summary>
/// <param name="Name">The label as it appears in tags and reports; unique within a label set (ordinal).</param>
/// <param name="Prompts">At least one non-blank prompt.</param>
public sealed record ClipLabel(string Name, IReadOnlyList<string> Prompts)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the label when the name or a prompt is blank or no prompt is given.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("A CLIP label needs a name.");
        }

        if (Prompts is null || Prompts.Count == 0 || Prompts.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"CLIP label '{Name}' needs at least one prompt and no blank prompt.");
        }
    }
}
