using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine.Corrections;
using ImmichAutoTag.Core.Engine.Sidecars;
using ImmichAutoTag.Core.Enrichment.Clip;
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

        // Before anything else: queues an interrupted earlier run left paused would hold Immich's jobs for ever.
        var guard = new QueueGuard(gateway, options.QueuePauseMarker ?? new InMemoryQueuePauseMarker(), time, logger);
        var run = await PlanAsync(config, options, guard, startedAt, ct);
        LogPlan(run.Plan, options.DryRun);

        // Writes go through a watch that stops the apply once the server is gone or rejects the key (revoked mid-run).
        using var serverLost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = new ServerLossWatch(gateway, serverLost);
        var session = new WriteSession(watch, guard, time, logger, options);
        var failFast = config.Performance.FailFastOnAssetErrors;
        var applied = !options.DryRun && !(failFast && run.Errors.Count > 0) && run.Plan.HasChanges
            ? await ApplyAndVerifyAsync(run, session, watch, failFast, options, serverLost.Token, ct)
            : new ApplyResult([], VerifyOutcome.Nothing, failFast && run.Errors.Count > 0, false);
        if (watch.LostBy is { } lost)
        {
            logger.LogError("The apply stopped: {Message}", lost.Message);
            applied = applied with { Aborted = true, Cancelled = false };
        }

        var recorded = await RememberAsync(run, applied, options);
        var stillWrongKeys = applied.Verified.StillWrong.Select(c => (c.AssetId, c.Kind, c.TagName)).ToHashSet();
        var doesNotStick = run.Held
            .Concat(recorded.Where(r => r.DoesNotStick && stillWrongKeys.Contains((r.AssetId, r.Kind, r.TagName))))
            .ToList();

        // Changes Immich does not keep go through the XMP sidecars of mapped libraries; what arrives is forgotten.
        var sidecars = await NonStickingSidecars.RouteAsync(
            new SidecarRoute(watch, options.SidecarWriter, config.Sidecars, time, logger),
            new NonStickingSidecars.Input(doesNotStick, run.Snapshot.Assets.ToDictionary(a => a.Id), p => run.Reads.OwnedTagPaths.Contains(p) || run.Reads.Owns(p), run.Unheld, [.. applied.Verified.StillWrong.Where(c => c.Kind is ChangeKind.Added or ChangeKind.Removed)], IsSuggestion(config)),
            options.DryRun,
            skip: applied.Aborted || applied.Cancelled || watch.LostBy is not null,
            session.SettleAsync,
            options.MaxReapplyRounds,
            ct);
        (recorded, doesNotStick, var held) = sidecars.Forget(recorded, doesNotStick, run.Held);
        run = run with { Held = held };

        // The tool's own sidecar entries it no longer wants come out again, also once sidecars: is switched off.
        var cleanup = await CleanUpSidecarsAsync(config, options, run, sidecars.Outcome, watch, session, skip: applied.Aborted || applied.Cancelled || watch.LostBy is not null, ct);
        if (cleanup.DoesNotStick.Count > 0)
        {
            var known = recorded.Select(r => (r.AssetId, r.Kind, r.TagName)).ToHashSet();
            recorded = [.. recorded, .. cleanup.DoesNotStick.Where(r => !known.Contains((r.AssetId, r.Kind, r.TagName)))];
        }

        var sidecarOutcome = new SidecarOutcome(
            [.. sidecars.Outcome.Writes, .. cleanup.Outcome.Writes],
            sidecars.Outcome.Arrived,
            [.. sidecars.Outcome.Applied, .. cleanup.Outcome.Applied],
            sidecars.Outcome.Unmapped,
            [.. sidecars.Outcome.Errors, .. cleanup.Outcome.Errors]);
        applied = applied with
        {
            Changes = [.. applied.Changes, .. sidecarOutcome.Applied],
            Verified = applied.Verified with { StillWrong = sidecars.Forget(applied.Verified.StillWrong) },
        };
        run.Errors.AddRange(sidecarOutcome.Errors);
        if (!options.DryRun && options.NonStickingChanges is { } records)
        {
            await records.SaveAsync(run.Scope, recorded, CancellationToken.None);
        }

        // A refused key is not an asset's failure (so it never stops the apply), but the run is not a clean success
        // either: the feature did nothing and will do nothing until the key is fixed.
        if (run.Facts.Get<Enrichment.Booru.BooruTags>() is { } booru)
        {
            run.Errors.AddRange(booru.Stats.KeyRefused.Select(kv => new EngineError(
                EngineErrorKind.ServiceKeyRefused,
                $"booru: {Enrichment.Booru.BooruAssetResult.SourceName(kv.Key)} refused the key from the environment; its look-ups did not run: {kv.Value}",
                [],
                [],
                time.GetUtcNow())));
        }

        if (!options.DryRun && options.RootTagLinks is { } rootLinks && run.Roots is { Count: > 0 } roots)
        {
            var (added, removed) = RootTagOwnership.Changes(applied.Changes, applied.Verified.StillWrong, roots);
            await rootLinks.UpdateAsync(run.Scope, added, [.. removed, .. run.VanishedLinks], CancellationToken.None);
        }
        else if (!options.DryRun && options.RootTagLinks is { } forget && run.VanishedLinks.Count > 0)
        {
            await forget.UpdateAsync(run.Scope, [], run.VanishedLinks, CancellationToken.None);
        }

        if (!options.DryRun && options.RootTagLinks is { } createdLinks)
        {
            // A status tag the run created is the tool's: later runs may take it off assets (see StatusTagGuard).
            var added = applied.Changes.Where(c => c.Kind == ChangeKind.Added).Select(c => c.TagName).ToHashSet(StringComparer.Ordinal);
            if (StatusTagGuard.Created(config, run.Plan.TagsToCreate.Where(added.Contains)) is { Count: > 0 } created)
            {
                await createdLinks.UpdateAsync(run.Scope, created, [], CancellationToken.None);
            }

            if (run.SettledMarkers.Count > 0)
            {
                await createdLinks.UpdateAsync(run.Scope, run.SettledMarkers, [], CancellationToken.None);
            }
        }

        // A flag the run set whose rule's tag Immich reverted stands without its reason: say so.
        if (Workflows.WorkflowFlagTags.WithoutTag(applied.Changes, applied.Verified.StillWrong) is { Count: > 0 } alone)
        {
            logger.LogWarning("{Count} workflow favourite or archive change(s) made without their tag (e.g. {Example})", alone.Count, alone[0].Message);
            run = run with { Plan = run.Plan with { Notes = [.. run.Plan.Notes, .. alone] } };
        }

        var learned = await run.Corrections.FinishAsync(
            applied.Changes,
            applied.Verified.StillWrong,
            options.DryRun,
            verified: applied.Changes.Count > 0 && !applied.Aborted && !applied.Cancelled && watch.LostBy is null,
            CancellationToken.None);
        return Result(config, options, run, applied, doesNotStick, session, watch, startedAt) with { Sidecars = sidecarOutcome, Corrections = learned };
    }

    /// <summary>
    /// Records this run's sidecar writes and takes out the entries the tool no longer wants (<see cref="SidecarCleanup"/>);
    /// nothing without an entry store. A dry run lists what it would take out and saves nothing.
    /// </summary>
    private async Task<SidecarCleanup.Result> CleanUpSidecarsAsync(AutoTagConfig config, RunOptions options, RunPlan run, SidecarOutcome routed, ServerLossWatch watch, WriteSession session, bool skip, CancellationToken ct)
    {
        if (options.SidecarEntries is not { } store)
        {
            return SidecarCleanup.Result.Nothing([]);
        }

        var before = await store.LoadAsync(run.Scope, ct);
        var entries = SidecarCleanup.Track(before, routed.Writes, time.GetUtcNow());
        // No entries (the usual case): no asset index is built for nothing.
        var result = skip || entries.Count == 0
            ? SidecarCleanup.Result.Nothing(entries)
            : await SidecarCleanup.RunAsync(
                new SidecarRoute(watch, options.SidecarWriter, config.Sidecars with { Enabled = true }, time, logger),
                config.Sidecars,
                new SidecarCleanup.Input(entries, run.Snapshot.Assets.ToDictionary(a => a.Id), p => run.Reads.OwnedTagPaths.Contains(p) || run.Reads.Owns(p), IsSuggestion(config), run.Corrections.IsCorrected),
                options.DryRun,
                session.SettleAsync,
                options.MaxReapplyRounds,
                time,
                logger,
                ct);
        // Compared as sets: the store's order (by id text) is not Guid order, and a rerun that changed nothing writes nothing.
        if (!options.DryRun && (result.Entries.Count != before.Count || !result.Entries.ToHashSet().SetEquals(before)))
        {
            await store.SaveAsync(run.Scope, result.Entries, CancellationToken.None);
        }

        return result;
    }

    /// <summary>What a run planned, with what it read and held back to plan it.</summary>
    private sealed record RunPlan(
        LibrarySnapshot Snapshot,
        TagPlan Plan,
        PlanningResult Planning,
        OutputTags Outputs,
        IReadOnlyList<DuplicateGroup>? Duplicates,
        RunFacts Facts,
        IReadOnlyList<string> RecoveredQueues,
        string Scope,
        IReadOnlyList<PendingDateWrite> PendingDates,
        IReadOnlyList<NonStickingChange> NonSticking,
        IReadOnlyList<NonStickingChange> Held,
        List<EngineError> Errors,
        ReadNeeds Reads,
        TagPlan Unheld,
        CorrectionRun Corrections)
    {
        /// <summary>The tag roots whose links the tool records (<see cref="RootTagOwnership.Roots(AutoTagConfig, IReadOnlyCollection{string})"/>), retired workflow tags included.</summary>
        public IReadOnlyList<string> Roots { get; init; } = [];

        /// <summary>Recorded links the library no longer has (<see cref="RootTagOwnership.Vanished"/>): forgotten after a real run.</summary>
        public IReadOnlyList<(Guid AssetId, string TagPath)> VanishedLinks { get; init; } = [];

        /// <summary>Retired status tags no asset carries any more: their created-marker goes, a retired-marker (<see cref="StatusTagGuard.RetiredMarker"/>) comes.</summary>
        public IReadOnlyList<(Guid AssetId, string TagPath)> SettledMarkers { get; init; } = [];
    }

    /// <summary>What the apply and the verification did.</summary>
    private sealed record ApplyResult(IReadOnlyList<AppliedChange> Changes, VerifyOutcome Verified, bool Aborted, bool Cancelled);

    /// <summary>
    /// Gather (the union of the steps' reads), read the duplicate groups, let the steps prepare, then plan: the steps
    /// that plan ahead, every step in order, the owned-tag diff; then hold back the date writes still pending and the tag changes
    /// that do not stick.
    /// </summary>
    private async Task<RunPlan> PlanAsync(AutoTagConfig config, RunOptions options, QueueGuard guard, DateTimeOffset startedAt, CancellationToken ct)
    {
        // Compile first: a broken rule should fail before a single request is sent.
        var classifier = RuleClassifier.Compile(config.Classification.Rules, ToolTagRoots.Of(config));

        // The links the tool added below its roots (read before the walk: workflow tags no rule adds any more are
        // read and taken off like the others); the scope needs the key's user, which the walk would ask for anyway.
        var user = options.RootTagLinks is not null && options.User is null ? await gateway.GetMyUserAsync(ct) : options.User;
        var linkScope = user is null ? null : StateScope.Of(user.Id);
        var links = options.RootTagLinks is { } linkStore && linkScope is not null ? await linkStore.LoadAsync(linkScope, ct) : null;
        // Labels the tool added below an earlier clip.tag_root are the CLIP step's to take off (V11).
        var previousClipRoots = await Enrichment.Clip.ClipTagRoots.PreviousAsync(config, options.Clip?.TagRoots, linkScope, links, ct);
        var retired = links is null ? [] : RootTagOwnership.RetiredWorkflowTags(config, links);
        if (retired.Count > 0)
        {
            // A tag another step owns (a status tag, a sync tag) is that step's to keep or remove, never a retired workflow tag.
            var others = FeatureSteps.Reads(FeatureSteps.For(config, options, classifier, previousClipTagRoots: previousClipRoots).Steps);
            retired = [.. retired.Where(p => !others.Owns(p) && !others.OwnedTagPaths.Contains(p, StringComparer.Ordinal))];
        }

        // Status tags the tool created that the config no longer names (renamed, null, feature off) are taken off (W3).
        IReadOnlyList<string> retiredStatus = links is null ? [] : RetiredStatusTagsStep.Retired(config, links);
        if (retiredStatus.Count > 0)
        {
            // The per-group conflict family stays the duplicates step's; a path another step owns is that step's.
            var family = config.DuplicateProcessing.AutotagClassificationConflictPrefix is { Length: > 0 } prefix ? prefix : null;
            var others = FeatureSteps.Reads(FeatureSteps.For(config, options, classifier, retired, previousClipRoots).Steps);
            retiredStatus = [.. retiredStatus.Where(p => (family is null || !p.StartsWith(family, StringComparison.Ordinal)) && !others.Owns(p) && !others.OwnedTagPaths.Contains(p, StringComparer.Ordinal))];
        }

        // Every feature step says what it needs read; the gatherer reads the union in one walk.
        var (steps, outputs) = FeatureSteps.For(config, options, classifier, retired, previousClipRoots, retiredStatus);
        var reads = FeatureSteps.Reads(steps);
        var recovered = await guard.RecoverAsync(ct);

        var snapshot = await new LibraryGatherer(gateway, logger)
            .GatherAsync(reads.TagNames, reads.OwnedTagPaths, options.Progress, ct, reads.Owns, user, reads.Exif);

        // A link the tool added that the user took off is forgotten: put back by hand later, it is the user's own.
        IReadOnlyList<(Guid AssetId, string TagPath)> vanished = [];
        if (links is { Count: > 0 })
        {
            var ownedPaths = reads.OwnedTagPaths.ToHashSet(StringComparer.Ordinal);
            vanished = RootTagOwnership.Vanished(links, snapshot, p => ownedPaths.Contains(p) || reads.Owns(p));
            if (vanished.Count > 0)
            {
                var kept = new HashSet<(Guid AssetId, string TagPath)>(links);
                kept.ExceptWith(vanished);
                links = kept;
            }
        }

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
        var errors = snapshot.Unreadable
            .Select(u => new EngineError(EngineErrorKind.ReadAsset, $"asset {u.Id?.ToString() ?? "(no readable id)"} ({u.FileName ?? "no readable file name"}) skipped: {u.Reason}", u.Id is { } id ? [id] : [], [], startedAt))
            .ToList();

        // What the user took away again is not added again (corrections:), whichever step plans it; the steps judge
        // the assets without it, so their classification and status tags hold as the plan leaves them.
        var scope = StateScope.Of(snapshot.User.Id);
        var corrections = await CorrectionRun.StartAsync(options.Corrections, config.Corrections, scope, snapshot, reads, time.GetUtcNow(), logger, StatusTags.Of(config), ct);
        var planning = new RunPlanner(config, classifier, outputs, options, time.GetUtcNow(), e =>
        {
            errors.Add(e);
            logger.LogWarning("Skipping asset {AssetId}: {Message}", e.AssetIds.Count > 0 ? e.AssetIds[0] : Guid.Empty, e.Message);
        }) { Corrections = corrections }.Plan(duplicates, steps, new StepContext(snapshot, ChangeList.Empty, users) { Facts = facts }, options.Progress, ct);

        options.Progress?.Report(new EngineProgress(EnginePhase.Evaluate, snapshot.Assets.Count, snapshot.Assets.Count));

        var plan = planning.Plan with { Notes = [.. planning.Plan.Notes, .. UnknownRuleTags(config, snapshot.Tags), .. UnmatchedWorkflowAlbumPatterns(config, snapshot.Albums, planning.Plan.AlbumsToCreate)] };
        var pendingDates = options.PendingDateWrites is { } pendingStore ? await pendingStore.LoadAsync(scope, ct) : [];
        (plan, pendingDates) = PendingDates.Hold(plan, pendingDates, snapshot.Assets, time.GetUtcNow(), options.PendingDateWriteExpiry);
        var nonSticking = options.NonStickingChanges is { } nonStickingStore ? await nonStickingStore.LoadAsync(scope, ct) : [];
        var unheld = plan;
        (plan, var held) = NonStickingChanges.Hold(plan, nonSticking, snapshot.Assets, options.RetryNonStickingChanges, time.GetUtcNow(), options.NonStickingRetryAfter);
        // A workflow's flag goes with its rule's tag: where the tag never sticks, the flag is held back too.
        (plan, var heldFlags) = Workflows.WorkflowFlagTags.Hold(plan, unheld, held);
        if (heldFlags.Count > 0)
        {
            plan = plan with { Notes = [.. plan.Notes, .. heldFlags] };
            logger.LogWarning("{Count} workflow favourite or archive change(s) held back: the rule's tag does not stick on those assets (e.g. {Example}); see the plan's WARNING_WORKFLOW_FLAG_WITHOUT_TAG notes", heldFlags.Count, heldFlags[0].Message);
        }

        if (held.Count > 0)
        {
            logger.LogWarning("{Count} tag changes do not stick in Immich (reverted in every round of earlier runs, e.g. a read-only external library); not retried until a full pass or the file changes", held.Count);
        }

        // The steps' own notes (sharing's unknown users, unmatched albums) come last, as they always have.
        var stepNotes = planning.StepPlans.SelectMany(p => p.Notes).ToList();
        if (stepNotes.Count > 0)
        {
            plan = plan with { Notes = [.. plan.Notes, .. stepNotes] };
        }

        // A rule whose album can never be filled does nothing, rules that never settle change assets every run, a mistyped
        // sharing e-mail holds back removals: say so where the user looks, not only in the reports.
        foreach (var note in stepNotes.Where(n => n.Kind is PlanNoteKind.AlbumNotFound or PlanNoteKind.WorkflowUnsettled or PlanNoteKind.UnknownShareUser or PlanNoteKind.TemporaryAlbumCleanupSkipped))
        {
            logger.LogWarning("{Message}", note.Message);
        }

        // A rule that acted on no asset is most often a typo in its condition: name it where the user looks.
        if (facts.Get<Workflows.WorkflowOutcome>() is { Rules.Count: > 0 } workflows
            && workflows.RuleActivations().Where(r => r.Assets == 0).Select(r => $"'{r.Rule}'").ToList() is { Count: > 0 } idle)
        {
            logger.LogInformation("workflows: {Count} rule(s) acted on no asset of the {Tested} tested: {Rules}", idle.Count, workflows.Facts, string.Join(", ", idle));
        }

        foreach (var path in retiredStatus)
        {
            var holders = plan.Changes.OfKind<RemoveTag>().Count(r => string.Equals(r.TagPath, path, StringComparison.Ordinal));
            logger.LogWarning("Status tag '{Tag}' was created by this tool but the config no longer names it (renamed, set to null or its feature switched off): taken off {Count} asset(s); assets out of this run's scope keep it", path, holders);
        }

        // Status-like tags the tool did not create are left alone: say so once, with what to do about them.
        if (links is not null && linkScope == scope
            && RetiredStatusTagsStep.Unmarked(config, links, snapshot.Tags, p => reads.Owns(p) || reads.OwnedTagPaths.Contains(p, StringComparer.Ordinal)) is { Count: > 0 } unmarked)
        {
            var message = RetiredStatusTagsStep.UnmarkedMessage(unmarked);
            logger.LogWarning("{Message}", message);
            plan = plan with { Notes = [.. plan.Notes, new PlanNote(PlanNoteKind.UnmarkedStatusTags, Guid.Empty, message)] };
        }

        // The planner left out what the user corrected; this also raises accepted-too-rarely CLIP labels (opt-in).
        plan = corrections.Filter(plan, facts.Get<ClipLabels>(), config.Clip, logger);

        // Below a tag root only the links the tool added are its own to remove; the user's are left alone.
        var roots = RootTagOwnership.Roots(config, [.. retired, .. previousClipRoots]);
        if (options.RootTagLinks is { } rootLinks && roots.Count > 0)
        {
            (plan, var leftAlone) = RootTagOwnership.Guard(plan, roots, links is not null && linkScope == scope ? links : await rootLinks.LoadAsync(scope, ct));
            RootTagOwnership.Warn(leftAlone, roots, logger);
        }

        // A status tag named after a tag the user already had would strip it from the user's assets: refuse first.
        if (options.RootTagLinks is { } statusLinks && StatusTagGuard.Checked(config).Count > 0)
        {
            var names = snapshot.Assets.ToDictionary(a => a.Id, a => a.OriginalFileName);
            StatusTagGuard.Check(config, plan, snapshot.Tags, links is not null && linkScope == scope ? links : await statusLinks.LoadAsync(scope, ct), id => names.GetValueOrDefault(id));
        }

        // A retired status tag no asset of the library carries any more needs no read on later runs: its marker goes.
        var carried = retiredStatus.Count == 0 ? [] : snapshot.TagsByAsset.Values.SelectMany(t => t).Select(t => t.Value).Where(retiredStatus.Contains).ToHashSet(StringComparer.Ordinal);
        var settledMarkers = retiredStatus.Where(p => !carried.Contains(p)).Select(p => (StatusTagGuard.CreatedMarker, p)).ToList();
        return new RunPlan(snapshot, plan, planning, outputs, duplicates, facts, recovered, scope, pendingDates, nonSticking, held, errors, reads, unheld, corrections)
        {
            Roots = roots,
            VanishedLinks = linkScope == scope ? [.. vanished, .. settledMarkers] : [],
            SettledMarkers = linkScope == scope ? [.. settledMarkers.Select(m => (StatusTagGuard.RetiredMarker, m.Item2))] : [],
        };
    }

    private void LogPlan(TagPlan plan, bool dryRun)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Plan: {Create} tags to create, {Add} additions, {Remove} removals, {Albums} album additions, {NewAlbums} albums to create ({NewMembers} assets join them), {AlbumRemovals} album removals, {AlbumDeletions} temporary albums to delete, {Sharing} sharing changes, {Dates} date repairs, {Flags} favourite or archive changes{DryRun}",
                plan.TagsToCreate.Count,
                plan.AdditionCount,
                plan.RemovalCount,
                plan.AlbumAdditionCount,
                plan.AlbumsToCreate.Count,
                plan.AlbumsToCreate.Sum(c => c.AssetIds.Count),
                plan.AlbumRemovalCount,
                plan.AlbumDeletions.Count,
                plan.SharingChanges.Count,
                plan.DateUpdates.Count,
                plan.Changes.Groups.FlagUpdates.Count,
                dryRun ? " (dry run)" : string.Empty);
        }
    }

    /// <summary>Applies the plan, then (unless it stopped) re-reads what it wrote and re-applies what the server reverted.</summary>
    private async Task<ApplyResult> ApplyAndVerifyAsync(RunPlan run, WriteSession session, ServerLossWatch watch, bool failFast, RunOptions options, CancellationToken writeToken, CancellationToken ct)
    {
        var assetsById = run.Snapshot.Assets.ToDictionary(a => a.Id);
        var outcome = await session.ApplyAsync(run.Plan, assetsById, run.Snapshot.Tags, failFast, options.Progress, writeToken);
        run.Errors.AddRange(outcome.Errors);
        var verified = VerifyOutcome.Nothing;
        if (!outcome.Aborted && !outcome.Cancelled && watch.LostBy is null)
        {
            try
            {
                verified = await new ApplyVerifier(watch, session, logger).VerifyAsync(outcome.Changes, assetsById, options.MaxReapplyRounds, options.Progress, ct);
                run.Errors.AddRange(verified.Errors);
            }
            catch (ImmichException e) when (e is ImmichUnreachableException or ImmichAuthenticationException)
            {
                // Recorded by the watch: the run reports what it applied and ends with the failure's exit code.
                logger.LogError("Checking the applied changes failed: {Message}", e.Message);
            }
        }

        return new ApplyResult(outcome.Changes, verified, outcome.Aborted, outcome.Cancelled);
    }

    /// <summary>Saves the date writes still pending; returns the non-sticking records as they now stand (saved once the sidecar route ran).</summary>
    private async Task<IReadOnlyList<NonStickingChange>> RememberAsync(RunPlan run, ApplyResult applied, RunOptions options)
    {
        var stopped = applied.Aborted || applied.Cancelled;
        if (!options.DryRun && options.PendingDateWrites is { } store)
        {
            // Also when nothing was written: writes that landed or expired since are forgotten.
            var remembered = PendingDates.Remember(run.PendingDates, run.Plan.DateUpdates, applied.Changes, applied.Verified.DatesNotLanded, stopped);
            await store.SaveAsync(run.Scope, remembered, CancellationToken.None);
        }

        var recorded = run.NonSticking;
        if (!options.DryRun && options.NonStickingChanges is not null)
        {
            recorded = NonStickingChanges.Remember(run.NonSticking, run.Held, applied.Verified.StillWrong, run.Snapshot.Assets.ToDictionary(a => a.Id), stopped, time.GetUtcNow());
        }

        return recorded;
    }

    private RunResult Result(AutoTagConfig config, RunOptions options, RunPlan run, ApplyResult applied, IReadOnlyList<NonStickingChange> doesNotStick, WriteSession session, ServerLossWatch watch, DateTimeOffset startedAt)
    {
        var (snapshot, planning, verified, changes) = (run.Snapshot, run.Planning, applied.Verified, applied.Changes);
        // A dry run counts the library as its plan would leave it (what the links file and statistics promise); its
        // report grids keep showing the assets tagged now (their thumbnails are what a dry run may read).
        var planned = options.DryRun ? PlannedTagChanges(run.Plan, startedAt) : [];
        var held = ReadHolders(snapshot, run.Outputs);
        var outputTagAssets = OutputTagHolders(snapshot, run.Outputs, changes.Except(verified.StillWrong).ToList(), held);
        var outputTagCounts = options.DryRun ? OutputTagHolders(snapshot, run.Outputs, planned, held) : outputTagAssets;

        // What the tool judged, whether or not Immich keeps it.
        var evaluatedOutputTags = OutputTagHolders(snapshot, run.Outputs, [.. changes, .. planned, .. run.Held.Select(r => new AppliedChange(r.AssetId, r.FileName, r.TagName, r.Kind, r.LastSeen))], held);
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
                planning.Evaluations.Count)
            {
                MotionParts = planning.MotionParts,
            },
            AlbumCount = snapshot.Albums.Count,
            TagCount = snapshot.Tags.Count,
            AmbiguousAssetsResolved = snapshot.AmbiguousAssetsResolved,
            StatusCounts = run.Plan.StatusCounts,
            Plan = run.Plan,
            Evaluations = planning.Evaluations,
            AppliedChanges = changes,
            Errors = run.Errors,
            Aborted = applied.Aborted,
            Cancelled = applied.Cancelled,
            OutputTagCounts = outputTagCounts.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal),
            OutputTagAssets = outputTagAssets,
            ExcludedByFilters = planning.ExcludedByFilters,
            DuplicateGroups = run.Duplicates is null ? null : planning.DuplicateGroups,
            DuplicateFeatures = new DuplicateFeatures(
                run.Duplicates is not null && config.DuplicateProcessing.CopyClassificationFromDuplicates,
                run.Duplicates is not null && options.AlbumPropagation && config.DuplicateProcessing.AddToAlbumOfDuplicates,
                planning.DuplicateCopies,
                planning.PropagatedAssets),
            WriteMode = session.Mode,
            WriteFallbackReason = session.FallbackReason,
            PausedQueues = session.PausedQueues,
            QueuesPausedByOthers = session.QueuesPausedByOthers,
            WriteWaves = session.Waves,
            RevertedAndReapplied = verified.RevertedAndReapplied,
            StillWrong = verified.StillWrong,
            DatesNotLanded = verified.DatesNotLanded,
            DoesNotStick = doesNotStick,
            NotRetried = run.Held,
            EvaluatedOutputTagCounts = evaluatedOutputTags.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal),
            RecoveredQueues = run.RecoveredQueues,
            ServerLost = watch.LostBy,
            Unreadable = snapshot.Unreadable,
            Facts = run.Facts,
            Workflows = run.Facts.Get<Workflows.WorkflowOutcome>(),
        };
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
        var toolTags = ToolTagRoots.Of(config);
        bool Exists(string entry) =>
            tags.Any(t => RuleClassifier.TagEntryMatches(entry, t, toolTags))
            || created.Any(path => RuleClassifier.TagEntryMatches(entry, new Tag(Guid.Empty, path.Split('/')[^1], path, null)));

        var entries = config.Classification.Rules.Select((r, i) => (Key: $"classification.rules[{i}].tag_names", r.TagNames))
            .Concat(config.Filters.FilterIn.Select((r, i) => (Key: $"filters.filter_in[{i}].tag_names", r.TagNames)))
            .Concat(config.Filters.FilterOut.Select((r, i) => (Key: $"filters.filter_out[{i}].tag_names", r.TagNames)))
            .Concat(config.Workflows.Enabled
                ? config.Workflows.Rules.Select((r, i) => (Key: $"workflows.rules[{i}] ('{r.Name}') when tags", (IReadOnlyList<string>)ConditionTags(r.When).ToList()))
                : []);
        var notes = new List<PlanNote>();
        foreach (var (key, names) in entries)
        {
            foreach (var entry in names.Where(e => !Exists(e)))
            {
                var toolTag = entry.Contains('/', StringComparison.Ordinal) ? null : tags.FirstOrDefault(t => string.Equals(t.Name, entry, StringComparison.Ordinal) && toolTags.Covers(t.Value));
                var message = entry.Contains('/', StringComparison.Ordinal)
                    ? $"{key}: no tag with the path '{entry}' exists on the server (an entry with '/' is a full tag path)"
                    : toolTag is not null
                    ? $"{key}: no tag of yours is named '{entry}'; '{toolTag.Value}' is the tool's own CLIP label or booru tag, which a plain entry does not match (write its full path to use it)"
                    : $"{key}: no tag named '{entry}' exists on the server (a plain entry is compared with each tag's leaf name; write a hierarchical tag as its full path, e.g. 'Parent/Child')";
                logger.LogWarning("{Message}", message);
                notes.Add(new PlanNote(PlanNoteKind.UnknownRuleTag, Guid.Empty, message));
            }
        }

        return notes;
    }

    /// <summary>
    /// Workflow condition <c>album_name_patterns</c> that match no album on the server nor one this run creates: a typo
    /// (<c>^Randon</c>) that otherwise never holds, silently. Said like an unknown rule tag.
    /// </summary>
    private List<PlanNote> UnmatchedWorkflowAlbumPatterns(AutoTagConfig config, IReadOnlyList<Album> albums, IReadOnlyList<AlbumCreation> created)
    {
        var notes = new List<PlanNote>();
        if (!config.Workflows.Enabled)
        {
            return notes;
        }

        var names = albums.Select(a => a.Name).Concat(created.Select(c => c.AlbumName)).Distinct(StringComparer.Ordinal).ToList();
        for (var i = 0; i < config.Workflows.Rules.Count; i++)
        {
            var rule = config.Workflows.Rules[i];
            foreach (var pattern in ConditionAlbumPatterns(rule.When).Distinct())
            {
                if (names.Exists(n => MatchesOrTimesOut(pattern, n)))
                {
                    continue;
                }

                var message = $"workflows.rules[{i}] ('{rule.Name}') when album_name_patterns: '{pattern.Written}' matches no album on the server (nor one this run creates); the condition never holds";
                logger.LogWarning("{Message}", message);
                notes.Add(new PlanNote(PlanNoteKind.UnknownRuleAlbum, Guid.Empty, message));
            }
        }

        return notes;

        // A pattern that runs out of time is reported where it is evaluated; here it counts as matching.
        static bool MatchesOrTimesOut(CompiledPattern pattern, string name)
        {
            try
            {
                return pattern.IsMatch(name);
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                return true;
            }
        }
    }

    /// <summary>The <c>album_name_patterns</c> of a workflow condition, at any depth (<c>all</c>, <c>any</c>, <c>not</c>).</summary>
    private static IEnumerable<CompiledPattern> ConditionAlbumPatterns(WorkflowConditionConfig condition) =>
        condition.AlbumNamePatterns.Concat(condition.All.Concat(condition.Any).Concat(condition.Not is { } not ? [not] : []).SelectMany(ConditionAlbumPatterns));

    /// <summary>The <c>tags</c> entries of a workflow condition, at any depth (<c>all</c>, <c>any</c>, <c>not</c>).</summary>
    private static IEnumerable<string> ConditionTags(WorkflowConditionConfig condition) =>
        condition.Tags.Concat(condition.All.Concat(condition.Any).Concat(condition.Not is { } not ? [not] : []).SelectMany(ConditionTags)).Distinct(StringComparer.Ordinal);

    /// <summary>Who carries each output tag after the run: the walk's holders, plus what was added, minus what was removed.</summary>
    /// <summary>The plan's tag additions and removals as changes (no file names: only asset and tag are needed to count).</summary>
    /// <summary>Whether a tag path is a suggestion (anything but one of the config's status tags), for the sidecar route.</summary>
    private static Func<string, bool> IsSuggestion(AutoTagConfig config)
    {
        var status = StatusTags.Of(config);
        return path => !status(path);
    }

    private static List<AppliedChange> PlannedTagChanges(TagPlan plan, DateTimeOffset at)
    {
        var changes = new List<AppliedChange>(plan.AdditionCount + plan.RemovalCount);
        foreach (var (path, ids) in plan.Additions)
        {
            changes.AddRange(ids.Select(id => new AppliedChange(id, string.Empty, path, ChangeKind.Added, at)));
        }

        foreach (var (tagId, ids) in plan.Removals)
        {
            if (plan.TagPaths.TryGetValue(tagId, out var path))
            {
                changes.AddRange(ids.Select(id => new AppliedChange(id, string.Empty, path, ChangeKind.Removed, at)));
            }
        }

        return changes;
    }

    /// <summary>
    /// Per enabled output tag, the assets that carry it once <paramref name="changes"/> are made, in the walk's order.
    /// <paramref name="held"/> is who carries it as read (<see cref="ReadHolders"/>): tested per asset in a set of a
    /// few thousand ids rather than through the asset's tag list, which for a library whose workflows tag most assets
    /// is a lookup in a map of 100,000 entries per asset, tag and call.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<Guid>> OutputTagHolders(LibrarySnapshot snapshot, OutputTags outputs, IReadOnlyList<AppliedChange> changes, Dictionary<string, HashSet<Guid>> held)
    {
        var holders = new Dictionary<string, IReadOnlyList<Guid>>(StringComparer.Ordinal);
        foreach (var path in outputs.Enabled)
        {
            var added = changes.Where(c => c.Kind == ChangeKind.Added && string.Equals(c.TagName, path, StringComparison.Ordinal)).Select(c => c.AssetId).ToHashSet();
            var removed = changes.Where(c => c.Kind == ChangeKind.Removed && string.Equals(c.TagName, path, StringComparison.Ordinal)).Select(c => c.AssetId).ToHashSet();
            var carriers = held[path];
            var list = new List<Guid>();
            foreach (var asset in snapshot.Assets)
            {
                if (added.Contains(asset.Id) || (!removed.Contains(asset.Id) && carriers.Contains(asset.Id)))
                {
                    list.Add(asset.Id);
                }
            }

            holders[path] = list;
        }

        return holders;
    }

    /// <summary>Per enabled output tag, the assets that carry it as the walk read it: one pass over the relevant tags the walk recorded.</summary>
    private static Dictionary<string, HashSet<Guid>> ReadHolders(LibrarySnapshot snapshot, OutputTags outputs)
    {
        var held = new Dictionary<string, HashSet<Guid>>(StringComparer.Ordinal);
        foreach (var path in outputs.Enabled)
        {
            held.TryAdd(path, []);
        }

        foreach (var (id, tags) in snapshot.TagsByAsset)
        {
            for (var i = 0; i < tags.Count; i++)
            {
                if (held.TryGetValue(tags[i].Value, out var carriers))
                {
                    carriers.Add(id);
                }
            }
        }

        return held;
    }
}
