using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit.Clip;

namespace ImmichAutoTag.Tests.Clip;

public sealed class ClipModelFolderTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("clip-folder-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void The_model_is_found_from_the_cache_root_its_clip_folder_or_itself()
    {
        var model = MakeModel(Path.Combine(root, "clip", "ViT-B-32__openai"));

        ClipModelFolder.Locate(root).Directory.Should().Be(model);
        ClipModelFolder.Locate(Path.Combine(root, "clip")).Directory.Should().Be(model);
        var itself = ClipModelFolder.Locate(model, "ignored");
        itself.Directory.Should().Be(model);
        itself.Name.Should().Be("ViT-B-32__openai");
    }

    [Fact]
    public void A_single_revision_folder_is_followed()
    {
        var model = MakeModel(Path.Combine(root, "clip", "ViT-B-32__openai", "v2"));

        ClipModelFolder.Locate(root, "ViT-B-32__openai").Should().Be(new ClipModelFolder("ViT-B-32__openai", model));
    }

    [Fact]
    public void A_missing_model_says_where_it_looked()
    {
        var act = () => ClipModelFolder.Locate(root, "ViT-L-14__openai");

        act.Should().Throw<ClipModelException>()
            .WithMessage($"*'ViT-L-14__openai' not found*{Path.Combine(root, "clip", "ViT-L-14__openai")}*");
    }

    [Fact]
    public void A_missing_model_lists_the_models_the_folder_holds()
    {
        MakeModel(Path.Combine(root, "clip", "colour-demo"));
        MakeModel(Path.Combine(root, "clip", "ViT-L-14__openai", "rev1"));
        Directory.CreateDirectory(Path.Combine(root, "clip", "empty", "visual"));

        var act = () => ClipModelFolder.Locate(root, "ViT-B-32__openai");

        act.Should().Throw<ClipModelException>()
            .WithMessage("*'ViT-B-32__openai' not found*Models found in*: ViT-L-14__openai, colour-demo; set clip.model_name to one of them*");
        ClipModelFolder.ModelsIn(root).Should().Equal("ViT-L-14__openai", "colour-demo");
        ClipModelFolder.ModelsIn(Path.Combine(root, "nowhere")).Should().BeEmpty();
    }

    [Fact]
    public void A_folder_without_any_model_says_so()
    {
        var act = () => ClipModelFolder.Locate(root, "ViT-B-32__openai");

        act.Should().Throw<ClipModelException>().WithMessage("*not found*No CLIP model was found there either*");
    }

    [Fact]
    public void Preprocessing_and_context_length_come_from_the_files()
    {
        var model = ClipModelFolder.Locate(MakeModel(Path.Combine(root, "m")));
        File.WriteAllText(model.PreprocessConfig,
            """{"size": 256, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.5, 1.0], "interpolation": "bilinear", "resize_mode": "squash"}""");
        File.WriteAllText(model.ModelConfig, """{"embed_dim": 768, "text_cfg": {"context_length": 64}}""");

        var config = model.ReadPreprocessConfig();

        config.Size.Should().Be(256);
        config.Mean.Should().Equal(0.5f, 0.5f, 0.5f);
        config.Std.Should().Equal(0.25f, 0.5f, 1.0f);
        config.Interpolation.Should().Be(ClipInterpolation.Bilinear);
        config.ResizeMode.Should().Be(ClipResizeMode.Squash);
        model.ReadContextLength().Should().Be(64);
    }

    [Theory]
    [InlineData("""{"mean": [0.5, 0.5, 0.5], "std": [1, 1, 1]}""", "*preprocess_cfg.json: key 'size' is missing*")]
    [InlineData("""{"size": 224, "mean": [0.5, 0.5], "std": [1, 1, 1]}""", "*preprocess_cfg.json: key 'mean' must hold three numbers*")]
    [InlineData("""{"size": 224, "mean": [0.5, 0.5, 0.5], "std": [1, 0, 1]}""", "*preprocess_cfg.json: key 'std' must hold three positive numbers*")]
    [InlineData("""{"size": 224, "mean": [0.5, 0.5, 0.5], "std": [1, 1, 1], "resize_mode": "longest"}""", "*resize_mode 'longest' is not supported*")]
    [InlineData("""{"size": 224,""", "*preprocess_cfg.json: not valid JSON*")]
    public void A_bad_preprocess_config_names_the_file_and_key(string json, string message)
    {
        var model = ClipModelFolder.Locate(MakeModel(Path.Combine(root, "m")));
        File.WriteAllText(model.PreprocessConfig, json);

        var act = () => model.ReadPreprocessConfig();

        act.Should().Throw<ClipModelException>().WithMessage(message);
    }

    [Fact]
    public void The_model_id_changes_when_the_visual_model_file_changes()
    {
        var model = ClipModelFolder.Locate(MakeModel(Path.Combine(root, "m")));
        var before = model.ComputeId();
        ClipTestModels.WriteTinyVisual(model.VisualModel, 4, fixedBatch: false);

        model.ComputeId().Should().NotBe(before);
        model.ComputeId().Should().Be(model.ComputeId());
    }

    private static string MakeModel(string folder)
    {
        ClipTestModels.WriteTinyVisual(Path.Combine(folder, "visual", "model.onnx"), 8, fixedBatch: false);
        ClipTestModels.WriteConfigs(folder, 8, 224, tokenizerJson: null);
        return folder;
    }
}
