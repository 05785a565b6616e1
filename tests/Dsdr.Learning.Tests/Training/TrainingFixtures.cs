using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;
using Dsdr.Learning.Training;

namespace Dsdr.Learning.Tests.Training;

/// <summary>A cheap deterministic sentence "encoder": hashed character bigrams, L2-normalised (tests only; MiniLM is the real one).</summary>
internal sealed class BigramEmbedder : IEmbedder
{
    public int Dimension => 32;

    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) => texts.Select(Vector).ToList();

    private float[] Vector(string text)
    {
        var v = new float[Dimension];
        v[0] = 0.5f;                                  // empty text → e0
        for (var i = 0; i + 1 < text.Length; i++) v[(text[i] * 31 + text[i + 1]) % Dimension] += 1f;
        for (var i = 0; i < text.Length; i++) v[text[i] % Dimension] += 0.5f;
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}

/// <summary>A task whose verifier a test controls: correct when <paramref name="isCorrect"/> says so.</summary>
internal sealed class ScriptedTask(Func<string, bool> isCorrect) : IReasoningTask
{
    public string Name => "scripted";
    public Verdict Verify(string response, string gold) => new(isCorrect(response), response);
    public IFormulaExtractor Formulas => DefaultFormulaExtractor.Instance;
    public string? SolutionKey(string response, string gold) => isCorrect(response) ? response : null;
    public int? CountSolutions(string gold) => null;
}

internal static class TrainingFixtures
{
    public static readonly CharTokenizer Tokenizer = new(CountdownProblem.CompactAlphabet);

    /// <summary>2 layers, d = 32, vocab of the Countdown alphabet, context 32.</summary>
    public static Qwen2Config PolicyConfig => new()
    {
        VocabSize = Tokenizer.VocabSize, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2,
        NumAttentionHeads = 2, NumKeyValueHeads = 2, TieWordEmbeddings = true, MaxPositionEmbeddings = 32,
    };

    /// <summary>A seeded policy (same seed, same weights).</summary>
    public static Qwen2ForCausalLM Policy(long seed = 3) => TestModels.Create(PolicyConfig, seed);

    public static IReadOnlyList<Problem> Problems(int count = 64) =>
        CountdownGenerator.Generate(new CountdownConfig(), 11, count, SplitPart.Train).Select(p => p.ToProblem(PromptStyle.Compact)).ToList();

    /// <summary>A few-step config of the given arm: B = 4, G = 4, 2 mini-batches, 6 new tokens, warm-up 2.</summary>
    public static TrainingConfig Config(string arm, int steps = 3, int seed = 5) => ArmPresets.Get(arm).Resolve(
    [
        new("totalSteps", steps), new("promptsPerStep", 4), new("groupSize", 4), new("miniBatchesPerStep", 2),
        new("maxNewTokens", 6), new("overlongBufferLength", 2), new("learningRate", 1e-3), new("warmupSteps", 2),
    ], []) with { Seed = seed };

    public static Trainer Trainer(Qwen2ForCausalLM policy, TrainerOptions options, IReasoningTask? task = null) =>
        new(policy, Tokenizer, task ?? TaskCatalog.Get("countdown"), Problems(), new BigramEmbedder(), options);

    public static string TempFolder() => TestModels.TempFolder();
}
