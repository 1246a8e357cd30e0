using ImmichAutoTag.Core.Enrichment.Clip;

namespace ImmichAutoTag.Tests.Clip;

public sealed class ZeroShotClassifierTests
{
    private static readonly ClipLabel[] Labels =
    [
        new("photo", ["a photo", "a photograph"]),
        new("anime", ["an anime illustration"]),
        new("render", ["a 3D render"]),
    ];

    // Prompt embeddings along the axes (not normalised: the classifier normalises), two prompts for "photo".
    private static readonly float[][][] Prompts =
    [
        [[2, 0, 0, 0], [0, 0, 0, 3]],
        [[0, 1, 0, 0]],
        [[0, 0, 5, 0]],
    ];

    [Fact]
    public void Probabilities_are_the_softmax_of_scaled_cosines_with_averaged_prompts()
    {
        var classifier = new ZeroShotClassifier(Labels, Prompts, new ZeroShotDecisionRule(0, 0, LogitScale: 10));

        var result = classifier.Classify([1, 0.5f, 0, 1]);

        // photo's vector: (1,0,0,1)/√2; the image: (1, .5, 0, 1)/1.5.
        var photo = Math.Exp(10 * (2 / Math.Sqrt(2)) / 1.5);
        var anime = Math.Exp(10 * 0.5 / 1.5);
        var render = Math.Exp(0);
        var total = photo + anime + render;
        result.Probabilities.Select(p => p.Label).Should().Equal("photo", "anime", "render");
        result.Probabilities.Select(p => p.Probability).Should().Equal(
            [photo / total, anime / total, render / total], (a, b) => Math.Abs(a - b) < 1e-9);
        result.Label.Should().Be("photo");
        result.Margin.Should().BeApproximately((photo - anime) / total, 1e-9);
    }

    [Theory]
    [InlineData(0.9, 0.0, null)] // best probability too low
    [InlineData(0.4, 0.5, null)] // margin too small
    [InlineData(0.4, 0.05, "anime")]
    public void The_decision_rule_needs_both_probability_and_margin(double minimum, double margin, string? expected)
    {
        var classifier = new ZeroShotClassifier(Labels, Prompts, new ZeroShotDecisionRule(minimum, margin, LogitScale: 1));

        // Close to anime, a little towards render: with scale 1 the softmax is flat.
        var result = classifier.Classify([0, 1, 0.4f, 0]);

        result.Best.Label.Should().Be("anime");
        result.Label.Should().Be(expected);
    }

    [Fact]
    public void A_changed_label_set_rescores_the_same_embedding()
    {
        var image = new float[] { 0, 0, 1, 0.1f };
        var first = new ZeroShotClassifier(Labels, Prompts, new ZeroShotDecisionRule(0.5, 0.1)).Classify(image);
        var second = new ZeroShotClassifier(Labels[..2], Prompts[..2], new ZeroShotDecisionRule(0.5, 0.1)).Classify(image);

        first.Label.Should().Be("render");
        second.Label.Should().Be("photo");
        second.Probabilities.Should().HaveCount(2);
    }

    [Fact]
    public void Bad_input_is_refused_with_the_label_named()
    {
        var rule = new ZeroShotDecisionRule(0.5, 0.1);
        FluentActions.Invoking(() => new ZeroShotClassifier([new("x", ["p"]), new("x", ["q"])], [[[1f]], [[1f]]], rule))
            .Should().Throw<ArgumentException>().WithMessage("*'x' appears twice*");
        FluentActions.Invoking(() => new ZeroShotClassifier([new("x", ["p", "q"])], [[[1f, 0]]], rule))
            .Should().Throw<ArgumentException>().WithMessage("*'x' has 2 prompts but 1 embeddings*");
        FluentActions.Invoking(() => new ZeroShotClassifier([new("x", ["p"])], [[[0f, 0]]], rule))
            .Should().Throw<ArgumentException>().WithMessage("*label 'x'*zero*");
        FluentActions.Invoking(() => new ZeroShotClassifier([new("x", [" "])], [[[1f]]], rule))
            .Should().Throw<ArgumentException>().WithMessage("*'x'*blank*");
        FluentActions.Invoking(() => new ZeroShotClassifier(Labels, Prompts, new ZeroShotDecisionRule(1.5, 0)))
            .Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new ZeroShotClassifier(Labels, Prompts, rule).Classify([1, 0, 0]))
            .Should().Throw<ArgumentException>().WithMessage("*dimension 3, expected 4*");
    }

    [Fact]
    public void Large_logits_do_not_overflow()
    {
        var result = new ZeroShotClassifier(Labels, Prompts, new ZeroShotDecisionRule(0.5, 0.1, LogitScale: 1e6)).Classify([0, 1, 0, 0]);

        result.Best.Should().Be(new LabelProbability("anime", 1));
        result.Probabilities.Sum(p => p.Probability).Should().BeApproximately(1, 1e-12);
    }
}
