using Dsdr.Core.Formulas;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

public class ArithTests
{
    private sealed class NoFormulas : IFormulaExtractor
    {
        public IReadOnlySet<string> Extract(string response) => new HashSet<string>();
    }

    private readonly ArithTask _task = new(() => new NoFormulas());

    private static readonly ArithProblem Example = new([
        new ArithTerm(false, [3, 4]),
        new ArithTerm(false, [5, 6]),
        new ArithTerm(true, [7, 2]),
    ]);

    [Fact]
    public void Problem_text_answer_and_prompt()
    {
        Assert.Equal("3*4 + 5*6 - 7*2", Example.Expression);
        Assert.Equal(28, Example.Answer); // 12 + 30 − 14
        Assert.Equal("28", Example.Gold);
        var prompt = Example.Prompt(PromptStyle.Verbose);
        Assert.StartsWith("Compute 3*4 + 5*6 - 7*2.", prompt);
        Assert.Contains("\\boxed{}", prompt);
        Assert.Throws<ArgumentException>(() => Example.Prompt(PromptStyle.Compact));
        Assert.Equal(new Problem("arith", "3*4 + 5*6 - 7*2", prompt, "28"), Example.ToProblem());
        Assert.Equal(Example, new ArithProblem([new(false, [3, 4]), new(false, [5, 6]), new(true, [7, 2])]));
        Assert.NotEqual(Example, new ArithProblem([new(false, [3, 4]), new(false, [5, 6]), new(false, [7, 2])]));
    }

    [Theory]
    [InlineData("12 + 30 - 14 = 28, so \\boxed{28}", true, "28")]
    [InlineData("\\boxed{27} no wait \\boxed{ 28 }", true, "28")]
    [InlineData("\\boxed{+28}", true, "+28")]
    [InlineData("\\boxed{28.}", true, "28.")]
    [InlineData("\\boxed{28} then \\boxed{27}", false, "27")]
    [InlineData("The answer is 28.", false, null)]      // the arith answer must be boxed
    [InlineData("\\boxed{28.5}", false, "28.5")]
    [InlineData("\\boxed{2 8x}", false, "2 8x")]
    [InlineData("\\boxed{28", false, null)]
    [InlineData("", false, null)]
    public void Verifies_the_last_boxed_integer(string response, bool correct, string? extracted) =>
        Assert.Equal(new Verdict(correct, extracted), _task.Verify(response, "28"));

    [Fact]
    public void Reads_integers_in_common_spellings_and_rejects_a_bad_gold()
    {
        Assert.Equal(1234, (int)ArithTask.ReadInteger("1,234")!);
        Assert.Equal(1234, (int)ArithTask.ReadInteger("1{,}234")!);
        Assert.Equal(-7, (int)ArithTask.ReadInteger("−7")!);
        Assert.Null(ArithTask.ReadInteger("12,34"));
        Assert.Null(ArithTask.ReadInteger("3/4"));
        var e = Assert.Throws<ArgumentException>(() => _task.Verify("\\boxed{1}", "twenty"));
        Assert.Contains("twenty", e.Message);
    }

    [Fact]
    public void Step_key_follows_the_order_of_steps_and_ignores_commutation_inside_a_step()
    {
        const string a = "3*4 = 12\n5*6 = 30\n7*2 = 14\n12 + 30 = 42\n42 - 14 = 28\n\\boxed{28}";
        const string b = "5 \\times 6 = 30\n4*3=12\n2·7 = 14\n30 + 12 = 42\n42 - 14 = 28\n\\boxed{28}";
        const string c = "3*4 = 12\n5*6 = 30\n7*2 = 14\n12 - 14 = -2\n-2 + 30 = 28\n\\boxed{28}";
        Assert.Equal("3*4=12;5*6=30;2*7=14;12+30=42;42-14=28", _task.SolutionKey(a, "28"));
        Assert.Equal("5*6=30;3*4=12;2*7=14;12+30=42;42-14=28", _task.SolutionKey(b, "28"));
        Assert.Equal("3*4=12;5*6=30;2*7=14;12-14=-2;-2+30=28", _task.SolutionKey(c, "28"));
        Assert.Equal("12+14+30=56", ArithTask.StepKey("30 + 14 + 12 = 56"));
        Assert.Equal("", _task.SolutionKey("\\boxed{28}", "28"));
        Assert.Null(_task.SolutionKey(a, "29"));
        Assert.Null(_task.CountSolutions("28"));
    }

    [Fact]
    public void Worked_solutions_are_correct_and_come_in_several_orders()
    {
        var problems = ArithGenerator.Generate(new ArithConfig(), seed: 5, count: 30);
        foreach (var p in problems)
        {
            var keys = new HashSet<string>();
            var random = new SeededRandom(9);
            for (var k = 0; k < 20; k++)
            {
                var solution = p.WorkedSolution(random);
                Assert.True(_task.Verify(solution, p.Gold).Correct, $"{p.Expression}\n{solution}");
                keys.Add(_task.SolutionKey(solution, p.Gold)!);
            }
            Assert.True(keys.Count > 1, p.Expression);
        }
    }

    [Fact]
    public void Generator_is_deterministic_distinct_in_range_and_split()
    {
        var config = new ArithConfig(Terms: 4, FactorsPerTerm: 2, MinFactor: 2, MaxFactor: 9, HeldOutFraction: 0.25);
        var a = ArithGenerator.Generate(config, 3, 100, SplitPart.Train);
        Assert.Equal(a.Select(p => p.Expression), ArithGenerator.Generate(config, 3, 100, SplitPart.Train).Select(p => p.Expression));
        Assert.NotEqual(a.Select(p => p.Expression), ArithGenerator.Generate(config, 4, 100, SplitPart.Train).Select(p => p.Expression));
        Assert.Equal(100, a.Select(p => p.Expression).Distinct().Count());
        Assert.All(a, p =>
        {
            Assert.Equal(4, p.Terms.Count);
            Assert.False(p.Terms[0].Negative);
            Assert.All(p.Terms, t => Assert.All(t.Factors, f => Assert.InRange(f, 2, 9)));
        });
        Assert.Contains(a, p => p.Terms.Any(t => t.Negative));
        var heldOut = ArithGenerator.Generate(config, 3, 50, SplitPart.HeldOut);
        Assert.Empty(a.Select(p => p.Expression).Intersect(heldOut.Select(p => p.Expression)));
        Assert.All(ArithGenerator.Generate(config with { AllowSubtraction = false }, 1, 20), p => Assert.All(p.Terms, t => Assert.False(t.Negative)));
    }

    [Theory]
    [InlineData(1, 2, 2, 12, "Terms")]
    [InlineData(3, 0, 2, 12, "FactorsPerTerm")]
    [InlineData(3, 2, -1, 12, "MinFactor")]
    [InlineData(3, 2, 5, 4, "MaxFactor")]
    [InlineData(3, 30, 2, 1000, "overflow")]
    public void Bad_config_names_the_field(int terms, int factors, int min, int max, string mentions)
    {
        var e = Assert.Throws<ArgumentException>(() => ArithGenerator.Generate(new ArithConfig(terms, factors, min, max), 1, 1));
        Assert.Contains(mentions, e.Message);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        var random = new SeededRandom(3);
        var pieces = new[] { "1", "2", "8", "=", "+", "-", "*", "x", "\\times", " ", "\n", "\\boxed{", "}", "{", ",", ".", "$", "\\" };
        for (var i = 0; i < 5_000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 40)).Select(_ => pieces[random.Next(0, pieces.Length - 1)]));
            _task.Verify(text, "28");
            _task.SolutionKey(text, "28");
        }
    }
}
