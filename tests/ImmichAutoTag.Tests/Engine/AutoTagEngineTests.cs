using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.TestKit;
using Microsoft.Extensions.Time.Testing;
using static ImmichAutoTag.Tests.Engine.EngineTestSupport;

namespace ImmichAutoTag.Tests.Engine;

public sealed class AutoTagEngineTests
{
    [Fact]
    public async Task First_run_on_an_unorganised_library_tags_every_asset_unknown_with_two_writes_inside_a_queue_pause()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 5).Select(i => immich.AddAsset($"IMG_{i}.jpg")).ToList();

        var result = await RunAsync(immich);

        assets.Should().AllSatisfy(a => immich.TagPathsOf(a).Should().Equal(Unknown));
        immich.CallsTo("upsertTags").Should().Be(1);
        immich.CallsTo("bulkTagAssets").Should().Be(1);
        immich.QueueCalls.Should().Equal(("sidecar", true), ("metadataExtraction", true), ("sidecar", false), ("metadataExtraction", false));
        immich.WriteCalls.Should().Be(2 + 4, "one upsert, one tagging call, and pausing then resuming two queues");
        result.Plan.TagsToCreate.Should().Equal(Unknown);
        result.StatusCounts[ClassificationStatus.Unclassified].Should().Be(5);
        result.AppliedChanges.Should().HaveCount(5).And.AllSatisfy(c =>
        {
            c.Kind.Should().Be(ChangeKind.Added);
            c.TagName.Should().Be(Unknown);
            c.At.Should().Be(Start);
        });
        result.AppliedChanges.Select(c => c.FileName).Should().BeEquivalentTo(assets.Select(a => a.OriginalFileName));
        result.OutputTagCounts.Should().Equal(new Dictionary<string, int> { [Unknown] = 5, [Conflict] = 0 });
        result.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task An_asset_in_two_date_albums_gets_the_conflict_tag()
    {
        using var immich = new FakeLibrary();
        var both = immich.AddAsset("both.jpg");
        var one = immich.AddAsset("one.jpg");
        immich.AddAlbum("2019-07 Beach", both, one);
        immich.AddAlbum("2020-01 Ski", both);

        var result = await RunAsync(immich);

        immich.TagPathsOf(both).Should().Equal(Conflict);
        immich.TagPathsOf(one).Should().BeEmpty();
        var evaluation = result.Evaluations.Single(e => e.Asset.Id == both.Id);
        evaluation.Status.Should().Be(ClassificationStatus.Conflict);
        evaluation.AlbumNames.Should().BeEquivalentTo("2019-07 Beach", "2020-01 Ski");
        evaluation.Classification.Matches.Should().ContainSingle().Which.RuleIndex.Should().Be(1);
    }

    [Fact]
    public async Task An_asset_matched_by_a_tag_rule_and_a_date_album_is_a_conflict()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("meme.jpg");
        immich.TagAsset(asset, "meme");
        immich.AddAlbum("2019 Summer", asset);

        await RunAsync(immich);

        immich.TagPathsOf(asset).Should().Equal(Conflict, "meme");
    }

    [Fact]
    public async Task Resolving_an_unknown_asset_by_adding_an_album_removes_the_stale_tag_on_the_next_run()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("IMG_1.jpg");
        await RunAsync(immich);
        immich.TagPathsOf(asset).Should().Equal(Unknown);

        immich.AddAlbum("2019-08-01 Party", asset);
        immich.ResetCounters();
        var result = await RunAsync(immich);

        immich.TagPathsOf(asset).Should().BeEmpty();
        immich.UntagCalls.Should().ContainSingle().Which.AssetIds.Should().Equal(asset.Id);
        immich.CallsTo("bulkTagAssets").Should().Be(0);
        immich.CallsTo("upsertTags").Should().Be(0);
        result.AppliedChanges.Should().ContainSingle().Which.Should().BeEquivalentTo(new { AssetId = asset.Id, TagName = Unknown, Kind = ChangeKind.Removed });
        result.OutputTagCounts[Unknown].Should().Be(0);
    }

    [Fact]
    public async Task Resolving_a_conflict_removes_the_conflict_tag()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("IMG_1.jpg");
        immich.AddAlbum("2019 A", asset);
        var second = immich.AddAlbum("2020 B", asset);
        await RunAsync(immich);
        immich.TagPathsOf(asset).Should().Equal(Conflict);

        immich.RemoveFromAlbum(second, asset);
        await RunAsync(immich);

        immich.TagPathsOf(asset).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unknown_asset_that_becomes_a_conflict_swaps_its_output_tag()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("IMG_1.jpg");
        await RunAsync(immich);

        immich.AddAlbum("2019 A", asset);
        immich.AddAlbum("2020 B", asset);
        var result = await RunAsync(immich);

        immich.TagPathsOf(asset).Should().Equal(Conflict);
        result.AppliedChanges.Select(c => (c.TagName, c.Kind)).Should().BeEquivalentTo(new[] { (Conflict, ChangeKind.Added), (Unknown, ChangeKind.Removed) });
    }

    [Fact]
    public async Task A_dry_run_plans_but_sends_no_write()
    {
        using var immich = new FakeLibrary();
        var unknown = immich.AddAsset("a.jpg");
        var stale = immich.AddAsset("b.jpg");
        immich.TagAsset(stale, Unknown);
        immich.AddAlbum("2019 Summer", stale);

        var result = await RunAsync(immich, options: new RunOptions { DryRun = true });

        immich.WriteCalls.Should().Be(0);
        result.DryRun.Should().BeTrue();
        result.Plan.Additions.Should().ContainKey(Unknown).WhoseValue.Should().Equal(unknown.Id);
        result.Plan.Removals.Values.Should().ContainSingle().Which.Should().Equal(stale.Id);
        result.Plan.TagsToCreate.Should().BeEmpty("the unknown tag already exists on the server");
        result.AppliedChanges.Should().BeEmpty();
        immich.TagPathsOf(unknown).Should().BeEmpty();
        immich.TagPathsOf(stale).Should().Equal(Unknown);
    }

    [Fact]
    public async Task A_second_run_right_after_the_first_plans_nothing_and_sends_no_write()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");
        var b = immich.AddAsset("b.jpg");
        var c = immich.AddAsset("c.jpg");
        immich.AddAlbum("2019 A", b, c);
        immich.AddAlbum("2020 B", c);
        var first = await RunAsync(immich);
        first.Plan.HasChanges.Should().BeTrue();

        immich.ResetCounters();
        var second = await RunAsync(immich);

        immich.WriteCalls.Should().Be(0);
        second.Plan.HasChanges.Should().BeFalse();
        second.Plan.Additions.Should().BeEmpty();
        second.Plan.Removals.Should().BeEmpty();
        second.AppliedChanges.Should().BeEmpty();
        second.OutputTagCounts.Should().Equal(first.OutputTagCounts);
    }

    [Fact]
    public async Task Partner_assets_are_counted_but_never_changed()
    {
        using var immich = new FakeLibrary();
        var own = immich.AddAsset("own.jpg");
        var partnerUnknown = immich.AddAsset("partner.jpg", partner: true);
        var partnerStale = immich.AddAsset("partner-stale.jpg", partner: true);
        immich.TagAsset(partnerStale, Unknown);
        immich.AddAlbum("2019 Summer", partnerStale);

        var result = await RunAsync(immich);

        immich.TagPathsOf(own).Should().Equal(Unknown);
        immich.TagPathsOf(partnerUnknown).Should().BeEmpty();
        immich.TagPathsOf(partnerStale).Should().Equal(Unknown);
        result.Assets.Total.Should().Be(3);
        result.Assets.Owned.Should().Be(1);
        result.Assets.PartnerSkipped.Should().Be(2);
        result.Evaluations.Select(e => e.Asset.Id).Should().Equal(own.Id);
        immich.BulkTagCalls.SelectMany(c => c.AssetIds).Should().Equal(own.Id);
        immich.UntagCalls.Should().BeEmpty();
    }

    [Fact]
    public async Task A_rule_on_a_parent_tag_does_not_match_assets_that_carry_only_a_child_tag()
    {
        using var immich = new FakeLibrary();
        var childOnly = immich.AddAsset("child.jpg");
        var parentOnly = immich.AddAsset("parent.jpg");
        var plain = immich.AddAsset("plain.jpg");
        immich.TagAsset(childOnly, "Holidays/Beach");
        immich.TagAsset(parentOnly, "Holidays");
        var config = TestConfig([new RuleConfig { TagNames = ["Holidays"] }]);

        var result = await RunAsync(immich, config);

        Status(result, childOnly).Should().Be(ClassificationStatus.Unclassified);
        Status(result, parentOnly).Should().Be(ClassificationStatus.Classified);
        Status(result, plain).Should().Be(ClassificationStatus.Unclassified);
        immich.TagPathsOf(childOnly).Should().Equal("Holidays/Beach", Unknown);
        immich.TagPathsOf(parentOnly).Should().Equal("Holidays");

        // Only the asset that a child search also returned needs its own read; the child needs one search.
        immich.CallsTo("getAssetInfo").Should().Be(1);
        immich.CallsTo("searchAssets").Should().Be(1 + 2 + 1, "plus one verification search of the output tag the run added");
        result.AmbiguousAssetsResolved.Should().Be(1);
    }

    [Fact]
    public async Task A_rule_on_a_parent_tag_matches_assets_that_carry_both_parent_and_child()
    {
        using var immich = new FakeLibrary();
        var both = immich.AddAsset("both.jpg");
        immich.TagAsset(both, "Holidays");
        immich.TagAsset(both, "Holidays/Beach");
        var config = TestConfig([new RuleConfig { TagNames = ["Holidays"] }]);

        var result = await RunAsync(immich, config);

        Status(result, both).Should().Be(ClassificationStatus.Classified);
        result.Evaluations.Single().Classification.Matches.Single().MatchedTagNames.Should().Equal("Holidays");
        immich.CallsTo("getAssetInfo").Should().Be(1);
        immich.TagPathsOf(both).Should().Equal("Holidays", "Holidays/Beach");
    }

    [Fact]
    public async Task A_rule_on_a_child_leaf_name_matches_the_hierarchical_tag_without_per_asset_reads()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("beach.jpg");
        immich.TagAsset(asset, "Holidays/Beach");
        var config = TestConfig([new RuleConfig { TagNames = ["Beach"] }]);

        var result = await RunAsync(immich, config);

        Status(result, asset).Should().Be(ClassificationStatus.Classified);
        immich.CallsTo("getAssetInfo").Should().Be(0);
    }

    [Fact]
    public async Task Gathering_uses_one_search_per_page_album_and_relevant_tag_and_no_asset_reads()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 2500).Select(i => immich.AddAsset($"{i}.jpg")).ToList();
        immich.AddAlbum("2019 A", assets.Take(10).ToArray());
        immich.AddAlbum("Favourites", assets.Skip(10).Take(5).ToArray());
        immich.TagAsset(assets[20], "meme");
        immich.TagAsset(assets[21], "unrelated");

        await RunAsync(immich, options: new RunOptions { DryRun = true });

        // 3 pages of assets + 2 albums + "meme" (the output tags do not exist yet; "unrelated" does not matter).
        immich.CallsTo("searchAssets").Should().Be(3 + 2 + 1);
        immich.CallsTo("getAssetInfo").Should().Be(0);
        immich.CallsTo("getMyUser").Should().Be(1);
        immich.CallsTo("getAllAlbums").Should().Be(1);
        immich.CallsTo("getAllTags").Should().Be(1);
    }

    [Fact]
    public async Task Additions_are_grouped_by_tag_so_each_asset_is_touched_once()
    {
        using var immich = new FakeLibrary();
        var unknowns = Enumerable.Range(0, 3).Select(i => immich.AddAsset($"u{i}.jpg")).ToList();
        var conflicts = Enumerable.Range(0, 2).Select(i => immich.AddAsset($"c{i}.jpg")).ToList();
        immich.AddAlbum("2019 A", conflicts.ToArray());
        immich.AddAlbum("2020 B", conflicts.ToArray());

        await RunAsync(immich);

        immich.CallsTo("upsertTags").Should().Be(1);
        immich.BulkTagCalls.Should().HaveCount(2);
        var unknownId = immich.EnsureTag(Unknown).Id;
        var conflictId = immich.EnsureTag(Conflict).Id;
        immich.BulkTagCalls.Should().ContainSingle(c => c.TagIds.SequenceEqual(new[] { unknownId }))
            .Which.AssetIds.Should().BeEquivalentTo(unknowns.Select(a => a.Id));
        immich.BulkTagCalls.Should().ContainSingle(c => c.TagIds.SequenceEqual(new[] { conflictId }))
            .Which.AssetIds.Should().BeEquivalentTo(conflicts.Select(a => a.Id));
    }

    [Fact]
    public async Task Chunk_size_two_splits_five_additions_and_five_removals_into_three_calls_each()
    {
        using var immich = new FakeLibrary();
        var fresh = Enumerable.Range(0, 5).Select(i => immich.AddAsset($"new{i}.jpg")).ToList();
        var stale = Enumerable.Range(0, 5).Select(i => immich.AddAsset($"old{i}.jpg")).ToList();
        immich.AddAlbum("2019 Summer", stale.ToArray());
        stale.ForEach(a => immich.TagAsset(a, Unknown));

        var result = await RunAsync(immich, options: new RunOptions { ChunkSize = 2 });

        immich.BulkTagCalls.Select(c => c.AssetIds.Count).Should().Equal(2, 2, 1);
        immich.UntagCalls.Select(c => c.AssetIds.Count).Should().Equal(2, 2, 1);
        immich.CallsTo("upsertTags").Should().Be(0);
        fresh.Concat(stale).Should().AllSatisfy(a => immich.TagPathsOf(a).Should().Equal(fresh.Contains(a) ? [Unknown] : Array.Empty<string>()));
        result.AppliedChanges.Should().HaveCount(10);
    }

    [Fact]
    public async Task A_failed_chunk_is_recorded_and_the_other_chunks_still_run()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 5).Select(i => immich.AddAsset($"{i}.jpg")).ToList();
        var failing = assets[2].Id;
        immich.Server.Faults.FailWhere("bulkTagAssets", 500, body => body!.Contains(failing.ToString(), StringComparison.Ordinal));

        var result = await RunAsync(immich, options: new RunOptions { ChunkSize = 2 });

        immich.BulkTagCalls.Should().HaveCount(3);
        var error = result.Errors.Should().ContainSingle().Subject;
        error.Kind.Should().Be(EngineErrorKind.AddTags);
        error.AssetIds.Should().Contain(failing).And.HaveCount(2);
        error.TagNames.Should().Equal(Unknown);
        result.AppliedChanges.Should().HaveCount(3);
        result.AppliedChanges.Select(c => c.AssetId).Should().NotIntersectWith(error.AssetIds);
        result.Aborted.Should().BeFalse();
        result.OutputTagCounts[Unknown].Should().Be(3);
    }

    [Fact]
    public async Task Fail_fast_stops_at_the_first_failed_chunk()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 6).Select(i => immich.AddAsset($"{i}.jpg")).ToList();
        immich.Server.Faults.FailWhere("bulkTagAssets", 500, _ => true);

        var result = await RunAsync(immich, TestConfig(failFast: true), new RunOptions { ChunkSize = 2 });

        immich.BulkTagCalls.Should().ContainSingle();
        result.Aborted.Should().BeTrue();
        result.Errors.Should().ContainSingle();
        assets.Should().AllSatisfy(a => immich.TagPathsOf(a).Should().BeEmpty());
    }

    [Fact]
    public async Task A_failed_tag_creation_skips_the_additions_that_need_it()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.Server.Faults.FailWhere("upsertTags", 500, _ => true);

        var result = await RunAsync(immich);

        immich.CallsTo("bulkTagAssets").Should().Be(0);
        result.Errors.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Kind = EngineErrorKind.CreateTags, AssetIds = new[] { asset.Id } });
    }

    private const string Good = "autotag_workflow/good";
    private const string Bad = "autotag_workflow/bad";

    private static AutoTagConfig TwoTagsForEveryAsset() => TestConfig() with
    {
        Workflows = new WorkflowsConfig { Rules = [new WorkflowRuleConfig { Name = "two tags", Then = new WorkflowActionsConfig { AddTags = [Good, Bad] } }] },
    };

    /// <summary>W11 (general form): a tag Immich refuses to create fails only itself, reported once with its assets.</summary>
    [Fact]
    public async Task A_tag_Immich_refuses_to_create_fails_alone_and_the_assets_get_their_other_tags()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 3).Select(i => immich.AddAsset($"{i}.jpg")).ToList();
        immich.Server.Faults.FailWhere("upsertTags", 400, body => body!.Contains(Bad, StringComparison.Ordinal));

        var result = await RunAsync(immich, TwoTagsForEveryAsset());

        assets.Should().AllSatisfy(a => immich.TagPathsOf(a).Should().Equal(Unknown, Good));
        var error = result.Errors.Should().ContainSingle("one bad tag is reported once").Subject;
        error.Kind.Should().Be(EngineErrorKind.CreateTags);
        error.TagNames.Should().Equal(Bad);
        error.AssetIds.Should().BeEquivalentTo(assets.Select(a => a.Id));
        error.Message.Should().Contain($"tag '{Bad}' could not be created");
        result.Aborted.Should().BeFalse();
    }

    [Fact]
    public async Task A_bulk_tag_call_refused_for_one_tag_adds_the_other_tags_of_the_same_assets()
    {
        using var immich = new FakeLibrary();
        var assets = Enumerable.Range(0, 3).Select(i => immich.AddAsset($"{i}.jpg")).ToList();
        immich.EnsureTag(Good);
        immich.EnsureTag(Unknown);
        var bad = immich.EnsureTag(Bad).Id.ToString();
        immich.Server.Faults.FailWhere("bulkTagAssets", 400, body => body!.Contains(bad, StringComparison.Ordinal));

        var result = await RunAsync(immich, TwoTagsForEveryAsset());

        assets.Should().AllSatisfy(a => immich.TagPathsOf(a).Should().Equal(Unknown, Good));
        var error = result.Errors.Should().ContainSingle("one bad tag is reported once").Subject;
        error.Kind.Should().Be(EngineErrorKind.AddTags);
        error.TagNames.Should().Equal(Bad);
        error.AssetIds.Should().BeEquivalentTo(assets.Select(a => a.Id));
    }

    [Fact]
    public async Task An_untag_answer_without_success_is_an_error_not_a_change()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.TagAsset(asset, Unknown);
        immich.AddAlbum("2019 A", asset);
        // Someone else removes the tag between the read and the write.
        immich.Server.BeforeServe = op =>
        {
            if (op == "untagAssets")
            {
                immich.UntagAsset(asset, Unknown);
            }
        };

        var result = await RunAsync(immich);

        result.AppliedChanges.Should().BeEmpty();
        result.Errors.Should().ContainSingle().Which.Message.Should().Contain("not_found");
    }

    [Fact]
    public async Task A_disabled_output_tag_is_neither_added_nor_removed()
    {
        using var immich = new FakeLibrary();
        var conflict = immich.AddAsset("conflict.jpg");
        immich.AddAlbum("2019 A", conflict);
        immich.AddAlbum("2020 B", conflict);
        var classifiedWithOldTag = immich.AddAsset("old.jpg");
        immich.AddAlbum("2021 C", classifiedWithOldTag);
        immich.TagAsset(classifiedWithOldTag, Conflict);
        var unknown = immich.AddAsset("unknown.jpg");

        var result = await RunAsync(immich, TestConfig(conflict: null));

        immich.TagPathsOf(conflict).Should().BeEmpty();
        immich.TagPathsOf(classifiedWithOldTag).Should().Equal(Conflict);
        immich.TagPathsOf(unknown).Should().Equal(Unknown);
        result.OutputTagCounts.Keys.Should().Equal(Unknown);
    }

    [Fact]
    public async Task With_both_output_tags_disabled_nothing_is_written()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("unknown.jpg");

        var result = await RunAsync(immich, TestConfig(unknown: null, conflict: null));

        immich.WriteCalls.Should().Be(0);
        result.StatusCounts[ClassificationStatus.Unclassified].Should().Be(1);
    }

    [Fact]
    public async Task User_tags_that_look_like_output_tags_in_a_hierarchy_are_left_alone()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.AddAlbum("2019 A", asset);
        immich.TagAsset(asset, "archive/" + Unknown);

        await RunAsync(immich);

        immich.TagPathsOf(asset).Should().Equal("archive/" + Unknown);
        immich.CallsTo("untagAssets").Should().Be(0);
    }

    [Fact]
    public async Task A_hierarchical_output_tag_path_is_created_and_maintained()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");

        await RunAsync(immich, TestConfig(unknown: "autotag/unknown"));
        immich.TagPathsOf(asset).Should().Equal("autotag/unknown");

        immich.ResetCounters();
        var second = await RunAsync(immich, TestConfig(unknown: "autotag/unknown"));
        immich.WriteCalls.Should().Be(0);
        second.OutputTagCounts["autotag/unknown"].Should().Be(1);
    }

    [Fact]
    public async Task Archived_and_hidden_assets_are_classified_unless_excluded()
    {
        using var immich = new FakeLibrary();
        var archived = immich.AddAsset("archived.jpg", visibility: AssetVisibility.Archive);
        var hidden = immich.AddAsset("hidden.mov", type: AssetType.Video, visibility: AssetVisibility.Hidden);

        var excluded = await RunAsync(immich, options: new RunOptions { IncludeArchived = false, IncludeHidden = false });
        immich.WriteCalls.Should().Be(0);
        excluded.Assets.ExcludedByVisibility.Should().Be(2);

        var included = await RunAsync(immich);
        immich.TagPathsOf(archived).Should().Equal(Unknown);
        immich.TagPathsOf(hidden).Should().Equal(Unknown);
        included.Assets.ByType[AssetType.Video].Should().Be(1);
        included.Assets.ByType[AssetType.Image].Should().Be(1);
    }

    [Fact]
    public async Task Trashed_assets_are_not_seen()
    {
        using var immich = new FakeLibrary();
        var trashed = immich.AddAsset("trashed.jpg", trashed: true);

        var result = await RunAsync(immich);

        result.Assets.Total.Should().Be(0);
        immich.TagPathsOf(trashed).Should().BeEmpty();
    }

    [Fact]
    public async Task Asset_links_classify_single_assets()
    {
        using var immich = new FakeLibrary();
        var linked = immich.AddAsset("linked.jpg");
        var other = immich.AddAsset("other.jpg");

        await RunAsync(immich, TestConfig([new RuleConfig { AssetIds = [linked.Id] }]));

        immich.TagPathsOf(linked).Should().BeEmpty();
        immich.TagPathsOf(other).Should().Equal(Unknown);
    }

    [Fact]
    public async Task Progress_reports_every_phase_in_order()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.AddAlbum("2019 A", asset);
        immich.TagAsset(asset, "meme");
        var reports = new List<EngineProgress>();

        await RunAsync(immich, options: new RunOptions { Progress = new SyncProgress(reports.Add) });

        reports.Select(r => r.Phase).Distinct().Should().Equal(EnginePhase.Assets, EnginePhase.Albums, EnginePhase.Tags, EnginePhase.Evaluate, EnginePhase.Apply);
        reports.Last().Should().Be(new EngineProgress(EnginePhase.Apply, 1, 1));
    }

    [Fact]
    public async Task Applied_changes_carry_the_time_of_the_clock()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");
        var clock = new FakeTimeProvider(Start.AddDays(3));

        var result = await CreateEngine(immich, clock).RunAsync(TestConfig(), new RunOptions(), CancellationToken.None);

        result.AppliedChanges.Single().At.Should().Be(Start.AddDays(3));
        result.StartedAt.Should().Be(Start.AddDays(3));
    }

    [Fact]
    public async Task A_cancelled_run_stops_without_writing()
    {
        using var immich = new FakeLibrary();
        immich.AddAsset("a.jpg");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => CreateEngine(immich).RunAsync(TestConfig(), new RunOptions(), cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        immich.WriteCalls.Should().Be(0);
    }

    [Fact]
    public async Task A_rule_pattern_that_times_out_skips_the_asset_and_reports_it()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.AddAlbum(new string('a', 40) + "!", asset);
        var other = immich.AddAsset("b.jpg");
        immich.TagAsset(other, "Trip");

        // The look-ahead forces the backtracking engine; a one-tick bound stands for a starved machine. The other
        // asset is in no album, so its verdict never depends on the bound.
        var slow = TestConfig([new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName("(?=(a+)+$)", TimeSpan.FromTicks(1))], TagNames = ["Trip"] }]);

        var result = await CreateEngine(immich).RunAsync(slow, new RunOptions(), CancellationToken.None);

        var error = result.Errors.Should().ContainSingle().Which;
        error.Kind.Should().Be(EngineErrorKind.Classify);
        error.AssetIds.Should().Equal(asset.Id);
        error.Message.Should().Contain("(?=(a+)+$)").And.Contain(new string('a', 40) + "!");
        result.Evaluations.Should().ContainSingle().Which.Asset.Id.Should().Be(other.Id);
        Status(result, other).Should().Be(ClassificationStatus.Classified);
        immich.TagPathsOf(asset).Should().BeEmpty();
    }

    [Fact]
    public async Task An_ordinary_rule_pattern_classifies_even_with_a_one_tick_time_out()
    {
        using var immich = new FakeLibrary();
        var asset = immich.AddAsset("a.jpg");
        immich.AddAlbum(new string('a', 40) + "!", asset);
        var config = TestConfig([new RuleConfig { AlbumNamePatterns = [PatternCompiler.AlbumName("(a+)+!", TimeSpan.FromTicks(1))] }]);

        var result = await CreateEngine(immich).RunAsync(config, new RunOptions(), CancellationToken.None);

        result.Errors.Should().BeEmpty();
        Status(result, asset).Should().Be(ClassificationStatus.Classified);
    }

    private static ClassificationStatus Status(RunResult result, FakeAsset asset) =>
        result.Evaluations.Single(e => e.Asset.Id == asset.Id).Status;

    /// <summary>Reports synchronously: Progress&lt;T&gt; would post to the thread pool and race the assertions.</summary>
    private sealed class SyncProgress(Action<EngineProgress> report) : IProgress<EngineProgress>
    {
        public void Report(EngineProgress value) => report(value);
    }
}
