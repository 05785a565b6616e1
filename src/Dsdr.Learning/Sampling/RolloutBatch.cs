using Dsdr.Learning.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Sampling;

/// <summary>
/// Prompts and their completions packed for one training forward: each row is left padding, the prompt, the
/// response, right padding (width P + R, P = longest prompt, R = longest response). Position j's logits predict
/// slot j + 1, so the response tokens (slots P … P+R−1) are scored by the logits of slots P−1 … P+R−2.
/// </summary>
public sealed class RolloutBatch : IDisposable
{
    /// <summary>Token ids [N, P+R].</summary>
    public Tensor InputIds { get; }
    /// <summary>1 on real tokens, 0 on padding [N, P+R] (int64).</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Positions counted from each row's first real token [N, P+R].</summary>
    public Tensor PositionIds { get; }
    /// <summary>Response tokens [N, R] (0 past a response's end).</summary>
    public Tensor ResponseIds { get; }
    /// <summary>1.0 on response tokens, 0.0 past their end [N, R] (float32).</summary>
    public Tensor ResponseMask { get; }
    /// <summary>The sampler's log-probs of the response tokens at the sampling temperature (π_old) [N, R], 0 past the end.</summary>
    public Tensor OldLogProbs { get; }
    public int PromptWidth { get; }
    public int ResponseWidth { get; }
    /// <summary>T the rollouts were sampled at: <see cref="ResponseLogits"/> are divided by it, as the sampler's were.</summary>
    public double Temperature { get; }

    private RolloutBatch(Tensor inputIds, Tensor attentionMask, Tensor positionIds, Tensor responseIds, Tensor responseMask, Tensor oldLogProbs,
        int promptWidth, int responseWidth, double temperature)
    {
        (InputIds, AttentionMask, PositionIds, ResponseIds, ResponseMask, OldLogProbs) = (inputIds, attentionMask, positionIds, responseIds, responseMask, oldLogProbs);
        (PromptWidth, ResponseWidth, Temperature) = (promptWidth, responseWidth, temperature);
    }

    /// <summary>
    /// Packs completions with their prompts (prompt i of <paramref name="prompts"/> is the completion's PromptIndex).
    /// <paramref name="temperature"/> is the one they were sampled at (&gt; 0; greedy rollouts are not trained on).
    /// </summary>
    public static RolloutBatch Create(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<Completion> completions, double temperature,
        Device? device = null, int padId = 0)
    {
        if (completions.Count == 0) throw new ArgumentException("No completions to pack.", nameof(completions));
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentException($"The sampling temperature must be a finite number > 0, got {temperature}.", nameof(temperature));
        var rows = completions.Count;
        var promptWidth = completions.Max(c => prompts[c.PromptIndex].Count);
        var responseWidth = Math.Max(1, completions.Max(c => c.Length));
        var width = promptWidth + responseWidth;
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var positions = new long[rows * width];
        var responseIds = new long[rows * responseWidth];
        var responseMask = new float[rows * responseWidth];
        var oldLogProbs = new float[rows * responseWidth];
        Array.Fill(ids, padId);
        for (var row = 0; row < rows; row++)
        {
            var prompt = prompts[completions[row].PromptIndex];
            var response = completions[row];
            var start = promptWidth - prompt.Count;
            for (var j = 0; j < prompt.Count + response.Length; j++)
            {
                var slot = row * width + start + j;
                ids[slot] = j < prompt.Count ? prompt[j] : response.TokenIds[j - prompt.Count];
                mask[slot] = 1;
                positions[slot] = j;
            }
            for (var t = 0; t < response.Length; t++)
            {
                responseIds[row * responseWidth + t] = response.TokenIds[t];
                responseMask[row * responseWidth + t] = 1;
                oldLogProbs[row * responseWidth + t] = response.LogProbs[t];
            }
        }
        return new RolloutBatch(
            tensor(ids, [rows, width], device: device).DetachFromDisposeScope(),
            tensor(mask, [rows, width], device: device).DetachFromDisposeScope(),
            tensor(positions, [rows, width], device: device).DetachFromDisposeScope(),
            tensor(responseIds, [rows, responseWidth], device: device).DetachFromDisposeScope(),
            tensor(responseMask, [rows, responseWidth], device: device).DetachFromDisposeScope(),
            tensor(oldLogProbs, [rows, responseWidth], device: device).DetachFromDisposeScope(),
            promptWidth, responseWidth, temperature);
    }

    /// <summary>
    /// Logits [N, R, V] that score the response tokens, from one forward of <paramref name="model"/> (differentiable),
    /// divided by the sampling temperature: log_softmax of them is log π(y_t) under the distribution the tokens were drawn
    /// from, as <see cref="OldLogProbs"/> is (verl's logits.div_(temperature)).
    /// </summary>
    public Tensor ResponseLogits(Qwen2ForCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var temperature = Temperature.ToScalar();
        // the last R+1 positions hold slots P−1 … P+R−1; the final one predicts nothing in the response
        var logits = model.Forward(InputIds, AttentionMask, PositionIds, logitsToKeep: ResponseWidth + 1).narrow(1, 0, ResponseWidth);
        // a bf16 model's logits are widened: the temperature, log-softmax and losses run in float32
        if (logits.dtype != ScalarType.Float32) logits = logits.to(ScalarType.Float32);
        // z_t / T
        return logits.div(temperature).MoveToOuterDisposeScope();
    }

    /// <summary>log π(y_t | y_&lt;t) = log_softmax(logits)[y_t] for response logits [N, R, V] → [N, R] (0 is not forced past the end: mask it).</summary>
    public Tensor TokenLogProbs(Tensor responseLogits)
    {
        using var scope = NewDisposeScope();
        return responseLogits.log_softmax(-1).gather(-1, ResponseIds.unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        PositionIds.Dispose();
        ResponseIds.Dispose();
        ResponseMask.Dispose();
        OldLogProbs.Dispose();
    }
}
