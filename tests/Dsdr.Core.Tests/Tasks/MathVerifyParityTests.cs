using Dsdr.Core.Tasks;
using Xunit.Abstractions;

namespace Dsdr.Core.Tests.Tasks;

/// <summary>
/// The math verifier against Hugging Face math-verify on answer pairs in the benchmarks' styles
/// (Tasks/math-verify-pairs.tsv: each pair labelled with what math-verify returns, reasoned from its documentation,
/// grader and regression tests, since it cannot be installed here). Every disagreement is listed in the file as known,
/// with the reason; a new one, or a known one that no longer differs, fails the test.
/// </summary>
public sealed class MathVerifyParityTests(ITestOutputHelper output)
{
    /// <summary>The agreement reached on the set; it may only rise.</summary>
    private const double MinimumAgreement = 0.945; // 314 of 332 on this set

    private sealed record Pair(int Line, string Style, string Gold, string Response, bool MathVerify, string Why, string Known);

    private static List<Pair> Pairs()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Tasks", "math-verify-pairs.tsv"));
        var pairs = new List<Pair>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#') || lines[i].Length == 0) continue;
            var f = lines[i].Split('\t');
            Assert.True(f.Length == 6 && f[3] is "0" or "1", $"math-verify-pairs.tsv:{i + 1}: expected 6 tab-separated columns with mathverify 0 or 1");
            pairs.Add(new(i + 1, f[0], f[1], f[2], f[3] == "1", f[4], f[5]));
        }
        return pairs;
    }

    [Fact]
    public void The_verifier_agrees_with_math_verify_on_the_labelled_pairs_and_every_difference_is_known()
    {
        var pairs = Pairs();
        Assert.True(pairs.Count >= 300, $"the set must hold at least 300 pairs, it holds {pairs.Count}");
        var math = new MathTask(() => throw new InvalidOperationException("formulas are not needed to verify"));
        var differing = pairs.Where(p => math.Verify(p.Response, p.Gold).Correct != p.MathVerify).ToList();
        var agreement = 1.0 - (double)differing.Count / pairs.Count;
        output.WriteLine($"agreement with math-verify: {pairs.Count - differing.Count}/{pairs.Count} = {agreement:P1}");
        foreach (var style in pairs.GroupBy(p => p.Style))
            output.WriteLine($"  {style.Key}: {style.Count(p => !differing.Contains(p))}/{style.Count()}");
        foreach (var p in differing)
            output.WriteLine($"  differs (line {p.Line}, {p.Style}): gold {p.Gold} | {p.Response} | math-verify {(p.MathVerify ? 1 : 0)} | known: {p.Known}");

        var unknown = differing.Where(p => p.Known.Length == 0).Select(p => $"line {p.Line}: gold {p.Gold}, response {p.Response}").ToList();
        Assert.True(unknown.Count == 0, "differences not listed as known in math-verify-pairs.tsv:\n" + string.Join('\n', unknown));
        var stale = pairs.Where(p => p.Known.Length > 0 && !differing.Contains(p)).Select(p => $"line {p.Line}").ToList();
        Assert.True(stale.Count == 0, "listed as known differences but agreeing now (clear their known column): " + string.Join(", ", stale));
        Assert.True(agreement >= MinimumAgreement, $"agreement {agreement:P1} fell below {MinimumAgreement:P1}");
    }

    [Theory]
    [InlineData("The roots are $\\boxed{-2}, \\boxed{1}$.", "-2, 1")]
    [InlineData("So $x=\\boxed{3}$ and $x=\\boxed{5}$.", "3, 5")]
    [InlineData("\\boxed{1} then \\boxed{2}", "2")]
    [InlineData("First $\\boxed{3}$, then after checking, $\\boxed{5}$.", "5")]
    public void Consecutive_boxes_joined_by_comma_or_and_are_one_answer(string response, string extracted) =>
        Assert.Equal(extracted, MathAnswer.Extract(response));
}
