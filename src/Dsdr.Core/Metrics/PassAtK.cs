namespace Dsdr.Core.Metrics;

/// <summary>How one problem went: n sampled responses, c of them correct.</summary>
public sealed record ProblemOutcome(int Samples, int Correct);

/// <summary>One point of a pass@k curve.</summary>
public sealed record PassAtKPoint(int K, double Value);

/// <summary>The unbiased pass@k estimator (Chen et al. 2021) used for the paper's pass@k curves (spec §7).</summary>
public static class PassAtK
{
    // pass@k = 1 − C(n−c, k) / C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k/i)
    public static double Estimate(int n, int c, int k)
    {
        Validate(n, c, k);
        if (n - c < k) return 1.0; // every k-subset holds a correct response
        double allWrong = 1.0;
        for (int i = n - c + 1; i <= n; i++) allWrong *= 1.0 - (double)k / i;
        return 1.0 - allWrong;
    }

    // k = 1, 2, 4, …, up to n (n itself added when it is not a power of two)
    public static int[] CurveKs(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n (samples per problem) must be ≥ 1.");
        var ks = new List<int>();
        for (int k = 1; k <= n; k *= 2)
        {
            ks.Add(k);
            if (k > n / 2) break; // the next doubling would pass n (and avoids overflow)
        }
        if (ks[^1] != n) ks.Add(n);
        return ks.ToArray();
    }

    // pass@k for k = 1, 2, 4, …, n of one problem
    public static PassAtKPoint[] Curve(int n, int c) =>
        CurveKs(n).Select(k => new PassAtKPoint(k, Estimate(n, c, k))).ToArray();

    // pass@k over a benchmark = (1/|Q|) Σ_q pass@k(n_q, c_q)
    public static double MeanOverProblems(IReadOnlyList<ProblemOutcome> problems, int k)
    {
        RequireProblems(problems);
        double sum = 0;
        foreach (var p in problems) sum += Estimate(p.Samples, p.Correct, k);
        return sum / problems.Count;
    }

    // benchmark pass@k curve for k = 1, 2, 4, …, min_q n_q
    public static PassAtKPoint[] CurveOverProblems(IReadOnlyList<ProblemOutcome> problems)
    {
        RequireProblems(problems);
        int minSamples = problems.Min(p => p.Samples);
        return CurveKs(minSamples).Select(k => new PassAtKPoint(k, MeanOverProblems(problems, k))).ToArray();
    }

    private static void Validate(int n, int c, int k)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n (samples per problem) must be ≥ 1.");
        if (c < 0 || c > n) throw new ArgumentOutOfRangeException(nameof(c), c, $"c (correct samples) must lie in [0, n = {n}].");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, n = {n}]: pass@k needs at least k samples per problem.");
    }

    private static void RequireProblems(IReadOnlyList<ProblemOutcome> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("problems is empty: pass@k needs at least one problem.", nameof(problems));
    }
}
