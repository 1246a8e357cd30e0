using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine.Sidecars;

/// <summary>
/// The tool's own entries in XMP sidecars (<see cref="SidecarEntry"/>, recorded when it wrote them) and the clean-up of
/// those it no longer wants. On a library Immich cannot write, Immich re-reads the sidecar after every tag change, so
/// an entry left behind would keep its tag on the asset for ever, whatever the tool or the user does in Immich. An
/// entry is unwanted when
/// <list type="bullet">
/// <item><c>sidecars.enabled</c> is false (the sidecars are no longer the tool's way to keep tags),</item>
/// <item>it is a suggestion (not a status tag) and <c>sidecars.suggestions</c> is off (e.g. written by a version
/// whose default was on, or before the option was switched off), or</item>
/// <item>the correction memory has the user's removal of that tag from that asset on record.</item>
/// </list>
/// Such entries are taken out through the same writer as the route's (only those entries; every other entry and
/// property of the sidecar stays), through the path mappings still configured, and Immich re-reads those assets. A
/// taken-out entry whose tag the tool still wants (the first two cases) is recorded again as a change that does not
/// stick, as it was before the sidecar carried it, so the next run holds it instead of planning it again. Entries of
/// assets the walk did not read are left as they are.
/// </summary>
public static class SidecarCleanup
{
    /// <summary>What the clean-up needs from the run.</summary>
    /// <param name="Entries">The recorded entries, with this run's sidecar writes already taken in (<see cref="Track"/>).</param>
    /// <param name="Assets">Every asset the walk read, by id.</param>
    /// <param name="Owns">Whether the tool owns a tag path: an entry of any other tag is never taken out.</param>
    /// <param name="Suggestion">Whether a tag path is a suggestion rather than a status tag.</param>
    /// <param name="Corrected">Whether the user's removal of a tag from an asset is on record.</param>
    public sealed record Input(
        IReadOnlyList<SidecarEntry> Entries,
        IReadOnlyDictionary<Guid, Asset> Assets,
        Func<string, bool> Owns,
        Func<string, bool> Suggestion,
        Func<Guid, string, bool> Corrected);

    /// <summary>What the clean-up did.</summary>
    /// <param name="Outcome">The sidecar writes (planned only, in a dry run), the removals as applied changes, errors.</param>
    /// <param name="Entries">The entries still in sidecars afterwards: what is saved.</param>
    /// <param name="DoesNotStick">"Does not stick" records for the taken-out entries whose tag the tool still wants.</param>
    /// <param name="Stranded">Unwanted entries that could not be taken out (no path mapping covers the asset any more).</param>
    public sealed record Result(SidecarOutcome Outcome, IReadOnlyList<SidecarEntry> Entries, IReadOnlyList<NonStickingChange> DoesNotStick, IReadOnlyList<SidecarEntry> Stranded)
    {
        /// <summary>Nothing to do: <paramref name="entries"/> stay as they are.</summary>
        public static Result Nothing(IReadOnlyList<SidecarEntry> entries) => new(SidecarOutcome.None, entries, [], []);
    }

    /// <summary>The reason step of a clean-up removal (changes.jsonl, reports).</summary>
    public const string StepName = "sidecar_cleanup";

    /// <summary>Why <paramref name="entry"/> is no longer wanted in its sidecar; null when it still is.</summary>
    public static string? Unwanted(SidecarConfig config, SidecarEntry entry, Func<string, bool> suggestion, Func<Guid, string, bool> corrected)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(suggestion);
        ArgumentNullException.ThrowIfNull(corrected);
        return corrected(entry.AssetId, entry.TagName) ? "the user removed this tag from the asset"
            : !config.Enabled ? "sidecars is off"
            : !config.Suggestions && suggestion(entry.TagName) ? "sidecars.suggestions is off"
            : null;
    }

    /// <summary>
    /// The entries after sidecar writes: a tag a written sidecar was given is recorded (with the sidecar's path), a tag
    /// taken out of one is forgotten. Writes that failed or were only planned (dry run) change nothing.
    /// </summary>
    public static List<SidecarEntry> Track(IReadOnlyList<SidecarEntry> entries, IReadOnlyList<SidecarWrite> writes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(writes);
        var byKey = entries.ToDictionary(e => (e.AssetId, e.TagName));
        foreach (var write in writes.Where(w => w.Written && w.SidecarFile is not null))
        {
            foreach (var tag in write.Removed)
            {
                byKey.Remove((write.AssetId, tag));
            }

            if (write.Deleted)
            {
                // A deleted sidecar holds no entry any more.
                foreach (var key in byKey.Where(kv => kv.Key.AssetId == write.AssetId && string.Equals(kv.Value.Sidecar, write.SidecarFile, StringComparison.Ordinal)).Select(kv => kv.Key).ToList())
                {
                    byKey.Remove(key);
                }
            }

            foreach (var tag in write.Added)
            {
                byKey[(write.AssetId, tag)] = new SidecarEntry(write.AssetId, tag, write.SidecarFile!, write.FileName, now); // non-null: filtered above
            }
        }

        return [.. byKey.Values.OrderBy(e => e.AssetId).ThenBy(e => e.TagName, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Takes the unwanted entries of <see cref="Input.Entries"/> out of their sidecars through <paramref name="route"/>
    /// (a route whose config is on: the clean-up also runs with <c>sidecars.enabled: false</c>). A dry run lists the
    /// sidecars it would change and writes nothing.
    /// </summary>
    public static async Task<Result> RunAsync(
        SidecarRoute route, SidecarConfig config, Input input, bool dryRun, Func<CancellationToken, Task<bool>> settle, int maxRounds, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var unwanted = input.Entries
            .Where(e => input.Assets.ContainsKey(e.AssetId) && input.Owns(e.TagName))
            .Select(e => (Entry: e, Why: Unwanted(config, e, input.Suggestion, input.Corrected)))
            .Where(u => u.Why is not null)
            .ToList();
        if (unwanted.Count == 0)
        {
            return Result.Nothing(input.Entries);
        }

        var now = time.GetUtcNow();
        var why = unwanted.ToDictionary(u => (u.Entry.AssetId, u.Entry.TagName), u => u.Why!);
        var records = unwanted.Select(u =>
        {
            var asset = input.Assets[u.Entry.AssetId];
            return new NonStickingChange(asset.Id, asset.LibraryId, ChangeKind.Removed, u.Entry.TagName, asset.OriginalFileName, asset.Checksum, now, now, NonStickingChange.RunsToConfirm);
        }).ToList();

        logger.LogWarning(
            "{Count} entries the tool wrote into the XMP sidecars of {Assets} assets are no longer wanted ({Reasons:l}): {Verb:l} them out, so Immich's re-reads stop bringing their tags back",
            unwanted.Count,
            unwanted.Select(u => u.Entry.AssetId).Distinct().Count(),
            string.Join("; ", unwanted.GroupBy(u => u.Why).Select(g => $"{g.Key}: {g.Count()}")),
            dryRun ? "a real run takes" : "taking");
        var outcome = route.Active
            ? await route.RouteAsync(
                records,
                input.Assets,
                input.Owns,
                r => new ChangeReason(StepName, $"{why[(r.AssetId, r.TagName)]}: the tool's own entry taken out"),
                dryRun,
                settle,
                maxRounds,
                ct)
            : SidecarOutcome.None with { Unmapped = records };

        var stranded = outcome.Unmapped.Select(r => input.Entries.First(e => e.AssetId == r.AssetId && e.TagName == r.TagName)).ToList();
        if (stranded.Count > 0)
        {
            logger.LogWarning(
                "{Count} entries the tool wrote into XMP sidecars cannot be taken out: no sidecars.path_mappings entry covers their assets any more (keep the mapping, with enabled: false if you like, until a run has taken them out); first: {File}",
                stranded.Count,
                stranded[0].Sidecar);
        }

        var entries = Track(input.Entries, outcome.Writes, now);

        // Taken out while the tool still wants the tag: on such a library the addition does not stick through Immich.
        var stillWanted = outcome.Writes
            .Where(w => w.Written && w.Arrived)
            .SelectMany(w => w.Removed.Select(tag => (w.AssetId, Tag: tag)))
            .Where(k => !input.Corrected(k.AssetId, k.Tag))
            .Select(k =>
            {
                var asset = input.Assets[k.AssetId];
                return new NonStickingChange(asset.Id, asset.LibraryId, ChangeKind.Added, k.Tag, asset.OriginalFileName, asset.Checksum, now, now, NonStickingChange.RunsToConfirm);
            })
            .ToList();
        return new Result(outcome, entries, stillWanted, stranded);
    }
}
