using System.Diagnostics;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

public class SamplerTests
{
    private static readonly IReadOnlyList<IReadOnlyList<int>> Prompts = [[3, 9, 4, 1, 7], [12], [5, 5, 8]];

    private static Qwen2ForCausalLM Model() => TestModels.Create(TestModels.Micro());

    /// <summary>log_softmax of one full forward over prompt + completion, at the completion's tokens.</summary>
    // log_softmax(z / T) of one full forward over prompt + completion, at the completion's positions
    private static float[] FullForwardLogProbs(Qwen2ForCausalLM model, IReadOnlyList<int> prompt, IReadOnlyList<int> completion, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sequence = prompt.Concat(completion).Select(i => (long)i).ToArray();
        var logProbs = model.forward(tensor(sequence, [1, sequence.Length])).div(temperature).log_softmax(-1)[0];
        return completion.Select((token, t) => logProbs[prompt.Count - 1 + t, token].item<float>()).ToArray();
    }

    [Fact]
    public void GreedyWithCacheEqualsGreedyRecomputingAndArgmaxOfFullForward()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var cached = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0));
        var recomputed = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0, UseKvCache: false));
        for (var i = 0; i < Prompts.Count; i++)
        {
            Assert.Equal(12, cached[i].Length);
            Assert.True(cached[i].Truncated);
            Assert.Equal(recomputed[i].TokenIds, cached[i].TokenIds);
            // each greedy token is the argmax of a full forward over everything before it
            using var scope = NewDisposeScope();
            var sequence = Prompts[i].Concat(cached[i].TokenIds).Select(t => (long)t).ToArray();
            var argmax = model.forward(tensor(sequence, [1, sequence.Length])).argmax(-1)[0];
            for (var t = 0; t < 12; t++) Assert.Equal(cached[i].TokenIds[t], argmax[Prompts[i].Count - 1 + t].item<long>());
        }
    }

    [Fact]
    public void BatchedLeftPaddedGenerationEqualsOnePromptAtATime()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var options = new SamplingOptions(MaxNewTokens: 10, Temperature: 0);
        var batched = sampler.Generate(Prompts, options);
        for (var i = 0; i < Prompts.Count; i++)
            Assert.Equal(sampler.Generate([Prompts[i]], options)[0].TokenIds, batched[i].TokenIds);
    }

    [Fact]
    public void ReturnedLogProbsEqualTemperedLogSoftmaxOfAFullForward()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var completions = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 15, Temperature: 0.8, TopP: 0.9, Seed: 7));
        foreach (var completion in completions)
        {
            var expected = FullForwardLogProbs(model, Prompts[completion.PromptIndex], completion.TokenIds, temperature: 0.8);
            for (var t = 0; t < expected.Length; t++)
                // the logits' float error (1e-5) is divided by T as well
                Assert.True(Math.Abs(expected[t] - completion.LogProbs[t]) < 1e-5 / 0.8, $"token {t}: {completion.LogProbs[t]} vs full forward {expected[t]}");
            // the sampling distribution was also cut to the nucleus, so its log-probs are not the unfiltered tempered ones
            Assert.All(completion.SamplingLogProbs, lp => Assert.True(lp <= 0));
        }
        // at temperature 1 without filters both are the same
        var plain = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 6, Seed: 3));
        foreach (var completion in plain)
            for (var t = 0; t < completion.Length; t++)
                Assert.True(Math.Abs(completion.LogProbs[t] - completion.SamplingLogProbs[t]) < 1e-5);
    }

    [Fact]
    public void TemperatureNearZeroEqualsGreedy()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var greedy = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0));
        var cold = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 1e-4, Seed: 11));
        for (var i = 0; i < Prompts.Count; i++) Assert.Equal(greedy[i].TokenIds, cold[i].TokenIds);
        Assert.All(greedy.SelectMany(c => c.SamplingLogProbs), lp => Assert.Equal(0f, lp));
    }

    [Fact]
    public void SameSeedSameSamplesOtherSeedOtherSamples()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var options = new SamplingOptions(MaxNewTokens: 20, Temperature: 1.0, Seed: 42);
        var a = sampler.Generate(Prompts, options);
        var b = sampler.Generate(Prompts, options);
        var c = sampler.Generate(Prompts, options with { Seed = 43 });
        for (var i = 0; i < Prompts.Count; i++)
        {
            Assert.Equal(a[i].TokenIds, b[i].TokenIds);
            Assert.Equal(a[i].LogProbs, b[i].LogProbs);
        }
        Assert.NotEqual(a.SelectMany(x => x.TokenIds), c.SelectMany(x => x.TokenIds));
    }

    [Fact]
    public void SamplesPerPromptShareOnePrefillAndMatchRepeatedPrompts()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        IReadOnlyList<IReadOnlyList<int>> repeated = [.. Prompts.SelectMany(p => Enumerable.Repeat(p, 4))];
        var options = new SamplingOptions(MaxNewTokens: 10, Temperature: 0);
        var grouped = sampler.Generate(Prompts, options, samplesPerPrompt: 4);
        var plain = sampler.Generate(repeated, options);
        Assert.Equal(12, grouped.Count);
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(i / 4, grouped[i].PromptIndex);
            Assert.Equal(plain[i].TokenIds, grouped[i].TokenIds);
        }

        var sampled = sampler.Generate(Prompts, options with { Temperature = 1.0, Seed = 5 }, samplesPerPrompt: 4);
        Assert.True(sampled.Take(4).Select(c => string.Join(",", c.TokenIds)).Distinct().Count() > 1, "samples of one prompt should differ");
        foreach (var completion in sampled)
        {
            var expected = FullForwardLogProbs(model, Prompts[completion.PromptIndex], completion.TokenIds);
            for (var t = 0; t < expected.Length; t++) Assert.True(Math.Abs(expected[t] - completion.LogProbs[t]) < 1e-5);
        }
        var again = sampler.Generate(Prompts, options with { Temperature = 1.0, Seed = 5 }, samplesPerPrompt: 4);
        Assert.Equal(sampled.SelectMany(c => c.TokenIds), again.SelectMany(c => c.TokenIds));
    }

    [Fact]
    public void TopPKeepsOnlyTheNucleus()
    {
        using var scope = NewDisposeScope();
        // probabilities 0.5, 0.3, 0.15, 0.05 (shuffled order)
        var logits = tensor(new[] { 0.15f, 0.5f, 0.05f, 0.3f }).log().unsqueeze(0);
        bool[] Kept(double p) => Sampler.FilterLogits(logits, 0, p).isfinite()[0].data<bool>().ToArray();
        Assert.Equal([false, true, false, false], Kept(0.4));    // 0.5 already reaches 0.4
        Assert.Equal([false, true, false, true], Kept(0.7));     // 0.5 + 0.3
        Assert.Equal([true, true, false, true], Kept(0.9));      // 0.5 + 0.3 + 0.15
        Assert.Equal([true, true, true, true], Kept(1.0));
        Assert.Equal([false, true, false, true], Sampler.FilterLogits(logits, 2, 1.0).isfinite()[0].data<bool>().ToArray());

        // and sampling draws only nucleus tokens, with renormalised probabilities
        var many = logits.expand(4000, 4);
        using var generator = new Generator(5);
        var (tokens, _, samplingLogProbs) = Sampler.ChooseTokens(many, new SamplingOptions(TopP: 0.7), generator);
        var drawn = tokens.data<long>().ToArray();
        Assert.All(drawn, t => Assert.True(t == 1 || t == 3));
        Assert.InRange(drawn.Count(t => t == 1) / 4000.0, 0.5 / 0.8 - 0.03, 0.5 / 0.8 + 0.03);
        var lp = samplingLogProbs.data<float>().ToArray();
        for (var i = 0; i < drawn.Length; i++)
            Assert.Equal(Math.Log(drawn[i] == 1 ? 0.5 / 0.8 : 0.3 / 0.8), lp[i], 4);
    }

    [Fact]
    public void TopKAndTopPRestrictSampledTokensOfTheModel()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: null);
        var completions = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 20, TopK: 1, Seed: 1));
        var greedy = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 20, Temperature: 0));
        for (var i = 0; i < Prompts.Count; i++) Assert.Equal(greedy[i].TokenIds, completions[i].TokenIds);
    }

    [Fact]
    public void StopsAtEosAndAtStopStrings()
    {
        using var model = Model();
        var free = new Sampler(model, eosId: null).Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0));
        var eos = free[0].TokenIds[4];
        var firstEos = Array.IndexOf(free[0].TokenIds, eos);
        var stopped = new Sampler(model, eosId: eos).Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0));
        Assert.Equal(FinishReason.Eos, stopped[0].Finish);
        Assert.Equal(free[0].TokenIds.Take(firstEos + 1), stopped[0].TokenIds);
        Assert.Equal(firstEos + 1, stopped[0].LogProbs.Length);
        for (var i = 0; i < Prompts.Count; i++)   // every row: cut at its own first EOS, or not at all
        {
            var at = Array.IndexOf(free[i].TokenIds, eos);
            Assert.Equal(at < 0 ? free[i].TokenIds : free[i].TokenIds.Take(at + 1), stopped[i].TokenIds);
            Assert.Equal(at < 0 ? FinishReason.Length : FinishReason.Eos, stopped[i].Finish);
        }

        // stop strings through a character tokenizer: ids 2… are the alphabet's characters
        var tokenizer = new CharTokenizer("abcdefghijklmnopqr");
        var text = tokenizer.Decode(free[0].TokenIds);
        var stop = text.Substring(5, 2);
        var expectedEnd = text.IndexOf(stop, StringComparison.Ordinal) + 2;
        var withTokenizer = new Sampler(model, tokenizer).Generate(Prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0, StopOnEos: false, StopStrings: [stop]));
        Assert.Equal(FinishReason.StopString, withTokenizer[0].Finish);
        Assert.Equal(text[..expectedEnd], tokenizer.Decode(withTokenizer[0].TokenIds));
    }

    [Fact]
    public void BadRequestsAreRejectedWithReasons()
    {
        using var model = Model();
        var sampler = new Sampler(model, eosId: 1);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => sampler.Generate([[]], new SamplingOptions())).Message);
        Assert.Contains("outside the model's vocabulary", Assert.Throws<ArgumentException>(() => sampler.Generate([[1, 20]], new SamplingOptions())).Message);
        Assert.Contains("TopP", Assert.Throws<ArgumentException>(() => sampler.Generate(Prompts, new SamplingOptions(TopP: 0))).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => sampler.Generate(Prompts, new SamplingOptions(Temperature: -1))).Message);
        Assert.Contains("tokenizer", Assert.Throws<InvalidOperationException>(() => sampler.Generate(Prompts, new SamplingOptions(StopStrings: ["x"]))).Message);
        var none = sampler.Generate(Prompts, new SamplingOptions(MaxNewTokens: 0));
        Assert.All(none, c => Assert.Empty(c.TokenIds));
    }

}

public class RolloutBatchTests
{
    // On-policy, the PPO ratio ρ_t = π_θ(y_t)/π_old(y_t) is 1 at any sampling temperature: both sides are
    // log_softmax(z/T) of the same logits (the sampler's incremental forward and the packed training forward).
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.6)]
    [InlineData(1.5)]
    public void OnPolicyRatioIsOneAtTheSamplingTemperature(double temperature)
    {
        using var model = TestModels.Create(TestModels.Micro());
        IReadOnlyList<IReadOnlyList<int>> prompts = [[3, 9, 4, 1, 7], [12], [5, 5, 8]];
        var eos = new Sampler(model, eosId: null).Generate(prompts, new SamplingOptions(MaxNewTokens: 12, Temperature: 0))[1].TokenIds[3];
        var completions = new Sampler(model, eosId: eos).Generate([.. prompts, .. prompts], new SamplingOptions(MaxNewTokens: 12, Temperature: temperature, Seed: 4));
        Assert.True(completions.Select(c => c.Length).Distinct().Count() > 1, "want ragged responses");

        using var batch = RolloutBatch.Create([.. prompts, .. prompts], completions, temperature);
        Assert.Equal(5, batch.PromptWidth);
        Assert.Equal(completions.Max(c => c.Length), batch.ResponseWidth);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var responseLogits = batch.ResponseLogits(model);
        var logProbs = batch.TokenLogProbs(responseLogits);
        var ratioError = logProbs.sub(batch.OldLogProbs).exp().sub(1.0).abs().mul(batch.ResponseMask).max().item<float>();
        // the two forwards (incremental with a KV cache, packed) sum in other orders, so they agree to float32 rounding
        // of the logits: a few ulps of the largest |z/T| (ulp ≈ 1.2e-7·|z|), whatever kernels this CPU picks
        var rounding = 1e-6 * Math.Max(1.0, responseLogits.abs().max().item<float>());
        Assert.True(ratioError < rounding, $"on-policy |ρ − 1| reaches {ratioError} at T = {temperature}, over float32 rounding {rounding:g3}");
        Assert.Equal(completions.Sum(c => c.Length), batch.ResponseMask.sum().item<float>());

        // the bias this guards against: log-probs of the untempered logits are another distribution when T ≠ 1
        var untempered = batch.TokenLogProbs(responseLogits.mul(temperature));
        var bias = untempered.sub(batch.OldLogProbs).exp().sub(1.0).abs().mul(batch.ResponseMask).max().item<float>();
        if (temperature != 1.0) Assert.True(bias > 1e-2, $"temperature-1 log-probs should be off at T = {temperature}, |ρ − 1| only {bias}");
    }

    [Fact]
    public void ATemperatureThatIsNotPositiveIsRefused()
    {
        using var model = TestModels.Create(TestModels.Micro());
        var completions = new Sampler(model, eosId: null).Generate([[3, 9]], new SamplingOptions(MaxNewTokens: 2, Seed: 1));
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => RolloutBatch.Create([[3, 9]], completions, 0)).Message);
    }
}

/// <summary>Measures the whole process's memory, so it runs alone (other tests load models too).</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public class MemoryTestsCollection;

[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    private static readonly IReadOnlyList<IReadOnlyList<int>> Prompts = [[3, 9, 4, 1, 7], [12], [5, 5, 8]];

    [Fact]
    public void TwoHundredSamplingCallsKeepMemoryFlat()
    {
        using var model = TestModels.Create(TestModels.Micro());
        var sampler = new Sampler(model, eosId: 2);
        var options = new SamplingOptions(MaxNewTokens: 16, Temperature: 1.0, TopP: 0.95, TopK: 10);
        for (var i = 0; i < 10; i++) sampler.Generate(Prompts, options with { Seed = (ulong)i });   // warm up

        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var memoryBefore = ResidentBytes();
        for (var i = 0; i < 200; i++) sampler.Generate(Prompts, options with { Seed = (ulong)(100 + i) });
        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var grown = ResidentBytes() - memoryBefore;

        Assert.Equal(liveBefore, liveAfter);
        Assert.True(grown < 20L << 20, $"resident memory grew by {grown >> 20} MiB over 200 sampling calls");
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
