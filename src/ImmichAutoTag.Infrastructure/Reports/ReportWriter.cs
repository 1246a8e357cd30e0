using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>Renders a run's results into the files of its run folder.</summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task WriteAllAsync(
        RunFolder folder,
        AutoTagConfig config,
        RunResult result,
        IReadOnlyDictionary<string, long> requests,
        long writeRequests,
        CancellationToken ct)
    {
        var server = UrlRedaction.Redact(config.Server.Url);
        await File.WriteAllTextAsync(folder.File(RunFolder.LinksFile), Links(server, config, result), ct);
        await File.WriteAllTextAsync(folder.File(RunFolder.PlanFile), Plan(server, result), ct);
        await File.WriteAllTextAsync(folder.File(RunFolder.ModificationReportFile), ModificationReport(server, result), ct);
        await File.WriteAllTextAsync(folder.File(RunFolder.ChangesFile), Changes(result), ct);
        await File.WriteAllTextAsync(folder.File(RunFolder.StatisticsFile), Statistics(folder.RunId, server, result, requests, writeRequests), ct);
    }

    /// <summary>Review links that open the affected tags and the albums page in Immich's web UI.</summary>
    public static string Links(Uri server, AutoTagConfig config, RunResult result)
    {
        var sb = new StringBuilder();
        sb.Append("# Immich Autotagging Quick Links\n\n");
        sb.Append(Inv, $"- [Albums]({WebUrl(server, "albums")}) ({result.AlbumCount} albums)\n");

        // Input tags are the user's own classification tags; counts are assets carrying them directly.
        var inputCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var rule in config.Classification.Rules)
        {
            foreach (var name in rule.TagNames.Where(n => n.StartsWith("autotag_input_", StringComparison.Ordinal)))
            {
                inputCounts.TryAdd(name, 0);
            }
        }

        // Only when a rule names input tags; one pass per asset without LINQ, since there may be 100k of them.
        for (var e = 0; e < result.Evaluations.Count && inputCounts.Count > 0; e++)
        {
            var tags = result.Evaluations[e].Tags;
            for (var i = 0; i < tags.Count; i++)
            {
                var name = tags[i].Name;
                if (inputCounts.TryGetValue(name, out var n) && !NamedBefore(tags, i))
                {
                    inputCounts[name] = n + 1;
                }
            }
        }

        foreach (var (name, count) in inputCounts)
        {
            sb.Append(Inv, $"- [Input: {Pretty(name["autotag_input_".Length..])}]({TagUrl(server, name)}) ({count} assets)\n");
        }

        AppendOutput(sb, server, "Classification: Unknown", config.Classification.AutotagUnknown, result);
        AppendOutput(sb, server, "Classification: Conflict", config.Classification.AutotagConflict, result);
        var dup = config.DuplicateProcessing;
        AppendOutput(sb, server, "Duplicates: Album conflict", dup.AutotagAlbumConflict, result);
        AppendOutput(sb, server, "Duplicates: Classification conflict", dup.AutotagClassificationConflict, result);
        AppendOutput(sb, server, "Duplicates: Album detection conflict", dup.AutotagAlbumDetectionConflict, result);
        if (config.AlbumDateConsistency.Enabled)
        {
            AppendOutput(sb, server, "Consistency: Album date mismatch", config.AlbumDateConsistency.AutotagAlbumDateMismatch, result);
        }
        sb.Append('\n');
        AppendDoesNotStick(sb, server, result);
        LearningReports.AppendLinks(sb, server, result, WebUrl);
        AppendBooruReview(sb, server, result);
        if (result.DryRun)
        {
            sb.Append("Dry run: the counts are what the library will hold once the plan in plan.txt is applied.\n");
        }

        return sb.ToString();
    }

    /// <summary>Whether the tag at <paramref name="index"/> has a leaf name listed earlier (an asset carries each name once in the count).</summary>
    private static bool NamedBefore(IReadOnlyList<Tag> tags, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (string.Equals(tags[j].Name, tags[index].Name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The booru review section: each asset whose best candidate lies between a source's review and accept bars, with
    /// its link, the review tag, and every candidate's links and similarity, so a human can decide.
    /// </summary>
    private static void AppendBooruReview(StringBuilder sb, Uri server, RunResult result)
    {
        if (result.Facts.Get<Core.Enrichment.Booru.BooruTags>() is not { } booru)
        {
            return;
        }

        var reviews = booru.Results.Values.Where(r => r.Verdict == Core.Enrichment.Booru.BooruVerdict.Review).OrderBy(r => r.AssetId).ToList();
        if (reviews.Count == 0)
        {
            return;
        }

        var tag = booru.ReviewTag is { } t ? string.Create(Inv, $" [{t}]({TagUrl(server, t)})") : string.Empty;
        sb.Append(Inv, $"## Booru: for review ({reviews.Count} assets){tag}\n\n");
        sb.Append("No candidate reached its source's accept bar; these did reach the review bar. Tag the asset yourself, or raise or lower the bars in booru.sources.\n\n");
        foreach (var review in reviews)
        {
            sb.Append(Inv, $"- [{review.AssetId}]({WebUrl(server, $"photos/{review.AssetId}")})\n");
            foreach (var candidate in review.ReviewCandidates)
            {
                var links = string.Join(", ", candidate.Urls.Select(u => $"<{u.AbsoluteUri}>"));
                sb.Append(Inv, $"  - {Core.Enrichment.Booru.BooruAssetResult.Describe(candidate.Source, candidate.SimilarityPercent)}: {links}\n");
            }
        }

        sb.Append('\n');
    }

    /// <summary>
    /// The links section for changes Immich never keeps (e.g. a read-only external library): each asset's link,
    /// the tag, and the library's admin page (<c>/admin/library-management/{id}</c>).
    /// </summary>
    private static void AppendDoesNotStick(StringBuilder sb, Uri server, RunResult result)
    {
        if (result.DoesNotStick.Count == 0)
        {
            return;
        }

        var assets = result.DoesNotStick.Select(r => r.AssetId).Distinct().Count();
        sb.Append(Inv, $"## Does not stick ({result.DoesNotStick.Count} tag changes on {assets} assets)\n\n");
        sb.Append("Immich reverts these tag changes every time (it cannot write the XMP sidecar, e.g. an external library mounted read-only). The counts above include them; they are retried on a full pass or when the file changes.\n\n");
        foreach (var library in result.DoesNotStick.GroupBy(r => r.LibraryId).OrderBy(g => g.Key is null).ThenBy(g => g.Key))
        {
            sb.Append(library.Key is { } id
                ? string.Create(Inv, $"- [External library {id}]({WebUrl(server, $"admin/library-management/{id}")}) ({library.Count()} changes)\n")
                : string.Create(Inv, $"- Uploaded assets ({library.Count()} changes)\n"));
            foreach (var record in library)
            {
                var what = record.Kind == ChangeKind.Added ? "add" : "remove";
                sb.Append(Inv, $"  - [{record.FileName}]({WebUrl(server, $"photos/{record.AssetId}")}): {what} [{record.TagName}]({TagUrl(server, record.TagName)}) (reverted in {record.Runs} runs since {record.FirstSeen:yyyy-MM-dd})\n");
            }
        }

        sb.Append('\n');
    }

    /// <summary>" | clip anime 93% (next photo 4%)" for a CLIP label tag, else empty.</summary>
    private static string ClipReason(RunResult result, Guid assetId, string tag) =>
        result.Clip is { } clip && clip.IsLabelTag(tag) && clip.Reason(assetId) is { } reason ? " | " + reason
        : result.Facts.Get<Core.Enrichment.Booru.BooruTags>() is { } booru && booru.Owns(tag) && booru.DesiredFor(assetId) is { } wish ? " | booru: " + wish.Reason
        : string.Empty;

    public static string Plan(Uri server, RunResult result)
    {
        var sb = new StringBuilder();
        var plan = result.Plan;
        sb.Append(Inv, $"# Plan{(result.DryRun ? " (dry run: nothing was sent)" : string.Empty)}: {plan.TagsToCreate.Count} tag(s) to create, {plan.AdditionCount} addition(s), {plan.RemovalCount} removal(s), {plan.AlbumAdditionCount} album addition(s), {plan.DateUpdates.Count} date repair(s)\n");
        sb.Append(Inv, $"# Album changes: {plan.AlbumsToCreate.Count} album(s) to create, {plan.AlbumRemovalCount} album removal(s), {plan.SharingChanges.Count} sharing change(s), {plan.AlbumDeletions.Count} temporary album(s) to delete, {plan.AlbumsToCreate.Sum(c => c.AssetIds.Count)} asset(s) in new albums\n");
        if (result.Workflows is { } workflows)
        {
            var flags = plan.Changes.Groups.FlagUpdates;
            sb.Append(Inv, $"# Workflows: {workflows.Facts} asset(s) tested, {workflows.Fired} rule activation(s), {flags.Count(f => f.Kind == ChangeKind.FavoriteChanged)} favourite change(s), {flags.Count(f => f.Kind == ChangeKind.ArchiveChanged)} archive change(s); rule engine {workflows.Total.TotalMilliseconds:0} ms, {workflows.Cpu.TotalMilliseconds:0} ms CPU (compile {workflows.Compile.TotalMilliseconds:0} ms, NRules insert and fire {workflows.Engine.TotalMilliseconds:0} ms)\n");
            if (workflows.Rules.Count > 0)
            {
                sb.Append(Inv, $"# Workflow rules (assets each acted on): {string.Join(", ", workflows.RuleActivations().Select(r => $"{Field("'" + r.Rule + "'")} {r.Assets}"))}\n");
            }
        }
        if (result.StaleQueuePauses.Count > 0)
        {
            sb.Append(Inv, $"# Queues an earlier run paused and did not resume: {string.Join(", ", result.StaleQueuePauses)}. A dry run leaves them paused; the next real run resumes them.\n");
        }

        if (result.Clip is { } clipLabels)
        {
            sb.Append(Inv, $"# CLIP {clipLabels.Model}: {clipLabels.Selected} asset(s) selected, {clipLabels.Encoded} encoded, {clipLabels.Reused} stored embedding(s) reused, {clipLabels.Failures.Count} not scored; labels: {string.Join(", ", clipLabels.Counts().Select(c => $"{c.Label} {c.Assets}"))}\n");
        }

        if (result.Facts.Get<Core.Enrichment.Booru.BooruTags>() is { } booruTags)
        {
            var stats = booruTags.Stats;
            var verdicts = booruTags.Results.Values.GroupBy(r => r.Verdict).ToDictionary(g => g.Key, g => g.Count());
            sb.Append(Inv, $"# Booru: {stats.Selected} asset(s) selected: {verdicts.GetValueOrDefault(Core.Enrichment.Booru.BooruVerdict.Accepted)} matched{Core.Enrichment.Booru.BooruEnricher.BySourceText(stats)}, {verdicts.GetValueOrDefault(Core.Enrichment.Booru.BooruVerdict.Review)} for review, {verdicts.GetValueOrDefault(Core.Enrichment.Booru.BooruVerdict.NotFound)} not found, {stats.Pending} queued; {stats.LookedUp.Values.Sum()} look-up(s) sent, {stats.CacheHits.Values.Sum()} answered from the cache{Core.Enrichment.Booru.BooruEnricher.FailedText(stats)}{Core.Enrichment.Booru.BooruEnricher.DryRunText(stats)}\n");
            foreach (var (source, why) in stats.Stopped)
            {
                sb.Append(Inv, $"# Booru: {Core.Enrichment.Booru.BooruAssetResult.SourceName(source)} stopped: {why}\n");
            }
        }

        var dup = result.DuplicateFeatures;
        if (result.DuplicateGroups is not null)
        {
            sb.Append(Inv, $"# Duplicates: copy_classification_from_duplicates {OnOff(dup.CopyClassification)} ({dup.Copies.Count} asset(s) get a tag copied from a duplicate), add_to_album_of_duplicates {OnOff(dup.AlbumPropagation)} ({dup.Propagated.Count} asset(s) join their duplicates' album)\n");
        }

        foreach (var tag in plan.TagsToCreate)
        {
            sb.Append(Inv, $"create tag {tag}\n");
        }

        var names = result.Evaluations.ToDictionary(e => e.Asset.Id, e => Field(e.Asset.OriginalFileName));
        foreach (var (tag, ids) in plan.Additions.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            foreach (var id in ids)
            {
                var why = dup.Copies.TryGetValue(id, out var copied) && copied.Contains(tag, StringComparer.Ordinal) ? " | copied from a duplicate" : ClipReason(result, id, tag) + WorkflowReason(plan, ChangeKind.Added, id, tag);
                sb.Append(Inv, $"+ {tag} | {WebUrl(server, $"photos/{id}")} | {names.GetValueOrDefault(id)}{why}\n");
            }
        }

        foreach (var (tagId, ids) in plan.Removals.OrderBy(kv => plan.TagPaths.GetValueOrDefault(kv.Key), StringComparer.Ordinal))
        {
            var tag = plan.TagPaths.GetValueOrDefault(tagId, tagId.ToString());
            foreach (var id in ids)
            {
                sb.Append(Inv, $"- {tag} | {WebUrl(server, $"photos/{id}")} | {names.GetValueOrDefault(id)}{ClipReason(result, id, tag)}{WorkflowReason(plan, ChangeKind.Removed, id, tag)}{EarlierClipRootReason(result, plan, id, tag)}\n");
            }
        }

        foreach (var addition in plan.AlbumAdditions)
        {
            foreach (var id in addition.AssetIds)
            {
                var why = dup.Propagated.Contains(id) ? " | album of its duplicates" : WorkflowReason(plan, ChangeKind.AddedToAlbum, id, addition.AlbumName);
                sb.Append(Inv, $"album+ {Field(addition.AlbumName)} | {WebUrl(server, $"albums/{addition.AlbumId}")} | {WebUrl(server, $"photos/{id}")} | {names.GetValueOrDefault(id)}{why}\n");
            }
        }

        foreach (var creation in plan.AlbumsToCreate)
        {
            sb.Append(Inv, $"create album {Field(creation.AlbumName)} | {Field(creation.Reason)} | {creation.AssetIds.Count} asset(s)\n");
            foreach (var id in creation.AssetIds)
            {
                sb.Append(Inv, $"album+ {Field(creation.AlbumName)} | (new album) | {WebUrl(server, $"photos/{id}")} | {names.GetValueOrDefault(id)}\n");
            }
        }

        foreach (var removal in plan.AlbumRemovals)
        {
            foreach (var id in removal.AssetIds)
            {
                sb.Append(Inv, $"album- {Field(removal.AlbumName)} | {WebUrl(server, $"albums/{removal.AlbumId}")} | {WebUrl(server, $"photos/{id}")} | {names.GetValueOrDefault(id)}\n");
            }
        }

        foreach (var deletion in plan.AlbumDeletions)
        {
            sb.Append(Inv, $"delete album {Field(deletion.AlbumName)} | {WebUrl(server, $"albums/{deletion.AlbumId}")} | {deletion.Reason}\n");
        }

        foreach (var c in plan.SharingChanges)
        {
            var what = c.Action switch
            {
                ShareAction.Share => $"share+ {c.Email} as {Role(c.NewRole)}",
                ShareAction.ChangeRole => $"share~ {c.Email} {Role(c.OldRole)} -> {Role(c.NewRole)}",
                _ => $"share- {c.Email} (was {Role(c.OldRole)})",
            };
            var link = c.AlbumId == Guid.Empty ? "(new album)" : WebUrl(server, $"albums/{c.AlbumId}");
            sb.Append(Inv, $"{what} | {Field(c.AlbumName)} | {link} | rule {c.Rule}\n");
        }

        foreach (var flag in plan.Changes.Groups.FlagUpdates)
        {
            var what = flag.Kind == ChangeKind.FavoriteChanged ? (flag.Value ? "favorite+" : "favorite-") : (flag.Value ? "archive" : "unarchive");
            sb.Append(Inv, $"{what} | {WebUrl(server, $"photos/{flag.AssetId}")} | {names.GetValueOrDefault(flag.AssetId)}{WorkflowReason(plan, flag.Kind, flag.AssetId, string.Empty)}\n");
        }

        foreach (var update in plan.DateUpdates)
        {
            // The value is a wall clock with its zone; the instant beside it shows the change when both clocks read alike.
            sb.Append(Inv, $"date {update.OldDate:O} -> {update.NewValue} (= {update.NewDate.ToUniversalTime():yyyy-MM-ddTHH:mm:ss}Z) | {WebUrl(server, $"photos/{update.AssetId}")} | {names.GetValueOrDefault(update.AssetId)} | from {update.Source}\n");
        }

        var sidecarOf = result.Sidecars.Writes.Where(w => w.SidecarFile is not null).GroupBy(w => w.AssetId).ToDictionary(g => g.Key, g => g.First().SidecarFile!);
        foreach (var record in result.NotRetried)
        {
            var sidecar = sidecarOf.TryGetValue(record.AssetId, out var file)
                ? $"; goes through the XMP sidecar {file}{(result.DryRun ? " (dry run: not written)" : string.Empty)}"
                : string.Empty;
            sb.Append(Inv, $"held {(record.Kind == ChangeKind.Added ? "+" : "-")} {record.TagName} | {WebUrl(server, $"photos/{record.AssetId}")} | {Field(record.FileName)} | does not stick (reverted in {record.Runs} runs){sidecar}\n");
        }

        foreach (var note in plan.Notes)
        {
            if (note.AssetId == Guid.Empty)
            {
                sb.Append(Inv, $"note {NoteKind(note.Kind)} | {Field(note.AlbumName)} | {note.Message}\n");
            }
            else
            {
                sb.Append(Inv, $"note {NoteKind(note.Kind)} | {WebUrl(server, $"photos/{note.AssetId}")} | {names.GetValueOrDefault(note.AssetId)} | {note.Message}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Upstream's format: fields joined by " | ", one line per change or error.</summary>
    public static string ModificationReport(Uri server, RunResult result)
    {
        var sb = new StringBuilder();
        var user = result.User.Name;
        foreach (var change in result.AppliedChanges)
        {
            var kind = ChangeKindName(change.Kind);
            sb.Append(Inv, $"{change.At:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={kind}");

            // Album-level changes (create, delete, sharing) concern no asset.
            if (change.AssetId != Guid.Empty)
            {
                sb.Append(Inv, $" | asset_link={WebUrl(server, $"photos/{change.AssetId}")} | name={Field(change.FileName)}");
            }

            if (change.TagName.Length > 0)
            {
                sb.Append(Inv, $" | tag={change.TagName}");
            }

            if (change.AlbumId is { } albumId)
            {
                sb.Append(Inv, $" | album_link={WebUrl(server, $"albums/{albumId}")} | album_name={Field(change.AlbumName)}");
            }

            if (change.OldValue is not null)
            {
                sb.Append(Inv, $" | old_value={change.OldValue}");
            }

            if (change.NewValue is not null)
            {
                sb.Append(Inv, $" | new_value={change.NewValue}");
            }

            sb.Append(Inv, $" | user={user}");

            // Upstream's `extra` dict carries what a line's fixed fields cannot: here, which step and rule made it.
            if (change.Reason is { } reason)
            {
                sb.Append(Inv, $" | extra={{'step': {PythonString(reason.Step)}, 'reason': {PythonString(reason.Text)}}}");
            }

            sb.Append('\n');
        }

        // Findings are events too (upstream logs ALBUM_DATE_MISMATCH, CLASSIFICATION_CONFLICT...); stamped with the run's end.
        foreach (var note in result.Plan.Notes)
        {
            sb.Append(Inv, $"{result.FinishedAt:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={NoteKind(note.Kind)}");
            if (note.AssetId != Guid.Empty)
            {
                sb.Append(Inv, $" | asset_link={WebUrl(server, $"photos/{note.AssetId}")}");
            }

            if (note.AlbumName is not null)
            {
                sb.Append(Inv, $" | album_name={Field(note.AlbumName)}");
            }

            sb.Append(Inv, $" | user={user} | extra={{'message': {PythonString(note.Message)}}}\n");
        }

        // Unreadable assets get their own lines below, with their links.
        foreach (var error in result.Errors.Where(e => e.Kind != EngineErrorKind.ReadAsset))
        {
            var kind = error.Kind switch
            {
                EngineErrorKind.AddTags => "WARNING_TAG_ADDITION_TO_ASSET_FAILED",
                EngineErrorKind.RemoveTags => "WARNING_TAG_REMOVAL_FROM_ASSET_FAILED",
                EngineErrorKind.CreateTags => "ERROR_CREATE_TAG_FAILED",
                EngineErrorKind.UpdateDates => "ERROR_UPDATE_ASSET_DATE_FAILED",
                EngineErrorKind.AddToAlbums => "ERROR_ASSIGN_ASSET_TO_ALBUM_FAILED",
                EngineErrorKind.CreateAlbums => "ERROR_CREATE_ALBUM_FAILED",
                EngineErrorKind.RemoveFromAlbums => "ERROR_REMOVE_ASSET_FROM_ALBUM_FAILED",
                EngineErrorKind.DeleteAlbums => "ERROR_DELETE_ALBUM_FAILED",
                EngineErrorKind.ShareAlbums => "ERROR_ALBUM_PERMISSION_FAILED",
                EngineErrorKind.WriteSidecars => "ERROR_SIDECAR_WRITE_FAILED",
                _ => "ERROR_ASSET_SKIPPED_RECOVERABLE",
            };
            sb.Append(Inv, $"{error.At:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={kind} | tag={string.Join(",", error.TagNames)} | user={user} | extra={{'assets': {error.AssetIds.Count}, 'message': {PythonString(error.Message)}}}\n");
        }

        // Search items the client could not read: the asset was left alone; its link lets the user look at it.
        foreach (var item in result.Unreadable)
        {
            var link = item.Id is { } id ? WebUrl(server, $"photos/{id}") : "(no readable id)";
            sb.Append(Inv, $"{result.StartedAt:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind=WARNING_ASSET_UNREADABLE_SKIPPED | asset_link={link} | name={Field(item.FileName)} | user={user} | extra={{'message': {PythonString(item.Reason)}}}\n");
        }

        // Accepted by the server, then reverted (its sidecar write-back, a job, someone else) and not fixed by re-applying.
        foreach (var change in result.StillWrong)
        {
            if (change.Kind is ChangeKind.Added or ChangeKind.Removed)
            {
                var kind = change.Kind == ChangeKind.Added ? "WARNING_TAG_ADDITION_REVERTED_BY_SERVER" : "WARNING_TAG_REMOVAL_REVERTED_BY_SERVER";
                sb.Append(Inv, $"{change.At:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={kind} | asset_link={WebUrl(server, $"photos/{change.AssetId}")} | name={Field(change.FileName)} | tag={change.TagName} | user={user}\n");
                continue;
            }

            var asset = change.AssetId == Guid.Empty ? string.Empty : $" | asset_link={WebUrl(server, $"photos/{change.AssetId}")} | name={Field(change.FileName)}";
            var album = change.AlbumId is { } albumId ? $" | album_link={WebUrl(server, $"albums/{albumId}")} | album={Field(change.AlbumName)}" : string.Empty;
            var values = change.OldValue is null && change.NewValue is null ? string.Empty : $" | old={change.OldValue} | new={change.NewValue}";
            sb.Append(Inv, $"{change.At:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={RevertedKind(change.Kind)}{asset}{album}{values} | user={user}\n");
        }

        // Changes recorded as not sticking: left out of this run's plan, or reverted again in every round.
        foreach (var record in result.DoesNotStick)
        {
            var kind = record.Kind == ChangeKind.Added ? "WARNING_TAG_ADDITION_DOES_NOT_STICK" : "WARNING_TAG_REMOVAL_DOES_NOT_STICK";
            var library = record.LibraryId is { } id ? $" | library_id={id} | library_link={WebUrl(server, $"admin/library-management/{id}")}" : string.Empty;
            sb.Append(Inv, $"{result.FinishedAt:yyyy-MM-ddTHH:mm:ss.fffzzz} | kind={kind} | asset_link={WebUrl(server, $"photos/{record.AssetId}")} | name={Field(record.FileName)} | tag={record.TagName}{library} | user={user} | extra={{'runs': {record.Runs}, 'first_seen': '{record.FirstSeen:O}', 'last_seen': '{record.LastSeen:O}'}}\n");
        }

        return sb.ToString();
    }

    /// <summary>The modification report's kind of a change other than a tag's that the server did not keep.</summary>
    private static string RevertedKind(ChangeKind kind) => kind switch
    {
        ChangeKind.AddedToAlbum => "WARNING_ALBUM_ADDITION_REVERTED_BY_SERVER",
        ChangeKind.RemovedFromAlbum => "WARNING_ALBUM_REMOVAL_REVERTED_BY_SERVER",
        ChangeKind.DateUpdated => "WARNING_DATE_UPDATE_REVERTED_BY_SERVER",
        ChangeKind.AlbumCreated => "WARNING_ALBUM_CREATION_REVERTED_BY_SERVER",
        ChangeKind.AlbumDeleted => "WARNING_ALBUM_DELETION_REVERTED_BY_SERVER",
        ChangeKind.AlbumShared => "WARNING_ALBUM_SHARE_REVERTED_BY_SERVER",
        ChangeKind.AlbumRoleChanged => "WARNING_ALBUM_ROLE_CHANGE_REVERTED_BY_SERVER",
        _ => "WARNING_ALBUM_UNSHARE_REVERTED_BY_SERVER",
    };

    /// <summary>One JSON object per applied change, for auditing and undo.</summary>
    public static string Changes(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Changes(result.AppliedChanges);
    }

    /// <summary>One JSON object per change, in the order given: a run's applied changes, or an undo's.</summary>
    public static string Changes(IReadOnlyList<AppliedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var sb = new StringBuilder();
        foreach (var c in changes)
        {
            sb.Append(JsonSerializer.Serialize(
                new ChangeLine(
                    c.At.ToString("O", Inv),
                    c.AssetId,
                    c.FileName,
                    c.TagName,
                    c.Kind switch
                    {
                        ChangeKind.Added => "added",
                        ChangeKind.Removed => "removed",
                        ChangeKind.AddedToAlbum => "added_to_album",
                        ChangeKind.AlbumCreated => "album_created",
                        ChangeKind.RemovedFromAlbum => "removed_from_album",
                        ChangeKind.AlbumDeleted => "album_deleted",
                        ChangeKind.DateUpdated => "date_updated",
                        ChangeKind.FavoriteChanged => "favorite_changed",
                        ChangeKind.ArchiveChanged => "visibility_changed",
                        _ => ChangeKindName(c.Kind).ToLowerInvariant(),
                    })
                {
                    Kind = ChangeKindName(c.Kind),
                    AlbumId = c.AlbumId,
                    AlbumName = c.AlbumName,
                    OldValue = c.OldValue,
                    NewValue = c.NewValue,
                    UserId = c.UserId,
                    Step = c.Reason?.Step,
                    Reason = c.Reason?.Text,
                    SidecarCreatedWith = c.SidecarSeed,
                },
                ChangeLineContext.Readable.ChangeLine));
            sb.Append('\n');
        }

        return sb.ToString();
    }

    public static string Statistics(string runId, Uri server, RunResult result, IReadOnlyDictionary<string, long> requests, long writeRequests)
    {
        var sb = new StringBuilder();
        var added = result.KeptTagLinks(ChangeKind.Added);
        var removed = result.KeptTagLinks(ChangeKind.Removed);
        sb.Append(Inv, $"run_id: {runId}\n");
        sb.Append(Inv, $"server: {Quote(server.ToString())}\n");
        sb.Append(Inv, $"user: {Quote(result.User.Email)}\n");
        sb.Append(Inv, $"dry_run: {(result.DryRun ? "true" : "false")}\n");
        sb.Append(Inv, $"started_at: {result.StartedAt:O}\n");
        sb.Append(Inv, $"finished_at: {result.FinishedAt:O}\n");
        sb.Append(Inv, $"duration_seconds: {result.Duration.TotalSeconds:0.###}\n");
        sb.Append("assets:\n");
        sb.Append(Inv, $"  seen: {result.Assets.Total}\n");
        sb.Append(Inv, $"  owned: {result.Assets.Owned}\n");
        sb.Append(Inv, $"  partner_skipped: {result.Assets.PartnerSkipped}\n");
        sb.Append(Inv, $"  excluded_by_visibility: {result.Assets.ExcludedByVisibility}\n");
        sb.Append(Inv, $"  motion_parts: {result.Assets.MotionParts}\n");
        sb.Append(Inv, $"  evaluated: {result.Assets.Evaluated}\n");
        sb.Append("  by_type:\n");
        foreach (var (type, count) in result.Assets.ByType.OrderBy(kv => kv.Key))
        {
            sb.Append(Inv, $"    {type.ToString().ToLowerInvariant()}: {count}\n");
        }

        sb.Append("status:\n");
        foreach (var status in Enum.GetValues<ClassificationStatus>())
        {
            sb.Append(Inv, $"  {status.ToString().ToLowerInvariant()}: {result.StatusCounts.GetValueOrDefault(status)}\n");
        }

        sb.Append(Inv, $"albums: {result.AlbumCount}\n");
        sb.Append(Inv, $"tags: {result.TagCount}\n");
        sb.Append(Inv, $"ambiguous_assets_resolved: {result.AmbiguousAssetsResolved}\n");
        sb.Append("changes:\n");
        sb.Append(Inv, $"  tags_created: {result.Plan.TagsToCreate.Count}\n");
        sb.Append(Inv, $"  planned_additions: {result.Plan.AdditionCount}\n");
        sb.Append(Inv, $"  planned_removals: {result.Plan.RemovalCount}\n");
        sb.Append(Inv, $"  tags_added: {added}\n");
        sb.Append(Inv, $"  tags_removed: {removed}\n");
        sb.Append(Inv, $"  planned_album_additions: {result.Plan.AlbumAdditionCount}\n");
        sb.Append(Inv, $"  planned_date_updates: {result.Plan.DateUpdates.Count}\n");
        sb.Append(Inv, $"  assigned_to_albums: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AddedToAlbum)}\n");
        sb.Append(Inv, $"  dates_updated: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.DateUpdated)}\n");
        sb.Append(Inv, $"  planned_albums_to_create: {result.Plan.AlbumsToCreate.Count}\n");
        sb.Append(Inv, $"  planned_album_removals: {result.Plan.AlbumRemovalCount}\n");
        sb.Append(Inv, $"  planned_albums_to_delete: {result.Plan.AlbumDeletions.Count}\n");
        sb.Append(Inv, $"  planned_sharing_changes: {result.Plan.SharingChanges.Count}\n");
        sb.Append(Inv, $"  albums_created: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumCreated)}\n");
        sb.Append(Inv, $"  removed_from_albums: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.RemovedFromAlbum)}\n");
        sb.Append(Inv, $"  albums_deleted: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumDeleted)}\n");
        sb.Append(Inv, $"  album_users_added: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumShared)}\n");
        sb.Append(Inv, $"  album_roles_changed: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumRoleChanged)}\n");
        sb.Append(Inv, $"  album_users_removed: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.AlbumUnshared)}\n");
        sb.Append(Inv, $"  planned_new_album_members: {result.Plan.AlbumsToCreate.Sum(c => c.AssetIds.Count)}\n");
        sb.Append(Inv, $"  planned_favorite_changes: {result.Plan.Changes.Groups.FlagUpdates.Count(f => f.Kind == ChangeKind.FavoriteChanged)}\n");
        sb.Append(Inv, $"  planned_archive_changes: {result.Plan.Changes.Groups.FlagUpdates.Count(f => f.Kind == ChangeKind.ArchiveChanged)}\n");
        sb.Append(Inv, $"  favorites_changed: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.FavoriteChanged)}\n");
        sb.Append(Inv, $"  archive_changed: {result.AppliedChanges.Count(c => c.Kind == ChangeKind.ArchiveChanged)}\n");
        sb.Append(Inv, $"  reverted_and_reapplied: {result.RevertedAndReapplied}\n");
        sb.Append(Inv, $"  still_wrong: {result.StillWrong.Count}\n");
        sb.Append(Inv, $"  does_not_stick: {result.DoesNotStick.Count}\n");
        sb.Append(Inv, $"  does_not_stick_assets: {result.DoesNotStick.Select(r => r.AssetId).Distinct().Count()}\n");
        sb.Append(Inv, $"  does_not_stick_not_retried: {result.NotRetried.Count}\n");
        if (result.Workflows is { Rules.Count: > 0 } workflows)
        {
            // Per rule: on how many assets it acted; 0 shows a rule that never holds (a typo in a condition, say).
            sb.Append("workflow_rule_activations:\n");
            foreach (var (rule, assets) in workflows.RuleActivations())
            {
                sb.Append(Inv, $"  {Quote(rule)}: {assets}\n");
            }
        }

        sb.Append(Inv, $"excluded_by_filters: {result.ExcludedByFilters}\n");
        if (result.DuplicateGroups is { } groups)
        {
            sb.Append(Inv, $"duplicate_groups: {groups}\n");
            var dup = result.DuplicateFeatures;
            sb.Append("duplicate_features:\n");
            sb.Append(Inv, $"  copy_classification_from_duplicates: {OnOff(dup.CopyClassification)}\n");
            sb.Append(Inv, $"  assets_with_copied_tags: {dup.Copies.Count}\n");
            sb.Append(Inv, $"  add_to_album_of_duplicates: {OnOff(dup.AlbumPropagation)}\n");
            sb.Append(Inv, $"  assets_added_to_duplicates_album: {dup.Propagated.Count}\n");
        }

        sb.Append(Inv, $"album_date_mismatch_count: {result.Plan.Notes.Count(n => n.Kind == PlanNoteKind.AlbumDateMismatch)}\n");
        sb.Append("write_protection:\n");
        sb.Append(Inv, $"  mode: {ModeName(result.WriteMode)}\n");
        sb.Append(Inv, $"  waves: {result.WriteWaves}\n");
        if (result.WriteFallbackReason is { } reason)
        {
            sb.Append(Inv, $"  fallback_reason: {Quote(reason)}\n");
        }

        sb.Append(Inv, $"  queues_paused_by_this_run: [{string.Join(", ", result.PausedQueues.Select(Quote))}]\n");
        sb.Append(Inv, $"  queues_paused_by_others: [{string.Join(", ", result.QueuesPausedByOthers.Select(Quote))}]\n");
        sb.Append(Inv, $"  queues_resumed_from_earlier_run: [{string.Join(", ", result.RecoveredQueues.Select(Quote))}]\n");
        sb.Append(Inv, $"  queues_left_paused_by_earlier_run: [{string.Join(", ", result.StaleQueuePauses.Select(Quote))}]\n");
        sb.Append("output_tags:\n");
        foreach (var (tag, count) in result.OutputTagCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(Inv, $"  {Quote(tag)}: {count}\n");
        }

        sb.Append("output_tags_evaluated:\n");
        foreach (var (tag, count) in result.EvaluatedOutputTagCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(Inv, $"  {Quote(tag)}: {count}\n");
        }

        LearningReports.AppendStatistics(sb, result, Quote);
        sb.Append(Inv, $"errors: {result.Errors.Count}\n");
        sb.Append(Inv, $"aborted: {(result.Aborted ? "true" : "false")}\n");
        sb.Append(Inv, $"cancelled: {(result.Cancelled ? "true" : "false")}\n");
        sb.Append("requests:\n");
        sb.Append(Inv, $"  total: {requests.Values.Sum()}\n");
        sb.Append(Inv, $"  writes: {writeRequests}\n");
        sb.Append("  by_operation:\n");
        foreach (var (op, count) in requests.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(Inv, $"    {op}: {count}\n");
        }

        return sb.ToString();
    }

    private static string OnOff(bool on) => on ? "on" : "off";

    private static string ModeName(WriteMode mode) => mode switch
    {
        WriteMode.PausedQueues => "paused_queues",
        WriteMode.WavesUntilIdle => "waves_until_idle",
        WriteMode.WavesObserved => "waves_observed",
        _ => "none",
    };

    public static string WebUrl(Uri server, string relative) => server.AbsoluteUri.TrimEnd('/') + "/" + relative;

    public static string TagUrl(Uri server, string tagPath) => WebUrl(server, "tags?path=" + Uri.EscapeDataString(tagPath));

    private static void AppendOutput(StringBuilder sb, Uri server, string label, string? tag, RunResult result)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return;
        }

        // Counted from the run's own evaluation: an asset whose tag Immich does not keep still counts, and is named.
        var carried = result.OutputTagCounts.GetValueOrDefault(tag);
        var evaluated = result.EvaluatedOutputTagCounts.TryGetValue(tag, out var n) ? n : carried;
        var missing = evaluated - carried;
        sb.Append(Inv, $"- [{label}]({TagUrl(server, tag)}) ({evaluated} assets{(missing > 0 ? $"; {missing} of them do not keep the tag in Immich, see Does not stick" : string.Empty)})\n");
    }

    /// <summary>" | workflows: rule 'name'" for a change a workflow rule planned; empty for the other steps' changes.</summary>
    // A label the CLIP step takes off below an earlier clip.tag_root (the current labels' reasons are their scores).
    private static string EarlierClipRootReason(RunResult result, TagPlan plan, Guid assetId, string tag) =>
        result.Clip is { } clip && !clip.IsLabelTag(tag) && plan.Changes.Groups.ReasonOf(ChangeKind.Removed, assetId, tag) is { Step: Core.Enrichment.Clip.ClipFeatureStep.StepName } reason
            ? $" | {Field(reason.ToString())}"
            : string.Empty;

    private static string WorkflowReason(TagPlan plan, ChangeKind kind, Guid assetId, string key) =>
        plan.Changes.Groups.ReasonOf(kind, assetId, key) is { Step: Core.Workflows.WorkflowPlanner.StepName } reason ? $" | {Field(reason.ToString())}" : string.Empty;

    private static string ChangeKindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => "ADD_TAG_TO_ASSET",
        ChangeKind.Removed => "REMOVE_TAG_FROM_ASSET",
        ChangeKind.AddedToAlbum => "ASSIGN_ASSET_TO_ALBUM",
        ChangeKind.AlbumCreated => "CREATE_ALBUM",
        ChangeKind.RemovedFromAlbum => "REMOVE_ASSET_FROM_ALBUM",
        ChangeKind.AlbumDeleted => "DELETE_ALBUM",
        ChangeKind.AlbumShared => "ALBUM_PERMISSION_SHARED",
        ChangeKind.AlbumRoleChanged => "ALBUM_PERMISSION_ROLE_CHANGED",
        ChangeKind.AlbumUnshared => "ALBUM_PERMISSION_REMOVED",
        ChangeKind.FavoriteChanged => "UPDATE_ASSET_FAVORITE",
        ChangeKind.ArchiveChanged => "UPDATE_ASSET_VISIBILITY",
        _ => "UPDATE_ASSET_DATE",
    };

    /// <summary>
    /// A message as Python's <c>repr</c> writes a string inside upstream's <c>extra={...}</c> dict: single quotes, or
    /// double quotes when the text holds an apostrophe and no double quote; backslashes and the chosen quote escaped.
    /// </summary>
    internal static string PythonString(string text)
    {
        var quote = text.Contains('\'', StringComparison.Ordinal) && !text.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var escaped = new StringBuilder(text.Length + 2).Append(quote);
        foreach (var ch in text)
        {
            if (ch == '\\' || ch == quote)
            {
                escaped.Append('\\').Append(ch);
            }
            else if (!AppendControl(escaped, ch))
            {
                escaped.Append(ch);
            }
        }

        return escaped.Append(quote).ToString();
    }

    /// <summary>
    /// A name (file, album) as one field of a line-per-change text report: Immich allows <c>|</c>, tabs and line breaks
    /// in <c>originalFileName</c> and album names, which would split a change over two lines or shift its fields. They
    /// are written as <c>\|</c>, <c>\t</c>, <c>\n</c>, <c>\r</c> or <c>\xNN</c>, and a backslash as <c>\\</c>;
    /// any other name is written as it is.
    /// </summary>
    internal static string Field(string? name) => ReportText.Field(name);

    private static bool AppendControl(StringBuilder sb, char ch) => ReportText.AppendControl(sb, ch);

    private static string NoteKind(PlanNoteKind kind) => kind switch
    {
        PlanNoteKind.AmbiguousDate => "WARNING_AMBIGUOUS_ASSET_DATE",
        PlanNoteKind.AmbiguousAlbum => "WARNING_AMBIGUOUS_ALBUM",
        PlanNoteKind.AlbumDateMismatch => "ALBUM_DATE_MISMATCH",
        PlanNoteKind.DuplicateAlbumConflict => "DUPLICATE_ALBUM_CONFLICT",
        PlanNoteKind.AlbumDetectionConflict => "ALBUM_DETECTION_CONFLICT",
        PlanNoteKind.UnknownShareUser => "WARNING_ALBUM_PERMISSION_UNKNOWN_USER",
        PlanNoteKind.UnmatchedAlbum => "ALBUM_PERMISSION_UNMATCHED",
        PlanNoteKind.AmbiguousSyncAlbum => "WARNING_AMBIGUOUS_SYNC_ALBUM",
        PlanNoteKind.MissingSyncAlbum => "WARNING_SYNC_ALBUM_MISSING",
        PlanNoteKind.UnusableSyncAlbumName => "WARNING_SYNC_ALBUM_NAME_UNUSABLE",
        PlanNoteKind.PendingDateWrite => "DATE_WRITE_PENDING",
        PlanNoteKind.UnmarkedStatusTags => "WARNING_STATUS_TAGS_LEFT_ALONE",
        PlanNoteKind.WorkflowFlagWithoutTag => "WARNING_WORKFLOW_FLAG_WITHOUT_TAG",
        PlanNoteKind.UnknownRuleTag => "WARNING_UNKNOWN_RULE_TAG",
        PlanNoteKind.UnknownRuleAlbum => "WARNING_UNKNOWN_RULE_ALBUM",
        PlanNoteKind.AlbumNotFound => "WARNING_ALBUM_NOT_FOUND",
        PlanNoteKind.WorkflowUnsettled => "WARNING_WORKFLOW_UNSETTLED",
        PlanNoteKind.TemporaryAlbumCleanupSkipped => "WARNING_TEMPORARY_ALBUM_CLEANUP_SKIPPED",
        _ => "CLASSIFICATION_CONFLICT",
    };

    private static string Role(AlbumRole? role) => role?.ToString().ToLowerInvariant() ?? "none";

    private static string Pretty(string suffix) =>
        string.Join(' ', suffix.Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    /// <summary>YAML double-quoted scalar; enough for names, URLs and e-mail addresses.</summary>
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

internal sealed record ChangeLine(
    [property: System.Text.Json.Serialization.JsonPropertyName("time")] string Time,
    [property: System.Text.Json.Serialization.JsonPropertyName("asset_id")] Guid AssetId,
    [property: System.Text.Json.Serialization.JsonPropertyName("file_name")] string FileName,
    [property: System.Text.Json.Serialization.JsonPropertyName("tag")] string Tag,
    [property: System.Text.Json.Serialization.JsonPropertyName("action")] string Action)
{
    /// <summary>Upstream's event kind (ADD_TAG_TO_ASSET, ASSIGN_ASSET_TO_ALBUM, UPDATE_ASSET_DATE...).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("album_id")]
    public Guid? AlbumId { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("album_name")]
    public string? AlbumName { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("old_value")]
    public string? OldValue { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("new_value")]
    public string? NewValue { get; init; }

    /// <summary>The user a sharing change concerns, so an undo needs no e-mail look-up.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("user_id")]
    public Guid? UserId { get; init; }

    /// <summary>The planning step that asked for the change (e.g. "classification", "date_repair"); absent when unknown.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("step")]
    public string? Step { get; init; }

    /// <summary>Why that step asked for it, in words (the status, the rule, the album, the date's source).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>A change through an XMP sidecar this write created: the tags the new sidecar was given besides the run's (absent otherwise).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("sidecar_created_with")]
    public IReadOnlyList<string>? SidecarCreatedWith { get; init; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ChangeLine))]
internal sealed partial class ChangeLineContext : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>
    /// Writes times, tag paths and file names as they read (<c>+00:00</c>, <c>∕</c>, accents) rather than as <c>\uXXXX</c>,
    /// so <c>grep</c> finds them in the UTF-8 file; quotes and control characters are still escaped.
    /// </summary>
    public static ChangeLineContext Readable { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
