using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Classification;
using ImmichAutoTag.Core.Configuration;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Engine;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Core.Workflows;

namespace ImmichAutoTag.Tests.Workflows;

public sealed class WorkflowPlannerTests
{
    private static readonly UserInfo Me = new(Guid.NewGuid(), "me", "me@example.net");

    private static readonly Tag Meme = new(Guid.NewGuid(), "meme", "meme", null);

    private static WorkflowsConfig Rules(string yaml)
    {
        var result = ConfigLoader.LoadYaml("server: {url: 'http://x', api_key: k}\n" + yaml, "config.yaml", _ => null);
        result.Errors.Should().BeEmpty();
        return result.Config!.Workflows;
    }

    private static Asset NewAsset(string file = "IMG_1.jpg", string folder = "/photos/2024", AssetType type = AssetType.Image, bool favorite = false, AssetVisibility visibility = AssetVisibility.Timeline, Guid? duplicate = null, string day = "2024-07-14") =>
        new(Guid.NewGuid(), Me.Id, type, file, $"{folder}/{file}", DateTimeOffset.Parse(day + "T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(day + "T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UnixEpoch, duplicate, false, visibility == AssetVisibility.Archive, favorite, visibility);

    private sealed class Library
    {
        public List<Asset> Assets { get; } = [];

        public List<Album> Albums { get; } = [];

        public List<Tag> Tags { get; } = [Meme];

        public Dictionary<Guid, IReadOnlyList<Album>> AlbumsOf { get; } = [];

        public Dictionary<Guid, IReadOnlyList<Tag>> TagsOf { get; } = [];

        public Dictionary<Guid, ClassificationStatus> Statuses { get; } = [];

        public Asset Add(Asset asset, ClassificationStatus status = ClassificationStatus.Classified, Tag[]? tags = null, Album[]? albums = null)
        {
            Assets.Add(asset);
            Statuses[asset.Id] = status;
            if (tags is not null)
            {
                TagsOf[asset.Id] = tags;
            }

            if (albums is not null)
            {
                AlbumsOf[asset.Id] = albums;
            }

            return asset;
        }

        public LibrarySnapshot Snapshot() =>
            new(Me, Assets, Albums, Tags, AlbumsOf, TagsOf, 0);

        public WorkflowOutcome Plan(WorkflowsConfig config, ClipLabels? clip = null, IReadOnlyDictionary<Guid, BooruAssetResult>? booru = null, ChangeList? planned = null) =>
            new WorkflowPlanner(config).Plan(Snapshot(), new WorkflowInputs(Statuses, clip, booru), planned ?? ChangeList.Empty, CancellationToken.None);

        /// <summary>
        /// The step's planned changes, then the tag additions and removals its owned tags ask for, diffed against each
        /// asset's tags as the run's planner does (the whole-run path is covered by the engine tests).
        /// </summary>
        public List<PlannedChange> Changes(WorkflowOutcome outcome)
        {
            var changes = outcome.Plan.Changes.ToList();
            if (outcome.Plan.OwnedTags is not { } owned)
            {
                return changes;
            }

            foreach (var asset in Assets)
            {
                var has = TagsOf.GetValueOrDefault(asset.Id) ?? [];
                if (owned.DesiredFor(asset.Id) is not { } desired)
                {
                    continue;
                }

                foreach (var path in desired.Where(p => owned.Owns(p) && !has.Any(t => t.Value == p)))
                {
                    changes.Add(new AddTag(asset.Id, path, Tags.FirstOrDefault(t => t.Value == path)?.Id, owned.ReasonFor(asset.Id, path)));
                }

                foreach (var tag in has.Where(t => owned.Owns(t.Value) && !desired.Contains(t.Value)))
                {
                    changes.Add(new RemoveTag(asset.Id, tag.Id, tag.Value, owned.ReasonFor(asset.Id, tag.Value)));
                }
            }

            return changes;
        }
    }

    [Fact]
    public void A_rule_tags_the_assets_its_condition_holds_for_and_names_itself_as_the_reason()
    {
        var lib = new Library();
        var meme = lib.Add(NewAsset(), tags: [Meme]);
        lib.Add(NewAsset());
        var config = Rules("workflows:\n  rules:\n    - name: memes\n      when: {tags: [meme]}\n      then: {add_tags: [wf/funny]}\n");

        var outcome = lib.Plan(config);

        var add = lib.Changes(outcome).Should().ContainSingle().Subject.Should().BeOfType<AddTag>().Subject;
        add.AssetId.Should().Be(meme.Id);
        add.TagPath.Should().Be("wf/funny");
        add.TagId.Should().BeNull("the tag does not exist yet and is created");
        add.Reason.Should().Be(new ChangeReason("workflows", "rule 'memes'"));
        outcome.Facts.Should().Be(2);
        outcome.Fired.Should().Be(1);
    }

    [Fact]
    public void An_asset_that_already_has_the_result_plans_nothing_and_a_stale_workflow_tag_is_removed()
    {
        var lib = new Library();
        var owned = new Tag(Guid.NewGuid(), "flagged", "wf/flagged", null);
        lib.Tags.Add(owned);
        lib.Add(NewAsset(), tags: [Meme, owned]);
        var stale = lib.Add(NewAsset(), tags: [owned]);
        var config = Rules("workflows:\n  rules:\n    - name: memes\n      when: {tags: [meme]}\n      then: {add_tags: [wf/flagged]}\n");

        var changes = lib.Changes(lib.Plan(config));

        var removal = changes.Should().ContainSingle().Subject.Should().BeOfType<RemoveTag>().Subject;
        removal.AssetId.Should().Be(stale.Id);
        removal.TagId.Should().Be(owned.Id);
        removal.Reason.Text.Should().Be("rule 'memes' no longer holds for this asset", "the rule still adds the tag elsewhere");
    }

    [Fact]
    public void Conditions_combine_with_all_any_and_not()
    {
        var lib = new Library();
        var screenshot = lib.Add(NewAsset("Screenshot_2024.png", "/phone/Screenshots"));
        lib.Add(NewAsset("Screenshot_2023.png", "/phone/Screenshots", day: "2023-01-02"));
        lib.Add(NewAsset("Screenshot_video.mp4", "/phone/Screenshots", AssetType.Video));
        var inAlbum = new Album(Guid.NewGuid(), "Screenshots", 1, Me.Id, false);
        lib.Albums.Add(inAlbum);
        lib.Add(NewAsset("screenshot_x.png", "/phone"), albums: [inAlbum]);
        var dcim = lib.Add(NewAsset("IMG_2.jpg", "/DCIM/screens"));
        var config = Rules("""
            workflows:
              rules:
                - name: screens
                  when:
                    all:
                      - any:
                          - file_name_patterns: ['^screenshot']
                          - folder_patterns: ['dcim/screens$']
                      - not: {media_types: [video]}
                    taken_from: '2024-01-01'
                    taken_to: '2024-12-31'
                  then: {add_to_albums: [Screenshots]}
            """);

        var changes = lib.Changes(lib.Plan(config));

        changes.OfType<AddAlbumMember>().Select(c => c.AssetId).Should().BeEquivalentTo([screenshot.Id, dcim.Id], "the 2023 one is too old, the video is a video, and one is already in the album");
        changes.OfType<AddAlbumMember>().Should().OnlyContain(c => c.AlbumId == inAlbum.Id);
    }

    [Fact]
    public void A_missing_album_is_created_once_unless_forbidden()
    {
        var lib = new Library();
        lib.Add(NewAsset());
        lib.Add(NewAsset());
        const string Rule = "  rules:\n    - name: all\n      when: {media_types: [image]}\n      then: {add_to_albums: [New]}\n";

        lib.Changes(lib.Plan(Rules("workflows:\n" + Rule))).Should().ContainSingle().Which.Should().BeOfType<CreateAlbum>().Which.AssetIds.Should().HaveCount(2);

        var forbidden = lib.Plan(Rules("workflows:\n  create_missing_albums: false\n" + Rule)).Plan;
        forbidden.Changes.Should().BeEmpty();
        forbidden.Notes.Should().ContainSingle().Which.Message.Should().Contain("create_missing_albums is false");
    }

    [Fact]
    public void Conflicting_actions_are_resolved_by_priority_then_by_order()
    {
        var lib = new Library();
        var both = lib.Add(NewAsset(favorite: false), tags: [Meme]);
        var config = Rules("""
            workflows:
              allow_favorite: true
              rules:
                - name: low
                  when: {tags: [meme]}
                  then: {add_tags: [wf/review], favorite: true}
                - name: high
                  priority: 5
                  when: {media_types: [image]}
                  then: {add_tags: [wf/x], remove_tags: [wf/review], favorite: false}
                - name: also low
                  when: {tags: [meme]}
                  then: {favorite: true}
            """);

        var changes = lib.Changes(lib.Plan(config));

        changes.OfType<AddTag>().Should().ContainSingle().Which.TagPath.Should().Be("wf/x", "the higher-priority rule removes the review tag, so it is not added");
        changes.OfType<SetFavorite>().Should().BeEmpty("the higher-priority rule wants it not to be a favourite, which it is not");

        var reversed = Rules("""
            workflows:
              allow_favorite: true
              rules:
                - name: first
                  when: {tags: [meme]}
                  then: {favorite: true}
                - name: second
                  when: {tags: [meme]}
                  then: {favorite: false}
            """);
        var set = lib.Changes(lib.Plan(reversed)).OfType<SetFavorite>().Should().ContainSingle().Subject;
        set.AssetId.Should().Be(both.Id);
        set.IsFavorite.Should().BeTrue("on equal priority the rule listed first wins");
        set.Reason.Text.Should().Be("rule 'first'");
    }

    [Fact]
    public void Rules_see_what_the_other_rules_actions_leave_so_one_plan_is_what_successive_runs_would_converge_to()
    {
        // V1: one rule archives memes, another puts unarchived unclassified assets in an inbox, a third brings some
        // archived assets back, a fourth tags what is in a Memes album, which a fifth fills.
        var lib = new Library();
        var meme = lib.Add(NewAsset("scr_0001.png"), ClassificationStatus.Unclassified, tags: [Meme]);
        var back = lib.Add(NewAsset("archived_one.jpg", visibility: AssetVisibility.Archive), ClassificationStatus.Unclassified);
        var shot = lib.Add(NewAsset("screenshot_1.png"), ClassificationStatus.Classified);
        var config = Rules("""
            workflows:
              allow_archive: true
              rules:
                - name: memes out of the timeline
                  when: {tags: [meme]}
                  then: {add_tags: [wf/archived_meme], archive: true}
                - name: unclassified inbox
                  when: {classification: [unclassified], not: {any: [{archived: true}]}}
                  then: {add_tags: [wf/inbox]}
                - name: bring back archived
                  when: {archived: true, not: {tags: [meme]}, file_name_patterns: ['^archived_']}
                  then: {archive: false}
                - name: screenshots album
                  when: {file_name_patterns: ['^screenshot', '^scr_']}
                  then: {add_to_albums: [Memes and screenshots]}
                - name: memes tag
                  when: {album_name_patterns: ['^Memes']}
                  then: {add_tags: [wf/in_meme_album]}
            """);

        var outcome = lib.Plan(config);
        var changes = lib.Changes(outcome);

        changes.Should().Contain(new SetArchived(meme.Id, true, new ChangeReason("workflows", "rule 'memes out of the timeline'")));
        changes.OfType<AddTag>().Where(a => a.AssetId == meme.Id).Select(a => a.TagPath).Should().BeEquivalentTo(["wf/archived_meme", "wf/in_meme_album"], "the inbox rule sees the meme archived by the first rule");
        changes.Should().Contain(new SetArchived(back.Id, false, new ChangeReason("workflows", "rule 'bring back archived'")));
        changes.OfType<AddTag>().Where(a => a.AssetId == back.Id).Select(a => a.TagPath).Should().BeEquivalentTo(["wf/inbox"], "brought back to the timeline, it is an unarchived unclassified asset");
        changes.OfType<AddTag>().Where(a => a.AssetId == shot.Id).Select(a => a.TagPath).Should().BeEquivalentTo(["wf/in_meme_album"], "the album the other rule puts it in counts");
        changes.OfType<AddTag>().Single(a => a.AssetId == shot.Id).Reason.Text.Should().Be("rule 'memes tag'");
        changes.OfType<CreateAlbum>().Should().ContainSingle().Which.AssetIds.Should().BeEquivalentTo([meme.Id, shot.Id]);
        outcome.Passes.Should().Be(2);
        outcome.Plan.Notes.Should().BeEmpty();
        outcome.Activations.Should().Equal(1, 1, 1, 2, 2);

        // The library as that plan leaves it: planned again, nothing changes.
        var after = new Library();
        var album = new Album(Guid.NewGuid(), "Memes and screenshots", 2, Me.Id, false);
        after.Albums.Add(album);
        Tag Own(string path) => new(Guid.NewGuid(), path.Split('/')[^1], path, null);
        var (archivedMeme, inbox, inMemeAlbum) = (Own("wf/archived_meme"), Own("wf/inbox"), Own("wf/in_meme_album"));
        after.Tags.AddRange([archivedMeme, inbox, inMemeAlbum]);
        after.Add(meme with { Visibility = AssetVisibility.Archive, IsArchived = true }, ClassificationStatus.Unclassified, tags: [Meme, archivedMeme, inMemeAlbum], albums: [album]);
        after.Add(back with { Visibility = AssetVisibility.Timeline, IsArchived = false }, ClassificationStatus.Unclassified, tags: [inbox]);
        after.Add(shot, ClassificationStatus.Classified, tags: [inMemeAlbum], albums: [album]);
        var rerun = after.Plan(config);
        after.Changes(rerun).Should().BeEmpty();
        rerun.Passes.Should().Be(1);
    }

    [Fact]
    public void An_album_the_asset_does_not_join_in_this_run_is_not_seen_by_the_other_rules()
    {
        var lib = new Library();
        var shot = lib.Add(NewAsset("screenshot_1.png"));
        var config = Rules("""
            workflows:
              create_missing_albums: false
              rules:
                - name: screenshots album
                  when: {file_name_patterns: ['^screenshot']}
                  then: {add_to_albums: [Memes and screenshots]}
                - name: memes tag
                  when: {album_name_patterns: ['^Memes']}
                  then: {add_tags: [wf/in_meme_album]}
            """);

        var outcome = lib.Plan(config);

        lib.Changes(outcome).Should().BeEmpty("the album may not be created, so the asset is in no Memes album on the next run either");
        outcome.Passes.Should().Be(1);
        outcome.Plan.Notes.Should().ContainSingle().Which.Message.Should().Contain("create_missing_albums is false; 1 assets not added");
        shot.Id.Should().NotBeEmpty();
    }

    [Fact]
    public void Rules_that_keep_switching_each_other_are_reported_after_the_last_pass()
    {
        var lib = new Library();
        var asset = lib.Add(NewAsset(), tags: [Meme]);
        var config = Rules("""
            workflows:
              allow_favorite: true
              allow_archive: true
              rules:
                - name: archive the favourites
                  when: {tags: [meme], favorite: true}
                  then: {archive: true}
                - name: favourite the timeline
                  when: {tags: [meme], archived: false}
                  then: {favorite: true}
                - name: unfavourite the archive
                  when: {tags: [meme], archived: true}
                  then: {favorite: false, archive: false}
            """);

        var outcome = lib.Plan(config);

        outcome.Passes.Should().Be(WorkflowPlanner.MaxPasses);
        var note = outcome.Plan.Notes.Should().ContainSingle().Subject;
        note.Kind.Should().Be(PlanNoteKind.WorkflowUnsettled);
        note.AssetId.Should().Be(asset.Id);
        note.Message.Should().Contain($"after {WorkflowPlanner.MaxPasses} passes").And.Contain("IMG_1.jpg").And.Contain("'");
    }

    [Fact]
    public void Archive_moves_timeline_assets_only_and_only_when_they_are_not_there_yet()
    {
        var lib = new Library();
        var timeline = lib.Add(NewAsset(), tags: [Meme]);
        lib.Add(NewAsset(visibility: AssetVisibility.Archive), tags: [Meme]);
        lib.Add(NewAsset(visibility: AssetVisibility.Hidden), tags: [Meme]);
        var config = Rules("workflows:\n  allow_archive: true\n  rules:\n    - name: out\n      when: {tags: [meme], archived: false}\n      then: {archive: true}\n");

        lib.Changes(lib.Plan(config)).Should().ContainSingle().Which.Should().Be(new SetArchived(timeline.Id, true, new ChangeReason("workflows", "rule 'out'")));
    }

    [Fact]
    public void A_rule_that_archives_does_not_hold_for_hidden_or_locked_assets_so_they_get_none_of_its_tags()
    {
        var lib = new Library();
        var archivedBefore = new Tag(Guid.NewGuid(), "archived_meme", "autotag_workflow/archived_meme", null);
        lib.Tags.Add(archivedBefore);
        var timeline = lib.Add(NewAsset(), tags: [Meme]);
        var hidden = lib.Add(NewAsset(file: "hidden.jpg", visibility: AssetVisibility.Hidden), tags: [Meme]);
        var locked = lib.Add(NewAsset(file: "locked.jpg", visibility: AssetVisibility.Locked), tags: [Meme, archivedBefore]);
        var config = Rules("""
            workflows:
              allow_archive: true
              rules:
                - name: memes out of the timeline
                  when: {tags: [meme]}
                  then: {add_tags: [autotag_workflow/archived_meme], archive: true}
                - name: memes
                  when: {tags: [meme]}
                  then: {add_tags: [autotag_workflow/funny]}
            """);

        var changes = lib.Changes(lib.Plan(config));

        var rule = new ChangeReason("workflows", "rule 'memes out of the timeline'");
        changes.Should().Contain(new SetArchived(timeline.Id, true, rule));
        changes.OfType<AddTag>().Where(c => c.TagPath == "autotag_workflow/archived_meme").Select(c => c.AssetId).Should().Equal([timeline.Id], "the tag says the rule archived the asset, which it cannot do for hidden or locked ones");
        changes.OfType<RemoveTag>().Should().ContainSingle(c => c.AssetId == locked.Id && c.TagPath == "autotag_workflow/archived_meme", "a workflow tag no rule gives the asset any more comes off");
        changes.OfType<AddTag>().Where(c => c.TagPath == "autotag_workflow/funny").Select(c => c.AssetId).Should().BeEquivalentTo([timeline.Id, hidden.Id, locked.Id], "a rule without archive still holds for them");
    }

    [Fact]
    public void Classification_status_and_duplicate_group_facts_are_conditions()
    {
        var lib = new Library();
        var group = Guid.NewGuid();
        var a = lib.Add(NewAsset(duplicate: group), ClassificationStatus.Unclassified);
        lib.Add(NewAsset(duplicate: group), ClassificationStatus.Classified);
        lib.Add(NewAsset(), ClassificationStatus.Unclassified);
        var outOfScope = NewAsset(duplicate: group);
        lib.Assets.Add(outOfScope); // no verdict: the run may not change it, and it does not count
        var config = Rules("workflows:\n  rules:\n    - name: dup\n      when: {classification: [unclassified], in_duplicate_group: true, min_duplicates: 2}\n      then: {add_tags: [wf/dup]}\n    - name: three\n      when: {min_duplicates: 3}\n      then: {add_tags: [wf/three]}\n");

        lib.Changes(lib.Plan(config)).Should().ContainSingle().Which.Should().BeOfType<AddTag>().Which.AssetId.Should().Be(a.Id);
    }

    [Fact]
    public void Clip_label_scores_are_conditions()
    {
        var lib = new Library();
        var anime = lib.Add(NewAsset());
        var photo = lib.Add(NewAsset());
        lib.Add(NewAsset()); // not scored
        var scores = new Dictionary<Guid, ZeroShotResult>
        {
            [anime.Id] = new([new LabelProbability("anime", 0.9), new LabelProbability("photo", 0.1)], "anime", 0.8),
            [photo.Id] = new([new LabelProbability("photo", 0.7), new LabelProbability("anime", 0.3)], "photo", 0.4),
        };
        var clip = new ClipLabels(new ClipModelId("m"), "style", ["photo", "anime"], [anime.Id, photo.Id], new ClipPipelineResult(scores, 2, 0, new Dictionary<Guid, string>(), new ClipPipelineTimes(default, default, default, default, default)));
        var config = Rules("clip:\n  labels: [{name: photo, prompts: [a]}, {name: anime, prompts: [b]}]\nworkflows:\n  rules:\n    - name: anime\n      when: {clip_label: {label: anime, min_percent: 80}}\n      then: {add_tags: [wf/anime]}\n    - name: unsure\n      when: {clip_label: {label: anime, min_percent: 20, max_percent: 50}}\n      then: {add_tags: [wf/unsure]}\n");

        var adds = lib.Changes(lib.Plan(config, clip)).OfType<AddTag>().Select(c => (c.AssetId, c.TagPath)).ToList();

        adds.Should().BeEquivalentTo([(anime.Id, "wf/anime"), (photo.Id, "wf/unsure")]);
    }

    [Fact]
    public void Booru_results_are_conditions_with_a_review_judged_by_its_best_candidate_and_pending_look_ups_having_no_say()
    {
        var lib = new Library();
        var exact = lib.Add(NewAsset());
        var weak = lib.Add(NewAsset());
        var explicitOne = lib.Add(NewAsset());
        var notFound = lib.Add(NewAsset());
        var pending = lib.Add(NewAsset());
        lib.Add(NewAsset()); // not selected by the booru step
        var post = new BooruPost(1, null, BooruRating.General, ["hu_tao_(genshin_impact)"], ["genshin_impact"], ["some_artist"], [], []);
        var booru = new Dictionary<Guid, BooruAssetResult>
        {
            [exact.Id] = new(exact.Id, "c1", BooruVerdict.Accepted, BooruSource.DanbooruMd5, null, post, []),
            [weak.Id] = new(weak.Id, "c2", BooruVerdict.Review, null, null, null,
                [new BooruCandidate(BooruSource.SauceNao, 62.5, 2, []), new BooruCandidate(BooruSource.Iqdb, 55, 3, [])]),
            [explicitOne.Id] = new(explicitOne.Id, "c3", BooruVerdict.Accepted, BooruSource.Iqdb, 95, post with { Rating = BooruRating.Explicit, Copyrights = ["other"] }, []),
            [notFound.Id] = new(notFound.Id, "c4", BooruVerdict.NotFound, null, null, null, []),
            [pending.Id] = new(pending.Id, "c5", BooruVerdict.Pending, null, null, null, []),
        };
        var config = Rules("""
            workflows:
              rules:
                - name: series
                  when: {booru: {copyrights: [genshin_impact], ratings: [g, sensitive], min_similarity: 90}}
                  then: {add_tags: [wf/anime/genshin_impact]}
                - name: review
                  when: {booru: {max_similarity: 80}}
                  then: {add_tags: [wf/review]}
                - name: nsfw
                  when: {booru: {ratings: [explicit]}}
                  then: {add_tags: [wf/nsfw]}
                - name: character
                  when: {booru: {characters: ['hu_tao_(genshin_impact)'], artists: [some_artist]}}
                  then: {add_tags: [wf/hu_tao]}
                - name: any match
                  when: {booru: {}}
                  then: {add_tags: [wf/matched]}
                - name: nothing found
                  when: {booru: {verdicts: [not_found]}}
                  then: {add_tags: [wf/no_match]}
            """);

        var adds = lib.Changes(lib.Plan(config, booru: booru)).OfType<AddTag>().Select(c => (c.AssetId, c.TagPath)).ToList();

        adds.Should().BeEquivalentTo([
            (exact.Id, "wf/anime/genshin_impact"),
            (exact.Id, "wf/hu_tao"),
            (exact.Id, "wf/matched"),
            (weak.Id, "wf/review"),
            (weak.Id, "wf/matched"),
            (explicitOne.Id, "wf/nsfw"),
            (explicitOne.Id, "wf/hu_tao"),
            (explicitOne.Id, "wf/matched"),
            (notFound.Id, "wf/no_match"),
        ]);
    }

    [Fact]
    public void The_rules_are_nrules_rules_built_with_the_rule_model()
    {
        var config = Rules("workflows:\n  rules:\n    - name: a\n      priority: 3\n      when: {tags: [x], media_types: [image]}\n      then: {add_tags: [wf/a]}\n");

        var compiled = WorkflowCompiler.Compile(config);

        var rule = compiled.Definitions.Should().ContainSingle().Subject;
        rule.Name.Should().Be("a");
        rule.Priority.Should().Be(3);
        var matches = rule.LeftHandSide.ChildElements.Should().ContainSingle().Which.Should().BeOfType<NRules.RuleModel.PatternElement>().Subject;
        var collect = matches.Source.Should().BeOfType<NRules.RuleModel.AggregateElement>().Subject;
        collect.Name.Should().Be(NRules.RuleModel.AggregateElement.CollectName, "a rule fires once with every asset it holds for");
        collect.Source.ValueType.Should().Be<WorkflowFact>();
        collect.Source.Expressions.Should().HaveCount(2, "each key of the condition map is its own alpha condition");
    }

    [Fact]
    public void Camera_make_and_model_patterns_match_the_exif_fields_case_insensitively_and_an_asset_without_them_never_matches()
    {
        var lib = new Library();
        var iphone = lib.Add(NewAsset("IMG_1.jpg") with { CameraMake = "Apple", CameraModel = "iPhone 13 Pro" });
        lib.Add(NewAsset("IMG_2.jpg") with { CameraMake = "Apple", CameraModel = "iPad Air" });
        lib.Add(NewAsset("DSC_3.jpg") with { CameraMake = "SONY", CameraModel = "ILCE-7M3" });
        lib.Add(NewAsset("scan.jpg"));
        var config = Rules("""
            workflows:
              rules:
                - name: phones
                  when: {camera_make_patterns: ['^apple$'], camera_model_patterns: ['iphone']}
                  then: {add_tags: [camera/phone]}
                - name: not sony
                  when: {not: {camera_make_patterns: ['sony']}}
                  then: {add_tags: [camera/other]}
            """);

        WorkflowPlanner.NeedsExif(config).Should().BeTrue("a rule names the camera");
        var changes = lib.Changes(lib.Plan(config)).OfType<AddTag>().ToList();

        changes.Where(c => c.TagPath == "camera/phone").Select(c => c.AssetId).Should().Equal(iphone.Id);
        changes.Where(c => c.TagPath == "camera/other").Should().HaveCount(3, "the iPhone, the iPad and the scan without EXIF are not made by Sony");
    }

    [Fact]
    public void Rules_without_camera_conditions_do_not_ask_for_exif_data()
    {
        var config = Rules("workflows:\n  rules:\n    - name: memes\n      when: {any: [{tags: [meme]}, {not: {media_types: [video]}}]}\n      then: {add_tags: [wf/x]}\n");

        WorkflowPlanner.NeedsExif(config).Should().BeFalse();
        new WorkflowStep(config).Reads.Exif.Should().BeFalse();
        WorkflowPlanner.NeedsExif(Rules("workflows:\n  rules:\n    - name: c\n      when: {all: [{any: [{camera_model_patterns: [x]}]}]}\n      then: {add_tags: [wf/x]}\n"))
            .Should().BeTrue("a nested camera condition needs EXIF data too");
    }

    [Fact]
    public void Assets_no_rule_holds_for_stay_out_of_the_rule_session_and_lose_their_stale_workflow_tags()
    {
        var lib = new Library();
        var owned = new Tag(Guid.NewGuid(), "funny", "wf/funny", null);
        lib.Tags.Add(owned);
        var memes = Enumerable.Range(0, 3).Select(_ => lib.Add(NewAsset(), tags: [Meme])).ToList();
        var stale = lib.Add(NewAsset(), tags: [owned]);
        for (var i = 0; i < 20; i++)
        {
            lib.Add(NewAsset($"IMG_{i}.jpg"));
        }

        var config = Rules("workflows:\n  rules:\n    - name: memes\n      when: {tags: [meme]}\n      then: {add_tags: [wf/funny]}\n    - name: favourites\n      when: {favorite: true}\n      then: {add_tags: [wf/fav]}\n");

        var outcome = lib.Plan(config);

        outcome.Facts.Should().Be(24, "every asset the run may change is tested");
        outcome.Inserted.Should().Be(3, "only the memes satisfy a rule, so only they go into the NRules session");
        outcome.Fired.Should().Be(3);
        var changes = lib.Changes(outcome);
        changes.OfType<AddTag>().Select(c => c.AssetId).Should().BeEquivalentTo(memes.Select(m => m.Id));
        changes.OfType<AddTag>().Should().OnlyContain(c => c.Reason == new ChangeReason("workflows", "rule 'memes'"));
        changes.OfType<RemoveTag>().Should().ContainSingle().Which.AssetId.Should().Be(stale.Id);
    }

    [Fact]
    public void Assets_with_the_same_fired_rules_get_equal_decisions_and_a_plan_made_twice_is_the_same()
    {
        var lib = new Library();
        var both = Enumerable.Range(0, 4).Select(i => lib.Add(NewAsset($"IMG_{i}.jpg", favorite: true), tags: [Meme])).ToList();
        var memeOnly = lib.Add(NewAsset("IMG_9.jpg"), tags: [Meme]);
        var config = Rules("""
            workflows:
              rules:
                - name: memes
                  when: {tags: [meme]}
                  then: {add_tags: [wf/a], remove_tags: [wf/b]}
                - name: favourites
                  priority: 2
                  when: {favorite: true}
                  then: {add_tags: [wf/b]}
            """);
        var planner = new WorkflowPlanner(config);

        List<PlannedChange> Plan() => lib.Changes(planner.Plan(lib.Snapshot(), new WorkflowInputs(lib.Statuses), ChangeList.Empty, CancellationToken.None));
        var first = Plan();
        var second = Plan();

        second.Should().BeEquivalentTo(first, "the compiled rules are reused and give the same plan");
        foreach (var asset in both)
        {
            first.OfType<AddTag>().Where(c => c.AssetId == asset.Id).Select(c => (c.TagPath, c.Reason.Text)).Should().BeEquivalentTo(
                [("wf/a", "rule 'memes'"), ("wf/b", "rule 'favourites'")], "the higher-priority rule adds wf/b, which the other would remove");
        }

        first.OfType<AddTag>().Where(c => c.AssetId == memeOnly.Id).Select(c => c.TagPath).Should().Equal("wf/a");
    }
}
