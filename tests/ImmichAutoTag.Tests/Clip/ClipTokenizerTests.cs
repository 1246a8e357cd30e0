using ImmichAutoTag.Infrastructure.Clip;
using ImmichAutoTag.TestKit.Clip;

namespace ImmichAutoTag.Tests.Clip;

/// <summary>
/// The CLIP tokenizer built from a tokenizer.json made from OpenAI's merge list (shared/clip beside the repository),
/// checked against the published id vector of OpenAI's tokenizer.
/// </summary>
public sealed class ClipTokenizerTests : IClassFixture<ClipTokenizerTests.Files>
{
    private readonly ClipTokenizer tokenizer;

    public ClipTokenizerTests(Files files)
    {
        tokenizer = files.Tokenizer;
    }

    [Fact]
    public void A_photo_of_a_cat_gives_the_reference_ids_then_padding()
    {
        var ids = tokenizer.Encode("a photo of a cat");

        ids.Should().HaveCount(77);
        ids[..7].Should().Equal(49406, 320, 1125, 539, 320, 2368, 49407);
        ids[7..].Should().OnlyContain(id => id == 49407, "tokenizer_config.json names <|endoftext|> as pad_token, as Immich's exports do");
    }

    [Fact]
    public void Case_and_whitespace_do_not_change_the_ids()
    {
        tokenizer.Encode("  A   PHOTO of\ta\ncat ").Should().Equal(tokenizer.Encode("a photo of a cat"));
    }

    [Fact]
    public void Pad_id_is_zero_without_tokenizer_config()
    {
        using var files = new Files();
        var plain = ClipTokenizer.Load(files.TokenizerJson, null, 77);

        var ids = plain.Encode("a photo of a cat");

        ids[..7].Should().Equal(49406, 320, 1125, 539, 320, 2368, 49407);
        ids[7..].Should().OnlyContain(id => id == 0);
    }

    [Fact]
    public void Long_text_is_cut_to_the_context_length_and_keeps_end_of_text()
    {
        var ids = tokenizer.Encode(string.Join(' ', Enumerable.Repeat("cat", 200)));

        ids.Should().HaveCount(77);
        ids[0].Should().Be(49406);
        ids[1..76].Should().OnlyContain(id => id == 2368);
        ids[76].Should().Be(49407);
    }

    [Fact]
    public void Punctuation_and_unknown_words_split_into_known_pieces()
    {
        var ids = tokenizer.Encode("an anime-style illustration, 3D render!");
        var used = ids.TakeWhile(id => id != 49407).Skip(1).ToArray();

        used.Should().NotBeEmpty().And.OnlyContain(id => id >= 0 && id < 49406);
        ids.Count(id => id == 49406).Should().Be(1);
    }

    [Fact]
    public void A_tokenizer_file_without_vocabulary_is_refused_naming_the_file_and_key()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tok-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"model": {"type": "BPE"}}""");
        try
        {
            var act = () => ClipTokenizer.Load(path, null, 77);

            act.Should().Throw<ClipModelException>().WithMessage($"*{path}*model.vocab*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>tokenizer.json (built once per class) and a tokenizer_config.json naming the pad token.</summary>
    public sealed class Files : IDisposable
    {
        private readonly string folder = Directory.CreateTempSubdirectory("clip-tok-").FullName;

        public Files()
        {
            TokenizerJson = ClipTokenizerData.WriteTokenizerJson(Path.Combine(folder, "tokenizer.json"));
            TokenizerConfig = Path.Combine(folder, "tokenizer_config.json");
            File.WriteAllText(TokenizerConfig, """{"pad_token": "<|endoftext|>"}""");
            Tokenizer = ClipTokenizer.Load(TokenizerJson, TokenizerConfig, 77);
        }

        public ClipTokenizer Tokenizer { get; }

        public string TokenizerJson { get; }

        public string TokenizerConfig { get; }

        public void Dispose() => Directory.Delete(folder, recursive: true);
    }
}
