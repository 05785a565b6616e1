namespace Dsdr.Learning.Training;

/// <summary>One prompt group's shape in a training forward: its rows and their prompt and response lengths.</summary>
public sealed record GroupShape(int[] PromptLengths, int[] ResponseLengths)
{
    public int Rows => PromptLengths.Length;
    public int LongestPrompt => PromptLengths.Max();
    public int LongestResponse => Math.Max(1, ResponseLengths.Max());
    public long RealTokens => PromptLengths.Sum(p => (long)p) + ResponseLengths.Sum(r => (long)r);
}

/// <summary>Which groups go into one training forward, and what padding that forward carries.</summary>
/// <param name="Groups">Indices into the mini-batch's groups.</param>
/// <param name="PaddedTokens">rows × (longest prompt + longest response), as <see cref="Sampling.RolloutBatch"/> packs them.</param>
/// <param name="RealTokens">prompt and response tokens actually present.</param>
public sealed record MicroBatch(int[] Groups, long PaddedTokens, long RealTokens);

/// <summary>Splitting a mini-batch of whole groups into micro-batches under a token budget.</summary>
public static class MicroBatches
{
    /// <summary>
    /// Groups sorted by their longest row (prompt + response), then packed greedily: a micro-batch takes the next group
    /// while rows × (max prompt + max response) stays within <paramref name="maxTokens"/>; a group alone over the budget
    /// is its own micro-batch. <paramref name="maxTokens"/> 0 = one micro-batch holding every group in the given order.
    /// </summary>
    public static IReadOnlyList<MicroBatch> Plan(IReadOnlyList<GroupShape> groups, int maxTokens)
    {
        if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokensPerMicroBatch must be ≥ 0 (0 = off).");
        if (groups.Count == 0) return [];
        if (maxTokens == 0) return [Measure(Enumerable.Range(0, groups.Count).ToArray(), groups)];
        var order = Enumerable.Range(0, groups.Count).OrderBy(g => groups[g].LongestPrompt + groups[g].LongestResponse).ThenBy(g => g).ToList();
        var plan = new List<MicroBatch>();
        var current = new List<int>();
        foreach (var g in order)
        {
            if (current.Count > 0 && Measure([.. current, g], groups).PaddedTokens > maxTokens)
            {
                plan.Add(Measure([.. current], groups));
                current.Clear();
            }
            current.Add(g);
        }
        plan.Add(Measure([.. current], groups));
        return plan;
    }

    // padded = Σ rows · (max prompt + max response);  real = Σ (prompt + response)
    private static MicroBatch Measure(int[] members, IReadOnlyList<GroupShape> groups)
    {
        var rows = members.Sum(g => groups[g].Rows);
        var width = members.Max(g => groups[g].LongestPrompt) + members.Max(g => groups[g].LongestResponse);
        return new MicroBatch(members, (long)rows * width, members.Sum(g => groups[g].RealTokens));
    }

    // padding fraction = 1 − Σ real / Σ padded
    public static double PaddingFraction(IEnumerable<MicroBatch> batches)
    {
        long padded = 0, real = 0;
        foreach (var b in batches)
        {
            padded += b.PaddedTokens;
            real += b.RealTokens;
        }
        return padded > 0 ? 1.0 - (double)real / padded : 0.0;
    }
}
