namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// What the steps of one run computed before planning, one object per type (e.g. the CLIP step's
/// <c>ClipLabels</c>): a step sets its facts while preparing, later steps read them while preparing or planning (a
/// booru step gating on CLIP scores), and the run's result keeps them for the reports (<see cref="RunResult.Facts"/>).
/// </summary>
public sealed class RunFacts
{
    private readonly Dictionary<Type, object> _facts = [];
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="fact"/> as the run's fact of type <typeparamref name="T"/> (replacing an earlier one).</summary>
    public void Set<T>(T fact)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(fact);
        lock (_lock)
        {
            _facts[typeof(T)] = fact;
        }
    }

    /// <summary>The run's fact of type <typeparamref name="T"/>, or null when no step recorded one (its step is off or has not run yet).</summary>
    public T? Get<T>()
        where T : class
    {
        lock (_lock)
        {
            return _facts.TryGetValue(typeof(T), out var fact) ? (T)fact : null;
        }
    }

    /// <summary>Whether a step recorded a fact of type <typeparamref name="T"/>.</summary>
    public bool Has<T>()
        where T : class => Get<T>() is not null;
}
