using System.Text.Json;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Tokenizers;
using static TorchSharp.torch;

namespace Dsdr.Cli.Tests;

public class GenerateCommandTests
{
    private const string Alphabet = "0123456789+-*/=() ";
    private static readonly Lazy<string> Folder = new(WriteCheckpoint);

    // A tiny random policy with a character tokenizer, saved as a checkpoint folder.
    private static string WriteCheckpoint()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        var tokenizer = new CharTokenizer(Alphabet);
        random.manual_seed(3);
        using var model = new Qwen2ForCausalLM(new Qwen2Config
        {
            VocabSize = tokenizer.VocabSize, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, TieWordEmbeddings = true, MaxPositionEmbeddings = 64,
        });
        using (no_grad())
            foreach (var p in model.parameters()) p.mul_(20.0);   // peaked distributions, so EOS is not certain
        Checkpoint.Save(model, folder, tokenizer);
        return folder;
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var result = CliRunner.Run(["generate", .. args]);
        return (result.Exit, result.Output, result.Error);
    }

    [Fact]
    public void GreedyTextEqualsTheSamplerAndRepeats()
    {
        var (code, output, error) = Run("--model", Folder.Value, "--prompt", "12+7=", "--temperature", "0", "--max-new-tokens", "10");
        Assert.True(code == 0, error);
        var tokenizer = TokenizerFiles.Load(Folder.Value);
        using var model = Checkpoint.Load(Folder.Value);
        var expected = new Sampler(model, tokenizer).Generate(["12+7="], new SamplingOptions(MaxNewTokens: 10, Temperature: 0))[0];
        Assert.Equal(tokenizer.Decode(expected.TokenIds) + Environment.NewLine, output);
        Assert.Equal(output, Run("--model", Folder.Value, "--prompt", "12+7=", "--temperature", "0", "--max-new-tokens", "10").Output);
    }

    [Fact]
    public void SampledJsonHasIdsLogProbsAndTextPerCompletion()
    {
        string[] args = ["--model", Folder.Value, "--prompt-ids", "5,6,7", "--n", "4", "--max-new-tokens", "8",
                         "--temperature", "1.0", "--top-p", "0.9", "--top-k", "10", "--seed", "9", "--json"];
        var (code, output, error) = Run(args);
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var tokenizer = TokenizerFiles.Load(Folder.Value);
        foreach (var line in lines)
        {
            var json = JsonDocument.Parse(line).RootElement;
            var ids = json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var logprobs = json.GetProperty("logprobs").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.InRange(ids.Length, 1, 8);
            Assert.Equal(ids.Length, logprobs.Length);
            Assert.All(logprobs, lp => Assert.True(lp <= 0));
            Assert.Equal(tokenizer.Decode(ids), json.GetProperty("text").GetString());
            Assert.Contains(json.GetProperty("finish").GetString(), new[] { "eos", "length" });
        }
        Assert.Equal(output, Run(args).Output);   // same seed, same samples
        Assert.NotEqual(output, Run([.. args[..^3], "10", "--json"]).Output);
    }

    [Theory]
    [InlineData("--model", "/no/such/folder", "--prompt", "1+1=", "--model")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--temperature", "-1", "--temperature")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--top-p", "1.5", "--top-p")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--n", "0", "--n")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--n", "many", "--n")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--top-k", "-2", "--top-k")]
    [InlineData("--model", "{folder}", "--prompt", "1+1=", "--max-new-tokens", "-5", "--max-new-tokens")]
    [InlineData("--model", "{folder}", "--prompt", "abc", "--prompt")]
    [InlineData("--model", "{folder}", "--prompt-ids", "1,x,3", "--prompt-ids")]
    [InlineData("--model", "{folder}", "--prompt-ids", "1,999", "--prompt-ids")]
    [InlineData("--model", "{folder}", "--prompt-ids", "1", "--prompt", "1", "--prompt")]
    [InlineData("--model", "{folder}", "--device", "tpu", "--prompt", "1", "--device")]
    [InlineData("--prompt", "1+1=", "--model")]
    [InlineData("--model", "{folder}", "--prompt", "1", "--bogus", "--bogus")]
    public void BadInputIsOneLineNamingTheOptionAndExitCodeTwo(params string[] argsThenOption)
    {
        var args = argsThenOption[..^1].Select(a => a.Replace("{folder}", Folder.Value)).ToArray();
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("dsdr: ", error);
        Assert.Contains(argsThenOption[^1], error);
    }

    [Fact]
    public void FolderWithoutWeightsIsNamed()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Folder.Value, "config.json"), Path.Combine(folder, "config.json"));
        new CharTokenizer(Alphabet).Save(folder);
        var (code, _, error) = Run("--model", folder, "--prompt", "1");
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors", error);
    }
}
