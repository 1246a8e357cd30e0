namespace ImmichAutoTag.Config.Internal;

/// <summary>"Did you mean" hints for misspelled keys and enum values.</summary>
internal static class Suggest
{
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(input.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }

        // Allow roughly one typo per three characters, so short keys do not attract random matches.
        var limit = Math.Max(1, Math.Min(input.Length, best?.Length ?? 0) / 3);
        return best is not null && bestDistance <= limit ? best : null;
    }

    public static string Hint(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } s ? $" (did you mean '{s}'?)" : "";

    private static int Distance(string a, string b)
    {
        // Optimal string alignment: Levenshtein plus adjacent transpositions, the most common typo.
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
