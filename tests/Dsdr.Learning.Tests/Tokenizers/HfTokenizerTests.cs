using System.Text.Json.Nodes;
using Dsdr.Learning.Tokenizers;
using static Dsdr.Learning.Tests.Tokenizers.TinyTokenizerJson;

namespace Dsdr.Learning.Tests.Tokenizers;

public class HfTokenizerTests
{
    private static HfTokenizer LoadTiny(bool qwenStyle, bool arrayMerges = false, params (string, string)[] extra) =>
        HfTokenizer.Load(WriteFolder(Build(qwenStyle, arrayMerges), extra));

    [Fact]
    public void AppliesMergesInRankOrder()
    {
        var gpt2 = LoadTiny(qwenStyle: false);
        Assert.Equal([Id("hello"), Id("Ġworld")], gpt2.Encode("hello world"));
        Assert.Equal(["the", "Ġanswer", "Ġis", "Ġ", "12"], gpt2.EncodeToTokens("the answer is 12"));
        // "t h" outranks "h e", so "hethe" is "he" + "the", never "he" + "t" + "he".
        Assert.Equal(["he", "the", "Ġthe", "Ġworld"], gpt2.EncodeToTokens("hethe the world"));
    }

    [Fact]
    public void Gpt2AndQwen2PreTokenizersSplitDigitsDifferently()
    {
        var gpt2 = LoadTiny(qwenStyle: false);
        var qwen = LoadTiny(qwenStyle: true);
        // GPT-2 keeps " 12" as one word; Qwen2 splits every digit and leaves the space alone.
        Assert.Equal([Id("x"), Id("Ġ="), Id("Ġx"), Id("Ġ+"), Id("Ġ"), Id("12")], gpt2.Encode("x = x + 12"));
        Assert.Equal([Id("x"), Id("Ġ="), Id("Ġx"), Id("Ġ+"), Id("Ġ"), Id("1"), Id("2")], qwen.Encode("x = x + 12"));
        Assert.Equal(HfTokenizer.Gpt2Pattern, gpt2.PreTokenizerPattern);
        Assert.Equal(Qwen2Pattern, qwen.PreTokenizerPattern);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EncodesSpecialTokensInTextAsSingleIds(bool qwenStyle)
    {
        var tok = LoadTiny(qwenStyle);
        var ids = tok.Encode("<|im_start|>user\nhello<|im_end|><|endoftext|>");
        Assert.Equal([ImStart, Id("u"), Id("s"), Id("er"), Id("Ċ"), Id("hello"), ImEnd, EndOfText], ids);
        Assert.Equal("user\nhello", tok.Decode(ids));
    }

    [Fact]
    public void KeepsNonSpecialAddedTokensWhenDecoding()
    {
        var tok = LoadTiny(qwenStyle: true);
        var ids = tok.Encode("<think>hello</think>");
        Assert.Equal(Think, ids[0]);
        Assert.Equal("<think>hello</think>", tok.Decode(ids));
    }

    [Fact]
    public void FallsBackToBytesForCharactersWithoutMerges()
    {
        var tok = LoadTiny(qwenStyle: true);
        Assert.Equal([0xC3, 0xBC], tok.Encode("ü"));
        Assert.Equal([0xF0, 0x9F, 0x99, 0x82], tok.Encode("🙂"));
        Assert.Equal([Id("cafÃ©")], tok.Encode("café"));
        Assert.Equal("ü🙂café", tok.Decode([0xC3, 0xBC, 0xF0, 0x9F, 0x99, 0x82, Id("cafÃ©")]));
        // A model's vocabulary may be padded past the tokenizer's: such ids decode to nothing.
        Assert.Equal("hello", tok.Decode([tok.VocabSize + 5, Id("hello")]));
    }

    [Theory]
    [InlineData(false, "hello world, the answer is 12.")]
    [InlineData(true, "hello world, the answer is 12.")]
    [InlineData(true, "naïve café — 数学 𝔽 ∑_{k=1}^{n} k = n(n+1)/2")]
    [InlineData(false, "naïve café — 数学 𝔽 ∑_{k=1}^{n} k = n(n+1)/2")]
    [InlineData(true, "  two  spaces\t\ttabs\n\nnew lines  \n trailing   ")]
    [InlineData(false, "  two  spaces\t\ttabs\n\nnew lines  \n trailing   ")]
    [InlineData(true, "I'LL say it's $5 < $6 ^ 2 > 1")]
    public void RoundTrips(bool qwenStyle, string text)
    {
        var tok = LoadTiny(qwenStyle);
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void EncodesConcurrently()
    {
        var tok = LoadTiny(qwenStyle: true);
        var texts = Enumerable.Range(0, 64).Select(i => $"<|im_start|>user\nthe answer is {i * 37} ü café<|im_end|>").ToArray();
        var expected = texts.Select(t => tok.Encode(t).ToArray()).ToArray();
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => actual[i] = tok.Encode(texts[i]).ToArray());
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ArrayAndStringMergesAreTheSame()
    {
        var strings = LoadTiny(qwenStyle: true);
        var arrays = LoadTiny(qwenStyle: true, arrayMerges: true);
        const string text = "hello world, the answer is café";
        Assert.Equal(strings.Encode(text), arrays.Encode(text));
    }

    [Fact]
    public void EosAndPadFallBackToEndOfTextWithoutConfigFiles()
    {
        var tok = LoadTiny(qwenStyle: true);
        Assert.Equal((EndOfText, EndOfText), (tok.EosId, tok.PadId));
        Assert.Equal([EndOfText], tok.StopIds);
        Assert.Equal(256 + Merges.Length + 4, tok.VocabSize);
    }

    [Fact]
    public void EosAndPadComeFromTokenizerConfigFirst()
    {
        var tok = LoadTiny(qwenStyle: true, arrayMerges: false,
            (HfTokenizer.ConfigFileName, """{"eos_token": {"content": "<|im_end|>", "special": true}, "pad_token": "<|endoftext|>"}"""),
            ("generation_config.json", $$"""{"eos_token_id": [{{ImEnd}}, {{EndOfText}}], "pad_token_id": {{ImStart}}}"""));
        Assert.Equal((ImEnd, EndOfText), (tok.EosId, tok.PadId));
        Assert.Equal([ImEnd, EndOfText], tok.StopIds);
    }

    [Fact]
    public void EosAndPadComeFromGenerationThenModelConfig()
    {
        var fromGeneration = LoadTiny(qwenStyle: true, arrayMerges: false,
            ("generation_config.json", $$"""{"eos_token_id": [{{ImEnd}}, {{EndOfText}}]}"""),
            ("config.json", $$"""{"eos_token_id": {{EndOfText}}, "pad_token_id": {{ImStart}}}"""));
        Assert.Equal((ImEnd, ImStart), (fromGeneration.EosId, fromGeneration.PadId));

        var fromModel = LoadTiny(qwenStyle: true, arrayMerges: false, ("config.json", $$"""{"eos_token_id": {{ImEnd}}, "pad_token_id": null}"""));
        Assert.Equal((ImEnd, ImEnd), (fromModel.EosId, fromModel.PadId));
    }

    [Fact]
    public void SaveThenLoadGivesTheSameTokenizer()
    {
        var tok = LoadTiny(qwenStyle: true, arrayMerges: true, (HfTokenizer.ConfigFileName, """{"eos_token": "<|im_end|>", "model_max_length": 4096}"""));
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-tok-saved-" + Guid.NewGuid().ToString("N"));
        tok.Save(folder);

        var loaded = Assert.IsType<HfTokenizer>(TokenizerFiles.Load(folder));
        const string text = "<|im_start|>user\nthe answer is 12 ü<|im_end|>";
        Assert.Equal(tok.Encode(text), loaded.Encode(text));
        Assert.Equal((tok.EosId, tok.PadId, tok.VocabSize), (loaded.EosId, loaded.PadId, loaded.VocabSize));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, HfTokenizer.ConfigFileName)))!;
        Assert.Equal(4096, config["model_max_length"]!.GetValue<int>());
    }

    [Fact]
    public void RejectsWhatItCannotTokenizeFaithfully()
    {
        var wordPiece = Build(qwenStyle: false);
        wordPiece["model"]!["type"] = "WordPiece";
        Assert.Contains("only byte-level BPE", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(WriteFolder(wordPiece))).Message);

        var whitespace = Build(qwenStyle: false);
        whitespace["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" };
        Assert.Contains("supported: ByteLevel", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(WriteFolder(whitespace))).Message);

        var badMerge = Build(qwenStyle: false);
        badMerge["model"]!["merges"]!.AsArray().Add("a b c");
        Assert.Contains("a merge is \"a b\"", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(WriteFolder(badMerge))).Message);

        var unknownMergeToken = Build(qwenStyle: false);
        unknownMergeToken["model"]!["merges"]!.AsArray().Add("zz q");
        Assert.Contains("inconsistent vocabulary", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(WriteFolder(unknownMergeToken))).Message);

        var badEos = WriteFolder(Build(qwenStyle: true), (HfTokenizer.ConfigFileName, """{"eos_token": "</s>"}"""));
        Assert.Contains("\"</s>\"", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(badEos)).Message);

        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(WriteFolder(Build(true), (HfTokenizer.ConfigFileName, "{oops")))).Message);
    }
}
