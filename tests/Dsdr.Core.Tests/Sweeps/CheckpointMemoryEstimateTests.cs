using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>Issue 15 part 2: a checkpoint model's memory is estimated from its config.json and checked against the slot.</summary>
public class CheckpointMemoryEstimateTests
{
    // Qwen3-1.7B's config.json (the fields the estimate reads, as published)
    private const string Qwen3_1_7B = """
        { "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 2048, "intermediate_size": 6144,
          "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
          "vocab_size": 151936, "tie_word_embeddings": true, "attention_bias": false, "rope_theta": 1000000 }
        """;

    private static string Folder(string config)
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-core-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        return folder;
    }

    // evaluation kept small (8 held-out problems, 1 sample each), so that training is what the slot must hold
    private static SweepSpec CheckpointSpec(string folder, double memoryGiB)
    {
        var spec = Valid(Minimal);
        return spec with
        {
            Model = new ModelSpec(null, folder, new SftSpec()), Resources = new ResourceSpec(DeviceKind.Cuda, memoryGiB),
            Task = spec.Task with { HeldOutSize = 8 }, Eval = spec.Eval with { AvgK = 1, PassKSamples = 1, DiversitySamples = 0 },
        };
    }

    [Fact]
    public void Qwen3_1_7B_has_its_published_parameter_count()
    {
        var shape = ModelShape.FromCheckpoint(Folder(Qwen3_1_7B))!;
        Assert.Equal(("qwen3", 128, true, false, true), (shape.Family, shape.HeadDim, shape.TiedEmbeddings, shape.QkvBias, shape.QkNorm));
        // V·d + L·(2·d·H·h + 2·d·K·h + 2·h + 3·d·I + 2·d) + d, h = 128 (not 2048 / 16 = 128 by chance: K = 8 changes k/v)
        const long d = 2048, h = 128, heads = 16, kv = 8, inner = 6144, layers = 28, vocab = 151936;
        Assert.Equal(vocab * d + layers * (2 * d * heads * h + 2 * d * kv * h + 2 * h + 3 * d * inner + 2 * d) + d, shape.Parameters());
        Assert.InRange(shape.Parameters(), 1.7e9, 2.1e9);   // "1.7B" counts without the embedding's share
    }

    [Fact]
    public void A_checkpoint_beyond_its_slot_is_refused_with_the_figure_and_the_knobs_that_fit()
    {
        var folder = Folder(Qwen3_1_7B);
        var config = TrainingConfig.Default with { PromptsPerStep = 4, GroupSize = 8, MiniBatchesPerStep = 1, MaxNewTokens = 1024 };
        var spec = CheckpointSpec(folder, memoryGiB: 80);
        var cost = TrialCostEstimate.Estimate(config, spec);
        Assert.NotNull(cost.MemoryGiB);
        Assert.True(cost.MemoryGiB > 80, $"estimate {cost.MemoryGiB} GiB");
        var problem = Assert.Single(TrialCostEstimate.Problems(config, spec, new SpecLimitOptions(MaxTokensPerTrial: long.MaxValue)));
        Assert.Equal("$.resources.memoryGiB", problem.Path);
        Assert.Contains($"needs about {TrialCostEstimate.GiBText(cost.MemoryGiB!.Value)}", problem.Reason);
        Assert.Contains("asks for 80 GiB", problem.Reason);
        // 4 × 8 rollouts of 1183 tokens: the activations (309 GiB, mostly the 151936-wide logits) need both knobs
        var match = System.Text.RegularExpressions.Regex.Match(problem.Reason,
            @"it fits with gradientCheckpointing: true with maxTokensPerMicroBatch: (\d+) \(([\d.]+) GiB\); otherwise lower");
        Assert.True(match.Success, problem.Reason);
        Assert.Contains("maxTokensPerMicroBatch", problem.Keys);
        var budget = int.Parse(match.Groups[1].Value);
        Assert.Equal(8 * cost.SequenceTokens, budget);   // one group of 8 rollouts per forward
        var both = config with { GradientCheckpointing = true, MaxTokensPerMicroBatch = budget };
        Assert.True(TrialCostEstimate.Estimate(both, spec).MemoryGiB <= 80);
        Assert.True(TrialCostEstimate.Estimate(config with { GradientCheckpointing = true }, spec).MemoryGiB > 80, "checkpointing alone is not named: it does not fit");
        Assert.True(TrialCostEstimate.Estimate(config with { MaxTokensPerMicroBatch = budget }, spec).MemoryGiB > 80, "micro-batches alone are not named: they do not fit");
        Assert.Empty(TrialCostEstimate.Problems(both, spec, new SpecLimitOptions(MaxTokensPerTrial: long.MaxValue)));
    }

    [Fact]
    public void Checkpointing_and_micro_batches_shrink_only_the_activations()
    {
        var spec = CheckpointSpec(Folder(Qwen3_1_7B), 1000);
        var config = TrainingConfig.Default with { PromptsPerStep = 16, GroupSize = 8, MiniBatchesPerStep = 1, MaxNewTokens = 2048 };
        var plain = TrialCostEstimate.Estimate(config, spec);
        var checkpointed = TrialCostEstimate.Estimate(config with { GradientCheckpointing = true }, spec);
        var micro = TrialCostEstimate.Estimate(config with { MaxTokensPerMicroBatch = 8 * plain.SequenceTokens }, spec);
        // the head's logits (3·V per token) are not checkpointed: at V = 151936 they are most of what remains
        Assert.True(checkpointed.ActivationGiB < plain.ActivationGiB / 3, $"{checkpointed.ActivationGiB} vs {plain.ActivationGiB}");
        Assert.Equal(plain.ActivationGiB / 16, micro.ActivationGiB, 9);   // one group of 8 rows instead of 128
        Assert.Equal((plain.WeightsGiB, plain.OptimizerGiB, plain.RolloutGiB), (checkpointed.WeightsGiB, checkpointed.OptimizerGiB, checkpointed.RolloutGiB));
    }

    [Fact]
    public void A_checkpoint_without_a_readable_config_keeps_an_unknown_estimate()
    {
        var spec = CheckpointSpec(Path.Combine(Path.GetTempPath(), "dsdr-no-such-folder-" + Guid.NewGuid().ToString("N")), 1);
        Assert.Null(TrialCostEstimate.Estimate(TrainingConfig.Default, spec).MemoryGiB);
        var bad = Folder("""{ "model_type": "llama", "hidden_size": 8 }""");
        Assert.Contains("model_type 'llama'", Assert.Throws<InvalidDataException>(() => ModelShape.FromCheckpoint(bad)).Message);
        Assert.Null(TrialCostEstimate.Estimate(TrainingConfig.Default, CheckpointSpec(bad, 1)).MemoryGiB);
    }
}
