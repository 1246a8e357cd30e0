using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Infrastructure.Clip;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// Label prompt embeddings kept in state.db by (model id, prompt): the text tower runs once per prompt and model, a
/// second run does not call it, a changed label set encodes only its new prompts.
/// </summary>
public sealed class ClipPromptEmbeddingsTests : IDisposable
{
    private static readonly ClipModelId Model = new("ViT-B-32__openai@0123456789abcdef");
    private static readonly ClipModelId OtherModel = new("ViT-B-32__openai@fedcba9876543210");
    private readonly string folder = Directory.CreateTempSubdirectory("clip-text-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_second_run_does_not_call_the_text_tower_and_a_changed_label_set_encodes_only_new_prompts()
    {
        ClipLabel[] first = [new("photo", ["a photo", "a snapshot"]), new("anime", ["an anime illustration", "a photo"])];
        var text = new CountingTextEncoder(Model);

        var run1 = await ClipPromptEmbeddings.EmbedAsync(first, text, SqliteClipEmbeddingStore.InFolder(folder), CancellationToken.None);
        text.Calls.Should().Be(1);
        text.Encoded.Should().BeEquivalentTo(["a photo", "a snapshot", "an anime illustration"], "a prompt two labels share is encoded once");
        (run1.Encoded, run1.Reused).Should().Be((3, 0));
        run1.PerLabel[1][1].Should().Equal(CountingTextEncoder.EmbeddingOf("a photo"));

        // A new run: a new store object over the same file, a new encoder.
        var text2 = new CountingTextEncoder(Model);
        var run2 = await ClipPromptEmbeddings.EmbedAsync(first, text2, SqliteClipEmbeddingStore.InFolder(folder), CancellationToken.None);
        text2.Calls.Should().Be(0, "every prompt is stored");
        (run2.Encoded, run2.Reused).Should().Be((0, 3));
        run2.PerLabel.Select(l => l.Select(e => string.Join(",", e))).Should().BeEquivalentTo(
            run1.PerLabel.Select(l => l.Select(e => string.Join(",", e))), o => o.WithStrictOrdering(), "stored embeddings come back bit for bit");

        ClipLabel[] changed = [new("photo", ["a photo", "a photograph taken with a camera"]), new("meme", ["a meme"])];
        var text3 = new CountingTextEncoder(Model);
        var run3 = await ClipPromptEmbeddings.EmbedAsync(changed, text3, SqliteClipEmbeddingStore.InFolder(folder), CancellationToken.None);
        text3.Calls.Should().Be(1);
        text3.Encoded.Should().BeEquivalentTo(["a photograph taken with a camera", "a meme"]);
        (run3.Encoded, run3.Reused).Should().Be((2, 1));
        run3.PerLabel[0][1].Should().Equal(CountingTextEncoder.EmbeddingOf("a photograph taken with a camera"));

        var other = new CountingTextEncoder(OtherModel);
        await ClipPromptEmbeddings.EmbedAsync(first, other, SqliteClipEmbeddingStore.InFolder(folder), CancellationToken.None);
        other.Encoded.Should().HaveCount(3, "another model's embeddings are never reused");
    }

    [Fact]
    public async Task Without_a_store_every_distinct_prompt_is_encoded_each_time()
    {
        ClipLabel[] labels = [new("a", ["x", "y"]), new("b", ["y"])];
        var text = new CountingTextEncoder(Model);

        var result = await ClipPromptEmbeddings.EmbedAsync(labels, text, store: null, CancellationToken.None);
        await ClipPromptEmbeddings.EmbedAsync(labels, text, store: null, CancellationToken.None);

        text.Calls.Should().Be(2);
        text.Encoded.Should().Equal("x", "y", "x", "y");
        result.PerLabel[1][0].Should().Equal(CountingTextEncoder.EmbeddingOf("y"));
    }

    [Fact]
    public async Task Prompts_that_embed_to_zero_or_not_finite_are_refused_by_label_and_prompt_and_never_stored()
    {
        ClipLabel[] labels = [new("photo", ["a photo", "zero"]), new("anime", ["nan"]), new("meme", ["a meme"])];
        var text = new CountingTextEncoder(Model) { Override = { ["zero"] = [0, 0, 0], ["nan"] = [float.NaN, 1, 1] } };
        var store = SqliteClipEmbeddingStore.InFolder(folder);

        var act = () => ClipPromptEmbeddings.EmbedAsync(labels, text, store, CancellationToken.None);

        (await act.Should().ThrowAsync<ClipLabelSetException>())
            .WithMessage("clip.labels: label 'photo', prompt 'zero'; label 'anime', prompt 'nan': the text tower of ViT-B-32__openai@0123456789abcdef embeds each to a zero (or not finite) vector*");
        (await store.GetTextAsync(Model, ["a photo", "zero", "nan", "a meme"], CancellationToken.None)).Should().BeEmpty("nothing of a refused label set is stored");

        // A zero embedding stored by an earlier version is refused the same way, not trusted.
        await store.StoreTextAsync(Model, new Dictionary<string, float[]> { ["zero"] = [0, 0, 0] }, CancellationToken.None);
        var fine = new CountingTextEncoder(Model);
        var stored = () => ClipPromptEmbeddings.EmbedAsync([new("photo", ["zero"])], fine, store, CancellationToken.None);
        (await stored.Should().ThrowAsync<ClipLabelSetException>()).WithMessage("*label 'photo', prompt 'zero'*");
        fine.Calls.Should().Be(0);
    }

    /// <summary>Embedding = (length, first char, last char) of the prompt; counts calls and the texts encoded.</summary>
    private sealed class CountingTextEncoder(ClipModelId model) : IClipTextEncoder
    {
        public ClipModelId Model => model;

        public int Calls { get; private set; }

        public List<string> Encoded { get; } = [];

        /// <summary>Prompt → the embedding to return instead.</summary>
        public Dictionary<string, float[]> Override { get; } = [];

        public static float[] EmbeddingOf(string text) => [text.Length, text[0], text[^1]];

        public Task<IReadOnlyList<float[]>> EncodeTextsAsync(IReadOnlyList<string> texts, CancellationToken ct)
        {
            Calls++;
            Encoded.AddRange(texts);
            return Task.FromResult<IReadOnlyList<float[]>>(texts.Select(t => Override.GetValueOrDefault(t) ?? EmbeddingOf(t)).ToList());
        }
    }
}
