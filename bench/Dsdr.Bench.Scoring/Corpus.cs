using System.Text;

namespace Dsdr.Bench.Scoring;

/// <summary>One group to score: G responses of one problem, their rewards and 384-d unit embeddings.</summary>
public sealed record BenchGroup(string[] Texts, double[] Rewards, float[][] Embeddings);

/// <summary>
/// Deterministic synthetic math responses (~1k tokens each) in the style of a reasoning model: prose, inline and
/// display LaTeX, aligned environments, plain-text arithmetic and a final \boxed{} answer. Responses of one group
/// solve the same quadratic, so they share some formulas and differ in others.
/// </summary>
public static class Corpus
{
    public const int EmbeddingDimension = 384;

    private static readonly string[] Prose =
    [
        "Let us think about this step by step before writing anything down.",
        "We first recall the well-known relation between the roots and the coefficients.",
        "This is a standard trick, but it is worth checking every intermediate value carefully.",
        "Note that the problem asks for an exact value, so we avoid decimal approximations.",
        "Now we substitute the values we found back into the original expression.",
        "A quick sanity check: the sign of each term matches what we expect.",
        "Alternatively, one could use the discriminant, which gives the same conclusion.",
        "We keep the fractions as they are until the very last step.",
        "Let me double-check the arithmetic in the previous line.",
        "Hence the computation is consistent with the step-by-step derivation above.",
        "The remaining part follows directly from the definition.",
        "So the structure of the solution is clear, and we can finish the calculation.",
    ];

    public static BenchGroup[] Groups(int count, int groupSize, int seed)
    {
        var rng = new Random(seed);
        var groups = new BenchGroup[count];
        for (int g = 0; g < count; g++)
        {
            int r1 = rng.Next(1, 12), r2 = rng.Next(1, 12) * (rng.Next(2) == 0 ? 1 : -1);
            var texts = new string[groupSize];
            var rewards = new double[groupSize];
            var embeddings = new float[groupSize][];
            for (int i = 0; i < groupSize; i++)
            {
                bool correct = rng.NextDouble() < 0.6;
                texts[i] = Response(rng, r1, r2, correct);
                rewards[i] = correct ? 1 : 0;
                embeddings[i] = UnitVector(rng, EmbeddingDimension);
            }
            groups[g] = new BenchGroup(texts, rewards, embeddings);
        }
        return groups;
    }

    private static string Response(Random rng, int r1, int r2, bool correct)
    {
        int p = -(r1 + r2), q = r1 * r2;
        var sb = new StringBuilder(5000);
        sb.Append($"We need to solve $x^2 {Signed(p)}x {Signed(q)} = 0$ and report the larger root.\n\n");
        int step = 1;
        while (sb.Length < 4200)
        {
            sb.Append($"**Step {step++}.** ").Append(Prose[rng.Next(Prose.Length)]).Append(' ');
            switch (rng.Next(6))
            {
                case 0:
                    sb.Append($"Factoring gives \\[ (x {Signed(-r1)})(x {Signed(-r2)}) = 0, \\] so $x = {r1}$ or $x = {r2}$.\n\n");
                    break;
                case 1:
                    int d = p * p - 4 * q;
                    sb.Append($"The discriminant is $\\Delta = b^2 - 4ac = {p * p} - {4 * q} = {d}$, and\n")
                      .Append($"$$ x = \\frac{{-b \\pm \\sqrt{{\\Delta}}}}{{2a}} = \\frac{{{-p} \\pm \\sqrt{{{d}}}}}{{2}}. $$\n\n");
                    break;
                case 2:
                    int a = rng.Next(2, 30), b = rng.Next(2, 30);
                    sb.Append($"As a check, {a} + {b} = {a + b} and {a} * {b} = {a * b}, then {a + b} - {b} = {a}.\n\n");
                    break;
                case 3:
                    sb.Append("By Vieta's formulas,\n\\[\\begin{aligned} x_1 + x_2 &= ")
                      .Append(-p).Append(" \\\\ x_1 \\cdot x_2 &= ").Append(q).Append(" \\end{aligned}\\]\n")
                      .Append($"which matches $x_1 + x_2 = {r1} + {Paren(r2)}$ and $x_1 x_2 = {r1} \\times {Paren(r2)}$.\n\n");
                    break;
                case 4:
                    int k = rng.Next(1, 9);
                    sb.Append($"Completing the square, $\\left(x {Signed(p)}/2\\right)^2 = {p * p}/4 {Signed(-q)}$; ")
                      .Append($"multiplying by {k} gives {k} * {p * p} = {k * p * p} in the numerator.\n\n");
                    break;
                default:
                    int m = rng.Next(3, 50);
                    sb.Append($"For instance, with n = {m} we get n^2 = {m * m}, and \\( n(n+1)/2 = {m * (m + 1) / 2} \\) as well.\n\n");
                    break;
            }
        }
        int answer = correct ? Math.Max(r1, r2) : Math.Max(r1, r2) + rng.Next(1, 5);
        sb.Append($"Therefore the larger root is \\boxed{{{answer}}}, i.e. \\boxed{{x = \\frac{{{2 * answer}}}{{2}}}}.");
        return sb.ToString();
    }

    private static string Signed(int v) => v < 0 ? $"- {-v}" : $"+ {v}";
    private static string Paren(int v) => v < 0 ? $"({v})" : v.ToString();

    private static float[] UnitVector(Random rng, int dim)
    {
        var v = new double[dim];
        double norm2 = 0;
        for (int k = 0; k < dim; k++)
        {
            // Box–Muller: isotropic direction
            v[k] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            norm2 += v[k] * v[k];
        }
        double norm = Math.Sqrt(norm2);
        return v.Select(x => (float)(x / norm)).ToArray();
    }
}
