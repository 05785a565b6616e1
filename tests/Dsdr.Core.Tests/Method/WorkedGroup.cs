using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tests.Method;

/// <summary>
/// A group of G = 5 whose numbers are worked out by hand (exact fractions; checked with python3).
/// Embeddings use coordinates in {0, ±½, 1} so every dot product is exact in float and double.
/// <code>
/// z1 = ( 1,  0,  0,  0)     z̄·z̄ table → e_ij = (1 − z̄_i·z̄_j)/2
/// z2 = ( ½,  ½,  ½,  ½)          1     2     3     4     5
/// z3 = ( ½, −½,  ½, −½)     1    0    1/4   1/4   1/2   3/4
/// z4 = ( 0,  0,  0,  1)     2   1/4    0    1/2   1/4   1/4
/// z5 = (−½,  ½,  ½,  ½)     3   1/4   1/2    0    3/4   3/4
///                           4   1/2   1/4   3/4    0    1/4
///                           5   3/4   1/4   3/4   1/4    0
/// D_emb (whole group, /4): 7/16, 5/16, 9/16, 7/16, 1/2
/// rewards 1 0 1 1 0; S1 = {a, b}, S2 = {b}, S3 = {c, d, a}, S4 = ∅, S5 = {e}
/// D_eq: a and b occur twice, c d e once → 0/2, 0/1, 2/3, 0 (empty), 1/1
/// d = ½(D_emb + D_eq): 7/32, 5/32, 59/96, 7/32, 3/4
/// </code>
/// </summary>
internal static class WorkedGroup
{
    public static readonly float[][] Embeddings =
    [
        [1f, 0f, 0f, 0f],
        [0.5f, 0.5f, 0.5f, 0.5f],
        [0.5f, -0.5f, 0.5f, -0.5f],
        [0f, 0f, 0f, 1f],
        [-0.5f, 0.5f, 0.5f, 0.5f],
    ];

    public static readonly double[] Rewards = [1, 0, 1, 1, 0];

    public static readonly double[] AllCorrect = [1, 1, 1, 1, 1];

    public static IReadOnlySet<string>[] FormulaSets() =>
    [
        new FormulaSet(["a", "b"]),
        new FormulaSet(["b"]),
        new FormulaSet(["c", "d", "a"]),
        new FormulaSet(),
        new FormulaSet(["e"]),
    ];

    public static readonly double[] Semantic = [7.0 / 16, 5.0 / 16, 9.0 / 16, 7.0 / 16, 1.0 / 2];
    public static readonly double[] Formula = [0, 0, 2.0 / 3, 0, 1];
    public static readonly double[] Diversity = [7.0 / 32, 5.0 / 32, 59.0 / 96, 7.0 / 32, 3.0 / 4];

    public static void AssertClose(double[] expected, double[] actual, double tolerance = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"index {i}: expected {expected[i]:R}, got {actual[i]:R} (|Δ| = {Math.Abs(expected[i] - actual[i]):E2})");
    }
}
