using Dsdr.Learning.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

internal static class TestModels
{
    /// <summary>2 layers, d = 32, 4 query heads over 2 KV heads (grouped-query attention exercised), vocab 20.</summary>
    public static Qwen2Config Micro(bool tied = false, int kvHeads = 2) => new()
    {
        VocabSize = 20, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = kvHeads, TieWordEmbeddings = tied, MaxPositionEmbeddings = 64,
        RopeTheta = 10000, RmsNormEps = 1e-6,
    };

    /// <summary>A model with seeded random weights, biases and norm scales (not the flat initial ones).</summary>
    public static Qwen2ForCausalLM Create(Qwen2Config config, long seed = 1)
    {
        lock (Gate)
        {
            random.manual_seed(seed);
            var model = new Qwen2ForCausalLM(config, initSeed: seed);
            using var noGrad = no_grad();
            foreach (var (name, p) in model.named_parameters())
                if (!name.EndsWith("proj.weight") && !name.EndsWith("embed_tokens.weight") && name != "lm_head.weight")
                    p.add_(randn_like(p).mul_(0.1));
            // stronger weights give peaked, varied distributions
            foreach (var p in model.parameters()) p.mul_(5.0);
            model.eval();
            return model;
        }
    }

    public static readonly object Gate = new();

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>The checkout these tests run from (the folder holding Dsdr.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Dsdr.sln above {AppContext.BaseDirectory}; run the tests from a checkout of the repository.");
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "dsdr-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
