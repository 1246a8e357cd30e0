using ImmichAutoTag.Core.Domain;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// A step's own tags (a family of tag paths only it writes, e.g. everything below <c>clip.tag_root</c>) and which of
/// them each asset should carry. The run compares that with the tags each asset has and plans the additions and the
/// removals of stale ones, together with the classification output tags, so a second run plans nothing. A tag the
/// step does not own (<see cref="Owns"/>) is never removed.
/// </summary>
/// <remarks>
/// Applied to the assets the run may change: own assets that were classified and are in scope (visibility, filters).
/// The hidden video half of a Live/Motion Photo carries none of the tool's tags: its owned tags are removed whatever
/// the step wants.
/// </remarks>
public abstract class OwnedTagPlan
{
    /// <param name="step">The owning step's name (the <see cref="ChangeReason.Step"/> of its tag changes).</param>
    protected OwnedTagPlan(string step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        Step = step;
    }

    /// <summary>The owning step's name.</summary>
    public string Step { get; }

    /// <summary>Whether <paramref name="path"/> (a full tag path) is one of the step's tags.</summary>
    public abstract bool Owns(string path);

    /// <summary>
    /// The step's tags (full paths it <see cref="Owns"/>) the asset should carry; an empty list removes every tag of
    /// the step it has. Null leaves the asset's tags of this step as they are (e.g. it could not be judged this run).
    /// </summary>
    public abstract IReadOnlyCollection<string>? DesiredFor(Guid assetId);

    /// <summary>Why the asset gains or loses <paramref name="path"/> (plan.txt and changes.jsonl show it).</summary>
    public abstract ChangeReason ReasonFor(Guid assetId, string path);

    /// <summary>
    /// True when <see cref="DesiredFor"/> hands the same collection instance, never changed afterwards, to every asset
    /// that should carry the same tags (e.g. one list per set of fired rules): the run then builds one desired set per
    /// such instance instead of one per asset. False (the default) makes no such promise.
    /// </summary>
    public virtual bool SharesDesiredCollections => false;
}

/// <summary>
/// An <see cref="OwnedTagPlan"/> given as sets: the step lists the tags each judged asset should carry, with a reason.
/// An asset it does not list keeps its tags of the step, or loses them when the step was built with a reason for that.
/// </summary>
public sealed class OwnedTagSets : OwnedTagPlan
{
    private readonly Func<string, bool> _owns;
    private readonly ChangeReason? _unlisted;
    private readonly Dictionary<Guid, (IReadOnlyCollection<string>? Tags, ChangeReason Reason, Dictionary<string, ChangeReason>? PerTag)> _assets = [];

    /// <param name="step">The owning step's name.</param>
    /// <param name="owns">Which tag paths are the step's (a prefix, a pattern).</param>
    /// <param name="removeUnlisted">
    /// Null: an asset the step does not list keeps the step's tags it has (e.g. not looked up this run). Otherwise it
    /// loses them, with this reason.
    /// </param>
    public OwnedTagSets(string step, Func<string, bool> owns, ChangeReason? removeUnlisted = null)
        : base(step)
    {
        ArgumentNullException.ThrowIfNull(owns);
        _owns = owns;
        _unlisted = removeUnlisted;
    }

    /// <summary>The asset should carry exactly <paramref name="paths"/> of the step's tags; <paramref name="reason"/> explains each change.</summary>
    /// <exception cref="ArgumentException">A path is not one the step owns.</exception>
    public OwnedTagSets Set(Guid assetId, IEnumerable<string> paths, ChangeReason reason)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(reason);
        var list = paths.Distinct(StringComparer.Ordinal).ToList();
        if (list.Find(p => !_owns(p)) is { } foreign)
        {
            throw new ArgumentException($"step {Step} does not own the tag '{foreign}'", nameof(paths));
        }

        _assets[assetId] = (list, reason, null);
        return this;
    }

    /// <summary>Gives <paramref name="path"/> on the asset a reason of its own (e.g. the source a booru tag came from).</summary>
    public OwnedTagSets Explain(Guid assetId, string path, ChangeReason reason)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(reason);
        if (!_assets.TryGetValue(assetId, out var entry))
        {
            throw new InvalidOperationException($"asset {assetId} has no tags set by step {Step}; call Set first");
        }

        (entry.PerTag ??= new(StringComparer.Ordinal))[path] = reason;
        _assets[assetId] = entry;
        return this;
    }

    /// <summary>The asset keeps the step's tags it has, listed or not.</summary>
    public OwnedTagSets Keep(Guid assetId, ChangeReason reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        _assets[assetId] = (null, reason, null);
        return this;
    }

    /// <inheritdoc />
    public override bool Owns(string path) => path is not null && _owns(path);

    /// <inheritdoc />
    public override IReadOnlyCollection<string>? DesiredFor(Guid assetId) =>
        _assets.TryGetValue(assetId, out var entry) ? entry.Tags : _unlisted is null ? null : [];

    /// <inheritdoc />
    public override ChangeReason ReasonFor(Guid assetId, string path)
    {
        if (_assets.TryGetValue(assetId, out var entry))
        {
            return entry.PerTag is { } perTag && perTag.TryGetValue(path, out var own) ? own : entry.Reason;
        }

        return _unlisted ?? new ChangeReason(Step, "not judged this run");
    }
}
