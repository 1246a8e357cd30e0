using ImmichAutoTag.Core.Configuration;
using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class ClipConfigTests
{
    [Fact]
    public void Without_the_section_clip_is_off_with_the_default_set()
    {
        var config = Load(Minimal).Config!;
        config.Clip.Enabled.Should().BeFalse();
        config.Clip.Labels.Select(l => l.Name).Should().Equal("photo", "anime", "3d_render", "cartoon", "painting", "screenshot", "document", "meme");
    }

    [Fact]
    public void The_section_is_read_into_the_record()
    {
        var result = Load(Minimal + """

            clip:
              enabled: true
              model_folder: /cache
              model_name: ViT-L-14__openai
              tag_root: style/
              labels:
                - name: anime
                  prompts: [an anime illustration, ' a manga drawing ']
                - name: photo
                  prompts: [a photo]
              min_probability_percent: 60
              min_margin_percent: 20
              assets:
                rules:
                  - album_name_patterns: ['^Downloads']
                media_types: [image]
              batch_size: 16
              threads: 1
            """);
        result.Errors.Should().BeEmpty();
        var clip = result.Config!.Clip;
        clip.Should().BeEquivalentTo(new
        {
            Enabled = true,
            ModelFolder = "/cache",
            ModelName = "ViT-L-14__openai",
            TagRoot = "style",
            MinProbabilityPercent = 60,
            MinMarginPercent = 20,
            BatchSize = 16,
            Threads = 1,
        });
        clip.Labels.Should().BeEquivalentTo(new[] { new ClipLabelConfig("anime", ["an anime illustration", "a manga drawing"]), new ClipLabelConfig("photo", ["a photo"]) });
        clip.MediaTypes.Should().Equal("image");
        clip.Rules.Should().ContainSingle().Which.AlbumNamePatterns.Single().Written.Should().Be("^Downloads");
    }

    [Theory]
    [InlineData("clip:\n  model_folder: ''\n", "model_folder")]
    [InlineData("clip:\n  model_folder: /m\n  labels:\n    - name: a/b\n      prompts: [x]\n", "must be non-empty and contain no '/'")]
    [InlineData("clip:\n  model_folder: /m\n  labels:\n    - name: a\n      prompts: [x]\n    - name: a\n      prompts: [y]\n", "label 'a' is listed twice")]
    [InlineData("clip:\n  model_folder: /m\n  labels:\n    - name: a\n      prompts: []\n", "needs at least one prompt")]
    [InlineData("clip:\n  model_folder: /m\n  labels:\n    - name: a\n", "missing required key 'prompts'")]
    [InlineData("clip:\n  model_folder: /m\n  assets:\n    media_types: [audio]\n", "unknown media type 'audio'")]
    [InlineData("clip:\n  min_probability_percent: 101\n", "min_probability_percent")]
    [InlineData("clip:\n  batch_size: 0\n", "batch_size")]
    [InlineData("clip:\n  tag_root: '/'\n", "clip.tag_root must not be empty")]
    [InlineData("clip:\n  modle_folder: /m\n", "did you mean 'model_folder'")]
    [InlineData("clip:\n  tag_root: 'style//anime'\n", "clip.tag_root 'style//anime' has an empty level ('//'): write the tag path with single slashes, e.g. 'style/anime'")]
    [InlineData("booru:\n  tag_root: '/booru//x/'\n", "booru.tag_root '/booru//x/' has an empty level ('//')")]
    public void Mistakes_are_reported_with_their_place(string section, string message)
    {
        var result = Load(Minimal + "\n" + section);
        result.Config.Should().BeNull();
        result.Errors.Should().Contain(e => e.Message.Contains(message, StringComparison.Ordinal) && e.Line > 5, string.Join("\n", result.Errors));
    }

    [Theory]
    [InlineData("clip", "/style/", "style")]
    [InlineData("booru", "booru/", "booru")]
    public void A_tag_root_with_a_leading_or_trailing_slash_is_normalised_with_a_warning_at_its_place(string section, string written, string read)
    {
        var result = Load(Minimal + $"\n{section}:\n  tag_root: '{written}'\n");
        result.Errors.Should().BeEmpty(string.Join("\n", result.Errors));
        (section == "clip" ? result.Config!.Clip.TagRoot : result.Config!.Booru.TagRoot).Should().Be(read);
        result.Warnings.Should().ContainSingle(w => w.Message.Contains($"{section}.tag_root '{written}' is read as '{read}'", StringComparison.Ordinal))
            .Which.Line.Should().BeGreaterThan(5);
    }

    [Theory]
    [InlineData("clip")]
    [InlineData("booru")]
    public void A_tag_root_of_the_users_choice_warns_that_tags_the_tool_did_not_add_below_it_stay(string section)
    {
        string Yaml(string? root) =>
            $"\n{section}:\n  enabled: true\n"
            + (section == "clip" ? "  model_folder: /cache\n" : "  assets:\n    rules:\n      - tag_names: [fanart]\n")
            + (root is null ? string.Empty : $"  tag_root: {root}\n");

        var result = Load(Minimal + Yaml("People"));
        result.Errors.Should().BeEmpty(string.Join("\n", result.Errors));
        result.Warnings.Should().ContainSingle(w => w.Message.Contains($"{section}.tag_root 'People' is not the default", StringComparison.Ordinal) && w.Message.Contains("only ever removes tags below the root that it added itself", StringComparison.Ordinal))
            .Which.Line.Should().BeGreaterThan(5);

        Load(Minimal + Yaml(null)).Warnings.Should().NotContain(w => w.Message.Contains("is not the default", StringComparison.Ordinal));
    }

    [Fact]
    public void Prompts_the_model_cannot_tell_apart_are_warned_about_at_their_place()
    {
        var result = Load(Minimal + """

            clip:
              model_folder: /m
              labels:
                - name: red
                  prompts: [a red picture, red]
                - name: Red
                  prompts: [' RED ', A  red picture]
                - name: warm
                  prompts: [a warm picture, A warm picture, red]
                - name: cold
                  prompts: [a cold picture]
            """);

        result.Errors.Should().BeEmpty(string.Join("\n", result.Errors));
        var warnings = result.Warnings.Select(w => $"{w.Line}:{w.Message}").ToList();
        warnings.Should().ContainSingle(w => w.Contains("label 'Red' has the same prompts as label 'red'", StringComparison.Ordinal) && w.Contains("neither is ever given", StringComparison.Ordinal));
        result.Warnings.Should().ContainSingle(w => w.Message.Contains("prompt 'A warm picture' is listed twice in label 'warm'", StringComparison.Ordinal))
            .Which.Line.Should().Be(result.Warnings.Single(w => w.Message.Contains("prompt 'red' of label 'warm' is also a prompt of label 'red'", StringComparison.Ordinal)).Line);
        warnings.Should().NotContain(w => w.Contains("'cold'", StringComparison.Ordinal));
        result.Config!.Clip.Labels.Should().HaveCount(4, "warnings change nothing");
    }
}
