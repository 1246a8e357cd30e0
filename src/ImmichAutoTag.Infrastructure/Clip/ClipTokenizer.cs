using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ImmichAutoTag.Infrastructure.Clip;

/// <summary>
/// CLIP's byte-level BPE tokenizer, built with Microsoft.ML.Tokenizers from the model's Hugging Face
/// <c>textual/tokenizer.json</c> (its <c>model.vocab</c>, <c>model.merges</c>, <c>model.end_of_word_suffix</c>, the
/// <c>Split</c> pre-tokenizer's regex, <c>added_tokens</c>) and <c>textual/tokenizer_config.json</c>
/// (<c>pad_token</c>). Text is cleaned as Immich does (whitespace runs collapsed, trimmed), NFC-normalised and
/// lower-cased when the file's normalizer says so; the ids are <c>start of text</c>, the text's tokens, <c>end of
/// text</c>, then the pad id up to the context length (text beyond it is cut, the end-of-text id is kept).
/// Thread-safe.
/// </summary>
public sealed partial class ClipTokenizer
{
    // OpenAI CLIP's pre-tokenizer pattern, used when the file names none (tokenizer.json of openai/clip-vit-* carries it).
    private const string ClipPattern = @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

    private readonly BpeTokenizer tokenizer;

    private ClipTokenizer(BpeTokenizer tokenizer, int startId, int endId, int padId, int contextLength)
    {
        this.tokenizer = tokenizer;
        StartOfTextId = startId;
        EndOfTextId = endId;
        PadId = padId;
        ContextLength = contextLength;
    }

    /// <summary>Sequence length every encoding has (77 for OpenAI's CLIP; <c>text_cfg.context_length</c> of <c>config.json</c>).</summary>
    public int ContextLength { get; }

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> (49406 for OpenAI's CLIP).</summary>
    public int StartOfTextId { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (49407 for OpenAI's CLIP).</summary>
    public int EndOfTextId { get; }

    /// <summary>
    /// Id filling the sequence after end of text: the id of <c>pad_token</c> in <c>tokenizer_config.json</c>
    /// (<c>&lt;|endoftext|&gt;</c> for Immich's OpenAI exports), 0 when that file is absent (OpenAI's
    /// <c>clip.tokenize</c>). The model reads the first end-of-text position, so either works.
    /// </summary>
    public int PadId { get; }

    /// <summary>Loads the tokenizer of <paramref name="model"/>.</summary>
    /// <exception cref="ClipModelException">A file is missing or malformed (the message names it and the key).</exception>
    public static ClipTokenizer Load(ClipModelFolder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Load(model.TokenizerFile, File.Exists(model.TokenizerConfig) ? model.TokenizerConfig : null, model.ReadContextLength());
    }

    /// <summary>Loads a tokenizer from a Hugging Face <c>tokenizer.json</c> and optional <c>tokenizer_config.json</c>.</summary>
    /// <exception cref="ClipModelException">A file is missing or malformed (the message names it and the key).</exception>
    public static ClipTokenizer Load(string tokenizerJson, string? tokenizerConfigJson, int contextLength)
    {
        if (contextLength < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "must be at least 3");
        }

        using var doc = ClipModelFolder.ReadJson(tokenizerJson);
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ClipModelException($"{tokenizerJson}: key 'model' is missing.");
        }

        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (!string.Equals(type, "BPE", StringComparison.Ordinal))
        {
            throw new ClipModelException($"{tokenizerJson}: model.type '{type}' is not supported (BPE).");
        }

        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new ClipModelException($"{tokenizerJson}: key 'model.vocab' is missing.");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            vocab[entry.Name] = entry.Value.GetInt32();
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var mergesElement))
        {
            foreach (var merge in mergesElement.EnumerateArray())
            {
                // Older files write "a b", newer ones ["a", "b"].
                merges.Add(merge.ValueKind == JsonValueKind.Array
                    ? string.Join(' ', merge.EnumerateArray().Select(p => p.GetString()))
                    : merge.GetString() ?? string.Empty);
            }
        }

        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (token.TryGetProperty("content", out var content) && token.TryGetProperty("id", out var id) && content.GetString() is { } text)
                {
                    special[text] = id.GetInt32();
                    vocab.TryAdd(text, id.GetInt32());
                }
            }
        }

        var start = Lookup(vocab, "<|startoftext|>", tokenizerJson);
        var end = Lookup(vocab, "<|endoftext|>", tokenizerJson);
        var pad = tokenizerConfigJson is null ? 0 : Lookup(vocab, ReadPadToken(tokenizerConfigJson), tokenizerConfigJson);
        var pattern = FindSplitPattern(root) ?? ClipPattern;
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ClipModelException($"{tokenizerJson}: the pre-tokenizer's regex is not valid in .NET ({e.Message}).", e);
        }

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(regex, special),
            Normalizer = new ClipNormalizer(HasLowercase(root)),
            EndOfWordSuffix = model.TryGetProperty("end_of_word_suffix", out var suffix) ? suffix.GetString() : null,
            ContinuingSubwordPrefix = model.TryGetProperty("continuing_subword_prefix", out var prefix) && prefix.GetString() is { Length: > 0 } p ? p : null,
            ByteLevel = true,
        };
        return new ClipTokenizer(BpeTokenizer.Create(options), start, end, pad, contextLength);
    }

    /// <summary>
    /// The <see cref="ContextLength"/> ids of <paramref name="text"/>: start of text, tokens (at most
    /// <see cref="ContextLength"/> − 2), end of text, pad ids.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[ContextLength];
        Encode(text, ids);
        return ids;
    }

    /// <summary>Writes the <see cref="ContextLength"/> ids of <paramref name="text"/> into <paramref name="destination"/>; returns how many precede the padding.</summary>
    public int Encode(string text, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = tokenizer.EncodeToIds(Clean(text));
        var kept = Math.Min(tokens.Count, ContextLength - 2);
        destination[0] = StartOfTextId;
        for (var i = 0; i < kept; i++)
        {
            destination[i + 1] = tokens[i];
        }

        destination[kept + 1] = EndOfTextId;
        destination[(kept + 2)..ContextLength].Fill(PadId);
        return kept + 2;
    }

    /// <summary>
    /// Tokens of <paramref name="text"/> with start and end of text, not cut to <see cref="ContextLength"/>: a prompt
    /// whose count exceeds the context length loses its end when it is encoded.
    /// </summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return tokenizer.EncodeToIds(Clean(text)).Count + 2;
    }

    // Immich's clean_text: runs of whitespace become one space, ends trimmed.
    private static string Clean(string text) => Whitespace().Replace(text, " ").Trim();

    private static int Lookup(Dictionary<string, int> vocab, string token, string file) =>
        vocab.TryGetValue(token, out var id) ? id : throw new ClipModelException($"{file}: token '{token}' is not in the vocabulary.");

    private static string ReadPadToken(string path)
    {
        using var doc = ClipModelFolder.ReadJson(path);
        if (!doc.RootElement.TryGetProperty("pad_token", out var pad))
        {
            throw new ClipModelException($"{path}: key 'pad_token' is missing.");
        }

        return (pad.ValueKind == JsonValueKind.Object && pad.TryGetProperty("content", out var content) ? content.GetString() : pad.GetString())
            ?? throw new ClipModelException($"{path}: key 'pad_token' is not a string.");
    }

    private static string? FindSplitPattern(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        IEnumerable<JsonElement> steps = pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToArray()
            : [pre];
        foreach (var step in steps)
        {
            if (step.TryGetProperty("type", out var type) && type.GetString() == "Split"
                && step.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex))
            {
                return regex.GetString();
            }
        }

        return null;
    }

    private static bool HasLowercase(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind != JsonValueKind.Object)
        {
            // OpenAI's tokenizer lower-cases; a file without a normalizer is taken to be such a file.
            return true;
        }

        IEnumerable<JsonElement> steps = normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToArray()
            : [normalizer];
        return steps.Any(s => s.TryGetProperty("type", out var type) && type.GetString() == "Lowercase");
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    private sealed class ClipNormalizer(bool lowercase) : Normalizer
    {
        public override string Normalize(string original) => Apply(original);

        public override string Normalize(ReadOnlySpan<char> original) => Apply(original.ToString());

        private string Apply(string text)
        {
            var nfc = text.Normalize(NormalizationForm.FormC);
            return lowercase ? nfc.ToLowerInvariant() : nfc;
        }
    }
}
