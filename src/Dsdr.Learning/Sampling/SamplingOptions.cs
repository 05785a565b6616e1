namespace Dsdr.Learning.Sampling;

/// <summary>How the <see cref="Sampler"/> draws completions.</summary>
/// <param name="MaxNewTokens">Upper bound on generated tokens per completion (the EOS token counts).</param>
/// <param name="Temperature">Logits are divided by it; 0 = greedy (argmax).</param>
/// <param name="TopP">Nucleus: keep the smallest set of most likely tokens whose probability reaches TopP (1 = off).</param>
/// <param name="TopK">Keep the K most likely tokens (0 = off).</param>
/// <param name="Seed">Seeds the sampler's own generator: the same seed, prompts and options give the same samples.</param>
/// <param name="StopStrings">Generation of a completion ends once its decoded text contains one of these (needs a tokenizer).</param>
/// <param name="StopOnEos">End a completion at the model's EOS token.</param>
/// <param name="UseKvCache">False recomputes the whole prefix every step (for benchmarks and checks only).</param>
public sealed record SamplingOptions(
    int MaxNewTokens = 128,
    double Temperature = 1.0,
    double TopP = 1.0,
    int TopK = 0,
    ulong Seed = 0,
    IReadOnlyList<string>? StopStrings = null,
    bool StopOnEos = true,
    bool UseKvCache = true)
{
    public bool IsGreedy => Temperature == 0;

    public SamplingOptions Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"MaxNewTokens must be ≥ 0, got {MaxNewTokens}.");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"Temperature must be a finite number ≥ 0, got {Temperature}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"TopP must be in (0, 1], got {TopP}.");
        if (TopK < 0) throw new ArgumentException($"TopK must be ≥ 0 (0 = off), got {TopK}.");
        if (StopStrings is not null && StopStrings.Any(string.IsNullOrEmpty))
            throw new ArgumentException("StopStrings must not contain empty strings.");
        return this;
    }
}

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    /// <summary>The model emitted EOS (included as the last token).</summary>
    Eos,
    /// <summary>The decoded text reached a stop string (the token completing it is the last token).</summary>
    StopString,
    /// <summary>MaxNewTokens was reached: the completion is truncated.</summary>
    Length,
}

/// <summary>One generated completion.</summary>
/// <param name="PromptIndex">Index of its prompt in the request.</param>
/// <param name="TokenIds">Generated ids, EOS included when it ended there.</param>
/// <param name="LogProbs">
/// log π(y_t | y_&lt;t) = log_softmax(logits / T)[y_t] at the sampling temperature T (T = 1 when greedy), unfiltered:
/// the π_old that a training forward at the same temperature (π_θ, <see cref="RolloutBatch.ResponseLogits"/>) is compared against.
/// </param>
/// <param name="SamplingLogProbs">
/// Log-probability under the distribution actually sampled from (temperature-scaled, top-k/top-p filtered,
/// renormalised); 0 for greedy decoding.
/// </param>
public sealed record Completion(int PromptIndex, int[] TokenIds, float[] LogProbs, float[] SamplingLogProbs, FinishReason Finish)
{
    public int Length => TokenIds.Length;
    public bool Truncated => Finish == FinishReason.Length;
}
