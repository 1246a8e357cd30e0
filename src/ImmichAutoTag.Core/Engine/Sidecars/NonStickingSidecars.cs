using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Core.Engine.Sidecars;

/// <summary>
/// The run's glue between <see cref="NonStickingChanges"/> and <see cref="SidecarRoute"/>: which records go the
/// sidecar way, with the reasons the run planned them for, and which records, still-wrong changes and "does not
/// stick" entries are dropped once their change arrived through the sidecar.
/// </summary>
public static class NonStickingSidecars
{
    /// <summary>What the route needs from the run.</summary>
    /// <param name="DoesNotStick">Records held by this run or confirmed by it as "does not stick".</param>
    /// <param name="Assets">Every asset the walk read.</param>
    /// <param name="Owns">Whether the tool owns a tag path.</param>
    /// <param name="Planned">The run's plan before the held changes were taken out (for their reasons).</param>
    /// <param name="StillWrong">The verifier's still-wrong changes (their reasons).</param>
    /// <param name="Suggestion">Whether a tag path is a suggestion (not a status tag); see <see cref="SidecarRoute.RouteAsync"/>.</param>
    public sealed record Input(
        IReadOnlyList<NonStickingChange> DoesNotStick,
        IReadOnlyDictionary<Guid, Asset> Assets,
        Func<string, bool> Owns,
        TagPlan Planned,
        IReadOnlyList<AppliedChange> StillWrong,
        Func<string, bool>? Suggestion = null);

    /// <summary>The route's outcome and the keys of the changes that arrived.</summary>
    public sealed record Result(SidecarOutcome Outcome)
    {
        private readonly HashSet<(Guid, ChangeKind, string)> _arrived = Outcome.Arrived.Select(r => (r.AssetId, r.Kind, r.TagName)).ToHashSet();

        /// <summary>The three record lists without the records whose change arrived.</summary>
        public (IReadOnlyList<NonStickingChange> Recorded, List<NonStickingChange> DoesNotStick, IReadOnlyList<NonStickingChange> Held) Forget(
            IReadOnlyList<NonStickingChange> recorded, List<NonStickingChange> doesNotStick, IReadOnlyList<NonStickingChange> held) =>
            _arrived.Count == 0
                ? (recorded, doesNotStick, held)
                : ([.. recorded.Where(Keep)], [.. doesNotStick.Where(Keep)], [.. held.Where(Keep)]);

        /// <summary>The still-wrong changes without those that arrived through a sidecar.</summary>
        public IReadOnlyList<AppliedChange> Forget(IReadOnlyList<AppliedChange> stillWrong) =>
            _arrived.Count == 0 ? stillWrong : [.. stillWrong.Where(c => !_arrived.Contains((c.AssetId, c.Kind, c.TagName)))];

        private bool Keep(NonStickingChange r) => !_arrived.Contains((r.AssetId, r.Kind, r.TagName));
    }

    /// <summary>Routes <see cref="Input.DoesNotStick"/>; nothing when the route is off, there is nothing to route, or <paramref name="skip"/> (the apply stopped).</summary>
    public static async Task<Result> RouteAsync(
        SidecarRoute route, Input input, bool dryRun, bool skip, Func<CancellationToken, Task<bool>> settle, int maxRounds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(input);
        if (!route.Active || skip || input.DoesNotStick.Count == 0)
        {
            return new Result(SidecarOutcome.None);
        }

        var groups = input.Planned.Changes.Groups;
        var stillWrong = input.StillWrong.ToDictionary(c => (c.AssetId, c.Kind, c.TagName), c => c.Reason);
        ChangeReason? ReasonOf(NonStickingChange r) =>
            stillWrong.GetValueOrDefault((r.AssetId, r.Kind, r.TagName))
            ?? groups.ReasonOf(new AppliedChange(r.AssetId, r.FileName, r.TagName, r.Kind, r.LastSeen));

        return new Result(await route.RouteAsync(input.DoesNotStick, input.Assets, input.Owns, ReasonOf, dryRun, settle, maxRounds, ct, input.Suggestion));
    }
}
