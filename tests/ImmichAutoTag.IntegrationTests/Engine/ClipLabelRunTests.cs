using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Clip;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// CLIP style labels through the whole CLI over HTTP, with the "colour CLIP" test model (its labels follow the
/// thumbnail's colour) and real WebP thumbnails from the fake: labels are planned with their scores, applied as the
/// tool's own tags, computed once, re-scored from stored embeddings when the label set changes, and nothing of CLIP
/// happens without <c>clip:</c>.
/// </summary>
public sealed class ClipLabelRunTests : IAsyncLifetime
{
    private const string Root = "autotag_clip/style";
    private const string ViewAsset = "viewAsset";
    private static readonly DateTimeOffset T0 = new(2021, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly (byte, byte, byte) Red = (230, 20, 30), Green = (20, 210, 40), Blue = (25, 30, 220);

    private readonly string _models = Directory.CreateTempSubdirectory("immich-autotag-clip-models-").FullName;
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        ClipTestModels.WriteColourModelFolder(_models);
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public async Task Labels_are_planned_with_scores_applied_as_owned_tags_and_a_second_run_encodes_nothing()
    {
        var red1 = Asset("red1.jpg", Red);
        var red2 = Asset("red2.jpg", Red);
        var green = Asset("green.jpg", Green);
        var blue = Asset("blue.mp4", Blue, type: "VIDEO");
        Tag("holiday", red1);
        Tag($"{Root}/anime", green); // below the root, but the tool never added it: the user's, left alone
        Tag("autotag_clip/stylesheet", green); // shares the root's text but is not below it: the user's
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config(RgbLabels));

        _server.Requests.Clear();
        var dry = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        _server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
        _server.Requests.Count(ViewAsset).Should().Be(4, "each asset's thumbnail is read once to score it");
        HasTag(red1, $"{Root}/red").Should().BeFalse();
        HasTag(green, $"{Root}/anime").Should().BeTrue("the dry run changed nothing");
        var plan = await PlanAsync(cli, "dry");
        plan.Should().Contain("# CLIP ViT-B-32__openai@").And.Contain("4 asset(s) selected, 4 encoded, 0 stored embedding(s) reused, 0 not scored; labels: red 2, green 1, blue 1");
        plan.Should().MatchRegex($@"\+ {Root}/red \| \S+/photos/{red1} \| red1\.jpg \| clip red 100% \(next \w+ \d+(\.\d)?%\)");
        plan.Should().MatchRegex($@"\+ {Root}/blue \| \S+/photos/{blue} \| blue\.mp4 \| clip blue 100%");
        plan.Should().NotContain($"- {Root}/anime");
        (dry.Out + dry.Err).Should().Contain($"The tag root '{Root}' holds 1 tag link(s) the tool did not add (e.g. {Root}/anime): they are left alone");
        plan.Should().NotContain("holiday").And.NotContain("stylesheet");

        _server.Requests.Clear();
        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        // The dry run's embeddings are stored: nothing is encoded again (the only thumbnail reads are report.html's
        // pictures of the changed assets).
        (await PlanAsync(cli, "first")).Should().Contain("4 asset(s) selected, 0 encoded, 4 stored embedding(s) reused");
        HasTag(red1, $"{Root}/red").Should().BeTrue();
        HasTag(red2, $"{Root}/red").Should().BeTrue();
        HasTag(green, $"{Root}/green").Should().BeTrue();
        HasTag(blue, $"{Root}/blue").Should().BeTrue();
        HasTag(green, $"{Root}/anime").Should().BeTrue("a tag below the root that the tool did not add is the user's");
        HasTag(red1, "holiday").Should().BeTrue("user tags are never touched");
        HasTag(green, "autotag_clip/stylesheet").Should().BeTrue("only tags below the root are the tool's");

        _server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config, "--output", "second");
        second.ExitCode.Should().Be(0, second.ToString());
        _server.Requests.WriteCount.Should().Be(0, "a second run plans nothing");
        _server.Requests.Count(ViewAsset).Should().Be(0, "a second run encodes nothing");
        var secondLog = await LogAsync(cli, "second");
        secondLog.Should().Contain("label prompts: 0 encoded, 3 stored embedding(s) reused")
            .And.NotContain("CLIP: loaded", "neither tower is loaded when every prompt and image embedding is stored");
        secondLog.Should().MatchRegex(@"4 assets selected, 0 encoded, 4 stored embeddings reused, 0 not scored; labels: [^\n]*\(\d+\.\d s\)")
            .And.NotContain("lane(s)", "with nothing encoded there are no download, decode or model times to break down");
        (await LogAsync(cli, "first")).Should().Contain("4 assets selected, 0 encoded");
        var secondPlan = await PlanAsync(cli, "second");
        secondPlan.Should().Contain("0 encoded, 4 stored embedding(s) reused");
        secondPlan.Should().NotContain($"+ {Root}").And.NotContain($"- {Root}");
    }

    [Fact]
    public async Task A_changed_label_set_rescores_from_stored_embeddings_and_replaces_the_tools_old_labels()
    {
        var red = Asset("red.jpg", Red);
        var green = Asset("green.jpg", Green);
        var blue = Asset("blue.jpg", Blue);
        Tag("people/ann", red);
        using var cli = new CliHarness();
        var first = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(RgbLabels)), "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        HasTag(green, $"{Root}/green").Should().BeTrue();

        _server.Requests.Clear();
        var changed = cli.WriteConfig(Config("""
                - name: warm
                  prompts: [r]
                - name: cool
                  prompts: [g, b]
            """), "changed.yaml");
        var rescored = await cli.RunAsync("run", "--config", changed, "--output", "rescored");
        rescored.ExitCode.Should().Be(0, rescored.ToString());
        _server.Requests.Count(ViewAsset).Should().Be(0, "a new label set is scored from the stored embeddings");
        (await LogAsync(cli, "rescored")).Should().Contain("label prompts: 0 encoded, 3 stored embedding(s) reused", "the new set regroups prompts already embedded");
        var plan = await PlanAsync(cli, "rescored");
        plan.Should().Contain("3 asset(s) selected, 0 encoded, 3 stored embedding(s) reused").And.Contain("labels: warm 1, cool 2");
        plan.Should().MatchRegex($@"- {Root}/green \| \S+/photos/{green} \| green\.jpg \| clip cool \d+(\.\d)?%");
        HasTag(red, $"{Root}/warm").Should().BeTrue();
        HasTag(green, $"{Root}/cool").Should().BeTrue();
        HasTag(blue, $"{Root}/cool").Should().BeTrue();
        HasTag(red, $"{Root}/red").Should().BeFalse();
        HasTag(green, $"{Root}/green").Should().BeFalse();
        HasTag(blue, $"{Root}/blue").Should().BeFalse();
        HasTag(red, "people/ann").Should().BeTrue();

        _server.Requests.Clear();
        var again = await cli.RunAsync("run", "--config", changed, "--output", "again");
        again.ExitCode.Should().Be(0, again.ToString());
        _server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_changed_tag_root_takes_the_tools_labels_off_the_old_root_and_leaves_the_users_own()
    {
        const string NewRoot = "autotag_clip/v2";
        var red = Asset("red.jpg", Red);
        var green = Asset("green.jpg", Green);
        using var cli = new CliHarness();
        var first = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(RgbLabels)), "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        HasTag(red, $"{Root}/red").Should().BeTrue();
        HasTag(green, $"{Root}/green").Should().BeTrue();
        Tag($"{Root}/blue", red); // the user's own link below the old root: never the tool's to remove

        var moved = cli.WriteConfig(Config(RgbLabels).Replace("  enabled: true\n", $"  enabled: true\n  tag_root: {NewRoot}\n", StringComparison.Ordinal), "moved.yaml");
        _server.Requests.Clear();
        var dry = await cli.RunAsync("run", "--dry-run", "--config", moved, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        _server.Requests.WriteCount.Should().Be(0);
        _server.Requests.Count(ViewAsset).Should().Be(0, "the labels come from the stored embeddings");
        var plan = await PlanAsync(cli, "dry");
        plan.Should().MatchRegex($@"- {Root}/red \| \S+/photos/{red} \| red\.jpg \| clip_labels: label of the earlier tag root '{Root}' \(clip\.tag_root is now '{NewRoot}'\)");
        plan.Should().Contain($"- {Root}/green |").And.Contain($"+ {NewRoot}/red |").And.Contain($"+ {NewRoot}/green |");
        plan.Should().NotContain($"- {Root}/blue", "the user added that link");
        (dry.Out + dry.Err).Should().Contain($"clip.tag_root is now '{NewRoot}'");

        var run = await cli.RunAsync("run", "--config", moved, "--output", "moved");
        run.ExitCode.Should().Be(0, run.ToString());
        HasTag(red, $"{Root}/red").Should().BeFalse();
        HasTag(green, $"{Root}/green").Should().BeFalse();
        HasTag(red, $"{NewRoot}/red").Should().BeTrue();
        HasTag(green, $"{NewRoot}/green").Should().BeTrue();
        HasTag(red, $"{Root}/blue").Should().BeTrue("the user's own link stays");

        _server.Requests.Clear();
        var again = await cli.RunAsync("run", "--config", moved, "--output", "again");
        again.ExitCode.Should().Be(0, again.ToString());
        _server.Requests.WriteCount.Should().Be(0, "the move is done in one run");
        (again.Out + again.Err).Should().NotContain("is now", "no label of the tool is left below the old root");
    }

    [Fact]
    public async Task A_prompt_the_model_cuts_is_warned_about_by_validate_and_the_run_and_an_asset_not_scored_is_named_by_its_file()
    {
        Asset("red.jpg", Red);
        var broken = _server.State.AddAsset(_user, "broken.jpg", T0);
        broken.ThumbnailBytes = [1, 2, 3, 4]; // not an image: decoding fails for this asset only
        using var cli = new CliHarness();
        var longPrompt = string.Join(' ', Enumerable.Repeat("r", 100));
        var config = cli.WriteConfig(Config(RgbLabels.Replace("prompts: [r]", $"prompts: [r, '{longPrompt}']", StringComparison.Ordinal)));
        const string Cut = "clip.labels: label 'red', prompt 'r r r";

        var validate = await cli.RunAsync("validate", "--config", config);
        validate.ExitCode.Should().Be(0, validate.ToString());
        validate.Err.Should().Contain(Cut).And.MatchRegex(@"prompt 'r r r[^']*': 1\d\d tokens, but the model reads 77 \(its context length");

        var dry = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "dry");
        dry.ExitCode.Should().Be(0, dry.ToString());
        var output = dry.Out + dry.Err;
        output.Should().Contain(Cut).And.MatchRegex(@"prompt 'r r r[^']*': 1\d\d tokens, but the model reads 77 \(its context length");
        output.Should().MatchRegex($@"CLIP: asset broken\.jpg \(\S+/photos/{broken.Id}\) not scored: ");
        (await PlanAsync(cli, "dry")).Should().Contain("1 not scored");
    }

    [Fact]
    public async Task Without_clip_a_run_sends_the_same_requests_as_with_clip_off_and_leaves_label_tags_alone()
    {
        var red = Asset("red.jpg", Red);
        Asset("green.jpg", Green);
        Tag($"{Root}/anime", red);
        using var cli = new CliHarness();

        _server.Requests.Clear();
        var without = await cli.RunAsync("run", "--dry-run", "--config", cli.WriteConfig(Config(labels: null, clip: null)), "--output", "without");
        without.ExitCode.Should().Be(0, without.ToString());
        var withoutRequests = _server.Requests.All.Select(r => $"{r.Method} {r.OperationId}").ToList();

        _server.Requests.Clear();
        var off = await cli.RunAsync("run", "--dry-run", "--config", cli.WriteConfig(Config(labels: null, clip: "enabled: false"), "off.yaml"), "--output", "off");
        off.ExitCode.Should().Be(0, off.ToString());
        _server.Requests.All.Select(r => $"{r.Method} {r.OperationId}").Should().Equal(withoutRequests);
        withoutRequests.Should().NotContain(r => r.EndsWith(ViewAsset, StringComparison.Ordinal));

        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(labels: null, clip: null), "real.yaml"), "--output", "real");
        run.ExitCode.Should().Be(0, run.ToString());
        HasTag(red, $"{Root}/anime").Should().BeTrue("without clip: the label tags are nobody's business");
    }

    [Fact]
    public async Task A_missing_model_is_a_config_error_naming_the_folder_and_nothing_is_written()
    {
        Asset("red.jpg", Red);
        using var cli = new CliHarness();
        var missing = Path.Combine(_models, "nowhere");
        var config = cli.WriteConfig(Config(RgbLabels).Replace(_models, missing, StringComparison.Ordinal));
        _server.Requests.Clear();
        var run = await cli.RunAsync("run", "--config", config, "--output", "out");
        run.ExitCode.Should().Be(3, run.ToString());
        (run.Out + run.Err).Should().Contain(missing);
        _server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_prompt_that_embeds_to_zero_is_a_config_error_naming_label_and_prompt_and_nothing_is_written()
    {
        // The colour model's text tower maps every token but r, g and b to zero: this prompt has no direction.
        Asset("red.jpg", Red);
        using var cli = new CliHarness();
        var config = cli.WriteConfig(Config("""
                - name: red
                  prompts: [r, a red picture]
                - name: green
                  prompts: [g]
            """));
        _server.Requests.Clear();

        var run = await cli.RunAsync("run", "--config", config, "--output", "out");
        var again = await cli.RunAsync("run", "--config", config, "--output", "again");

        run.ExitCode.Should().Be(3, run.ToString());
        (run.Out + run.Err).Should().Contain("label 'red', prompt 'a red picture'").And.Contain("zero").And.NotContain("Unexpected");
        _server.Requests.WriteCount.Should().Be(0);
        _server.Requests.Count(ViewAsset).Should().Be(0, "the label set is checked before any thumbnail is read");
        again.ExitCode.Should().Be(3, "the unusable embedding was not stored for the next run to trust: " + again);
        (again.Out + again.Err).Should().Contain("prompt 'a red picture'");
    }

    [Fact]
    public async Task Towers_of_different_embedding_sizes_are_a_config_error_naming_both_files_before_any_download()
    {
        // The colour model's 3-d text tower beside an image tower that gives 4 dimensions: towers of two models.
        var visual = Path.Combine(_models, "clip", "ViT-B-32__openai", "visual", "model.onnx");
        new OnnxModelWriter()
            .Input("image", OnnxModelWriter.Float, "batch", 3, 224, 224)
            .FloatInitializer("w", [3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0])
            .Node("ReduceMean", ["image"], ["means"], OnnxModelWriter.Attr.Ints("axes", 2, 3), OnnxModelWriter.Attr.Int("keepdims", 0))
            .Node("MatMul", ["means", "w"], ["embedding"])
            .Output("embedding", OnnxModelWriter.Float, "batch", 4)
            .Save(visual);
        Asset("red.jpg", Red);
        using var cli = new CliHarness();
        _server.Requests.Clear();

        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(RgbLabels)), "--output", "out");

        run.ExitCode.Should().Be(3, run.ToString());
        (run.Out + run.Err).Should().Contain(visual).And.Contain(Path.Combine("textual", "model.onnx")).And.Contain("not of one model").And.NotContain("Unexpected");
        _server.Requests.Count(ViewAsset).Should().Be(0, "the towers are compared before any thumbnail is read");
        _server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_key_without_asset_view_is_refused_before_anything_is_read()
    {
        Asset("red.jpg", Red);
        _key = _server.State.AddApiKey(_user, "asset.read", "album.read", "tag.read", "tag.create", "tag.asset", "user.read", "albumAsset.create", "album.create", "duplicate.read", "asset.update");
        using var cli = new CliHarness();
        var run = await cli.RunAsync("run", "--config", cli.WriteConfig(Config(RgbLabels)), "--output", "out");
        run.ExitCode.Should().Be(6, run.ToString());
        (run.Out + run.Err).Should().Contain("asset.view");
        _server.Requests.WriteCount.Should().Be(0);
        _server.Requests.Count(ViewAsset).Should().Be(0);
    }

    [Fact]
    public async Task Assets_left_out_by_filters_are_never_encoded()
    {
        var kept = Asset("kept.jpg", Red);
        var filteredOut = Asset("private.jpg", Green);
        Tag("private", filteredOut);
        var other = Asset("other.jpg", Blue);
        using var cli = new CliHarness();
        var filterOut = cli.WriteConfig(Config(RgbLabels) + """

            filters:
              filter_out:
                - tag_names: [private]
            """, "out.yaml");
        _server.Requests.Clear();
        var run = await cli.RunAsync("run", "--dry-run", "--config", filterOut, "--output", "out");
        run.ExitCode.Should().Be(0, run.ToString());
        (await PlanAsync(cli, "out")).Should().Contain("2 asset(s) selected, 2 encoded");
        ThumbnailReads(filteredOut).Should().Be(0, "filter_out keeps the asset away from every step, the model included");
        ThumbnailReads(kept).Should().Be(1);
        ThumbnailReads(other).Should().Be(1);

        var focus = cli.WriteConfig(Config(RgbLabels) + $$"""

            filters:
              filter_in:
                - asset_links: ['{{_server.BaseUrl.AbsoluteUri.TrimEnd('/')}}/photos/{{kept}}']
            """, "in.yaml");
        _server.Requests.Clear();
        var focused = await cli.RunAsync("run", "--dry-run", "--config", focus, "--output", "in");
        focused.ExitCode.Should().Be(0, focused.ToString());
        (await PlanAsync(cli, "in")).Should().Contain("1 asset(s) selected, 0 encoded, 1 stored embedding(s) reused");
        _server.Requests.All.Count(r => r.Path.Contains("/thumbnail", StringComparison.Ordinal)).Should().Be(0, "a focused run reads no other asset's thumbnail");
    }

    [Fact]
    public async Task Int8_precision_labels_from_a_quantised_copy_made_once_in_the_state_folder_with_embeddings_kept_apart()
    {
        var red = Asset("red.jpg", Red);
        var green = Asset("green.jpg", Green);
        using var cli = new CliHarness().WithStateFolder();
        var fp32 = cli.WriteConfig(Config(RgbLabels), "fp32.yaml");
        var int8 = cli.WriteConfig(Config(RgbLabels).Replace("  enabled: true", "  enabled: true\n  precision: int8", StringComparison.Ordinal), "int8.yaml");
        var modelFiles = Directory.GetFiles(_models, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var first = await cli.RunAsync("run", "--dry-run", "--config", fp32, "--output", "fp32");
        first.ExitCode.Should().Be(0, first.ToString());
        _server.Requests.Clear();
        var quantised = await cli.RunAsync("run", "--dry-run", "--config", int8, "--output", "int8");
        quantised.ExitCode.Should().Be(0, quantised.ToString());
        var plan = await PlanAsync(cli, "int8");
        plan.Should().Contain("+int8").And.Contain("2 asset(s) selected, 2 encoded, 0 stored embedding(s) reused",
            "fp32 embeddings are stored under another model id and never reused for int8");
        plan.Should().MatchRegex($@"\+ {Root}/red \| \S+/photos/{red} \| red\.jpg \| clip red");
        plan.Should().MatchRegex($@"\+ {Root}/green \| \S+/photos/{green} \| green\.jpg \| clip green");
        var copies = Directory.GetFiles(Path.Combine(cli.Root, "state", "clip-int8"), "*.onnx");
        copies.Should().ContainSingle();
        (await LogAsync(cli, "int8")).Should().Contain("quantised");
        var made = File.GetLastWriteTimeUtc(copies[0]);

        var again = await cli.RunAsync("run", "--dry-run", "--config", int8, "--output", "int8-again");
        again.ExitCode.Should().Be(0, again.ToString());
        (await PlanAsync(cli, "int8-again")).Should().Contain("2 asset(s) selected, 0 encoded, 2 stored embedding(s) reused");
        var back = await cli.RunAsync("run", "--dry-run", "--config", fp32, "--output", "fp32-again");
        back.ExitCode.Should().Be(0, back.ToString());
        (await PlanAsync(cli, "fp32-again")).Should().Contain("2 asset(s) selected, 0 encoded, 2 stored embedding(s) reused").And.NotContain("+int8");

        // A third int8 run that must encode (a new asset) loads the image tower again from the same copy.
        Asset("blue.jpg", Blue);
        var third = await cli.RunAsync("run", "--dry-run", "--config", int8, "--output", "int8-third");
        third.ExitCode.Should().Be(0, third.ToString());
        (await PlanAsync(cli, "int8-third")).Should().Contain("3 asset(s) selected, 1 encoded, 2 stored embedding(s) reused");
        (await LogAsync(cli, "int8-third")).Should().Contain("reused").And.NotContain("quantised in");
        Directory.GetFiles(Path.Combine(cli.Root, "state", "clip-int8"), "*.onnx").Should().Equal(copies);
        File.GetLastWriteTimeUtc(copies[0]).Should().Be(made, "the copy is made once and reused");
        Directory.GetFiles(_models, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc)
            .Should().BeEquivalentTo(modelFiles, "Immich's model files are only read");
    }

    private int ThumbnailReads(Guid asset) =>
        _server.Requests.All.Count(r => r.Path.Contains($"/assets/{asset}/thumbnail", StringComparison.Ordinal));

    private const string RgbLabels = """
            - name: red
              prompts: [r]
            - name: green
              prompts: [g]
            - name: blue
              prompts: [b]
        """;

    private string Config(string? labels, string? clip = "")
    {
        var section = clip switch
        {
            null => string.Empty,
            "" => $"""
                clip:
                  enabled: true
                  model_folder: {_models}
                  labels:
                {labels}
                """,
            _ => $"""
                clip:
                  {clip}
                """,
        };
        return $"""
            server:
              url: {_server.BaseUrl}
              api_key: {_key}
            classification:
              rules:
                - tag_names: [keep]
            {section}
            """;
    }

    private Guid Asset(string name, (byte R, byte G, byte B) colour, string type = "IMAGE")
    {
        var asset = _server.State.AddAsset(_user, name, T0, type: type);
        asset.ThumbnailColour = colour;
        return asset.Id;
    }

    private void Tag(string path, params Guid[] assets)
    {
        var tag = _server.State.UpsertTag(path);
        foreach (var a in assets)
        {
            _server.State.TagAsset(tag.Id, a);
        }
    }

    private bool HasTag(Guid asset, string path) =>
        _server.State.FindTag(path) is { } tag && _server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    private static Task<string> LogAsync(CliHarness cli, string output) =>
        File.ReadAllTextAsync(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single(), "immich_autotag_full_output.log"));

    private static Task<string> PlanAsync(CliHarness cli, string output) =>
        File.ReadAllTextAsync(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, output)).Single(), "plan.txt"));
}
