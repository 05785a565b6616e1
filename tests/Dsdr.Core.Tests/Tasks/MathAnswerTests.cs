using Dsdr.Core.Formulas;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

public class MathAnswerTests
{
    [Theory]
    // integers, decimals, fractions
    [InlineData("14", "14")]
    [InlineData("14", " 14 ")]
    [InlineData("-3", "-3")]
    [InlineData("0.5", "\\frac{1}{2}")]
    [InlineData("0.50", "1/2")]
    [InlineData("\\frac{1}{2}", "\\dfrac{1}{2}")]
    [InlineData("\\tfrac{3}{4}", "0.75")]
    [InlineData("\\frac12", "\\frac{1}{2}")]
    [InlineData("\\frac1{2}", "0.5")]
    [InlineData("-\\frac{2}{3}", "\\frac{-2}{3}")]
    [InlineData("\\frac{6}{8}", "\\frac{3}{4}")]
    [InlineData("1,000", "1000")]
    [InlineData("1{,}000", "1000")]
    [InlineData("1\\,000", "1000")]
    [InlineData(".5", "0.5")]
    // presentation
    [InlineData("\\left( 3 \\right)", "3")]
    [InlineData("3\\!", "3")]
    [InlineData("\\displaystyle\\frac{1}{3}", "\\frac13")]
    [InlineData("90^\\circ", "90")]
    [InlineData("90^{\\circ}", "90")]
    [InlineData("90°", "90")]
    [InlineData("50\\%", "50")]
    [InlineData("\\$18.90", "18.9")]
    [InlineData("$18.90$", "18.90")]
    [InlineData("10\\text{ cm}", "10")]
    [InlineData("10 \\text{ cm}^2", "10")]
    [InlineData("\\text{(C)}", "(C)")]
    [InlineData("\\textbf{5}", "5")]
    [InlineData("5.", "5")]
    // roots, π, powers, scientific notation
    [InlineData("\\sqrt{2}", "1.41421356")]
    [InlineData("2\\sqrt{2}", "\\sqrt{8}")]
    [InlineData("\\sqrt2/2", "\\frac{\\sqrt{2}}{2}")]
    [InlineData("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt2}{2}")]
    [InlineData("\\sqrt[3]{27}", "3")]
    [InlineData("2\\pi", "6.283185307")]
    [InlineData("\\frac{\\pi}{2}", "\\pi/2")]
    [InlineData("3\\pi", "\\pi \\cdot 3")]
    [InlineData("1.5e3", "1500")]
    [InlineData("1.5 \\times 10^{3}", "1500")]
    [InlineData("2E-7", "2\\cdot10^{-7}")]
    [InlineData("2^{10}", "1024")]
    [InlineData("2π", "2\\pi")]
    [InlineData("√2", "\\sqrt{2}")]
    [InlineData("3×4", "12")]
    [InlineData("(-∞, 0)", "(-\\infty, 0)")]
    // equations, expressions in variables
    [InlineData("x = 3", "3")]
    [InlineData("x=\\frac{1}{2}", "0.5")]
    [InlineData("k = 7", "7")]
    [InlineData("2x+1", "1+2x")]
    [InlineData("x^2-1", "(x-1)(x+1)")]
    [InlineData("\\frac{x}{2}", "0.5x")]
    // tuples, intervals, sets
    [InlineData("(1,2)", "(1, 2)")]
    [InlineData("(1,2)", "\\left(1,2\\right)")]
    [InlineData("(\\frac12, 3)", "(0.5,3)")]
    [InlineData("[1,2)", "[1, 2)")]
    [InlineData("(-\\infty, 3]", "(-\\infty,3]")]
    [InlineData("\\{1,2\\}", "\\{2,1\\}")]
    [InlineData("\\{1,2,3\\}", "\\{3, 1, 2\\}")]
    [InlineData("1, 2", "2, 1")]
    [InlineData("1,-2", "-2, 1")]
    [InlineData("(1,2)", "1, 2")]
    [InlineData("(-\\infty,1)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,1)")]
    [InlineData("x \\in [1,2]", "[1,2]")]
    [InlineData("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}")]
    // shapes seen in MATH500 gold answers
    [InlineData("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})")]
    [InlineData("\\$32,348", "32348")]
    [InlineData("1,\\!000", "1000")]
    [InlineData("11\\sqrt2", "11\\sqrt{2}")]
    [InlineData("4210_{5}", "4210_5")]
    [InlineData("6 - 5i", "6-5i")]
    [InlineData("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}")]
    [InlineData("y = -\\frac{1}{2}x + 3", "3 - 0.5x")]
    [InlineData("\\text{(C)}", "C")]
    [InlineData("\\text{even}", "even")]
    // text answers
    [InlineData("\\text{Monday}", "Monday")]
    [InlineData("\\text{no solution}", "no solution")]
    [InlineData("B", "\\text{B}")]
    public void Accepts_equivalent_answers(string a, string b)
    {
        Assert.True(MathAnswer.Equivalent(a, b), $"{a} ≡ {b}");
        Assert.True(MathAnswer.Equivalent(b, a), $"{b} ≡ {a}");
    }

    [Theory]
    [InlineData("1/2", "2")]
    [InlineData("\\frac{1}{2}", "\\frac{2}{1}")]
    [InlineData("(1,2)", "(2,1)")]
    [InlineData("[1,2)", "[1,2]")]
    [InlineData("(1,2)", "[1,2]")]
    [InlineData("(1,2]", "(1,2)")]
    [InlineData("3", "3x")]
    [InlineData("x", "y")]
    [InlineData("2x+1", "2x-1")]
    [InlineData("1000000", "1000001")]       // integers compare exactly, not within 1e-6
    [InlineData("0.3333", "\\frac{1}{3}")]
    [InlineData("\\sqrt{2}", "1.414")]
    [InlineData("\\pi", "3.14")]
    [InlineData("\\{1,2\\}", "\\{1,2,3\\}")]
    [InlineData("\\{1,2\\}", "\\{1,1,2\\}")]
    [InlineData("(1,2,3)", "(1,2)")]
    [InlineData("-3", "3")]
    [InlineData("\\text{Monday}", "Tuesday")]
    [InlineData("Monday", "Mondya")]
    [InlineData("A", "B")]
    [InlineData("10^{1000}", "10^{1001}")]   // both overflow a double; that proves nothing
    [InlineData("\\infty", "-\\infty")]
    [InlineData("5", "")]
    [InlineData("", "")]
    [InlineData("\\frac{1}{0}", "\\infty")]
    [InlineData("4210_5", "4210_6")]
    [InlineData("6 - 5i", "6+5i")]
    [InlineData("\\text{even}", "\\text{odd}")]
    public void Rejects_different_answers(string a, string b)
    {
        Assert.False(MathAnswer.Equivalent(a, b), $"{a} ≢ {b}");
        Assert.False(MathAnswer.Equivalent(b, a), $"{b} ≢ {a}");
    }

    [Fact]
    public void Numeric_tolerance_is_one_part_in_a_million()
    {
        Assert.True(MathAnswer.Equivalent("3.14159", "\\pi"));      // off by 8.4e-7 relative
        Assert.False(MathAnswer.Equivalent("3.1415", "\\pi"));      // off by 2.9e-5 relative
        Assert.True(MathAnswer.Close(1.0000005, 1.0));
        Assert.False(MathAnswer.Close(1.000002, 1.0));
        Assert.True(MathAnswer.Close(0.0, 0.0));
        Assert.False(MathAnswer.Close(1e-9, 0.0));
    }

    [Theory]
    [InlineData("so we get \\boxed{14}.", "14")]
    [InlineData("\\boxed{1} then \\boxed{\\frac{1}{2}}", "\\frac{1}{2}")]
    [InlineData("\\boxed{\\{1, \\{2\\}\\}}", "\\{1, \\{2\\}\\}")]
    [InlineData("$\\boxed{x^{2}+\\frac{1}{2}}$", "x^{2}+\\frac{1}{2}")]
    [InlineData("\\fbox{7}", "7")]
    [InlineData("\\boxed 5 done", "5")]
    [InlineData("Thus the answer is $\\frac{3}{4}$.", "\\frac{3}{4}")]
    [InlineData("The answer is 12. We checked it twice.", "12")]
    [InlineData("The answer is 3.5.", "3.5")]
    [InlineData("the final answer is: (1, 2)\nmore text", "(1, 2)")]
    [InlineData("Answer: 42", "42")]
    [InlineData("The answer is 3, no wait, the answer is 4", "4")]
    public void Extracts_the_stated_answer(string response, string expected) =>
        Assert.Equal(expected, MathAnswer.Extract(response));

    [Theory]
    [InlineData("")]
    [InlineData("I do not know")]
    [InlineData("\\boxed{12")]          // never closes
    [InlineData("\\boxed{}")]
    [InlineData("The answer is")]
    public void Extracts_nothing_when_no_answer_is_stated(string response) =>
        Assert.Null(MathAnswer.Extract(response));

    [Fact]
    public void Garbage_never_throws()
    {
        var random = new SeededRandom(11);
        var pieces = new[] { "1", "2", ".", ",", "-", "+", "*", "/", "^", "(", ")", "[", "]", "{", "}", "\\{", "\\}", "\\frac", "\\sqrt",
            "\\pi", "\\infty", "\\cup", "x", "y", "=", " ", "\\boxed{", "\\text{", "\\left", "\\right", "e", "E", "\\", "$", "%", "\\in",
            "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "the answer is ", "\\sin", "\\log", "\\alpha", "0", "9", "\\cdot" };
        for (var i = 0; i < 5_000; i++)
        {
            var a = string.Concat(Enumerable.Range(0, random.Next(0, 25)).Select(_ => pieces[random.Next(0, pieces.Length - 1)]));
            var b = string.Concat(Enumerable.Range(0, random.Next(0, 25)).Select(_ => pieces[random.Next(0, pieces.Length - 1)]));
            MathAnswer.Extract(a);
            MathAnswer.Equivalent(a, b);
            MathAnswer.Equivalent(a, a);
        }
        Assert.False(MathAnswer.Equivalent(new string('(', 100_000) + "1", "1"));
        Assert.False(MathAnswer.Equivalent(string.Concat(Enumerable.Repeat("-", 100_000)) + "1", "1"));
        Assert.False(MathAnswer.Equivalent(string.Concat(Enumerable.Repeat("\\sqrt{", 5_000)) + "1" + new string('}', 5_000) + "+1", "1"));
        Assert.False(MathAnswer.Equivalent(null, "1"));
    }
}

public class MathTaskTests
{
    private sealed class WordFormulas : IFormulaExtractor
    {
        public IReadOnlySet<string> Extract(string response) =>
            response.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Contains('=')).ToHashSet();
    }

    private readonly MathTask _task = new(() => new WordFormulas());

    [Fact]
    public void Verifies_against_the_gold_and_reports_what_it_read()
    {
        Assert.Equal(new Verdict(true, "\\dfrac{1}{2}"), _task.Verify("x=1/2 so \\boxed{\\dfrac{1}{2}}", "\\frac12"));
        Assert.Equal(new Verdict(false, "2"), _task.Verify("\\boxed{2}", "\\frac12"));
        Assert.Equal(new Verdict(false, null), _task.Verify("no idea", "\\frac12"));
        // A gold given as a whole solution is read by its last \boxed{}.
        Assert.True(_task.Verify("The answer is 7.", "3+4 = \\boxed{7}").Correct);
    }

    [Fact]
    public void Solution_key_is_the_sorted_formula_set_of_correct_responses()
    {
        Assert.Equal("a=1\nb=2", _task.SolutionKey("b=2 a=1 \\boxed{3}", "3"));
        Assert.Equal(_task.SolutionKey("a=1 b=2 \\boxed{3}", "3"), _task.SolutionKey("b=2 a=1 \\boxed{3}", "3"));
        Assert.Null(_task.SolutionKey("a=1 \\boxed{4}", "3"));
        Assert.Null(_task.CountSolutions("3"));
    }
}
