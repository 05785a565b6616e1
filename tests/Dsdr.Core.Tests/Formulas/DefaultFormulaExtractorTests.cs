using System.Diagnostics;
using System.Text;
using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tests.Formulas;

public class DefaultFormulaExtractorTests
{
    private static string[] Extract(string text) => DefaultFormulaExtractor.Instance.Extract(text).ToArray();

    [Theory]
    // inline and display LaTeX
    [InlineData("We have $x^2 + 2x + 1 = 0$ so $x = -1$.", new[] { "x^2+2x+1=0", "x=-1" })]
    [InlineData("$$ x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} $$", new[] { "x=\\frac{-b\\pm\\sqrt{b^2-4ac}}{2a}" })]
    [InlineData("\\[ a + b = c \\] and \\( d - e \\)", new[] { "a+b=c", "d-e" })]
    [InlineData("$x = 1$$y = 2$", new[] { "x=1", "y=2" })]
    [InlineData("text $x +\ny = 3$ across a line", new[] { "x+y=3" })]
    [InlineData("$$\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$$", new[] { "\\sum_{i=1}^ni=\\frac{n(n+1)}{2}" })]
    // normalisation of spec §6
    [InlineData("$a \\cdot b = a \\times b = a × b = a * b$", new[] { "a*b=a*b=a*b=a*b" })]
    [InlineData("$a \\div b = a ÷ b$", new[] { "a/b=a/b" })]
    [InlineData("$\\left( \\frac{1}{2} \\right)^2 \\times 4$", new[] { "(\\frac{1}{2})^2*4" })]
    [InlineData("$a\\,+\\;b\\:+\\!c \\quad = \\qquad d\\ e$", new[] { "a+b+c=de" })]
    [InlineData("\\( \\left. \\frac{d}{dx} \\right|_{x=0} \\)", new[] { "\\frac{d}{dx}|_{x=0}" })]
    [InlineData("$\\leftarrow x = y \\rightarrow$", new[] { "\\leftarrowx=y\\rightarrow" })]
    [InlineData("$5 − 2 = 3$ and $3 · 4 = 12$", new[] { "5-2=3", "3*4=12" })]
    [InlineData("$x = 3.$ and $y = 4,$", new[] { "x=3", "y=4" })]
    // \boxed{…}, nested braces
    [InlineData("so \\boxed{x = \\frac{a+b}{2}} holds", new[] { "x=\\frac{a+b}{2}" })]
    [InlineData("\\boxed{\\frac{\\sqrt{\\{a\\}}}{b}}", new[] { "\\frac{\\sqrt{\\{a\\}}}{b}" })]
    [InlineData("$\\boxed{x = 3}$", new[] { "x=3" })]
    [InlineData("$$y = \\boxed{\\boxed{2a} + 1}$$", new[] { "y=2a+1" })]
    // environments and line breaks
    [InlineData("$$\\begin{aligned} x + y &= 10 \\\\ x - y &= 2 \\end{aligned}$$", new[] { "x+y=10", "x-y=2" })]
    [InlineData("\\[\\begin{array}{cc} a+b & c \\end{array}\\]", new[] { "a+bc" })]
    [InlineData("$$ E = mc^2 \\label{eq:1} \\tag{1} \\nonumber $$", new[] { "E=mc^2" })]
    // plain-text equations and expressions
    [InlineData("So 3 + 4 = 7, and then 7 * 2 = 14.", new[] { "3+4=7", "7*2=14" })]
    [InlineData("(25 - 5) * 4 / 2", new[] { "(25-5)*4/2" })]
    [InlineData("f(x) = 2x + 1 and sin(x) + 1", new[] { "f(x)=2x+1", "sin(x)+1" })]
    [InlineData("If a = 3 and b = 4, then c = sqrt(a^2 + b^2) = 5.", new[] { "a=3", "b=4", "c=sqrt(a^2+b^2)=5" })]
    [InlineData("So n(n+1)/2 = 55 gives n = 10.", new[] { "n(n+1)/2=55", "n=10" })]
    [InlineData("Then (that is, 3 + 4 = 7) holds", new[] { "3+4=7" })]
    [InlineData("**Answer: 5 + 3 = 8**", new[] { "5+3=8" })]
    [InlineData("- x = 3\n- y = -4", new[] { "x=3", "y=-4" })]
    [InlineData("2 x 3 = 6 but the x axis", new[] { "2*3=6" })]
    [InlineData("2 × 3 = 6 and 8 ÷ 2 = 4", new[] { "2*3=6", "8/2=4" })]
    [InlineData("x² + y² = 25 and x**2 + 1", new[] { "x²+y²=25", "x**2+1" })]
    [InlineData("1,000 + 2,000 = 3,000 and 50% + 20% = 70%", new[] { "1,000+2,000=3,000", "50%+20%=70%" })]
    [InlineData("Thus P(A) = 1/2 and x_1 + x_2 = 3", new[] { "P(A)=1/2", "x_1+x_2=3" })]
    [InlineData("3+4=7. 5+5=10! Done.", new[] { "3+4=7", "5+5=10" })]
    [InlineData("x ≤ 5 and y ≥ 2 and z ≠ 0 and 2 <= 3", new[] { "x≤5", "y≥2", "z≠0", "2<=3" })]
    [InlineData("a - b", new[] { "a-b" })]
    [InlineData("between 3 - 5 steps", new[] { "3-5" })]
    public void Extracts_normalised_formulas_in_order(string text, string[] expected)
    {
        Assert.Equal(expected, Extract(text));
    }

    [Theory]
    // single numbers and single symbols
    [InlineData("The answer is $\\boxed{42}$.")]
    [InlineData("\\boxed{\\frac{3}{4}} and \\boxed{-7} and \\boxed{1/2}")]
    [InlineData("$x$ $y_1$ $x'$ $\\pi$ $-5$ $90^\\circ$ $50\\%$ $3.14$ $1,000$ $\\dfrac{1}{2}$")]
    [InlineData("$2x$ and $f(x)$ and $(1, 2)$ and $\\{1, 2, 3\\}$")]
    [InlineData("The value is -3 and the fraction 3/4 of it.")]
    // prose: hyphens, dates, ranges, times, ordinals, abbreviations
    [InlineData("a well-known step-by-step e-mail about the x-axis and a T-shirt for k-means")]
    [InlineData("On 2024-05-01 and 12/25/2023 and 1.2.2024 we read pages 10-20; call 555-1234.")]
    [InlineData("Meet at 9:00 - 10:00 or 10:30-11:00.")]
    [InlineData("The 1st, 2nd, 3rd and 4th terms: 3, 6, 9, 12.")]
    [InlineData("Go w/o fail at 5 m/s, i/o and A/B tests, version 1.2.3.")]
    [InlineData("COVID-19 and a 3-year-old and 1-to-1 and Q1-Q3 and a 4x4 grid")]
    [InlineData("Step 1. Read. Step 2. Think.")]
    // currency and unbalanced delimiters
    [InlineData("It costs $5 and $10 in total.")]
    [InlineData("Pay $5 + $3 = $8 now.")]
    [InlineData("$$ $$ and $ $ and \\[ \\]")]
    [InlineData("")]
    [InlineData("just words, no math at all")]
    [InlineData("= + - * / ^")]
    public void Extracts_nothing(string text)
    {
        Assert.Empty(Extract(text));
    }

    [Fact]
    public void A_price_before_inline_math_does_not_swallow_it()
    {
        Assert.Equal(["x+1"], Extract("It costs $5. Then $x + 1$ follows."));
    }

    [Fact]
    public void Escaped_dollars_are_literal()
    {
        Assert.Equal(["a+b"], Extract("Escaped \\$5 + \\$3 costs and $a+b$."));
        Assert.Equal(["x=1\\$+y"], Extract("$x = 1\\$ + y$")); // the escaped $ inside is not a closer
    }

    [Fact]
    public void Unbalanced_dollar_is_literal_text_and_the_rest_is_still_read()
    {
        Assert.Equal(["x+1", "y=2"], Extract("unbalanced $ x + 1 and $y = 2$"));
        Assert.Equal(["x+1"], Extract("open $x + 1 never closed"));
        Assert.Equal(["x=1"], Extract("$$ x = 1 $ no close"));
    }

    [Fact]
    public void Inline_math_stays_in_its_paragraph()
    {
        Assert.Equal(["x+1", "y=2"], Extract("text $x + 1\n\ny = 2$ across paragraph"));
    }

    [Fact]
    public void Unclosed_boxed_and_brackets_are_literal()
    {
        Assert.Equal(["x=3"], Extract("\\boxed{x = 3"));
        Assert.Equal(["a+b"], Extract("\\[ a + b"));
        Assert.Equal(["a+b"], Extract("\\( a + b"));
        Assert.Empty(Extract("\\"));
        Assert.Empty(Extract("$"));
    }

    [Fact]
    public void Same_formula_written_differently_is_one_entry()
    {
        var set = DefaultFormulaExtractor.Instance.Extract("We get $3 \\times 4 = 12$. Indeed 3 * 4 = 12, i.e. \\[3\\cdot 4=12\\].");
        Assert.Equal(["3*4=12"], set.ToArray());
        Assert.Contains("3*4=12", set);
    }

    [Fact]
    public void Math_and_plain_formulas_keep_their_order_of_appearance()
    {
        Assert.Equal(["a=1", "b+c", "d=2", "e-f"], Extract("a = 1 then $b + c$ then d = 2 then \\(e - f\\)"));
    }

    [Theory]
    [InlineData("a \\cdot b", "a*b")]
    [InlineData(" \\left[ x \\right] ", "[x]")]
    [InlineData("x\\\\y", "x\\\\y")]
    [InlineData("a\\\\,b", "a\\\\,b")]
    [InlineData("1 \\div 2 ÷ 3", "1/2/3")]
    [InlineData("\\qquad x \\quad", "x")]
    [InlineData("\\quadrilateral", "\\quadrilateral")]
    [InlineData("x = 1;", "x=1")]
    public void Normalize_follows_the_spec(string input, string expected)
    {
        Assert.Equal(expected, DefaultFormulaExtractor.Normalize(input));
    }

    [Theory]
    [InlineData("x=1", true)]
    [InlineData("a+b", true)]
    [InlineData("x^2", true)]
    [InlineData("\\sqrt{2}", true)]
    [InlineData("\\frac{a}{b}", true)]
    [InlineData("\\sin\\theta", true)]
    [InlineData("x", false)]
    [InlineData("x_1", false)]
    [InlineData("\\alpha", false)]
    [InlineData("-3", false)]
    [InlineData("3.5", false)]
    [InlineData("1/2", false)]
    [InlineData("\\frac{1}{2}", false)]
    [InlineData("90^\\circ", false)]
    [InlineData("=", false)]
    [InlineData("", false)]
    [InlineData("2x", false)]
    public void Is_formula(string normalized, bool expected)
    {
        Assert.Equal(expected, DefaultFormulaExtractor.IsFormula(normalized));
    }

    [Fact]
    public void Pathological_inputs_stay_fast()
    {
        string[] inputs =
        [
            string.Concat(Enumerable.Repeat("$5 ", 20_000)),
            string.Concat(Enumerable.Repeat("\\boxed{", 5_000)),
            string.Concat(Enumerable.Repeat("{", 20_000)),
            string.Concat(Enumerable.Repeat("1 + ", 20_000)),
            string.Concat(Enumerable.Repeat("(", 20_000)) + "x",
            string.Concat(Enumerable.Repeat("a-", 20_000)),
            string.Concat(Enumerable.Repeat("1,000", 20_000)),
            string.Concat(Enumerable.Repeat("\\[", 20_000)),
            "$" + new string('x', 50_000),
            string.Concat(Enumerable.Repeat("$$x$", 10_000)),
        ];
        var sw = Stopwatch.StartNew();
        foreach (var input in inputs) DefaultFormulaExtractor.Instance.Extract(input);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Long_realistic_response_gives_every_distinct_formula_once()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 50; i++)
            text.Append($"Step {i}: we compute ${i} + {i + 1} = {2 * i + 1}$, then {i} * 2 = {2 * i} and \\boxed{{x_{i} = {i}}}.\n");
        var set = DefaultFormulaExtractor.Instance.Extract(text.ToString());
        Assert.Equal(150, set.Count); // each step's three formulas differ; x_0=0 etc. are formulas
        Assert.Contains("7+8=15", set);
        Assert.Contains("7*2=14", set);
        Assert.Contains("x_7=7", set);
    }

    [Fact]
    public void Random_strings_of_delimiters_and_operators_never_throw_and_give_normalised_formulas()
    {
        const string alphabet = "$$\\\\{}()[]x12+-=*/^ \n&.,boxed";
        var rng = new Random(7);
        for (int trial = 0; trial < 3000; trial++)
        {
            var chars = new char[rng.Next(0, 40)];
            for (int k = 0; k < chars.Length; k++) chars[k] = alphabet[rng.Next(alphabet.Length)];
            var set = DefaultFormulaExtractor.Instance.Extract(new string(chars));
            Assert.All(set, f =>
            {
                Assert.True(DefaultFormulaExtractor.IsFormula(f), f);
                Assert.DoesNotContain(' ', f);
                Assert.Equal(f, DefaultFormulaExtractor.Normalize(f)); // normalisation is idempotent
            });
        }
    }

    [Fact]
    public void Windowed_plain_scan_equals_the_scan_of_all_prose()
    {
        string[] pieces =
        [
            " ", " ", "  ", "\t", "\n", "x", "x", " x ", "a", "y", "2", "13", "3.5", "1,000", "+", "-", "*", "/", "^", "=",
            "<=", "!=", "(", ")", "the", "next", "sin", "sinh", "log", "_", "_{ab}", "\\cdot", "\\alpha", "'", "%", ".", ",",
            ":", ";", "!", "?", "−", "×", "²", "rd", "and", "w", "$", "\\[", "\\]", "{", "}",
        ];
        var rng = new Random(11);
        for (int trial = 0; trial < 4000; trial++)
        {
            var text = string.Concat(Enumerable.Range(0, rng.Next(0, 30)).Select(_ => pieces[rng.Next(pieces.Length)]));
            Assert.Equal(DefaultFormulaExtractor.ExtractUnwindowed(text).ToArray(), DefaultFormulaExtractor.Instance.Extract(text).ToArray());
        }
    }

    [Fact]
    public void Null_response_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => DefaultFormulaExtractor.Instance.Extract(null!));
    }
}
