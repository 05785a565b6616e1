using Dsdr.Learning.Compute;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Sampling;

/// <summary>
/// Batched generation with a KV cache: one prefill over the left-padded prompts, then one token per step.
/// Rows that finished are dropped from the batch (and the cache) as they accumulate. Not thread-safe: one
/// generation at a time per model.
/// </summary>
public sealed class Sampler
{
    private readonly Qwen2ForCausalLM model;
    private readonly ITokenizer? tokenizer;
    private readonly int? eosId;

    /// <summary>A sampler that stops at the tokenizer's EOS and can honour stop strings.</summary>
    public Sampler(Qwen2ForCausalLM model, ITokenizer tokenizer)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        eosId = tokenizer.EosId;
    }

    /// <summary>A sampler over raw ids; <paramref name="eosId"/> null = no EOS (stop strings unavailable).</summary>
    public Sampler(Qwen2ForCausalLM model, int? eosId)
    {
        this.model = model;
        this.eosId = eosId;
    }

    public IReadOnlyList<Completion> Generate(IReadOnlyList<string> prompts, SamplingOptions options) =>
        tokenizer is null
            ? throw new InvalidOperationException("Text prompts need a tokenizer: construct the Sampler with one.")
            : Generate(prompts.Select(tokenizer.Encode).ToList(), options);

    /// <summary>Completions for each prompt (token ids, each non-empty), in prompt order.</summary>
    public IReadOnlyList<Completion> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options) =>
        Generate(prompts, options, samplesPerPrompt: 1);

    /// <summary>
    /// <paramref name="samplesPerPrompt"/> completions of each prompt (a GRPO group), prompt-major: completion
    /// i·G + j is sample j of prompt i (its PromptIndex is i). Each distinct prompt is prefilled once and its
    /// cache shared by its samples.
    /// </summary>
    public IReadOnlyList<Completion> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, int samplesPerPrompt)
    {
        options.Validate();
        ValidatePrompts(prompts);
        if (samplesPerPrompt < 1) throw new ArgumentException($"samplesPerPrompt must be ≥ 1, got {samplesPerPrompt}.", nameof(samplesPerPrompt));
        if (options.StopStrings is { Count: > 0 } && tokenizer is null)
            throw new InvalidOperationException("Stop strings need a tokenizer: construct the Sampler with one.");

        var run = new GenerationRun(model, prompts, samplesPerPrompt, options, eosId, tokenizer);
        return run.Execute();
    }

    private void ValidatePrompts(IReadOnlyList<IReadOnlyList<int>> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("No prompts given.", nameof(prompts));
        var vocab = model.Config.VocabSize;
        for (var i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Count == 0) throw new ArgumentException($"Prompt {i} is empty; every prompt needs at least one token.", nameof(prompts));
            foreach (var id in prompts[i])
                if (id < 0 || id >= vocab)
                    throw new ArgumentException($"Prompt {i} has token id {id}, outside the model's vocabulary 0…{vocab - 1}.", nameof(prompts));
        }
    }

    /// <summary>
    /// Picks the next token of each row from last-position logits [B, V] (float32). Returns the tokens [B, 1], their
    /// log-probabilities at the sampling temperature log_softmax(logits / T), unfiltered (T = 1 when greedy) — the π_old a
    /// training forward at the same T is compared against — and their log-probabilities under the distribution actually
    /// sampled from (also top-k/top-p filtered).
    /// </summary>
    public static (Tensor Tokens, Tensor LogProbs, Tensor SamplingLogProbs) ChooseTokens(Tensor logits, SamplingOptions options, Generator? generator)
    {
        if (options.IsGreedy)
        {
            var greedy = logits.argmax(-1, keepdim: true);
            return (greedy, logits.log_softmax(-1).gather(-1, greedy), zeros_like(greedy, ScalarType.Float32));
        }
        using var temperature = options.Temperature.ToScalar();
        // z / T
        var tempered = logits.div(temperature);
        var logProbs = tempered.log_softmax(-1);
        var samplingLogProbs = FilterLogits(tempered, options.TopK, options.TopP).log_softmax(-1);
        var tokens = samplingLogProbs.exp().multinomial(1, replacement: false, generator: generator);
        return (tokens, logProbs.gather(-1, tokens), samplingLogProbs.gather(-1, tokens));
    }

    /// <summary>
    /// Sets to −∞ every logit outside the top <paramref name="topK"/> (0 = off) and outside the nucleus: the smallest
    /// set of most likely tokens whose softmax mass reaches <paramref name="topP"/> (1 = off). Rows of [B, V].
    /// </summary>
    public static Tensor FilterLogits(Tensor logits, int topK, double topP)
    {
        var vocab = logits.shape[^1];
        if (topK > 0 && topK < vocab)
        {
            var kth = logits.topk(topK, -1).values.narrow(-1, topK - 1, 1);
            logits = logits.masked_fill(logits.lt(kth), Scalars.NegativeInfinity);
        }
        if (topP < 1.0)
        {
            var (sorted, order) = logits.sort(-1, descending: true);
            var probabilities = sorted.softmax(-1);
            // token i (by falling probability) is outside the nucleus when the mass before it already reaches p
            var massBefore = probabilities.cumsum(-1).sub_(probabilities);
            using var nucleus = topP.ToScalar();
            var outsideSorted = massBefore.ge(nucleus);
            var outside = zeros_like(outsideSorted).scatter_(-1, order, outsideSorted);
            logits = logits.masked_fill(outside, Scalars.NegativeInfinity);
        }
        return logits;
    }
}

/// <summary>The state of one Generate call: host-side token book-keeping around the model's steps.</summary>
internal sealed class GenerationRun
{
    private readonly Qwen2ForCausalLM model;
    private readonly IReadOnlyList<IReadOnlyList<int>> prompts;   // one per completion: prompt i / G
    private readonly int samplesPerPrompt;                        // G
    private readonly SamplingOptions options;
    private readonly int? eosId;
    private readonly ITokenizer? tokenizer;
    private readonly int promptWidth;                 // P: prompts are left-padded to it
    private readonly List<int>[] tokens;
    private readonly List<float>[] logProbs;
    private readonly List<float>[] samplingLogProbs;
    private readonly FinishReason?[] finish;
    private readonly int[] decodedLength;             // for stop strings: decoded text length before the newest token
    private int[] rows;                               // batch row → completion index
    private readonly List<int> doneInBatch = [];      // batch rows that finished but are still in the batch

    public GenerationRun(Qwen2ForCausalLM model, IReadOnlyList<IReadOnlyList<int>> distinctPrompts, int samplesPerPrompt, SamplingOptions options, int? eosId, ITokenizer? tokenizer)
    {
        this.model = model;
        this.samplesPerPrompt = samplesPerPrompt;
        prompts = Enumerable.Range(0, distinctPrompts.Count * samplesPerPrompt).Select(i => distinctPrompts[i / samplesPerPrompt]).ToList();
        this.options = options;
        this.eosId = options.StopOnEos ? eosId : null;
        this.tokenizer = tokenizer;
        promptWidth = prompts.Max(p => p.Count);
        tokens = prompts.Select(_ => new List<int>()).ToArray();
        logProbs = prompts.Select(_ => new List<float>()).ToArray();
        samplingLogProbs = prompts.Select(_ => new List<float>()).ToArray();
        finish = new FinishReason?[prompts.Count];
        decodedLength = new int[prompts.Count];
        rows = Enumerable.Range(0, prompts.Count).ToArray();
    }

    public IReadOnlyList<Completion> Execute()
    {
        if (options.MaxNewTokens > 0)
        {
            var parameter = model.parameters().First();
            using var noGrad = no_grad();
            using var generator = new Generator(options.Seed, parameter.device);
            // with G samples per prompt the prefill runs on the distinct prompts and the cache then grows to all rows
            using var cache = options.UseKvCache
                ? new KvCache(model.Config, prompts.Count / samplesPerPrompt, promptWidth + options.MaxNewTokens, parameter.device, parameter.dtype)
                : null;
            for (var step = 0; step < options.MaxNewTokens && rows.Length > 0; step++)
                Step(step, cache, generator, parameter.device);
        }
        return Enumerable.Range(0, prompts.Count)
            .Select(i => new Completion(i / samplesPerPrompt, [.. tokens[i]], [.. logProbs[i]], [.. samplingLogProbs[i]], finish[i] ?? FinishReason.Length))
            .ToList();
    }

    private void Step(int step, KvCache? cache, Generator generator, Device device)
    {
        using var scope = NewDisposeScope();
        var batch = rows.Length;
        var padded = rows.Any(r => prompts[r].Count < promptWidth);
        var slots = promptWidth + step;              // key slots after this step's tokens are in

        Tensor input, positions;
        if (cache is not null && step > 0)
        {
            // the token chosen last step sits at position len(prompt) + step − 1
            input = tensor(rows.Select(r => (long)LastTokenOrPad(r)).ToArray(), [batch, 1], device: device);
            positions = tensor(rows.Select(r => (long)(prompts[r].Count + step - 1)).ToArray(), [batch, 1], device: device);
        }
        else
        {
            // the whole (padded) sequence so far: the prefill, or every step when recomputing without a cache
            input = tensor(SequenceMatrix(slots), [batch, slots], device: device);
            positions = tensor(PositionMatrix(slots), [batch, slots], device: device);
        }
        var mask = padded ? tensor(KeyMask(slots), [batch, slots], device: device) : null;

        Tensor logits;
        if (cache is not null && step == 0 && samplesPerPrompt > 1)
        {
            // prefill each distinct prompt once (rows 0, G, 2G, … hold them), then give every sample its copy
            var firsts = Scalars.Arange(0, batch, device, step: samplesPerPrompt);
            var distinct = model.Forward(input.index_select(0, firsts), mask?.index_select(0, firsts), positions.index_select(0, firsts), cache, logitsToKeep: 1);
            using var group = samplesPerPrompt.ToScalar();
            var everyRow = Scalars.Arange(0, batch, device).div(group, rounding_mode: RoundingMode.floor);
            cache.KeepRows(everyRow);
            logits = distinct.index_select(0, everyRow).squeeze(1).to(ScalarType.Float32);
        }
        else
        {
            logits = model.Forward(input, mask, positions, cache, logitsToKeep: 1).squeeze(1).to(ScalarType.Float32);
        }
        var (chosen, chosenLogProbs, chosenSamplingLogProbs) = Sampler.ChooseTokens(logits, options, generator);
        var chosenIds = chosen.cpu().data<long>().ToArray();
        var chosenLp = chosenLogProbs.cpu().data<float>().ToArray();
        var chosenSlp = chosenSamplingLogProbs.cpu().data<float>().ToArray();

        for (var row = 0; row < batch; row++)
        {
            var prompt = rows[row];
            if (finish[prompt] is not null) continue;
            var id = (int)chosenIds[row];
            tokens[prompt].Add(id);
            logProbs[prompt].Add(chosenLp[row]);
            samplingLogProbs[prompt].Add(chosenSlp[row]);
            if (id == eosId) finish[prompt] = FinishReason.Eos;
            else if (HitsStopString(prompt)) finish[prompt] = FinishReason.StopString;
            else if (tokens[prompt].Count >= options.MaxNewTokens) finish[prompt] = FinishReason.Length;
            if (finish[prompt] is not null) doneInBatch.Add(row);
        }

        // Drop finished rows once they are an eighth of the batch (or all of it): copying the cache has a cost too.
        if (doneInBatch.Count > 0 && (doneInBatch.Count == batch || doneInBatch.Count * 8 >= batch))
        {
            var keep = Enumerable.Range(0, batch).Where(row => finish[rows[row]] is null).ToArray();
            if (keep.Length > 0 && cache is not null)
                cache.KeepRows(tensor(keep.Select(k => (long)k).ToArray(), device: device));
            rows = keep.Select(k => rows[k]).ToArray();
            doneInBatch.Clear();
        }
    }

    private int LastTokenOrPad(int prompt) => tokens[prompt].Count > 0 ? tokens[prompt][^1] : 0;

    private bool HitsStopString(int prompt)
    {
        if (options.StopStrings is not { Count: > 0 } stops || tokenizer is null) return false;
        var text = tokenizer.Decode(tokens[prompt]);
        var before = decodedLength[prompt];
        decodedLength[prompt] = text.Length;
        // only a match that ends in the newest token's text counts; earlier text was checked before
        return stops.Any(stop => text.IndexOf(stop, Math.Max(0, before - stop.Length + 1), StringComparison.Ordinal) >= 0);
    }

    // Row-major [rows, slots]: left padding, prompt, generated tokens (finished rows padded after their end).
    private long[] SequenceMatrix(int slots)
    {
        var matrix = new long[rows.Length * slots];
        for (var row = 0; row < rows.Length; row++)
        {
            var prompt = prompts[rows[row]];
            var offset = row * slots + promptWidth - prompt.Count;
            for (var j = 0; j < prompt.Count; j++) matrix[offset + j] = prompt[j];
            var generated = tokens[rows[row]];
            for (var j = 0; j < generated.Count && promptWidth + j < slots; j++) matrix[row * slots + promptWidth + j] = generated[j];
        }
        return matrix;
    }

    private long[] PositionMatrix(int slots)
    {
        var matrix = new long[rows.Length * slots];
        for (var row = 0; row < rows.Length; row++)
        {
            var padding = promptWidth - prompts[rows[row]].Count;
            for (var j = padding; j < slots; j++) matrix[row * slots + j] = j - padding;
        }
        return matrix;
    }

    private bool[] KeyMask(int slots)
    {
        var mask = new bool[rows.Length * slots];
        for (var row = 0; row < rows.Length; row++)
        {
            var padding = promptWidth - prompts[rows[row]].Count;
            for (var j = padding; j < slots; j++) mask[row * slots + j] = true;
        }
        return mask;
    }
}
