using System.Diagnostics;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Tokenizers;
using static TorchSharp.torch;

namespace Dsdr.Learning.Evaluation;

/// <summary>
/// Evaluation on held-out problems (spec §7): Pass@1 from one rollout per problem at
/// <see cref="EvalSpec.Pass1Temperature"/> / <see cref="EvalSpec.Pass1TopP"/>; Avg@k from k =
/// <see cref="EvalSpec.AvgK"/> rollouts at <see cref="EvalSpec.AvgTemperature"/> / <see cref="EvalSpec.TopP"/>; pass@k for
/// k = 1, 2, 4, …, n from n = <see cref="EvalSpec.PassKSamples"/> rollouts at the same temperature and top-p (unbiased
/// estimator). When n = k the Avg@k rollouts are reused for pass@k (they are draws from the same distribution), saving one
/// generation. Distinct correct solutions, share of existing solutions found, and the mean pairwise semantic (skipped
/// without an embedder) and formula similarity of correct answers are computed on the pass@k rollouts, and again on
/// <see cref="EvalSpec.DiversitySamples"/> rollouts at <see cref="EvalSpec.DiversityTemperature"/> /
/// <see cref="EvalSpec.DiversityTopP"/> (the "diversity…" figures; the pass@k rollouts are reused when they are drawn
/// the same way). The report carries one outcome per problem; every figure is their mean.
/// The model is put in eval mode for the call (its mode is restored) and generates without gradients; the same
/// model, problems, spec and seed give the same figures.
/// </summary>
public static class Evaluator
{
    private const ulong Pass1Stream = 1, AvgStream = 2, PassKStream = 3, DiversityStream = 4;

    public static EvalReport Evaluate(Qwen2ForCausalLM model, ITokenizer tokenizer, IReasoningTask task, string benchmark,
        IReadOnlyList<Problem> problems, EvalSpec spec, IEmbedder? embedder, int step, int seed, CancellationToken ct) =>
        Evaluate(model, tokenizer, task, benchmark, problems, spec, embedder, step, seed, EvalOptions.Default, ct);

    public static EvalReport Evaluate(Qwen2ForCausalLM model, ITokenizer tokenizer, IReasoningTask task, string benchmark,
        IReadOnlyList<Problem> problems, EvalSpec spec, IEmbedder? embedder, int step, int seed, EvalOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        Validate(spec, options, problems);
        var clock = Stopwatch.StartNew();

        var prompts = problems.Select(p => tokenizer.Encode(p.Prompt)).ToList();
        var maxNewTokens = MaxNewTokens(model.Config, prompts, options);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var sampler = new Sampler(model, tokenizer);
            Generation Generate(int samples, double temperature, double topP, ulong stream) =>
                new(sampler, tokenizer, prompts, samples, new SamplingOptions(maxNewTokens, temperature, topP, StopStrings: options.StopStrings),
                    StreamSeed(seed, stream), options.MaxRowsPerBatch);

            var pass1 = Generate(1, spec.Pass1Temperature, spec.Pass1TopP, Pass1Stream).Run(ct);
            var avg = Generate(spec.AvgK, spec.AvgTemperature, spec.TopP, AvgStream).Run(ct);
            var passK = spec.PassKSamples == spec.AvgK ? avg : Generate(spec.PassKSamples, spec.AvgTemperature, spec.TopP, PassKStream).Run(ct);
            var diversity = spec.DiversitySamples == 0 ? null
                : DiversityReusesPassK(spec) ? passK
                : Generate(spec.DiversitySamples, spec.DiversityTemperature, spec.DiversityTopP, DiversityStream).Run(ct);
            ct.ThrowIfCancellationRequested();

            var avgScored = Score(task, problems, avg, embedder: null);
            var passKScored = ReferenceEquals(passK, avg) && embedder is null ? avgScored : Score(task, problems, passK, embedder);
            var diversityScored = diversity is null ? null : ReferenceEquals(diversity, passK) ? passKScored : Score(task, problems, diversity, embedder);
            var ids = UniqueIds(problems);
            var answers = problems.Select((p, i) => new ProblemAnswers(ids[i],
                task.Verify(pass1[i][0], p.Gold).Correct, avgScored[i], passKScored[i], task.CountSolutions(p.Gold), diversityScored?[i])).ToList();
            var outcomes = EvalAggregation.Outcomes(benchmark, answers);
            return new EvalReport(step, EvalAggregation.Figures(outcomes), clock.Elapsed.TotalSeconds, outcomes);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Verifies every answer; embeds the correct ones in one call when an embedder is given.</summary>
    private static IReadOnlyList<ScoredAnswer>[] Score(IReasoningTask task, IReadOnlyList<Problem> problems, IReadOnlyList<string[]> texts, IEmbedder? embedder)
    {
        var scored = problems.Select((p, i) => texts[i].Select(text =>
        {
            var correct = task.Verify(text, p.Gold).Correct;
            return new ScoredAnswer(correct, correct ? task.SolutionKey(text, p.Gold) : null,
                correct ? task.Formulas.Extract(text) : new HashSet<string>());
        }).ToArray()).ToArray();
        if (embedder is null) return scored;

        var correctTexts = new List<(int Problem, int Answer)>();
        for (var i = 0; i < scored.Length; i++)
            for (var j = 0; j < scored[i].Length; j++)
                if (scored[i][j].Correct) correctTexts.Add((i, j));
        if (correctTexts.Count == 0) return scored;
        var embeddings = embedder.Embed([.. correctTexts.Select(c => texts[c.Problem][c.Answer])]);
        if (embeddings.Count != correctTexts.Count)
            throw new InvalidOperationException($"The embedder returned {embeddings.Count} vectors for {correctTexts.Count} texts.");
        for (var e = 0; e < correctTexts.Count; e++)
        {
            var (i, j) = correctTexts[e];
            scored[i][j] = scored[i][j] with { Embedding = embeddings[e] };
        }
        return scored;
    }

    /// <summary>The diversity rollouts would be drawn as the pass@k ones are: reuse those.</summary>
    internal static bool DiversityReusesPassK(EvalSpec spec) =>
        spec.DiversitySamples == spec.PassKSamples && spec.DiversityTemperature == spec.AvgTemperature && spec.DiversityTopP == spec.TopP;

    /// <summary>Problem ids made unique within the benchmark: a repeated id gets "#2", "#3", … (a benchmark file may repeat one).</summary>
    internal static IReadOnlyList<string> UniqueIds(IReadOnlyList<Problem> problems)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        return [.. problems.Select(p =>
        {
            var n = seen[p.Id] = seen.GetValueOrDefault(p.Id) + 1;
            return n == 1 ? p.Id : $"{p.Id}#{n}";
        })];
    }

    /// <summary>The explicit option, else the context left after the longest prompt (capped).</summary>
    internal static int MaxNewTokens(Qwen2Config config, IReadOnlyList<IReadOnlyList<int>> prompts, EvalOptions options)
    {
        var longest = prompts.Max(p => p.Count);
        var room = config.MaxPositionEmbeddings - longest;
        var wanted = options.MaxNewTokens ?? Math.Min(room, EvalOptions.DefaultMaxNewTokensCap);
        if (wanted < 1 || wanted > room)
            throw new ArgumentException(
                $"Cannot generate {wanted} new tokens after a prompt of {longest} tokens: the model's context is {config.MaxPositionEmbeddings}. " +
                "Use shorter prompts (e.g. the compact prompt style), a model with a longer context, or a smaller EvalOptions.MaxNewTokens.");
        return wanted;
    }

    // seed of one generation stream: SplitMix64(seed · 4 + stream), stream ∈ {1, 2, 3, 4}: no two (seed, stream) share a seed
    internal static ulong StreamSeed(int seed, ulong stream) => SplitMix((ulong)(uint)seed * 4 + stream);

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static void Validate(EvalSpec spec, EvalOptions options, IReadOnlyList<Problem> problems)
    {
        if (problems.Count == 0) throw new ArgumentException("No problems to evaluate: give at least one held-out problem.", nameof(problems));
        if (spec.AvgK < 1) throw new ArgumentException($"EvalSpec.AvgK must be ≥ 1, got {spec.AvgK}.", nameof(spec));
        if (spec.PassKSamples < 1) throw new ArgumentException($"EvalSpec.PassKSamples must be ≥ 1, got {spec.PassKSamples}.", nameof(spec));
        if (!(spec.Pass1Temperature >= 0)) throw new ArgumentException($"EvalSpec.Pass1Temperature must be ≥ 0, got {spec.Pass1Temperature}.", nameof(spec));
        if (!(spec.AvgTemperature >= 0)) throw new ArgumentException($"EvalSpec.AvgTemperature must be ≥ 0, got {spec.AvgTemperature}.", nameof(spec));
        if (!(spec.Pass1TopP is > 0 and <= 1)) throw new ArgumentException($"EvalSpec.Pass1TopP must lie in (0, 1], got {spec.Pass1TopP}.", nameof(spec));
        if (!(spec.TopP is > 0 and <= 1)) throw new ArgumentException($"EvalSpec.TopP must lie in (0, 1], got {spec.TopP}.", nameof(spec));
        if (spec.DiversitySamples < 0) throw new ArgumentException($"EvalSpec.DiversitySamples must be ≥ 0 (0: none), got {spec.DiversitySamples}.", nameof(spec));
        if (!(spec.DiversityTemperature >= 0)) throw new ArgumentException($"EvalSpec.DiversityTemperature must be ≥ 0, got {spec.DiversityTemperature}.", nameof(spec));
        if (!(spec.DiversityTopP is > 0 and <= 1)) throw new ArgumentException($"EvalSpec.DiversityTopP must lie in (0, 1], got {spec.DiversityTopP}.", nameof(spec));
        var mostSamples = Math.Max(Math.Max(spec.AvgK, spec.PassKSamples), spec.DiversitySamples);
        if (options.MaxRowsPerBatch < mostSamples)
            throw new ArgumentException(
                $"EvalOptions.MaxRowsPerBatch ({options.MaxRowsPerBatch}) must hold at least one problem's samples ({mostSamples}).", nameof(options));
    }

    /// <summary>One stream of samples over all problems, generated in chunks of at most maxRows sequences.</summary>
    private sealed class Generation(Sampler sampler, ITokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, int samples,
        SamplingOptions options, ulong seed, int maxRows)
    {
        /// <summary>texts[i][j] = sample j of problem i, decoded (EOS dropped).</summary>
        public IReadOnlyList<string[]> Run(CancellationToken ct)
        {
            var texts = new string[prompts.Count][];
            var perChunk = Math.Max(1, maxRows / samples);
            for (int start = 0, chunk = 0; start < prompts.Count; start += perChunk, chunk++)
            {
                ct.ThrowIfCancellationRequested();
                var count = Math.Min(perChunk, prompts.Count - start);
                var completions = sampler.Generate(prompts.Skip(start).Take(count).ToList(), options with { Seed = SplitMix(seed + (ulong)chunk) }, samples);
                for (var i = 0; i < count; i++)
                    texts[start + i] = [.. Enumerable.Range(0, samples).Select(j => tokenizer.Decode(completions[i * samples + j].TokenIds))];
            }
            return texts;
        }
    }
}
