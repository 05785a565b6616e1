using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

public class CountdownExpressionTests
{
    [Theory]
    [InlineData("(8-5)*3", "(8-5)*3")]
    [InlineData(" ( 8 - 5 ) * 3 ", "(8-5)*3")]
    [InlineData("8*(5+3)", "8*(5+3)")]
    [InlineData("3+(5+8)", "3+(5+8)")]   // the written grouping is kept: a different tree from 3+5+8
    [InlineData("3+5+8", "3+5+8")]
    [InlineData("8/(4/2)", "8/(4/2)")]
    [InlineData("8 \\times (5+3)", "8*(5+3)")]
    [InlineData("8 × (5 − 3)", "8*(5-3)")]
    [InlineData("8 \\div 2", "8/2")]
    [InlineData("\\left(8-5\\right)\\cdot 3", "(8-5)*3")]
    [InlineData("[8-5]*3", "(8-5)*3")]
    public void Parses_and_prints_with_minimal_parentheses(string text, string printed)
    {
        Assert.True(CountdownExpression.TryParse(text, out var e));
        Assert.Equal(printed, e.ToString());
        Assert.True(CountdownExpression.TryParse(e.ToString(), out var again));
        Assert.Equal(e, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-3+5")]          // unary minus is no Countdown operation
    [InlineData("3.5*2")]
    [InlineData("3^2")]
    [InlineData("(3+5")]
    [InlineData("3+5)")]
    [InlineData("3 5")]
    [InlineData("3++5")]
    [InlineData("x+1")]
    [InlineData("()")]
    public void Rejects_what_is_not_an_expression(string text) =>
        Assert.False(CountdownExpression.TryParse(text, out _));

    [Fact]
    public void Rejects_nesting_beyond_the_limit_without_recursing_into_it()
    {
        var deep = new string('(', 100_000) + "1" + new string(')', 100_000);
        Assert.False(CountdownExpression.TryParse(deep, out _));
        var ok = new string('(', CountdownExpression.MaxDepth) + "1" + new string(')', CountdownExpression.MaxDepth);
        Assert.True(CountdownExpression.TryParse(ok, out _));
    }

    [Theory]
    [InlineData("1/0", false)]
    [InlineData("7/(3-3)", false)]
    [InlineData("8/3*3", false)]  // 8/3 is no integer
    [InlineData("8*3/3", true)]
    public void Integer_rule_and_division_by_zero(string text, bool integerValid)
    {
        var e = CountdownExpression.Parse(text);
        Assert.Equal(integerValid, e.Evaluate(integerIntermediates: true) is not null);
    }

    [Fact]
    public void Evaluation_is_exact_rational()
    {
        Assert.Equal(new Rational(8, 1), CountdownExpression.Parse("8/3*3").Evaluate());
        Assert.Equal(new Rational(24, 1), CountdownExpression.Parse("8/(3-8/3)").Evaluate());
        Assert.Equal(new Rational(-2, 1), CountdownExpression.Parse("3-5").Evaluate());
        Assert.Null(CountdownExpression.Parse("1/(1/3-1/3)").Evaluate());
    }

    [Theory]
    [InlineData("(5+3)*8", "8*(3+5)")]
    [InlineData("8*(3+5)", "8*(3+5)")]
    [InlineData("(3+5)*8", "8*(3+5)")]
    [InlineData("8-(5-3)", "3+8-5")]
    [InlineData("8+3-5", "3+8-5")]
    [InlineData("3-5+8", "3+8-5")]
    [InlineData("3/(5/8)", "3*8/5")]
    [InlineData("8*3/5", "3*8/5")]
    [InlineData("(8-5)*3", "3*(8-5)")]
    [InlineData("3*5+8", "8+3*5")]
    [InlineData("12/(3-1)/2", "12/2/(3-1)")]
    [InlineData("10-2*3-4", "10-4-2*3")]
    public void Canonical_key_merges_commutation_and_regrouping(string text, string key) =>
        Assert.Equal(key, CountdownExpression.Parse(text).CanonicalKey());

    [Theory]
    [InlineData("3+5*8", "(3+5)*8")]
    [InlineData("8-5-3", "8-(5-3)")]
    [InlineData("8/4/2", "8/(4/2)")]
    [InlineData("3*1", "3/1")]          // ×1 and ÷1 are different writings under commutativity and associativity alone
    public void Canonical_key_separates_different_solutions(string a, string b) =>
        Assert.NotEqual(CountdownExpression.Parse(a).CanonicalKey(), CountdownExpression.Parse(b).CanonicalKey());

    [Fact]
    public void Canonical_key_is_an_expression_with_the_same_value_and_leaves()
    {
        foreach (var text in new[] { "8-(5-3)", "3/(5/8)", "(2+3)*(7-4)/(1+1)", "20-(3*(4-1))" })
        {
            var e = CountdownExpression.Parse(text);
            var k = CountdownExpression.Parse(e.CanonicalKey());
            Assert.Equal(e.Evaluate(), k.Evaluate());
            Assert.Equal(e.Leaves().Order(), k.Leaves().Order());
            Assert.Equal(e.CanonicalKey(), k.CanonicalKey());
        }
    }
}

public class CountdownProblemTests
{
    [Fact]
    public void Gold_round_trips()
    {
        var p = new CountdownProblem([3, 5, 8], 64);
        Assert.Equal("3 5 8 -> 64", p.Gold);
        Assert.Equal(p, CountdownProblem.Parse("3 5 8 -> 64"));
        Assert.Equal(p, CountdownProblem.Parse("  3  5 8->64 "));
        var q = new CountdownProblem([1, 5, 5, 5], 24, IntegerIntermediates: false);
        Assert.Equal("1 5 5 5 -> 24 rational", q.Gold);
        Assert.Equal(q, CountdownProblem.Parse(q.Gold));
        Assert.NotEqual(p, CountdownProblem.Parse("5 3 8 -> 64"));
        Assert.Equal(p.Identity, CountdownProblem.Parse("5 3 8 -> 64").Identity);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("3 5 8", "->")]
    [InlineData("3 5 8 -> x", "target")]
    [InlineData("3 five 8 -> 64", "five")]
    [InlineData("3 -> 64", "2 to 5 numbers")]
    [InlineData("3 5 8 -> 64 fractions", "rational")]
    [InlineData("3 5 8 -> 64 -> 2", "exactly one")]
    public void Malformed_gold_is_a_clear_error(string gold, string mentions)
    {
        var e = Assert.Throws<ArgumentException>(() => CountdownProblem.Parse(gold));
        Assert.Contains(mentions, e.Message);
        Assert.Contains("3 5 8 -> 64", e.Message); // shows the expected form
    }

    [Fact]
    public void Numbers_are_validated_and_copied()
    {
        Assert.Contains("2 to 5 numbers", Assert.Throws<ArgumentException>(() => new CountdownProblem([1], 1)).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => new CountdownProblem([1, -2], 1)).Message);
        var p = new CountdownProblem([1, 2], 3);
        Assert.Throws<ArgumentException>(() => p with { Numbers = [1, 2, 3, 4, 5, 6] });
        int[] numbers = [1, 2];
        var q = new CountdownProblem(numbers, 3);
        numbers[0] = 9;
        Assert.Equal([1, 2], q.Numbers);
    }

    [Fact]
    public void Prompts()
    {
        var p = new CountdownProblem([3, 5, 8], 64);
        Assert.Equal("3 5 8=64:", p.Prompt(PromptStyle.Compact));
        var verbose = p.Prompt(PromptStyle.Verbose);
        Assert.Contains("3, 5, 8", verbose);
        Assert.Contains("equals 64", verbose);
        Assert.Contains("Answer:", verbose);
        Assert.Contains("\\boxed{}", verbose);
        Assert.Equal(new Problem("countdown", "3 5 8 -> 64", "3 5 8=64:", "3 5 8 -> 64"), p.ToProblem(PromptStyle.Compact));
    }

    [Fact]
    public void Compact_prompt_and_every_solution_fit_the_tiny_alphabet_and_32_characters_at_calibration_scale()
    {
        // Calibration: 3 numbers from 1..20, targets ≤ 100, a 32-token context including EOS.
        var problems = CountdownGenerator.Generate(new CountdownConfig(), seed: 7, count: 200);
        var longest = 0;
        foreach (var p in problems)
        foreach (var s in CountdownSolver.Solve(p))
        foreach (var w in s.Writings)
        {
            var text = p.Prompt(PromptStyle.Compact) + w;
            Assert.All(text, c => Assert.Contains(c, CountdownProblem.CompactAlphabet));
            longest = Math.Max(longest, text.Length + 1);
        }
        Assert.InRange(longest, 10, 32);
    }
}

public class CountdownSolverTests
{
    [Fact]
    public void Numbers_1_2_3_target_6_has_three_solutions()
    {
        // By hand, integer intermediates. 6 = x op y with x from one number, y from the other two:
        //   two-number values: {1,2}: 3,-1,1,2,2(2/1)  {1,3}: 4,-2,2,3,3(3/1)  {2,3}: 5,-1,1,6
        //   6 = 3+3 (3=1+2) → 1+2+3;  6 = 2+4 (4=1+3) → same sum;  6 = 1+5 (5=2+3) → same sum
        //   6 = 3*2 with 2 = 2*1 → 1*2*3, with 2 = 2/1 → 2*3/1;  6 = 2*3 with 3 = 3*1 or 3/1 → same two
        //   6 = 1*6 (6=2*3) → 1*2*3;  6 = 6/1 → 2*3/1;  differences: 6 = 7-1, 8-2, 9-3 unreachable.
        // Modes: "1+2+3", "1*2*3", "2*3/1" → 3.
        var solutions = CountdownSolver.Solve(new CountdownProblem([1, 2, 3], 6));
        Assert.Equal(["1*2*3", "1+2+3", "2*3/1"], solutions.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(3, new CountdownTask().CountSolutions("1 2 3 -> 6"));
    }

    [Fact]
    public void Rational_rule_adds_writings_but_not_modes_for_1_2_3_to_6()
    {
        // 3/(1/2) = 3*2/1 and 2/(1/3) = 2*3/1 need the fraction 1/2 or 1/3 but share the key "2*3/1".
        var integer = CountdownSolver.Solve(new CountdownProblem([1, 2, 3], 6));
        var rational = CountdownSolver.Solve(new CountdownProblem([1, 2, 3], 6, IntegerIntermediates: false));
        Assert.Equal(integer.Select(s => s.Key), rational.Select(s => s.Key));
        var withFraction = rational.Single(s => s.Key == "2*3/1").Writings.Select(w => w.ToString()).ToList();
        Assert.Contains("3/(1/2)", withFraction);
        Assert.DoesNotContain("3/(1/2)", integer.Single(s => s.Key == "2*3/1").Writings.Select(w => w.ToString()));
    }

    [Fact]
    public void Numbers_3_5_8_target_64_has_one_solution()
    {
        // Two-number values: {3,5}: 8,±2,15  {3,8}: 11,±5,24  {5,8}: 13,±3,40. Against the third number
        // only 8*8 (8 = 3+5) gives 64: 8+56, 5+59, 3+61, 72-8, 69-5, 67-3, 64·k all unreachable.
        var solutions = CountdownSolver.Solve(new CountdownProblem([3, 5, 8], 64));
        Assert.Equal("8*(3+5)", Assert.Single(solutions).Key);
    }

    [Fact]
    public void Four_ones_target_4_has_two_solutions()
    {
        // Values of two ones: 2, 0, 1; of three ones at most 3. 4 = 2+2 or 3+1 → 1+1+1+1; 4 = 2*2 → (1+1)*(1+1);
        // 4 = 4*1 or 4/1 would need 4 from three ones; 4 = 5-1 needs 5. → 2 modes.
        var solutions = CountdownSolver.Solve(new CountdownProblem([1, 1, 1, 1], 4));
        Assert.Equal(["(1+1)*(1+1)", "1+1+1+1"], solutions.Select(s => s.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Four_ones_target_3_has_six_solutions()
    {
        // 3 needs 1+1+1 and a fourth one applied as ×1 or ÷1, either to a single 1, to a pair (1+1),
        // or to the whole sum: 1+1+1*1, 1+1+1/1, 1+(1+1)*1, 1+(1+1)/1, (1+1+1)*1, (1+1+1)/1.
        // 4−1 is out (4 needs four ones), and no fraction reaches 3 with four ones.
        // Keys list numbers before compound parts: (1+1+1)*1 is "1*(1+1+1)", 1+(1+1)*1 is "1+1*(1+1)".
        string[] expected = ["(1+1+1)/1", "1*(1+1+1)", "1+(1+1)/1", "1+1*(1+1)", "1+1+1*1", "1+1+1/1"];
        Assert.Equal(expected, CountdownSolver.Solve(new CountdownProblem([1, 1, 1, 1], 3)).Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(expected, CountdownSolver.Solve(new CountdownProblem([1, 1, 1, 1], 3, false)).Select(s => s.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Three_3_8_8_to_24_needs_a_fraction()
    {
        // The well-known puzzle: the only way is 8/(3-8/3), whose 8/3 is not an integer.
        Assert.Empty(CountdownSolver.Solve(new CountdownProblem([3, 3, 8, 8], 24)));
        var only = Assert.Single(CountdownSolver.Solve(new CountdownProblem([3, 3, 8, 8], 24, IntegerIntermediates: false)));
        Assert.Equal("8/(3-8/3)", only.Key);
    }

    [Fact]
    public void Every_writing_verifies_and_has_its_solution_key()
    {
        var task = new CountdownTask();
        foreach (var gold in new[] { "1 2 3 -> 6", "2 3 4 5 -> 24", "6 7 9 -> 21", "1 5 5 5 -> 24 rational" })
        {
            var solutions = CountdownSolver.Solve(CountdownProblem.Parse(gold));
            Assert.NotEmpty(solutions);
            Assert.Equal(solutions.Count, solutions.Select(s => s.Key).Distinct().Count());
            foreach (var s in solutions)
            foreach (var w in s.Writings)
            {
                Assert.True(task.Verify(w.ToString(), gold).Correct, $"{w} for {gold}");
                Assert.Equal(s.Key, task.SolutionKey(w.ToString(), gold));
            }
        }
    }

    [Fact]
    public void Reachable_integers_of_two_numbers()
    {
        // 6 and 3: 9, 3, -3, 18, 2 (6/3); 3/6 is no integer.
        Assert.Equal([-3, 2, 3, 9, 18], CountdownSolver.ReachableIntegers([6, 3], integerIntermediates: true).Select(v => (int)v).Order());
        // 24 from 3 3 8 8 only through 8/3.
        Assert.DoesNotContain(24, CountdownSolver.ReachableIntegers([3, 3, 8, 8], integerIntermediates: true));
        Assert.Contains(24, CountdownSolver.ReachableIntegers([3, 3, 8, 8], integerIntermediates: false));
    }
}

public class CountdownGeneratorTests
{
    [Fact]
    public void Same_seed_same_problems_other_seed_other_problems()
    {
        var config = new CountdownConfig();
        var a = CountdownGenerator.Generate(config, 42, 50);
        var b = CountdownGenerator.Generate(config, 42, 50);
        var c = CountdownGenerator.Generate(config, 43, 50);
        Assert.Equal(a.Select(p => p.Gold), b.Select(p => p.Gold));
        Assert.NotEqual(a.Select(p => p.Gold), c.Select(p => p.Gold));
    }

    [Theory]
    [InlineData(3, 1, 20, 1, 100, true)]
    [InlineData(4, 1, 10, 10, 50, true)]
    [InlineData(3, 2, 9, 1, 30, false)]
    public void Problems_are_distinct_in_range_and_solvable(int count, int minN, int maxN, int minT, int maxT, bool integer)
    {
        var config = new CountdownConfig(count, minN, maxN, minT, maxT, integer);
        var problems = CountdownGenerator.Generate(config, 1, 40);
        Assert.Equal(40, problems.Select(p => p.Identity).Distinct().Count());
        foreach (var p in problems)
        {
            Assert.Equal(count, p.Numbers.Length);
            Assert.All(p.Numbers, n => Assert.InRange(n, minN, maxN));
            Assert.InRange(p.Target, minT, maxT);
            Assert.Equal(integer, p.IntegerIntermediates);
            Assert.True(CountdownSolver.CountSolutions(p) >= 1, p.Gold);
        }
    }

    [Fact]
    public void Min_solutions_keeps_only_multi_mode_problems()
    {
        var problems = CountdownGenerator.Generate(new CountdownConfig(MinSolutions: 3), 8, 30);
        Assert.All(problems, p => Assert.True(CountdownSolver.CountSolutions(p) >= 3, p.Gold));
    }

    [Fact]
    public void Targets_by_expressions_favour_problems_with_several_solutions()
    {
        static double MultiModeShare(TargetChoice choice) =>
            CountdownGenerator.Generate(new CountdownConfig(Targets: choice), 4, 500).Count(p => CountdownSolver.CountSolutions(p) > 1) / 500.0;
        var uniform = MultiModeShare(TargetChoice.UniformReachable);
        var byExpressions = MultiModeShare(TargetChoice.ByExpressions);
        Assert.True(byExpressions > uniform + 0.03, $"{byExpressions} vs {uniform}");
    }

    [Fact]
    public void Train_and_held_out_never_share_a_problem()
    {
        var config = new CountdownConfig(HeldOutFraction: 0.2);
        var train = CountdownGenerator.Generate(config, 1, 400, SplitPart.Train);
        var heldOut = CountdownGenerator.Generate(config, 2, 100, SplitPart.HeldOut);
        Assert.Empty(train.Select(p => p.Identity).Intersect(heldOut.Select(p => p.Identity)));
        Assert.All(heldOut, p => Assert.True(ProblemSplit.IsHeldOut(p.Identity, 0.2)));
        Assert.All(train, p => Assert.False(ProblemSplit.IsHeldOut(p.Identity, 0.2)));
        // The hash split puts about the requested share of all problems in held-out.
        var all = CountdownGenerator.Generate(config, 3, 1000);
        var share = all.Count(p => ProblemSplit.IsHeldOut(p.Identity, 0.2)) / 1000.0;
        Assert.InRange(share, 0.15, 0.25);
    }

    [Theory]
    [InlineData(5, 1, 20, 1, 100, "Count")]
    [InlineData(3, -1, 20, 1, 100, "MinNumber")]
    [InlineData(3, 10, 5, 1, 100, "MaxNumber")]
    [InlineData(3, 1, 20, 100, 1, "MaxTarget")]
    [InlineData(3, 1, 20, 1, 100, "MinSolutions", 0)]
    [InlineData(3, 1, 20, 1, 100, "HeldOutFraction", 1, 1.5)]
    public void Bad_config_names_the_field(int count, int minN, int maxN, int minT, int maxT, string field, int minSolutions = 1, double heldOut = 0.1)
    {
        var config = new CountdownConfig(count, minN, maxN, minT, maxT, HeldOutFraction: heldOut, MinSolutions: minSolutions);
        var e = Assert.Throws<ArgumentException>(() => CountdownGenerator.Generate(config, 1, 1));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Unreachable_target_range_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => CountdownGenerator.Generate(new CountdownConfig(3, 1, 2, 1000, 2000), 1, 1));
        Assert.Contains("target range", e.Message);
    }
}

public class CountdownVerifierTests
{
    private readonly CountdownTask _task = new();

    [Theory]
    [InlineData("8*(5+3)", true, "8*(5+3)")]
    [InlineData("(3+5)*8", true, "(3+5)*8")]
    [InlineData("8*(5+3)\n", true, "8*(5+3)")]
    [InlineData("Let me think. 8*8 = 64 and 8 = 5+3.\nAnswer: (5 + 3) * 8", true, "(5+3)*8")]
    [InlineData("answer: 8 × (5+3) = 64.", true, "8*(5+3)")]
    [InlineData("So the expression is $\\boxed{8 \\times (5+3)}$.", true, "8*(5+3)")]
    [InlineData("\\boxed{64 = 8*(3+5)}", true, "8*(3+5)")]
    [InlineData("The answer is (3+5)*8", true, "(3+5)*8")]
    [InlineData("3 5 8=64:(5+3)*8", true, "(5+3)*8")]       // an echoed compact prompt
    [InlineData("3 5 8=64:", false, null)]
    [InlineData("Answer: 8*(5+3) = 65", false, "8*(5+3) = 65")]  // a false equation is wrong
    [InlineData("8*(5+2)", false, "8*(5+2)")]                  // uses 2, not 3
    [InlineData("8*8", false, "8*8")]                          // 8 twice, 3 and 5 unused
    [InlineData("8*(5+3)+0", false, "8*(5+3)+0")]              // an extra number
    [InlineData("8*(5-3)", false, "8*(5-3)")]                  // value 16
    [InlineData("-8*(5+3)", false, "-8*(5+3)")]
    [InlineData("8*(5+3", false, "8*(5+3")]
    [InlineData("", false, null)]
    [InlineData("   \n  ", false, null)]
    [InlineData("\\boxed{}", false, "\\boxed{}")]
    public void Verifies_3_5_8_to_64(string response, bool correct, string? extracted)
    {
        var verdict = _task.Verify(response, "3 5 8 -> 64");
        Assert.Equal(correct, verdict.Correct);
        Assert.Equal(extracted, verdict.Extracted);
    }

    [Fact]
    public void Integer_rule_comes_from_the_gold()
    {
        const string answer = "8/(3-8/3)";
        Assert.False(_task.Verify(answer, "3 3 8 8 -> 24").Correct);
        Assert.True(_task.Verify(answer, "3 3 8 8 -> 24 rational").Correct);
        Assert.False(_task.Verify("5/(5-5)+1", "1 5 5 5 -> 24 rational").Correct); // division by zero
    }

    [Fact]
    public void Solution_key_and_formulas_use_the_canonical_key()
    {
        const string gold = "3 5 8 -> 64";
        Assert.Equal("8*(3+5)", _task.SolutionKey("Answer: (5+3)*8", gold));
        Assert.Equal(_task.SolutionKey("8*(3+5)", gold), _task.SolutionKey("\\boxed{(5+3)\\times 8}", gold));
        Assert.Null(_task.SolutionKey("8*(5-3)", gold));
        Assert.Equal(new HashSet<string> { "8*(3+5)" }, _task.Formulas.Extract("Answer: (5+3)*8"));
        Assert.Equal(new HashSet<string> { "8*(5-3)" }, _task.Formulas.Extract("Answer: (5-3)*8")); // wrong answers have formulas too
        Assert.Empty(_task.Formulas.Extract("no idea"));
    }

    [Fact]
    public void Malformed_gold_throws_but_garbage_responses_never_do()
    {
        Assert.Throws<ArgumentException>(() => _task.Verify("1+2", "not a gold"));
        var random = new SeededRandom(2024);
        var pieces = new[] { "1", "2", "3", "5", "8", "64", "0", "+", "-", "*", "/", "(", ")", "[", "]", "{", "}", "=", " ", "\n",
            "\\boxed{", "\\fbox{", "Answer:", "$", "\\times", "\\div", "\\left(", "\\right)", ".", "x", "^", "\\", "99999999999999999999999999999999" };
        for (var i = 0; i < 10_000; i++)
        {
            var length = random.Next(0, 40);
            var text = string.Concat(Enumerable.Range(0, length).Select(_ => pieces[random.Next(0, pieces.Length - 1)]));
            var verdict = _task.Verify(text, "3 5 8 -> 64");
            if (verdict.Correct) Assert.Equal(new Rational(64, 1), CountdownExpression.Parse(verdict.Extracted!).Evaluate());
            _task.SolutionKey(text, "3 5 8 -> 64");
            _task.Formulas.Extract(text);
        }
        var huge = string.Concat(Enumerable.Repeat("1+", 200_000)) + "1";
        Assert.False(_task.Verify(huge, "3 5 8 -> 64").Correct);
        Assert.False(_task.Verify(new string('(', 50_000), "3 5 8 -> 64").Correct);
    }
}
