using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Core.Engine;

/// <summary>The run use case: gather the library, classify every own asset, plan the output tags, apply the plan.</summary>
public sealed class AutoTagEngine(IImmichGateway gateway, TimeProvider time, ILogger<AutoTagEngine> logger)
{
    /// <summary>
    /// One full run. Read failures (<see cref="ImmichException"/>) end the run by propagating, since no plan
    /// can be trusted without the whole library; write failures are collected in <see cref="RunResult.Errors"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An album pattern is not a valid regex (config validation should have caught it).</exception>
    public async Task<RunResult> RunAsync(AutoTagConfig config, RunOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkSize, 1);

        var startedAt = time.GetUtcNow();
        var failFast = config.Performance.FailFastOnAssetErrors;

        // Compile first: a broken rule should fail before a single request is sent.
        var classifier = RuleClassifier.Compile(config.Classification.Rules);
        var sync = new TagAlbumSync(config, options);

        // Every feature step says what it needs read; the gatherer reads the union in one walk.
        var (steps, outputs) = FeatureSteps.For(config, options, classifier, sync.IsSyncTag);
        var reads = FeatureSteps.Reads(steps);

        // Before anything else: queues an interrupted earlier run left paused would hold Immich's jobs for ever.
        var guard = new QueueGuard(gateway, options.QueuePauseMarker ?? new InMemoryQueuePauseMarker(), time, logger);
        var recovered = await guard.RecoverAsync(ct);

        var snapshot = await new LibraryGatherer(gateway, logger)
            .GatherAsync(reads.TagNames, reads.OwnedTagPaths, options.Progress, ct, reads.Owns, options.User);

        // Tag ↔ album sync first: classification then sees the albums and tags the library will have.
        var synced = sync.Plan(snapshot);

        // One call for every group; membership also comes with the search items, but only this lists groups whole.
        var duplicates = reads.Duplicates ? await ReadDuplicatesAsync(ct) : null;

        // IO-bound enrichment (model inference, look-ups) before any step plans; what it finds is a run fact.
        var facts = new RunFacts();
        foreach (var step in steps.Where(s => s.Enabled))
        {
            await step.PrepareAsync(
                new StepPrepareContext { Snapshot = snapshot, Duplicates = duplicates, Facts = facts, Gateway = gateway, Options = options, Logger = logger, Time = time },
                ct);
        }

        var users = reads.Users ? await gateway.GetUsersAsync(ct) : [];
        var stepPlans = new List<StepPlan>();
        var errors = snapshot.Unreadable
            .Select(u => new EngineError(EngineErrorKind.ReadAsset, $"asset {u.Id?.ToString() ?? "(no readable id)"} ({u.FileName ?? "no readable file name"}) skipped: {u.Reason}", u.Id is { } id ? [id] : [], [], startedAt))
            .ToList();
        var planner = new RunPlanner(config, classifier, outputs, options, time.GetUtcNow(), e =>
        {
            errors.Add(e);
            logger.LogWarning("Skipping asset {AssetId}: {Message}", e.AssetIds.Count > 0 ? e.AssetIds[0] : Guid.Empty, e.Message);
        });

        // The steps plan on the final verdicts (the workflows' conditions read them).
        var planning = planner.Plan(synced.Snapshot, duplicates, options.Progress, planned => PlanSteps(steps, TagAlbumSync.Merge(new TagPlan(planned, new Dictionary<Guid, ClassificationStatus>()), synced, snapshot.Tags).Changes, new StepContext(snapshot, planned, users) { Facts = Verdicts(facts, planner) }, stepPlans), ct);
        var evaluations = planning.Evaluations;

        options.Progress?.Report(new EngineProgress(EnginePhase.Evaluate, snapshot.Assets.Count, snapshot.Assets.Count));

        var plan = TagAlbumSync.Merge(planning.Plan, synced, snapshot.Tags);
        plan = plan with { Notes = [.. plan.Notes, .. UnknownRuleTags(config, snapshot.Tags)] };
        var scope = $"{gateway.ServerUrl} {snapshot.User.Id}";
        var pendingDates = options.PendingDateWrites is { } pendingStore ? await pendingStore.LoadAsync(scope, ct) : [];
        (plan, pendingDates) = PendingDates.Hold(plan, pendingDates, snapshot.Assets, time.GetUtcNow(), options.PendingDateWriteExpiry);
        var nonSticking = options.NonStickingChanges is { } nonStickingStore ? await nonStickingStore.LoadAsync(scope, ct) : [];
        (plan, var held) = NonStickingChanges.Hold(plan, nonSticking, snapshot.Assets, options.RetryNonStickingChanges, time.GetUtcNow(), options.NonStickingRetryAfter);
        if (held.Count > 0)
        {
            logger.LogWarning("{Count} tag changes do not stick in Immich (reverted in every round of earlier runs, e.g. a read-only external library); not retried until a full pass or the file changes", held.Count);
        }

        foreach (var planned in stepPlans.Where(p => p.Changes.Count > 0 || p.Notes.Count > 0))
        {
            plan = plan with { Changes = plan.Changes.Concat(planned.Changes), Notes = [.. plan.Notes, .. planned.Notes] };
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Plan: {Create} tags to create, {Add} additions, {Remove} removals, {Albums} album additions, {NewAlbums} albums to create, {AlbumRemovals} album removals, {AlbumDeletions} temporary albums to delete, {Sharing} sharing changes, {Dates} date repairs{DryRun}",
                plan.TagsToCreate.Count,
                plan.AdditionCount,
                plan.RemovalCount,
                plan.AlbumAdditionCount,
                plan.AlbumsToCreate.Count,
                plan.AlbumRemovalCount,
                plan.AlbumDeletions.Count,
                plan.SharingChanges.Count,
                plan.DateUpdates.Count,
                options.DryRun ? " (dry run)" : string.Empty);
        }

        var aborted = failFast && errors.Count > 0;
        IReadOnlyList<AppliedChange> changes = [];

        // Writes go through a watch that stops the apply once the server is gone or rejects the key (revoked mid-run).
        using var serverLost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = new ServerLossWatch(gateway, serverLost);
        var session = new WriteSession(watch, guard, time, logger, options);
        var verified = VerifyOutcome.Nothing;
        var cancelled = false;
        if (!options.DryRun && !aborted && plan.HasChanges)
        {
            var assetsById = snapshot.Assets.ToDictionary(a => a.Id);
            var outcome = await session.ApplyAsync(plan, assetsById, snapshot.Tags, failFast, options.Progress, serverLost.Token);
            changes = outcome.Changes;
            errors.AddRange(outcome.Errors);
            aborted = outcome.Aborted;
            cancelled = outcome.Cancelled;
            if (!aborted && !cancelled && watch.LostBy is null)
            {
                try
                {
                    verified = await new ApplyVerifier(watch, session, logger).VerifyAsync(changes, assetsById, options.MaxReapplyRounds, options.Progress, ct);
                    errors.AddRange(verified.Errors);
                }
                catch (ImmichException e) when (e is ImmichUnreachableException or ImmichAuthenticationException)
                {
                    // Recorded by the watch: the run reports what it applied and ends with the failure's exit code.
                    logger.LogError("Checking the applied changes failed: {Message}", e.Message);
                }
            }
        }

        if (watch.LostBy is { } lost)
        {
            logger.LogError("The apply stopped: {Message}", lost.Message);
            cancelled = false;
            aborted = true;
        }

        if (!options.DryRun && options.PendingDateWrites is { } store)
        {
            // Also when nothing was written: writes that landed or expired since are forgotten.
            var remembered = PendingDates.Remember(pendingDates, plan.DateUpdates, changes, verified.DatesNotLanded, aborted || cancelled);
            await store.SaveAsync(scope, remembered, CancellationToken.None);
        }

        var recorded = nonSticking;
        if (!options.DryRun && options.NonStickingChanges is { } records)
        {
            recorded = NonStickingChanges.Remember(nonSticking, held, verified.StillWrong, snapshot.Assets.ToDictionary(a => a.Id), aborted || cancelled, time.GetUtcNow());
            await records.SaveAsync(scope, recorded, CancellationToken.None);
        }

        var stillWrongKeys = verified.StillWrong.Select(c => (c.AssetId, c.Kind, c.TagName)).ToHashSet();
        var doesNotStick = held
            .Concat(recorded.Where(r => r.DoesNotStick && stillWrongKeys.Contains((r.AssetId, r.Kind, r.TagName))))
            .ToList();
        var outputTagAssets = OutputTagHolders(snapshot, outputs, changes.Except(verified.StillWrong).ToList());

        // What the tool judged, whether or not Immich keeps it.
        var evaluatedOutputTags = OutputTagHolders(snapshot, outputs, [.. changes, .. held.Select(r => new AppliedChange(r.AssetId, r.FileName, r.TagName, r.Kind, r.LastSeen))]);
        return new RunResult
        {
            StartedAt = startedAt,
            FinishedAt = time.GetUtcNow(),
            User = snapshot.User,
            DryRun = options.DryRun,
            Assets = new AssetCounts(
                snapshot.Assets.Count,
                Enum.GetValues<AssetType>().ToDictionary(t => t, t => snapshot.Assets.Count(a => a.Type == t)),
                planning.Owned,
                planning.Partner,
                planning.ExcludedByVisibility,
                evaluations.Count)
            {
                MotionParts = planning.MotionParts,
            },
            AlbumCount = snapshot.Albums.Count,
            TagCount = snapshot.Tags.Count,
            AmbiguousAssetsResolved = snapshot.AmbiguousAssetsResolved,
            StatusCounts = plan.StatusCounts,
            Plan = plan,
            Evaluations = evaluations,
            AppliedChanges = changes,
            Errors = errors,
            Aborted = aborted,
            Cancelled = cancelled,
            OutputTagCounts = outputTagAssets.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal),
            OutputTagAssets = outputTagAssets,
            ExcludedByFilters = planning.ExcludedByFilters,
            DuplicateGroups = duplicates is null ? null : planning.DuplicateGroups,
            DuplicateFeatures = new DuplicateFeatures(
                duplicates is not null && config.DuplicateProcessing.CopyClassificationFromDuplicates,
                duplicates is not null && options.AlbumPropagation && config.DuplicateProcessing.AddToAlbumOfDuplicates,
                planning.DuplicateCopies,
                planning.PropagatedAssets),
            WriteMode = session.Mode,
            WriteFallbackReason = session.FallbackReason,
            WriteWaves = session.Waves,
            RevertedAndReapplied = verified.RevertedAndReapplied,
            StillWrong = verified.StillWrong,
            DatesNotLanded = verified.DatesNotLanded,
            DoesNotStick = doesNotStick,
            NotRetried = held,
            EvaluatedOutputTagCounts = evaluatedOutputTags.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal),
            RecoveredQueues = recovered,
            ServerLost = watch.LostBy,
            Unreadable = snapshot.Unreadable,
            Facts = facts,
            Workflows = steps.OfType<Workflows.WorkflowStep>().FirstOrDefault()?.Outcome,
        };
    }

    /// <summary>
    /// Lets every enabled step plan, in registration order, each seeing the changes planned before it; their plans
    /// go to <paramref name="plans"/> (their changes and notes join the plan after the held changes are taken out).
    /// Returns the steps' owned tags, which the planner diffs with the output tags.
    /// </summary>
    private static List<OwnedTagPlan> PlanSteps(IReadOnlyList<IFeatureStep> steps, ChangeList planned, StepContext context, List<StepPlan> plans)
    {
        var owned = new List<OwnedTagPlan>();
        foreach (var step in steps.Where(s => s.Enabled))
        {
            var plan = step.Plan(context with { Planned = planned });
            plans.Add(plan);
            if (plan.Changes.Count > 0)
            {
                planned = planned.Concat(plan.Changes);
            }

            if (plan.OwnedTags is { } tags)
            {
                owned.Add(tags);
            }
        }

        return owned;
    }

    /// <summary>The run facts with the planner's final classification verdicts added.</summary>
    private static RunFacts Verdicts(RunFacts facts, RunPlanner planner)
    {
        if (planner.Verdicts is { } verdicts)
        {
            facts.Set(verdicts);
        }

        return facts;
    }

    /// <summary>Duplicates only add to a run: a key without duplicate.read still gets its output tags kept right.</summary>
    private async Task<IReadOnlyList<DuplicateGroup>?> ReadDuplicatesAsync(CancellationToken ct)
    {
        try
        {
            return await gateway.GetDuplicatesAsync(ct);
        }
        catch (ImmichPermissionException e)
        {
            logger.LogWarning("Duplicates skipped: {Message}", e.Message);
            return null;
        }
    }

    /// <summary>
    /// Rule tag entries that name no tag on the server: a typo, or a hierarchical tag written by its leaf (or the
    /// reverse), which otherwise never matches, silently. Tags a conversion creates in this run are not missing.
    /// </summary>
    private List<PlanNote> UnknownRuleTags(AutoTagConfig config, IReadOnlyList<Tag> tags)
    {
        var created = config.Conversions.Enabled
            ? config.Conversions.Conversions.SelectMany(c => c.DestinationTagNames).ToHashSet(StringComparer.Ordinal)
            : [];
        bool Exists(string entry) =>
            tags.Any(t => RuleClassifier.TagEntryMatches(entry, t))
            || created.Any(path => RuleClassifier.TagEntryMatches(entry, new Tag(Guid.Empty, path.Split('/')[^1], path, null)));

        var entries = config.Classification.Rules.Select((r, i) => (Key: $"classification.rules[{i}].tag_names", r.TagNames))
            .Concat(config.Filters.FilterIn.Select((r, i) => (Key: $"filters.filter_in[{i}].tag_names", r.TagNames)))
            .Concat(config.Filters.FilterOut.Select((r, i) => (Key: $"filters.filter_out[{i}].tag_names", r.TagNames)));
        var notes = new List<PlanNote>();
        foreach (var (key, names) in entries)
        {
            foreach (var entry in names.Where(e => !Exists(e)))
            {
                var message = entry.Contains('/', StringComparison.Ordinal)
                    ? $"{key}: no tag with the path '{entry}' exists on the server (an entry with '/' is a full tag path)"
                    : $"{key}: no tag named '{entry}' exists on the server (a plain entry is compared with each tag's leaf name; write a hierarchical tag as its full path, e.g. 'Parent/Child')";
                logger.LogWarning("{Message}", message);
                notes.Add(new PlanNote(PlanNoteKind.UnknownRuleTag, Guid.Empty, message));
            }
        }

        return notes;
    }

    /// <summary>Who carries each output tag after the run: the walk's holders, plus what was added, minus what was removed.</summary>
    private static Dictionary<string, IReadOnlyList<Guid>> OutputTagHolders(LibrarySnapshot snapshot, OutputTags outputs, IReadOnlyList<AppliedChange> changes)
    {
        var holders = new Dictionary<string, IReadOnlyList<Guid>>(StringComparer.Ordinal);
        foreach (var path in outputs.Enabled)
        {
            var added = changes.Where(c => c.Kind == ChangeKind.Added && string.Equals(c.TagName, path, StringComparison.Ordinal)).Select(c => c.AssetId).ToHashSet();
            var removed = changes.Where(c => c.Kind == ChangeKind.Removed && string.Equals(c.TagName, path, StringComparison.Ordinal)).Select(c => c.AssetId).ToHashSet();
            holders[path] = snapshot.Assets
                .Where(a => added.Contains(a.Id)
                    || (!removed.Contains(a.Id) && snapshot.TagsOf(a.Id).Any(t => string.Equals(t.Value, path, StringComparison.Ordinal))))
                .Select(a => a.Id)
                .ToList();
        }

        return holders;
    }
}
